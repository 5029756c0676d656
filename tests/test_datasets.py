"""skaae.datasets on tiny IDX files written by the tests."""

import gzip
import struct

import numpy as np
import pytest

from skaae.datasets import hide_labels, load_fashion_mnist, load_mnist, read_idx


def write_idx(path, array, compress):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def make_set(folder, compress, n_train=6, n_test=4):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        images = rng.integers(0, 256, size=(n, 28, 28))
        labels = rng.integers(0, 10, size=n)
        suffix = ".gz" if compress else ""
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress)
        arrays[prefix] = (images, labels)
    return arrays


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize(
    "loader, name", [(load_mnist, "mnist"), (load_fashion_mnist, "fashion-mnist")]
)
def test_loaders_read_gz_or_raw(tmp_path, compress, loader, name):
    arrays = make_set(tmp_path / name, compress)
    X_train, y_train, X_test, y_test = loader(data_home=tmp_path)
    assert X_train.shape == (6, 784) and X_test.shape == (4, 784)
    assert X_train.dtype == np.float32
    np.testing.assert_allclose(X_train * 255, arrays["train"][0].reshape(6, -1))
    np.testing.assert_array_equal(y_train, arrays["train"][1])
    np.testing.assert_array_equal(y_test, arrays["t10k"][1])


def test_missing_file_says_which_and_where(tmp_path):
    make_set(tmp_path / "mnist", compress=True)
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"t10k-labels-idx1-ubyte\.gz.*mnist"):
        load_mnist(data_home=tmp_path)


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short"
    write_idx(short, np.zeros((3, 2)), compress=False)
    short.write_bytes(short.read_bytes()[:-1])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(short)


def test_hide_labels_keeps_n_per_class():
    y = np.repeat([0, 1, 2], 10)
    partial = hide_labels(y, 3, random_state=0)
    assert all(np.sum(partial == c) == 3 for c in range(3))
    assert np.sum(partial == -1) == 21
    np.testing.assert_array_equal(partial, hide_labels(y, 3, random_state=0))
    strings = hide_labels(np.array(["a", "b"] * 5), 1, random_state=0)
    assert strings.dtype == object and set(strings) == {"a", "b", -1}
    with pytest.raises(ValueError, match="at least 1"):
        hide_labels(y, 0)
