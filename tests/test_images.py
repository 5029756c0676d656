"""The shift term for rows that are images: the translations and the estimator."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skaae._images import ImageShift, check_image_shape

from .conftest import small_aae


def _translated(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image`` (channels, height, width) seen through a window moved by (dy, dx)."""
    out = np.zeros_like(image)
    _, height, width = image.shape
    for r, c in itertools.product(range(height), range(width)):
        if 0 <= r + dy < height and 0 <= c + dx < width:
            out[:, r, c] = image[:, r + dy, c + dx]
    return out


def _moves(images: np.ndarray, shifted: np.ndarray, reach: int) -> list[tuple]:
    """The translation of each image that gives its shifted image, or None."""
    found = []
    for image, moved in zip(images, shifted, strict=True):
        matches = [
            move
            for move in itertools.product(range(-reach, reach + 1), repeat=2)
            if np.allclose(_translated(image, *move), moved, atol=1e-5)
        ]
        found.append(matches[0] if matches else None)
    return found


@pytest.mark.parametrize("shape", [(1, 5, 6), (3, 4, 5)])
def test_each_row_moves_by_one_translation_of_all_its_channels(shape):
    rng = np.random.default_rng(0)
    n_rows, reach = 60, 2
    X = rng.uniform(1, 3, size=(n_rows, np.prod(shape))).astype(np.float32)
    mean, scale = X.mean(axis=0), 2.0
    shift = ImageShift.for_rows(shape, reach, mean, scale, torch.device("cpu"))
    shifted = shift(
        torch.as_tensor((X - mean) / scale), torch.Generator().manual_seed(1)
    )
    # Back in X's units, where pixels that come into view are 0.
    shifted_X = shifted.numpy() * scale + mean
    moves = _moves(X.reshape(n_rows, *shape), shifted_X.reshape(n_rows, *shape), reach)
    assert None not in moves
    assert len(set(moves)) > 12  # draws spread over the 25 moves


def test_every_move_within_reach_is_drawn():
    n_rows, reach = 2000, 1
    shift = ImageShift((1, 3, 3), reach, torch.zeros(9))
    images = torch.arange(1.0, 10.0).repeat(n_rows, 1)
    shifted = shift(images, torch.Generator().manual_seed(0))
    moves = _moves(
        images.numpy().reshape(n_rows, 1, 3, 3),
        shifted.numpy().reshape(n_rows, 1, 3, 3),
        reach,
    )
    counts = {move: moves.count(move) for move in set(moves)}
    assert set(counts) == set(itertools.product((-1, 0, 1), repeat=2))
    # Uniform over the 9 moves: about 222 each.
    assert min(counts.values()) > 150


@pytest.mark.parametrize(
    ("image_shape", "max_shift", "n_features", "expected"),
    [
        ((28, 28), "auto", 784, ((1, 28, 28), 2)),
        ([8, 8], "auto", 64, ((1, 8, 8), 1)),
        ((3, 32, 32), "auto", 3072, ((3, 32, 32), 2)),
        ((20, 60), "auto", 1200, ((1, 20, 60), 1)),
        (np.array([28, 28]), 3, 784, ((1, 28, 28), 3)),
    ],
)
def test_check_image_shape_reads_channels_and_the_reach(
    image_shape, max_shift, n_features, expected
):
    assert check_image_shape(image_shape, max_shift, n_features) == expected


@pytest.mark.parametrize(
    ("image_shape", "max_shift", "n_features", "match"),
    [
        ((32, 32, 3), "auto", 3072, "channels-last"),
        ((28, 28, 1), "auto", 784, "channels-last"),
        ((28, 28), 28, 784, "max_shift below 28"),
        ((8, 8), 8, 64, "max_shift below 8"),
    ],
)
def test_check_image_shape_refuses_what_it_cannot_shift(
    image_shape, max_shift, n_features, match
):
    with pytest.raises(ValueError, match=match):
        check_image_shape(image_shape, max_shift, n_features)


