"""Divergence, Ctrl-C, early stopping and warm starts: the model kept is usable."""

import math
import signal
import threading

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from torch import nn

import skaae._training
from skaae._fitting import EarlyStopping, run_epochs
from skaae._state import optimizer_states

from .conftest import small_aae

# ---------------------------------------------------------- run_epochs alone


def _epochs(module, losses, stop_after=None):
    """Set the weight to the epoch number, then report that epoch's loss."""
    for epoch, loss in enumerate(losses, start=1):
        with torch.no_grad():
            module.weight.fill_(epoch)
        if stop_after is not None and epoch > stop_after:
            return  # as train_epochs does when Ctrl-C was pressed mid-epoch
        yield {"loss": loss}


def _weight(module):
    return float(module.weight.detach()[0, 0])


@pytest.mark.parametrize(
    "losses, stop_after, stop, kept, n_epochs",
    [
        ([1.0, 1.0, 1.0], None, "max_iter", 3, 3),
        ([1.0, 1.0, math.nan, 1.0], None, "diverged", 2, 2),
        ([math.inf], None, "diverged", 0, 0),
        ([1.0, 1.0, 1.0, 1.0], 2, "interrupted", 2, 2),
    ],
)
def test_run_epochs_keeps_the_last_good_epoch(losses, stop_after, stop, kept, n_epochs):
    module = nn.Linear(1, 1)
    with torch.no_grad():
        module.weight.fill_(0)
    outcome = run_epochs(
        {"m": module},
        _epochs(module, losses, stop_after),
        interrupted=lambda: stop_after is not None,
    )
    assert (outcome.stop, outcome.kept_epoch, outcome.n_epochs) == (
        stop,
        kept,
        n_epochs,
    )
    assert _weight(module) == kept
    assert len(outcome.history.get("loss", [])) == n_epochs


def test_run_epochs_early_stopping_keeps_the_best_epoch():
    module = nn.Linear(1, 1)
    scores = iter([0.5, 0.7, 0.7, 0.6, 0.9])
    stopping = EarlyStopping(lambda: next(scores), tol=0.01, n_iter_no_change=2)
    outcome = run_epochs(
        {"m": module},
        _epochs(module, [1.0] * 5),
        interrupted=lambda: False,
        early_stopping=stopping,
    )
    assert outcome.stop == "early_stopping"
    assert outcome.validation_scores == [0.5, 0.7, 0.7, 0.6]
    assert outcome.kept_epoch == 2 and _weight(module) == 2


def test_early_stopping_counts_gains_below_tol_as_no_change():
    stopping = EarlyStopping(lambda: 0.0, tol=0.1, n_iter_no_change=2)
    assert stopping.update(0.5)
    assert stopping.update(0.55)  # best so far, so its weights are kept ...
    assert stopping.waited == 1  # ... but it is not progress
    assert not stopping.update(0.5)
    assert stopping.exhausted


def test_early_stopping_at_tol_0_counts_a_tie_as_progress():
    # As MLPClassifier does: the count of epochs without progress resets.
    stopping = EarlyStopping(lambda: 0.0, tol=0.0, n_iter_no_change=1)
    assert stopping.update(0.5)
    assert not stopping.update(0.5)  # not better, so the first weights stay ...
    assert stopping.waited == 0 and not stopping.exhausted  # ... but no stop
    stopping.update(0.4)
    assert stopping.exhausted


def test_run_epochs_restores_the_starting_weights_when_the_loop_raises():
    # A warm start that raises leaves the fitted model as it was, not at an
    # epoch of the failed fit.
    module = nn.Linear(1, 1)
    start = _weight(module)

    def epochs():
        yield from _epochs(module, [1.0])
        with torch.no_grad():
            module.weight.fill_(99)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_epochs({"m": module}, epochs(), interrupted=lambda: False)
    assert _weight(module) == start


def test_run_epochs_drops_an_epoch_that_leaves_a_weight_not_finite():
    module = nn.Linear(1, 1)

    def epochs():
        yield from _epochs(module, [1.0])
        with torch.no_grad():
            module.weight.fill_(math.inf)
        yield {"loss": 1.0}  # computed before the step that overflowed

    outcome = run_epochs({"m": module}, epochs(), interrupted=lambda: False)
    assert outcome.stop == "diverged" and outcome.n_epochs == 1
    assert _weight(module) == 1


def test_run_epochs_pads_losses_an_epoch_did_not_compute_with_nan():
    module = nn.Linear(1, 1)
    epochs = iter([{"a": 1.0, "b": 2.0}, {"a": 3.0}, {"a": 5.0, "c": 6.0}])
    outcome = run_epochs({"m": module}, epochs, interrupted=lambda: False)
    np.testing.assert_array_equal(outcome.history["a"], [1.0, 3.0, 5.0])
    np.testing.assert_array_equal(outcome.history["b"], [2.0, np.nan, np.nan])
    np.testing.assert_array_equal(outcome.history["c"], [np.nan, np.nan, 6.0])


