"""The neighbour term: the features' layout found in X, and the moves along it."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

import skaae._classifier
import skaae._layout
import skaae._training
from skaae._layout import (
    NeighbourMoves,
    feature_correlations,
    find_layout,
    raster_shape,
)
from skaae._rows import standardisation, standardise

from .conftest import small_aae

SIDE = 16


def smooth_images(n_rows: int = 400, seed: int = 0) -> np.ndarray:
    """Rows that are SIDE x SIDE images of blurred noise: pixels correlate locally."""
    noise = np.random.default_rng(seed).normal(size=(n_rows, SIDE, SIDE))
    return gaussian_filter(noise, sigma=(0, 1.5, 1.5)).reshape(n_rows, -1)


@pytest.fixture(scope="module")
def images_partial():
    """Smooth images labeled by which half is brighter, 10 labels per class."""
    X = smooth_images()
    halves = X.reshape(len(X), SIDE, SIDE)
    y = halves[:, :, : SIDE // 2].mean(axis=(1, 2)) > halves.mean(axis=(1, 2))
    y = y.astype(int)
    hidden = np.full(len(y), -1)
    for label in (0, 1):
        keep = np.flatnonzero(y == label)[:10]
        hidden[keep] = label
    return X, hidden


def find_moves(X, rng: np.random.Generator) -> np.ndarray | None:
    """The neighbour term's moves for X, or None where X has no layout."""
    layout = find_layout(X, rng)
    return None if layout is None else layout.moves()


