"""Standardised float32 mini-batches from a dense array or a CSR matrix."""

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import torch

RowSource = Callable[[np.ndarray], torch.Tensor]

# Rows converted at a time: keeps the float64 temporary of a large array small.
_CHUNK = 8192


def _dense_chunks(X: np.ndarray):
    for start in range(0, X.shape[0], _CHUNK):
        yield X[start : start + _CHUNK]


def standardisation(X: np.ndarray | sp.csr_matrix) -> tuple[np.ndarray, float]:
    """Per-feature means and one global scale for the whole matrix.

    A single scale (the root mean square of the centred entries) keeps the
    relative size of the features, so near-constant pixels are not blown up,
    while making the losses and the VAT radius independent of X's units.
    """
    if sp.issparse(X):
        peak = float(abs(X).max())
    else:
        peak = max((float(np.abs(c).max()) for c in _dense_chunks(X)), default=0.0)
    # Moments of X / peak: squares of entries near 1e200 would overflow.
    peak = peak or 1.0
    mean, variance = (_sparse_moments if sp.issparse(X) else _dense_moments)(X, peak)
    scale = peak * float(np.sqrt(variance.mean()))
    return mean * peak, (scale if scale > 0 else 1.0)


# Both compute the variance from deviations from the mean, not as E[x^2] -
# E[x]^2, which loses every digit of a small spread beside a large offset (a
# timestamp column: 1.7e9 +- 1).


def _dense_moments(X: np.ndarray, peak: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and variance of X / peak, in two passes over chunks."""
    mean = np.zeros(X.shape[1])
    for unit in _unit_chunks(X, peak):
        mean += unit.sum(axis=0) / X.shape[0]
    squares = np.zeros(X.shape[1])
    for unit in _unit_chunks(X, peak):
        squares += np.square(unit - mean).sum(axis=0)
    return mean, squares / X.shape[0]


def _unit_chunks(X: np.ndarray, peak: float):
    """X / peak in float64, a chunk of rows at a time."""
    for chunk in _dense_chunks(X):
        yield np.asarray(chunk, dtype=np.float64) / peak


def _sparse_moments(X: sp.csr_matrix, peak: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_dense_moments` from the stored entries; the zeros add mean^2 each."""
    unit = sp.csr_matrix(X, dtype=np.float64) / peak
    mean = np.asarray(unit.mean(axis=0)).ravel()
    deviations = unit.data - mean[unit.indices]
    squares = np.bincount(
        unit.indices, weights=np.square(deviations), minlength=X.shape[1]
    )
    zeros = X.shape[0] - np.bincount(unit.indices, minlength=X.shape[1])
    return mean, (squares + zeros * np.square(mean)) / X.shape[0]


def standardise(
    block: np.ndarray | sp.csr_matrix,
    mean: np.ndarray,
    scale: float,
    device: torch.device,
) -> torch.Tensor:
    """Standardised float32 tensor of a block of rows, on ``device``.

    Works in the block's own float dtype; dividing before subtracting keeps
    entries near the dtype's largest value finite.
    """
    if sp.issparse(block):
        block = block.toarray()
    dtype = block.dtype.type
    standard = block / dtype(scale) - (mean / scale).astype(dtype)
    # Entries beyond float32's range become inf here; the estimator refuses
    # non-finite network outputs with a clear error.
    with np.errstate(over="ignore"):
        standard = standard.astype(np.float32, copy=False)
    return torch.from_numpy(standard).to(device)


def feature_offset(
    mean: np.ndarray, scale: float, device: torch.device
) -> torch.Tensor:
    """X's per-feature mean over its scale, as float32 on ``device``.

    Added to a standardised row it gives the row in X's units (divided by
    the scale): what the terms that move values between features need, so
    that a moved value is one X holds.
    """
    return torch.as_tensor(mean / scale, dtype=torch.float32, device=device)


def make_row_source(
    X: np.ndarray | sp.csr_matrix, mean: np.ndarray, scale: float, device: torch.device
) -> RowSource:
    """Return ``rows(indices) -> tensor`` of standardised rows on ``device``.

    A dense X is converted once into one float32 tensor in host memory and
    each batch is drawn by index, then moved to ``device``, so a GPU holds
    one batch of X at a time; a sparse X stays sparse and only each batch is
    densified.
    """
    if sp.issparse(X):
        return lambda idx: standardise(X[idx], mean, scale, device)
    cpu = torch.device("cpu")
    dense = torch.cat([standardise(c, mean, scale, cpu) for c in _dense_chunks(X)])
    return lambda idx: dense[torch.as_tensor(idx)].to(device)