# ------------------------------------------------------ through the estimator


def _weights(clf):
    return [p.detach().clone() for p in clf.encoder_.parameters()]


def _nan_after(monkeypatch, n_calls):
    """Make the reconstruction loss NaN from call ``n_calls`` on."""
    original = skaae._training.reconstruction_loss
    calls = {"n": 0}

    def loss(*args):
        calls["n"] += 1
        value = original(*args)
        return value * math.nan if calls["n"] > n_calls else value

    monkeypatch.setattr(skaae._training, "reconstruction_loss", loss)


def _batches(X, clf):
    return -(-len(X) // clf.batch_size)


def test_divergence_keeps_the_last_finite_epoch_and_warns(digits_partial, monkeypatch):
    X, y = digits_partial
    clf = small_aae(max_iter=4)
    _nan_after(monkeypatch, 2 * _batches(X, clf) + 3)
    with pytest.warns(
        ConvergenceWarning, match="diverged in epoch 3.*weights of epoch 2"
    ):
        clf.fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.history_["supervised"]) == 2
    assert all(torch.isfinite(w).all() for w in _weights(clf))
    assert np.all(np.isfinite(clf.predict_proba(X)))


def test_divergence_in_the_first_epoch_raises(digits_partial, monkeypatch):
    X, y = digits_partial
    _nan_after(monkeypatch, 0)
    clf = small_aae()
    with pytest.raises(ValueError, match="diverged in its first epoch"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    assert not hasattr(clf, "n_features_in_")


def test_a_diverged_partial_fit_chunk_leaves_the_optimisers_as_they_were(
    digits_partial,
):
    X, y = digits_partial
    clf = small_aae().partial_fit(X, y, classes=np.arange(10))
    before = optimizer_states(clf._optimizers)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        clf.partial_fit(X * 1e20, y)
    after = optimizer_states(clf._optimizers)
    for name, state in before.items():
        for key, moments in state["state"].items():
            for moment, value in moments.items():
                torch.testing.assert_close(after[name]["state"][key][moment], value)
    # So the next chunk still trains every weight.
    weights = _weights(clf)
    clf.partial_fit(X, y)
    assert all((w != v).any() for w, v in zip(_weights(clf), weights, strict=True))


def test_a_warm_fit_that_raises_leaves_the_fitted_model_as_it_was(
    digits_partial, monkeypatch
):
    X, y = digits_partial
    clf = small_aae(warm_start=True).fit(X, y)
    proba, history = clf.predict_proba(X), clf.history_
    original = skaae._training.reconstruction_loss
    calls = {"n": 0}

    def loss(*args):
        calls["n"] += 1
        if calls["n"] > _batches(X, clf) + 2:  # in the second epoch
            raise RuntimeError("boom")
        return original(*args)

    monkeypatch.setattr(skaae._training, "reconstruction_loss", loss)
    with pytest.raises(RuntimeError, match="boom"):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.history_ == history and clf.n_iter_ == 3


def test_every_history_list_has_a_value_per_epoch(digits_partial):
    X, y = digits_partial
    # One batch an epoch, the discriminators trained every second step.
    clf = small_aae(batch_size=len(X), discriminator_interval=2).fit(X, y)
    assert {len(v) for v in clf.history_.values()} == {clf.n_iter_}
    assert np.isnan(clf.history_["discriminator_cat"][1])
    assert np.isfinite(np.asarray(clf.history_["discriminator_cat"])[[0, 2]]).all()


def test_training_warnings_point_at_the_callers_line(digits_partial):
    X, y = digits_partial
    clf = small_aae().partial_fit(X, y, classes=np.arange(10))
    with pytest.warns(ConvergenceWarning) as record:
        clf.partial_fit(X * 1e20, y)
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    "params",
    [
        {"learning_rate_init": 1e30},
        # One step to infinite weights, after every loss was computed finite.
        {"learning_rate_init": 1e39, "adversarial_weight": 0.0, "max_iter": 1},
    ],
)
def test_huge_learning_rate_never_leaves_nan_weights(digits_partial, params):
    X, y = digits_partial
    clf = small_aae(learning_rate="constant", **params)
    with pytest.raises(ValueError, match="diverged"):
        clf.fit(X, y)


def _ctrl_c_at(monkeypatch, calls, presses=1):
    """Press Ctrl-C ``presses`` times as training step number ``calls`` starts.

    Returns the counts of steps started and finished.
    """
    original = skaae._training._STEPS["fused"]
    count = {"started": 0, "finished": 0}

    def step(*args):
        count["started"] += 1
        if count["started"] == calls:
            for _ in range(presses):
                signal.raise_signal(signal.SIGINT)
        losses = original(*args)
        count["finished"] += 1
        return losses

    monkeypatch.setitem(skaae._training._STEPS, "fused", step)
    return count


