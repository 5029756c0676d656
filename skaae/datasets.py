"""Data sets and helpers for semi-supervised experiments.

MNIST and Fashion-MNIST are read from their four standard IDX files (gzip or
raw); nothing is downloaded.
"""

import gzip
import zlib
from pathlib import Path

import numpy as np
from sklearn.datasets import get_data_home

from ._classifier import UNLABELED, labeled_mask

# IDX type codes (third magic byte) and the big-endian dtypes they stand for.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# (images, labels) file stems of the train split, then of the test split.
_SPLITS = (
    ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
)


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file, gzip-compressed when its name ends in ``.gz``.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    array : ndarray
        The array with the shape and type the file declares.

    Raises
    ------
    ValueError
        If the file is not IDX, is cut short or padded, or is a broken gzip.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file: its magic number is wrong.")
    dtype, n_dims = _IDX_DTYPES[data[2]], data[3]
    if n_dims == 0:
        raise ValueError(f"{path} is not an IDX file: it declares no dimensions.")
    header = 4 + 4 * n_dims
    if len(data) < header:
        raise ValueError(f"{path} is truncated: it ends inside its header.")
    shape = tuple(int(d) for d in np.frombuffer(data[4:header], dtype=">u4"))
    if len(data) != header + dtype.itemsize * int(np.prod(shape)):
        raise ValueError(
            f"{path} is truncated or padded: its header declares shape {shape}."
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when its name ends in ``.gz``."""
    if path.suffix != ".gz":
        return path.read_bytes()
    with gzip.open(path, "rb") as f:
        try:
            return f.read()
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise ValueError(
                f"{path} is not a complete gzip file ({exc}); download it again, "
                "or put the uncompressed file there without .gz."
            ) from exc


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"{stem}.gz (or {stem}) is missing from {folder}. Put the four standard "
        "IDX files of the data set there, or point data_home (--data-home in "
        f"the benchmarks) at the folder that holds {folder.name}/."
    )


def _load_idx_set(name: str, data_home) -> tuple[np.ndarray, ...]:
    # get_data_home creates the folder it names: only the default one, whose
    # making is scikit-learn's habit, not a mistyped path.
    home = get_data_home() if data_home is None else Path(data_home).expanduser()
    folder = Path(home) / name
    arrays = []
    for images, labels in _SPLITS:
        images, labels = _find(folder, images), _find(folder, labels)
        X, y = read_idx(images), read_idx(labels)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(
                f"{labels} holds labels of shape {y.shape}, but {images} holds "
                f"{len(X)} images: expected shape ({len(X)},). Are the files "
                "from the same data set and split?"
            )
        arrays += [X.reshape(len(X), -1).astype(np.float32) / 255.0, y.astype(np.int64)]
    return tuple(arrays)


def load_mnist(data_home: str | Path | None = None) -> tuple[np.ndarray, ...]:
    """Load MNIST from ``<data_home>/mnist/``.

    Parameters
    ----------
    data_home : str or Path, default=None
        Folder holding ``mnist/`` with the four standard IDX files
        (``train-images-idx3-ubyte.gz`` ...). ``None`` means scikit-learn's
        data home (``~/scikit_learn_data`` or ``$SCIKIT_LEARN_DATA``).

    Returns
    -------
    X_train : ndarray of shape (60000, 784), float32 in [0, 1]
    y_train : ndarray of shape (60000,), int64
    X_test : ndarray of shape (10000, 784), float32 in [0, 1]
    y_test : ndarray of shape (10000,), int64
    """
    return _load_idx_set("mnist", data_home)


def load_fashion_mnist(data_home: str | Path | None = None) -> tuple[np.ndarray, ...]:
    """Load Fashion-MNIST from ``<data_home>/fashion-mnist/``.

    Parameters
    ----------
    data_home : str or Path, default=None
        Folder holding ``fashion-mnist/`` with the four standard IDX files.
        ``None`` means scikit-learn's data home.

    Returns
    -------
    X_train : ndarray of shape (60000, 784), float32 in [0, 1]
    y_train : ndarray of shape (60000,), int64
    X_test : ndarray of shape (10000, 784), float32 in [0, 1]
    y_test : ndarray of shape (10000,), int64
    """
    return _load_idx_set("fashion-mnist", data_home)


def hide_labels(y, n_per_class: int, random_state: int | None = None) -> np.ndarray:
    """Keep ``n_per_class`` labels of each class and mark the rest unlabeled.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Targets; rows already marked -1 stay unlabeled.
    n_per_class : int
        Labels to keep per class; a class with fewer rows keeps them all.
    random_state : int or None, default=None
        Seed of the draw of the kept rows.

    Returns
    -------
    y_partial : ndarray of shape (n_samples,)
        Copy of y with ``-1`` in every hidden row: of y's dtype when that
        holds -1, a signed integer for unsigned labels, object for strings
        and bools.

    Examples
    --------
    >>> from skaae.datasets import hide_labels
    >>> hide_labels([0, 0, 1, 1], n_per_class=1, random_state=0)
    array([-1,  0, -1,  1])
    """
    y = np.asarray(y)
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}.")
    rng = np.random.default_rng(random_state)
    partial = np.full(y.shape, UNLABELED, dtype=_dtype_with_room_for_unlabeled(y.dtype))
    for label in np.unique(y[labeled_mask(y)]):
        rows = np.flatnonzero(y == label)
        keep = rng.choice(rows, min(n_per_class, len(rows)), replace=False)
        partial[keep] = label
    return partial


def _dtype_with_room_for_unlabeled(dtype: np.dtype) -> np.dtype:
    """``dtype``, or the narrowest one that also holds the integer -1.

    Unsigned labels (IDX files hold uint8) widen to the next signed integer;
    strings, bools and the widest unsigned integers go to object, where -1
    stands beside the labels unchanged.
    """
    if dtype.kind in "if":
        return dtype
    if dtype.kind == "u" and dtype.itemsize < 8:
        return np.promote_types(dtype, np.int8)
    return np.dtype(object)
