"""Data helpers for semi-supervised experiments."""

import numpy as np

from ._classifier import UNLABELED


def hide_labels(y, n_per_class: int, random_state: int | None = None) -> np.ndarray:
    """Keep ``n_per_class`` labels of each class and mark the rest unlabeled.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Fully labeled targets.
    n_per_class : int
        Labels to keep per class; a class with fewer rows keeps them all.
    random_state : int or None, default=None
        Seed of the draw of the kept rows.

    Returns
    -------
    y_partial : ndarray of shape (n_samples,)
        Copy of y with ``-1`` in every hidden row (object dtype when y holds
        strings, so that ``-1`` can stand beside them).

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
    partial = np.full(
        y.shape, UNLABELED, dtype=object if y.dtype.kind in "USO" else y.dtype
    )
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        keep = rng.choice(rows, min(n_per_class, len(rows)), replace=False)
        partial[keep] = label
    return partial