def test_ctrl_c_finishes_the_batch_and_keeps_the_last_epoch(
    digits_partial, monkeypatch
):
    X, y = digits_partial
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    clf = small_aae(max_iter=5)
    n = _batches(X, clf)
    count = _ctrl_c_at(monkeypatch, 2 * n + 3)
    with pytest.warns(UserWarning, match="Ctrl-C.*after 2 complete.*of epoch 2"):
        clf.fit(X, y)
    # The batch in flight finished, no other began.
    assert count == {"started": 2 * n + 3, "finished": 2 * n + 3}
    assert clf.n_iter_ == 2 and len(clf.history_["supervised"]) == 2
    assert np.all(np.isfinite(clf.predict_proba(X)))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    # The weights are those at the end of epoch 2: the same as a run that
    # stops there by itself (same seed, same schedule up to that point).
    reference = small_aae(max_iter=5)
    monkeypatch.undo()
    _ctrl_c_at(monkeypatch, 2 * n)
    with pytest.warns(UserWarning, match="after 2 complete"):
        reference.fit(X, y)  # pressed in the last batch of epoch 2: it is kept
    np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))


def test_ctrl_c_in_the_first_epoch_raises_and_changes_nothing(
    digits_partial, monkeypatch
):
    X, y = digits_partial
    clf = small_aae(max_iter=1).fit(X[:, :32], y)
    before = clf.predict_proba(X[:, :32])
    _ctrl_c_at(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert clf.n_features_in_ == 32
    np.testing.assert_array_equal(clf.predict_proba(X[:, :32]), before)


def test_second_ctrl_c_stops_at_once(digits_partial, monkeypatch):
    X, y = digits_partial
    count = _ctrl_c_at(monkeypatch, 2, presses=2)
    clf = small_aae()
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert count == {"started": 2, "finished": 1}  # the second press cut it short
    assert not hasattr(clf, "encoder_")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_fit_outside_the_main_thread_leaves_signals_alone(digits_partial):
    X, y = digits_partial
    clf = small_aae(max_iter=1)
    errors = []

    def fit():
        try:
            clf.fit(X, y)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=fit)
    thread.start()
    thread.join()
    assert errors == [] and clf.n_iter_ == 1


def test_early_stopping_restores_the_best_epoch(digits_partial):
    X, y = digits_partial
    clf = small_aae(
        max_iter=40, early_stopping=True, validation_fraction=0.2, n_iter_no_change=3
    ).fit(X, y)
    assert clf.n_iter_ < 40
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.history_["vat"])
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    best = int(np.argmax(clf.validation_scores_))
    assert clf.n_iter_ - 1 - best >= 3 - 1


def test_early_stopping_holds_out_labeled_rows_per_class(digits_partial):
    X, y = digits_partial
    held_out = small_aae(early_stopping=True, validation_fraction=0.2, max_iter=2)
    plain = small_aae(max_iter=2)
    held_out.fit(X, y), plain.fit(X, y)
    # 50 labeled rows, 5 per class: 10 are held out, so 40 train the class head.
    assert held_out.history_ != plain.history_
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None


@pytest.mark.parametrize("fraction", [0.01, 0.95])
def test_early_stopping_needs_every_class_on_both_sides(digits_partial, fraction):
    X, y = digits_partial
    clf = small_aae(early_stopping=True, validation_fraction=fraction)
    with pytest.raises(ValueError, match="validation rows of every class"):
        clf.fit(X, y)


def test_warm_start_continues_training(digits_partial):
    X, y = digits_partial
    clf = small_aae(max_iter=2, warm_start=True).fit(X, y)
    first = clf.history_["supervised"][:]
    encoder = clf.encoder_
    clf.fit(X, y)
    assert clf.n_iter_ == 4 and clf.history_["supervised"][:2] == first
    assert clf.encoder_ is encoder
    cold = small_aae(max_iter=2).fit(X, y)
    cold.fit(X, y)
    assert cold.n_iter_ == 2


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(n_components=3), "cannot change"),
        (dict(hidden_layer_sizes=(8,)), "cannot change"),
    ],
)
def test_warm_start_refuses_a_new_architecture(digits_partial, change, match):
    X, y = digits_partial
    clf = small_aae(max_iter=1, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=match):
        clf.set_params(**change).fit(X, y)
    assert clf.n_iter_ == 1


def test_warm_start_refuses_new_classes_and_widths(digits_partial):
    X, y = digits_partial
    clf = small_aae(max_iter=1, warm_start=True).fit(X, np.where(y < 5, y, -1))
    with pytest.raises(ValueError, match="warm_start cannot add classes"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.fit(X[:, :10], y)
    assert clf.n_features_in_ == 64