def test_partial_fit_checks_the_shape_before_torch_work(no_torch_work):
    X = np.random.default_rng(0).normal(size=(20, 12))
    with pytest.raises(ValueError, match="holds 16 pixels, but X has 12"):
        small_aae(image_shape=(4, 4)).partial_fit(X, np.tile([0, 1], 10), [0, 1])


def test_the_shift_term_trains_only_with_an_image_shape(digits_partial):
    X, y = digits_partial
    plain = small_aae().fit(X, y)
    told = small_aae(image_shape=(8, 8)).fit(X, y)
    unweighted = small_aae(image_shape=(8, 8), shift_weight=0.0).fit(X, y)
    assert "shift" not in plain.history_ and "shift" not in unweighted.history_
    assert np.isfinite(told.history_["shift"]).all()
    assert told.history_["shift"][-1] > 0
    np.testing.assert_array_equal(plain.predict_proba(X), unweighted.predict_proba(X))
    assert not np.allclose(plain.predict_proba(X), told.predict_proba(X))


@pytest.mark.parametrize("training", ["fused", "phased"])
def test_the_shift_and_corruption_terms_join_the_other_moved_rows(
    digits_partial, moved_row_counts, training
):
    seen = moved_row_counts
    X, y = digits_partial
    small_aae(
        training=training, image_shape=(8, 8), corruption_weight=2.0, max_iter=1
    ).fit(X, y)
    # One encoder pass for the four terms, over each batch's rows (VAT's and
    # the corruption term's default fractions, 0.5, over half of them).
    assert seen[0] == {"vat": 16, "style_invariance": 32, "shift": 32, "corruption": 16}
    assert len(seen) == 19


def test_the_shift_term_shifts_the_standardised_rows_of_x(digits_partial, monkeypatch):
    """The moves are whole pixels of X: a shifted row holds X's own pixel values."""
    calls = []
    original = ImageShift.__call__

    def call(self, x, generator):
        moved = original(self, x, generator)
        calls.append((self, moved))
        return moved

    monkeypatch.setattr(ImageShift, "__call__", call)
    X, y = digits_partial
    clf = small_aae(image_shape=(8, 8), max_iter=1).fit(X, y)
    shift, moved = calls[0]
    assert shift.shape == (1, 8, 8) and shift.max_shift == 1
    in_X_units = (moved.numpy() + shift.offset.numpy()) * clf._x_scale
    pixel_values = set(np.unique(np.rint(X)).tolist())
    assert set(np.unique(np.rint(in_X_units)).tolist()) <= pixel_values
    np.testing.assert_allclose(in_X_units, np.rint(in_X_units), atol=1e-3)


@pytest.mark.parametrize(
    "method", ["fit", "partial_fit", "warm_start", "bfloat16", "three channels"]
)
def test_every_way_of_training_runs_the_shift_term(digits_partial, method):
    X, y = digits_partial
    params = dict(image_shape=(8, 8), max_iter=2)
    if method == "bfloat16":
        params["precision"] = "bfloat16"
    if method == "three channels":
        X = np.hstack([X, X[:, ::-1], X])
        params |= dict(image_shape=(3, 8, 8), max_shift=2)
    clf = small_aae(**params)
    if method == "partial_fit":
        clf.partial_fit(X, y, classes=np.arange(10)).partial_fit(X, y)
    else:
        clf.fit(X, y)
    if method == "warm_start":
        clf.set_params(warm_start=True).fit(X, y)
    assert len(clf.history_["shift"]) == (4 if method == "warm_start" else 2)
    assert np.isfinite(clf.history_["shift"]).all()
    assert (np.asarray(clf.history_["shift"]) > 0).all()


def test_sparse_images_are_shifted_too(digits_partial):
    X, y = digits_partial
    dense = small_aae(image_shape=(8, 8)).fit(X, y)
    sparse = small_aae(image_shape=(8, 8)).fit(sp.csr_matrix(X), y)
    assert np.isfinite(sparse.history_["shift"]).all()
    np.testing.assert_allclose(
        dense.predict_proba(X), sparse.predict_proba(X), rtol=1e-4, atol=1e-5
    )
