"""Chunked training with partial_fit, torch threads and the device choice."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import skaae._training
from skaae import SKOPS_TRUSTED_TYPES, AAEClassifier
from skaae.datasets import hide_labels

from .conftest import small_aae


def _skops_round_trip(model):
    sio = pytest.importorskip("skops.io")
    return sio.loads(sio.dumps(model), trusted=SKOPS_TRUSTED_TYPES)


CLASSES = np.arange(10)

# Chunked training may trail fit by at most this much test accuracy on digits.
TOLERANCE = 0.03


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    return X_train, hide_labels(y_train, 10, random_state=0), X_test, y_test


def test_chunked_training_matches_fit(digits_split):
    X, y, X_test, y_test = digits_split
    params = dict(
        hidden_layer_sizes=(128,),
        discriminator_layer_sizes=(64,),
        batch_size=64,
        learning_rate="constant",
        random_state=0,
    )
    n_epochs = 15
    full = AAEClassifier(max_iter=n_epochs, **params).fit(X, y)
    chunked = AAEClassifier(**params)
    chunks = np.array_split(np.random.default_rng(0).permutation(len(X)), 5)
    for _ in range(n_epochs):
        for rows in chunks:
            chunked.partial_fit(X[rows], y[rows], classes=CLASSES)
    assert chunked.n_iter_ == n_epochs * len(chunks)
    full_accuracy = full.score(X_test, y_test)
    chunked_accuracy = chunked.score(X_test, y_test)
    print(f"fit {full_accuracy:.3f}, partial_fit over 5 chunks {chunked_accuracy:.3f}")
    assert full_accuracy > 0.85
    assert chunked_accuracy >= full_accuracy - TOLERANCE


def test_partial_fit_keeps_the_optimiser_between_chunks(digits_partial):
    X, y = digits_partial
    clf = small_aae().partial_fit(X[:300], y[:300], classes=CLASSES)
    optimizers = clf._optimizers
    step = float(optimizers["autoencoder"].state_dict()["state"][0]["step"])
    clf.partial_fit(X[300:], y[300:])
    assert clf._optimizers is optimizers
    assert optimizers["autoencoder"].state_dict()["state"][0]["step"] > step
    assert clf.n_iter_ == 2 and len(clf.history_["reconstruction"]) == 2


def test_partial_fit_counts_the_discriminator_interval_over_chunks(
    digits_partial, monkeypatch
):
    calls = []
    original = skaae._training._discriminator_step

    def counted(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(skaae._training, "_discriminator_step", counted)
    X, y = digits_partial
    clf = small_aae(discriminator_interval=2)
    # Five chunks of one mini-batch each: the first, third and fifth train
    # the discriminators, as five mini-batches of one fit would.
    for start in range(0, 160, 32):
        clf.partial_fit(X[start : start + 32], y[start : start + 32], CLASSES)
    assert len(calls) == 3
    # fit starts new optimisers; partial_fit after it counts afresh.
    clf.set_params(max_iter=1).fit(X, y)
    calls.clear()
    clf.partial_fit(X[:32], y[:32])
    assert len(calls) == 1


@pytest.mark.parametrize(
    "round_trip",
    [
        lambda m: pickle.loads(pickle.dumps(m)),
        _skops_round_trip,
    ],
    ids=["pickle", "skops"],
)
def test_a_saved_model_continues_partial_fit_exactly(digits_partial, round_trip):
    # Chunks trained in other processes (Dask's Incremental) rely on this.
    X, y = digits_partial
    clf = small_aae().partial_fit(X[:300], y[:300], classes=CLASSES)
    restored = round_trip(clf)
    clf.partial_fit(X[300:], y[300:])
    restored.partial_fit(X[300:], y[300:])
    np.testing.assert_array_equal(clf.predict_proba(X), restored.predict_proba(X))


@pytest.mark.parametrize(
    "first, then",
    [
        ({}, {"training": "phased"}),
        ({"adversarial_weight": 0.0}, {"adversarial_weight": 0.1}),
    ],
)
def test_partial_fit_refuses_parameters_that_need_other_optimisers(
    digits_partial, first, then
):
    X, y = digits_partial
    clf = small_aae(**first).partial_fit(X, y, classes=CLASSES).set_params(**then)
    # The model still pickles with the optimisers it trained.
    saved = pickle.loads(pickle.dumps(clf))
    assert set(saved._optimizers) == set(clf._optimizers)
    with pytest.raises(ValueError, match="Set those parameters back, or call fit"):
        clf.partial_fit(X, y)
    back = {name: small_aae(**first).get_params()[name] for name in then}
    saved.set_params(**back).partial_fit(X, y)


def test_partial_fit_takes_chunks_without_labels(digits_partial):
    X, y = digits_partial
    clf = small_aae().partial_fit(X[:300], y[:300], classes=CLASSES)
    clf.partial_fit(X[300:], np.full(300, -1))
    assert np.isnan(clf.history_["supervised"][1])
    assert np.isfinite(clf.history_["reconstruction"]).all()
    assert np.isfinite(clf.predict_proba(X)).all()


def test_partial_fit_continues_a_fitted_model(digits_partial):
    X, y = digits_partial
    clf = small_aae(max_iter=2).fit(X, y)
    weight = next(clf.encoder_.parameters()).detach().clone()
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 3
    assert not torch.equal(next(clf.encoder_.parameters()), weight)


@pytest.mark.parametrize(
    "classes, match",
    [
        (None, "needs classes="),
        (np.array([0, 1]), r"labels \[2, 3"),
        (np.array([-1, 0, 1]), "not -1"),
        (np.array([3]), "at least two"),
    ],
)
def test_partial_fit_checks_classes_on_the_first_call(digits_partial, classes, match):
    X, y = digits_partial
    clf = small_aae()
    with pytest.raises(ValueError, match=match):
        clf.partial_fit(X, y, classes=classes)
    assert not hasattr(clf, "n_features_in_")


def test_partial_fit_keeps_its_classes(digits_partial):
    X, y = digits_partial
    clf = small_aae().partial_fit(X, y, classes=CLASSES)
    with pytest.raises(ValueError, match="differs from classes_"):
        clf.partial_fit(X, y, classes=np.arange(5))
    assert clf.n_iter_ == 1


def test_n_threads_applies_during_calls_only(digits_partial, monkeypatch):
    X, y = digits_partial
    seen = []
    original = skaae._training._STEPS["fused"]

    def step(*args):
        seen.append(torch.get_num_threads())
        return original(*args)

    monkeypatch.setitem(skaae._training._STEPS, "fused", step)
    before = torch.get_num_threads()
    clf = small_aae(max_iter=1, n_threads=1).fit(X, y)
    assert set(seen) == {1}
    assert torch.get_num_threads() == before
    clf.predict(X)
    assert torch.get_num_threads() == before
    seen.clear()
    small_aae(max_iter=1).fit(X, y)
    assert set(seen) == {before}


def test_device_auto_picks_what_is_there(digits_partial):
    X, y = digits_partial
    clf = small_aae(max_iter=1, device="auto").fit(X, y)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(clf.encoder_.parameters()).device.type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_index_without_cuda_is_a_clear_error(digits_partial):
    X, y = digits_partial
    with pytest.raises(ValueError, match="CUDA is not available"):
        small_aae(device="cuda:1").fit(X, y)
