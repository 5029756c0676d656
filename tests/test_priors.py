"""Style priors: the built-in samplers and the prior parameter."""

import warnings

import numpy as np
import pytest
import torch

from skaae._priors import BUILT_IN, from_user

from .conftest import small_aae


@pytest.mark.parametrize("name", list(BUILT_IN))
def test_built_in_priors_draw_finite_rows_reproducibly(name):
    draw = BUILT_IN[name]
    rows = draw(5000, 3, torch.Generator().manual_seed(0))
    again = draw(5000, 3, torch.Generator().manual_seed(0))
    assert rows.shape == (5000, 3) and torch.isfinite(rows).all()
    assert torch.equal(rows, again)
    # Dimensions past the first two are standard normal for every prior.
    assert (
        abs(float(rows[:, 2].mean())) < 0.1 and abs(float(rows[:, 2].std()) - 1) < 0.1
    )


def test_mixture_has_ten_modes_on_a_circle():
    rows = BUILT_IN["mixture"](20000, 2, torch.Generator().manual_seed(0)).numpy()
    angle = np.arctan2(rows[:, 1], rows[:, 0]) % (2 * np.pi)
    counts = np.histogram(angle, bins=40, range=(0, 2 * np.pi))[0]
    # The modes sit at multiples of 36 degrees: every fourth bin of 9 degrees
    # straddles one, the bins half-way between two modes are nearly empty.
    assert counts[2::4].max() < 0.2 * counts.max()
    radius = np.hypot(rows[:, 0], rows[:, 1])
    assert 1.5 < np.median(radius) < 2.5


def test_swiss_roll_radius_grows_with_the_angle():
    rows = BUILT_IN["swiss_roll"](5000, 2, torch.Generator().manual_seed(0)).numpy()
    radius = np.hypot(rows[:, 0], rows[:, 1])
    angle = np.arctan2(rows[:, 1], rows[:, 0]) % (2 * np.pi)
    # On the spiral, radius = 2 * (angle + 2 pi * turn) / (3 pi), turn 0 or 1.
    on_spiral = [2 * (angle + 2 * np.pi * turn) / (3 * np.pi) for turn in (0, 1)]
    distance = np.min([np.abs(radius - r) for r in on_spiral], axis=0)
    assert np.mean(distance < 0.2) > 0.95


def test_user_prior_gets_a_numpy_generator_and_is_checked():
    calls = []

    def uniform(n, dim, rng):
        calls.append(type(rng))
        return rng.uniform(-1, 1, size=(n, dim))

    rows = from_user(uniform, seed=0)(7, 3, torch.Generator())
    assert rows.shape == (7, 3) and calls == [np.random.Generator]
    with pytest.raises(ValueError, match="shape"):
        from_user(lambda n, dim, rng: np.zeros((n, dim + 1)), 0)(
            4, 2, torch.Generator()
        )


@pytest.mark.parametrize(
    "rows",
    [
        lambda n, dim: np.ones((n, dim), dtype=np.float32)[::-1],
        lambda n, dim: np.broadcast_to(np.float32(0.5), (n, dim)),
    ],
    ids=["negative strides", "read-only"],
)
def test_user_prior_may_return_any_float32_array(rows):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawn = from_user(lambda n, dim, rng: rows(n, dim), 0)(4, 2, torch.Generator())
    assert drawn.shape == (4, 2) and drawn.dtype == torch.float32


@pytest.mark.parametrize("prior", ["mixture", "swiss_roll"])
def test_fit_with_a_built_in_prior(digits_partial, prior):
    X, y = digits_partial
    clf = small_aae(prior=prior).fit(X, y)
    assert np.isfinite(clf.transform(X)).all()
    assert clf.history_["discriminator_style"]


def test_fit_with_a_user_prior(digits_partial):
    X, y = digits_partial
    clf = small_aae(prior=lambda n, dim, rng: rng.laplace(size=(n, dim))).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(prior="mixture", n_components=1), "n_components >= 2"),
        (dict(prior=lambda n, dim, rng: np.full((n, dim), np.nan)), "finite"),
        (dict(prior="cauchy"), "prior"),
    ],
)
def test_bad_priors_fail_before_training(digits_partial, params, match, no_torch_work):
    X, y = digits_partial
    with pytest.raises(ValueError, match=match):
        small_aae(**params).fit(X, y)
