"""skaae.datasets on tiny IDX files written by the tests."""

import gzip
import struct

import numpy as np
import pytest

from skaae.datasets import hide_labels, load_fashion_mnist, load_mnist, read_idx


def idx_bytes(array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(path, array, compress):
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)


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


# Files read_idx refuses: (name, bytes, words of the message, which names the file).
BAD_IDX = {
    "wrong magic": ("bad", b"\x01\x02\x03\x04", "bad is not an IDX file: its magic"),
    "cut data": ("short", idx_bytes(np.zeros((3, 2)))[:-1], "short is truncated or"),
    "cut header": ("cut", b"\x00\x00\x08\x03\x00\x00", "cut is truncated: it ends"),
    "no dimensions": ("flat", b"\x00\x00\x08\x00\x07", "flat is not an IDX file: it"),
    "not gzip": ("bad.gz", b"garbage", r"bad\.gz is not a complete gzip file"),
    "cut gzip": (
        "cut.gz",
        gzip.compress(idx_bytes(np.zeros((3, 2))))[:-6],
        r"cut\.gz is not a complete gzip file",
    ),
}


@pytest.mark.parametrize("case", list(BAD_IDX))
def test_read_idx_refuses_bad_files_by_name(tmp_path, case):
    name, data, match = BAD_IDX[case]
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ValueError, match=match):
        read_idx(tmp_path / name)


def test_read_idx_of_a_missing_gzip_is_not_a_gzip_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent.gz")


@pytest.mark.parametrize("labels", [np.zeros(5), np.zeros((6, 2))], ids=["5", "6x2"])
def test_loaders_refuse_labels_that_do_not_match_the_images(tmp_path, labels):
    make_set(tmp_path / "mnist", compress=False)
    write_idx(tmp_path / "mnist" / "train-labels-idx1-ubyte", labels, compress=False)
    with pytest.raises(ValueError, match=r"but .*train-images.* holds 6 images"):
        load_mnist(data_home=tmp_path)


def test_hide_labels_widens_dtypes_that_cannot_hold_minus_one():
    from_idx = hide_labels(np.array([0, 1, 0, 1], dtype=np.uint8), 1, random_state=0)
    assert from_idx.dtype == np.int16 and sorted(from_idx) == [-1, -1, 0, 1]
    flags = hide_labels(np.array([True, False, True, False]), 1, random_state=0)
    assert flags.dtype == object and sorted(flags, key=str) == [-1, -1, False, True]


def test_hide_labels_keeps_rows_already_unlabeled():
    y = np.array(["a", -1, "a", "b", "b", -1, "a"], dtype=object)
    partial = hide_labels(y, 1, random_state=0)
    assert (partial[[1, 5]] == -1).all()
    assert sorted(partial[partial != -1]) == ["a", "b"]


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


def test_a_mistyped_data_home_is_not_created(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing from"):
        load_fashion_mnist(data_home=tmp_path / "typo")
    assert not (tmp_path / "typo").exists()