def _pixel_steps(moves: np.ndarray) -> np.ndarray:
    """(rows, cols) each feature moves by on the SIDE x SIDE grid, per direction."""
    own = np.arange(SIDE * SIDE)
    return np.stack([moves // SIDE - own // SIDE, moves % SIDE - own % SIDE], axis=-1)


def test_the_moves_of_images_step_to_neighbouring_pixels():
    moves = find_moves(smooth_images(), np.random.default_rng(0))
    assert moves.shape == (8, SIDE * SIDE)
    steps = _pixel_steps(moves)
    moved = np.any(steps != 0, axis=-1)
    # Most pixels move in every direction, nearly all to a pixel beside them
    # (blurred pixels two apart still correlate strongly), none far.
    assert (moved.mean(axis=1) > 0.7).all()
    king = np.abs(steps).max(axis=-1)
    assert king.max() <= 2
    assert (king[moved] == 1).mean() > 0.8
    # Opposite directions move the pixels the opposite way on the whole.
    mean_steps = steps.mean(axis=1)
    for d in range(4):
        assert mean_steps[d] @ mean_steps[d + 4] < 0
    assert np.linalg.matrix_rank(mean_steps, tol=0.1) == 2


@pytest.mark.parametrize(
    "load", [load_wine, load_breast_cancer, load_digits], ids=lambda f: f.__name__
)
def test_tables_and_small_images_have_no_layout(load):
    # The 8 x 8 digits are too small: 4 links from a pixel reach most of them.
    X, _ = load(return_X_y=True)
    assert find_moves(X, np.random.default_rng(0)) is None


def test_uncorrelated_features_have_no_layout():
    X = np.random.default_rng(0).normal(size=(300, 200))
    assert find_moves(X, np.random.default_rng(0)) is None


def test_too_few_rows_or_too_many_features_have_no_layout(monkeypatch):
    X = smooth_images()
    assert find_moves(X[:1], np.random.default_rng(0)) is None
    # The correlations of 3 rows of random features would read as a layout.
    noise = np.random.default_rng(0).normal(size=(3, 784))
    assert find_moves(noise, np.random.default_rng(0)) is None
    monkeypatch.setattr(skaae._layout, "_MAX_FEATURES", SIDE * SIDE - 1)
    monkeypatch.setattr(skaae._layout, "feature_correlations", None)
    assert find_moves(X, np.random.default_rng(0)) is None


def test_constant_features_neither_move_nor_are_moved_to():
    X = smooth_images()
    X[:, :SIDE] = 3.0  # the first row of pixels never changes
    moves = find_moves(X, np.random.default_rng(0))
    constant = np.arange(SIDE)
    np.testing.assert_array_equal(moves[:, constant], np.tile(constant, (8, 1)))
    others = moves[:, SIDE:]
    assert not np.isin(others, constant).any()


def blurred(shape: tuple[int, ...], n_rows: int = 400, seed: int = 0) -> np.ndarray:
    """Blurred noise of ``shape`` per row, blurred along every axis but the first."""
    noise = np.random.default_rng(seed).normal(size=(n_rows, *shape))
    return gaussian_filter(noise, sigma=(0, *[1.5] * len(shape)))


def raster_of(X: np.ndarray) -> tuple[int, int, int] | None:
    layout = find_layout(X, np.random.default_rng(0))
    assert layout is not None
    return layout.raster()


@pytest.mark.parametrize("shape", [(16, 16), (12, 20), (20, 12), (8, 40)])
def test_the_raster_of_images_gives_their_shape(shape):
    assert raster_of(blurred(shape).reshape(400, -1)) == (1, *shape)


def test_the_raster_of_images_read_column_after_column_is_their_transpose():
    images = blurred((12, 20))
    assert raster_of(images.transpose(0, 2, 1).reshape(400, -1)) == (1, 20, 12)


def colour_images(channel_axis: int) -> np.ndarray:
    """16 x 16 images of three channels of one scene, flattened.

    Each channel is a blurred base plus its own blur; ``channel_axis`` 1 puts
    the channels first, -1 last.
    """
    scene = blurred((16, 16))
    channels = [scene + 0.3 * blurred((16, 16), seed=c) for c in (1, 2, 3)]
    return np.stack(channels, axis=channel_axis).reshape(400, -1)


def test_channels_first_are_found_where_they_correlate():
    assert raster_of(colour_images(channel_axis=1)) == (3, 16, 16)
    # Unrelated channels are one tall image: nothing tells them apart.
    assert raster_of(blurred((48, 16)).reshape(400, -1)) == (1, 48, 16)


def test_a_layout_without_a_raster_has_none():
    # A smooth signal along one axis: a local layout, a line and no grid.
    signals = blurred((256,))
    assert raster_of(signals) is None
    # Channels last: the three values of a pixel sit side by side.
    assert raster_of(colour_images(channel_axis=-1)) is None


def test_a_raster_needs_sides_of_eight_pixels():
    images = blurred((7, 16)).reshape(400, -1)
    corr, live = feature_correlations(images)
    assert raster_shape(corr, live) is None
    # The same check that finds the 8-pixel side on a taller image.
    corr, live = feature_correlations(blurred((8, 16)).reshape(400, -1))
    assert raster_shape(corr, live) == (1, 8, 16)


def test_no_raster_without_pairs_of_varying_features_or_a_divisor():
    # Every 7th feature varies: no two varying features are 1 to 6 apart.
    live = np.arange(1000) % 7 == 0
    assert raster_shape(np.eye(1000), live) is None
    # 257 features (a prime) have no width to try.
    corr, live = feature_correlations(blurred((257,)))
    assert raster_shape(corr, live) is None


def test_sparse_images_show_their_raster():
    images = np.clip(blurred((12, 20)), 0, None).reshape(400, -1)
    assert raster_of(sp.csr_matrix(images)) == (1, 12, 20)


def test_constant_features_do_not_hide_the_raster():
    images = blurred((16, 16))
    images[:, :2] = 0.0  # a black border at the top, as on MNIST
    images[:, :, -1] = 0.0
    assert raster_of(images.reshape(400, -1)) == (1, 16, 16)


def test_sparse_x_has_the_correlations_and_layout_of_dense_x():
    X = np.clip(smooth_images(), 0, None) * 1e200  # large, and 0 off the blobs
    X[:, 5] = 1e200  # a constant column
    dense, dense_live = feature_correlations(X)
    sparse, sparse_live = feature_correlations(sp.csr_matrix(X))
    np.testing.assert_array_equal(sparse_live, dense_live)
    np.testing.assert_allclose(sparse, dense, atol=1e-9)
    rng = np.random.default_rng
    np.testing.assert_array_equal(
        find_moves(sp.csr_matrix(X), rng(0)),
        find_moves(X, rng(0)),
    )


def test_standardisation_is_exact_beside_a_large_offset():
    # A timestamp column: a spread of 1 beside an offset of 1.7e9.
    X = np.random.default_rng(0).normal(size=(40, 6))
    X[:, 0] += 1.7e9
    rms = np.sqrt(np.mean(np.square(X - X.mean(axis=0))))
    for form in (X, sp.csr_matrix(X)):
        mean, scale = standardisation(form)
        np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-12)
        assert scale == pytest.approx(rms, rel=1e-6)


def test_a_moved_row_holds_its_own_values_in_x_units():
    X = smooth_images(50) * 7.0 + np.linspace(0, 20, SIDE * SIDE)
    moves = find_moves(smooth_images(), np.random.default_rng(0))
    mean, scale = standardisation(X)
    x = standardise(X, mean, scale, torch.device("cpu"))
    step = NeighbourMoves.for_rows(moves, mean, scale, torch.device("cpu"))
    moved = step(x, torch.Generator().manual_seed(0)).numpy() * scale + mean
    directions = set()
    for row, moved_row in zip(X, moved, strict=True):
        matches = [
            d for d in range(8) if np.allclose(moved_row, row[moves[d]], atol=1e-4)
        ]
        assert matches
        directions.update(matches)
    assert len(directions) == 8


def test_the_term_trains_when_the_features_have_a_layout(images_partial):
    X, y = images_partial
    on = small_aae().fit(X, y)
    off = small_aae(neighbour_weight=0.0).fit(X, y)
    assert on.neighbour_moves_.shape == (8, X.shape[1])
    assert np.isfinite(on.history_["neighbour"]).all()
    assert on.history_["neighbour"][-1] > 0
    assert off.neighbour_moves_ is None and "neighbour" not in off.history_
    assert not np.allclose(on.predict_proba(X), off.predict_proba(X))


def test_the_term_is_off_without_a_layout(digits_partial):
    X, y = digits_partial
    default = small_aae().fit(X, y)
    off = small_aae(neighbour_weight=0.0).fit(X, y)
    assert default.neighbour_moves_ is None and "neighbour" not in default.history_
    np.testing.assert_array_equal(default.predict_proba(X), off.predict_proba(X))


@pytest.mark.parametrize("training", ["fused", "phased"])
def test_the_moved_rows_join_the_other_moved_rows(
    images_partial, moved_row_counts, training
):
    seen = moved_row_counts
    X, y = images_partial
    small_aae(training=training, max_iter=1).fit(X, y)
    assert seen[0] == {
        "vat": 16,
        "style_invariance": 32,
        "shift": 32,
        "corruption": 16,
        "neighbour": 16,
    }


@pytest.mark.parametrize(
    ("corruption_fraction", "neighbour_fraction", "n_corrupted", "n_moved"),
    [(1.0, 1.0, 32, 32), (0.25, 0.5, 8, 16), (0.1, 0.9, 4, 29)],
)
def test_the_fractions_set_how_many_rows_each_term_moves(
    images_partial,
    moved_row_counts,
    corruption_fraction,
    neighbour_fraction,
    n_corrupted,
    n_moved,
):
    seen = moved_row_counts
    X, y = images_partial
    small_aae(
        corruption_fraction=corruption_fraction,
        neighbour_fraction=neighbour_fraction,
        max_iter=1,
    ).fit(X, y)
    # 400 rows in batches of 32: 12 full batches, then one of 16.
    assert [counts["corruption"] for counts in seen[:12]] == [n_corrupted] * 12
    assert [counts["neighbour"] for counts in seen[:12]] == [n_moved] * 12
    assert seen[12]["corruption"] == int(np.ceil(corruption_fraction * 16))
    assert seen[12]["neighbour"] == int(np.ceil(neighbour_fraction * 16))


# 400 rows: batches of 32 (the last of 16) split evenly; batches of 25 give
# each term 13 rows, one of them in both.
@pytest.mark.parametrize(("batch_size", "n_shared"), [(32, 0), (25, 1)])
def test_at_half_each_the_two_terms_move_different_rows(
    images_partial, monkeypatch, batch_size, n_shared
):
    inputs = {"corruption": [], "neighbour": []}
    corrupt, move = skaae._training.corrupt_features, NeighbourMoves.__call__

    def corrupt_features(x, rate, generator):
        inputs["corruption"].append(x.clone())
        return corrupt(x, rate, generator)

    def call(self, x, generator):
        inputs["neighbour"].append(x.clone())
        return move(self, x, generator)

    monkeypatch.setattr(skaae._training, "corrupt_features", corrupt_features)
    monkeypatch.setattr(NeighbourMoves, "__call__", call)
    X, y = images_partial
    small_aae(batch_size=batch_size, max_iter=1).fit(X, y)
    n_full, rest = divmod(len(X), batch_size)
    sizes = [batch_size] * n_full + ([rest] if rest else [])
    pairs = list(zip(*inputs.values(), strict=True))
    assert len(pairs) == len(sizes)
    for (corrupted, moved), size in zip(pairs, sizes, strict=True):
        # Each batch's rows split between the terms: together they hold
        # every row once, and the rounded-up middle row twice.
        assert len(corrupted) == len(moved) == -(-size // 2)
        shared = (corrupted[:, None, :] == moved[None, :, :]).all(dim=2).sum()
        assert int(shared) == n_shared


def test_the_layout_is_found_once_and_kept(images_partial, monkeypatch):
    X, y = images_partial
    calls = []
    original = skaae._classifier.find_layout

    def find(X, rng):
        calls.append(X.shape[0])
        return original(X, rng)

    monkeypatch.setattr(skaae._classifier, "find_layout", find)
    clf = small_aae(warm_start=True).fit(X, y)
    found, shape = clf.neighbour_moves_, clf.image_shape_
    clf.fit(X[:200], y[:200])
    assert clf.neighbour_moves_ is found and clf.image_shape_ == shape
    chunked = small_aae()
    for start in (0, 200):
        chunked.partial_fit(X[start : start + 200], y[start : start + 200], [0, 1])
    assert calls == [len(X), 200]
    assert chunked.neighbour_moves_ is not None
    assert chunked.image_shape_ == (1, SIDE, SIDE)


def test_a_found_raster_shifts_the_rows_as_the_shape_given_does(images_partial):
    X, y = images_partial
    found = small_aae().fit(X, y)
    told = small_aae(image_shape=(SIDE, SIDE)).fit(X, y)
    assert found.image_shape_ == told.image_shape_ == (1, SIDE, SIDE)
    assert np.isfinite(found.history_["shift"]).all()
    np.testing.assert_array_equal(found.predict_proba(X), told.predict_proba(X))


@pytest.mark.parametrize(
    "params", [{"image_shape": None}, {"shift_weight": 0.0}], ids=["None", "unweighted"]
)
def test_the_shift_term_stays_off_unless_asked_or_found(images_partial, params):
    X, y = images_partial
    clf = small_aae(**params).fit(X, y)
    assert clf.image_shape_ is None and "shift" not in clf.history_
    assert clf.neighbour_moves_ is not None


def test_without_a_raster_the_defaults_leave_the_shift_term_off(digits_partial):
    X, y = digits_partial
    found = small_aae().fit(X, y)
    off = small_aae(image_shape=None).fit(X, y)
    assert found.image_shape_ is None and "shift" not in found.history_
    np.testing.assert_array_equal(found.predict_proba(X), off.predict_proba(X))


def test_no_search_when_no_term_needs_the_layout(images_partial, monkeypatch):
    monkeypatch.setattr(skaae._classifier, "find_layout", None)
    X, y = images_partial
    for params in ({"image_shape": None}, {"image_shape": (SIDE, SIDE)}):
        clf = small_aae(neighbour_weight=0.0, max_iter=1, **params).fit(X, y)
        assert clf.neighbour_moves_ is None
    clf = small_aae(neighbour_weight=0.0, shift_weight=0.0, max_iter=1).fit(X, y)
    assert clf.neighbour_moves_ is None and clf.image_shape_ is None


def test_warm_fits_keep_the_found_shape_or_take_the_given_one(images_partial):
    X, y = images_partial
    clf = small_aae(shift_weight=0.0, warm_start=True, max_iter=1).fit(X, y)
    # Not searched for at the first fit: a later weight does not search.
    clf.set_params(shift_weight=8.0).fit(X, y)
    assert clf.image_shape_ is None and "shift" not in clf.history_
    clf.set_params(image_shape=(SIDE, SIDE)).fit(X, y)
    assert clf.image_shape_ == (1, SIDE, SIDE)
    assert np.isfinite(clf.history_["shift"][-1])
    clf.set_params(image_shape=None).fit(X, y)
    assert clf.image_shape_ is None and np.isnan(clf.history_["shift"][-1])


def test_a_reach_too_long_for_the_found_raster_fails_before_torch_work(
    images_partial, no_torch_work
):
    X, y = images_partial
    with pytest.raises(ValueError, match=r"read the rows as images .* max_shift=16"):
        small_aae(max_shift=16).fit(X, y)


def test_the_moves_survive_a_pickle(images_partial):
    X, y = images_partial
    clf = small_aae(max_iter=1).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.neighbour_moves_, clf.neighbour_moves_)
    assert loaded.image_shape_ == clf.image_shape_ == (1, SIDE, SIDE)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
