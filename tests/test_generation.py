"""Generation: sample, decode and reconstruct, in X's units."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skaae._generation import decode_rows, one_hot
from skaae.datasets import hide_labels

from .conftest import small_aae


@pytest.fixture(scope="module")
def trained(digits):
    """A model trained long enough on digits for its decoder to mean something."""
    X, y = digits
    y_partial = y.copy()
    y_partial[10 * 5 :] = -1  # the first 50 rows hold every class
    clf = small_aae(
        hidden_layer_sizes=(128,),
        discriminator_layer_sizes=(32,),
        batch_size=64,
        max_iter=20,
        reconstruction_weight=1.0,
    )
    return clf.fit(X, y_partial)


def test_decode_rows_undoes_the_standardisation():
    decoder = torch.nn.Linear(3, 2)
    with torch.no_grad():
        decoder.weight.copy_(torch.tensor([[1.0, 0, 0], [0, 0, 2]]))
        decoder.bias.zero_()
    y, z = one_hot(np.array([0, 1]), 2), np.array([[3.0], [4.0]])
    rows = decode_rows(
        decoder, y, z, mean=np.array([10.0, 20.0]), scale=5.0, batch_size=1
    )
    # Standardised rows [1, 6] and [0, 8], times 5, plus the means.
    np.testing.assert_allclose(rows, [[15.0, 50.0], [10.0, 60.0]])
    assert rows.dtype == np.float64


def test_reconstruct_rebuilds_rows_in_x_units(trained, digits):
    X, _ = digits
    rebuilt = trained.reconstruct(X)
    assert rebuilt.shape == X.shape and rebuilt.dtype == np.float64
    error = np.mean((rebuilt - X) ** 2)
    # Better than answering every row with the mean row (the mean variance).
    assert error < 0.75 * X.var(axis=0).mean()
    # In X's units: digits' pixels run 0-16 with mean near 5, not 0.
    np.testing.assert_allclose(rebuilt.mean(axis=0), X.mean(axis=0), atol=1.0)


def test_sample_draws_rows_of_the_classes_asked_for(trained, digits):
    X, _ = digits
    X_new, y_new = trained.sample(500, random_state=0)
    assert X_new.shape == (500, X.shape[1])
    assert set(y_new) == set(trained.classes_)
    # The model recognises its own digits far more often than chance (10 %).
    assert np.mean(trained.predict(X_new) == y_new) > 0.4
    X_sevens, y_sevens = trained.sample(200, y=7, random_state=1)
    assert (y_sevens == 7).all()
    assert np.mean(trained.predict(X_sevens) == 7) > 0.4


def test_sample_is_reproducible_and_leaves_global_state_alone(trained):
    global_state = np.random.get_state()[1].copy()
    torch_state = torch.random.get_rng_state()
    first, labels = trained.sample(20, random_state=3)
    again, labels_again = trained.sample(20, random_state=3)
    other, _ = trained.sample(20, random_state=4)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(labels, labels_again)
    assert not np.allclose(first, other)
    trained.sample(5)
    np.testing.assert_array_equal(np.random.get_state()[1], global_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_sample_draws_styles_from_the_prior(digits):
    X, y = digits
    clf = small_aae(prior=lambda n, dim, rng: np.full((n, dim), 0.5))
    clf.fit(X[:300], hide_labels(y[:300], 10, random_state=0))
    X_new, _ = clf.sample(4, y=[1, 1, 2, 2], random_state=0)
    np.testing.assert_allclose(X_new, clf.decode(np.full((4, 2), 0.5), [1, 1, 2, 2]))
    np.testing.assert_array_equal(X_new[0], X_new[1])
    assert not np.allclose(X_new[1], X_new[2])
    # The decoder learned that prior: another one set since does not count.
    clf.set_params(prior="swiss_roll")
    again, _ = clf.sample(4, y=[1, 1, 2, 2], random_state=0)
    np.testing.assert_array_equal(again, X_new)


def test_decode_takes_one_label_for_all_rows(trained):
    Z = np.random.default_rng(0).normal(size=(6, 2))
    np.testing.assert_array_equal(trained.decode(Z, 3), trained.decode(Z, [3] * 6))
    # The class changes the drawing, the style alone does not decide it.
    assert not np.allclose(trained.decode(Z, 3), trained.decode(Z, 4))


def test_generation_survives_pickling(trained, digits):
    X, _ = digits
    clone = pickle.loads(pickle.dumps(trained))
    np.testing.assert_array_equal(
        clone.sample(10, random_state=0)[0], trained.sample(10, random_state=0)[0]
    )
    np.testing.assert_array_equal(clone.reconstruct(X[:5]), trained.reconstruct(X[:5]))


def test_pipeline_inverse_transform_composes_with_generation(digits):
    X, y = digits
    pipe = make_pipeline(MinMaxScaler(), small_aae()).fit(
        X[:300], hide_labels(y[:300], 10, random_state=0)
    )
    scaled, _ = pipe[-1].sample(5, random_state=0)
    # The classifier works in the scaler's units (about 0-1); the pipeline's
    # first steps take generated rows back to X's (0-16).
    assert np.abs(scaled).max() < 4
    X_new = pipe[:-1].inverse_transform(scaled)
    assert X_new.shape == (5, X.shape[1]) and np.abs(X_new).max() > 4
    rebuilt = pipe[:-1].inverse_transform(
        pipe[-1].reconstruct(pipe[:-1].transform(X[:5]))
    )
    assert rebuilt.shape == (5, X.shape[1])
