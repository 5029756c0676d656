"""The training loop's pieces and the options that change its arithmetic."""

import copy
import dataclasses
from itertools import pairwise
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import skaae._classifier
import skaae._runtime
from skaae._networks import Encoder, build_networks, make_discriminator
from skaae._training import (
    Batch,
    Interpolation,
    _encode,
    _fused_step,
    _generator_loss,
    balance_loss,
    consistency_losses,
    corrupt_features,
    discriminator_loss,
    generator_loss,
    interpolation_loss,
    make_optimizers,
    rebuild,
    style_shift,
)
from skaae.datasets import hide_labels

from .conftest import small_aae


def test_generator_loss_trains_the_encoder_only():
    discriminator = make_discriminator(3, (8,))
    fake = torch.randn(5, 3, requires_grad=True)
    generator_loss(discriminator, fake).backward()
    assert fake.grad is not None and torch.any(fake.grad != 0)
    assert all(p.grad is None for p in discriminator.parameters())
    assert all(p.requires_grad for p in discriminator.parameters())


def test_discriminator_loss_is_the_sum_of_both_halves():
    torch.manual_seed(0)
    discriminator = make_discriminator(3, (8,))
    real, fake = torch.randn(6, 3), torch.randn(6, 3)
    expected = F.binary_cross_entropy_with_logits(
        discriminator(real), torch.ones(6, 1)
    ) + F.binary_cross_entropy_with_logits(discriminator(fake), torch.zeros(6, 1))
    torch.testing.assert_close(discriminator_loss(discriminator, real, fake), expected)


def test_bfloat16_changes_the_arithmetic_not_the_outcome(digits_partial):
    X, y = digits_partial
    fp32 = small_aae(precision="float32", max_iter=6).fit(X, y)
    bf16 = small_aae(precision="bfloat16", max_iter=6).fit(X, y)
    p32, p16 = fp32.predict_proba(X), bf16.predict_proba(X)
    assert not np.allclose(p32, p16), "bfloat16 autocast had no effect"
    assert np.all(np.isfinite(p16))
    assert np.mean(fp32.predict(X) == bf16.predict(X)) > 0.8


@pytest.mark.parametrize("native, same_as", [(True, "bfloat16"), (False, "float32")])
def test_precision_auto_follows_the_hardware(
    digits_partial, monkeypatch, native, same_as
):
    X, y = digits_partial
    monkeypatch.setattr(skaae._runtime, "native_bfloat16", lambda device: native)
    auto = small_aae(precision="auto").fit(X, y).predict_proba(X)
    explicit = small_aae(precision=same_as).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(auto, explicit)


def test_predict_in_batches_matches_one_pass(digits_partial, monkeypatch):
    X, y = digits_partial
    clf = small_aae().fit(X, y)
    whole = clf.predict_proba(X)
    monkeypatch.setattr(skaae._classifier, "_PREDICT_BATCH", 7)
    np.testing.assert_allclose(clf.predict_proba(X), whole, rtol=1e-6, atol=1e-7)
    assert clf.transform(X).shape == (len(X), clf.n_components)


@pytest.mark.parametrize(
    "n_samples, batch_size, expected",
    [(60_000, 256, 20), (1347, 256, 200), (100, 256, 1200), (6_000, 100, 20)],
)
def test_auto_epochs_give_twenty_epochs_and_enough_steps(
    n_samples, batch_size, expected
):
    assert skaae._classifier.auto_epochs(n_samples, batch_size) == expected


def test_max_iter_auto_is_resolved_in_n_iter(digits_partial):
    X, y = digits_partial[0][:100], digits_partial[1][:100].copy()
    y[:20] = np.arange(20) % 10  # two labeled rows per class
    clf = small_aae(max_iter="auto", batch_size=50).fit(X, y)
    assert clf.n_iter_ == skaae._classifier.auto_epochs(100, 50) == 600
    assert all(len(v) == 600 for v in clf.history_.values())


def test_rampup_grows_the_factor_from_near_zero():
    ramp = skaae._training._rampup(0.5, 100)
    factors = [ramp(step) for step in range(0, 101, 10)]
    assert factors[0] == pytest.approx(np.exp(-5))
    assert all(a < b for a, b in pairwise(factors[:6]))
    assert factors[5:] == [1.0] * 6


@pytest.fixture
def step_configs(monkeypatch):
    """The TrainingConfig of every fused step, in order, as fits run."""
    seen = []
    original = skaae._training._STEPS["fused"]

    def step(networks, optimizers, batch, config, generator, train_discriminators):
        seen.append(config)
        return original(
            networks, optimizers, batch, config, generator, train_discriminators
        )

    monkeypatch.setitem(skaae._training._STEPS, "fused", step)
    return seen


def test_rampup_scales_the_unsupervised_class_terms_only(
    digits_partial, step_configs, monkeypatch
):
    X, y = digits_partial
    seen = step_configs
    # digits' pixels have no layout of their own: give them one.
    moves = np.stack([np.roll(np.arange(X.shape[1]), d) for d in range(8)])
    layout = SimpleNamespace(moves=lambda: moves, raster=lambda: None)
    monkeypatch.setattr(skaae._classifier, "find_layout", lambda X, rng: layout)
    weights = {
        "adversarial_weight": 0.5,
        "vat_weight": 4.0,
        "balance_weight": 2.0,
        "interpolation_weight": 1.0,
        "style_invariance_weight": 3.0,
        "shift_weight": 1.5,
        "corruption_weight": 2.5,
        "neighbour_weight": 2.2,
        "reconstruction_weight": 0.1,
        "supervised_weight": 5.0,
    }
    small_aae(**weights, image_shape=(8, 8), rampup=0.0).fit(X, y)
    assert {tuple(getattr(c, name) for name in weights) for c in seen} == {
        tuple(weights.values())
    }
    seen.clear()
    small_aae(**weights, image_shape=(8, 8), rampup=0.5).fit(X, y)
    for name in skaae._training.RAMPED_WEIGHTS:
        ramped = [getattr(c, name) for c in seen]
        assert ramped[0] == pytest.approx(weights[name] * np.exp(-5))
        assert ramped[-1] == weights[name] and ramped == sorted(ramped)
    for name in ("reconstruction_weight", "supervised_weight"):
        assert {getattr(c, name) for c in seen} == {weights[name]}


@pytest.mark.parametrize(
    ("n_labeled", "expected"), [(10, 0.3), (299, 0.3), (300, 0.0), (1000, 0.0)]
)
def test_auto_rampup_ramps_only_with_few_labels_per_class(n_labeled, expected):
    assert skaae._classifier.auto_rampup(n_labeled, n_classes=10) == expected


@pytest.mark.parametrize(("n_per_class", "ramps"), [(5, True), (40, False)])
def test_fit_resolves_auto_rampup_from_the_labels(
    digits, step_configs, n_per_class, ramps
):
    X, y = digits
    y_partial = hide_labels(y[:600], n_per_class, random_state=0)
    small_aae(vat_weight=4.0, max_iter=1).fit(X[:600], y_partial)
    assert (step_configs[0].vat_weight < 4.0) is ramps


def test_style_shift_moves_rows_along_the_decoders_style_directions():
    torch.manual_seed(0)
    n_classes, n_components, n_features = 3, 2, 5
    decoder = torch.nn.Linear(n_classes + n_components, n_features)
    y, z = torch.eye(n_classes)[[0, 2, 1, 1]], torch.randn(4, n_components)
    rebuilt = rebuild(decoder, y, z)
    shift = style_shift(decoder, y, z, rebuilt, 0.5, torch.Generator().manual_seed(7))
    step = 0.5 * torch.randn(z.shape, generator=torch.Generator().manual_seed(7))
    # A linear decoder moves every row by its style columns times the step.
    expected = step @ decoder.weight[:, n_classes:].T
    torch.testing.assert_close(shift, expected.detach())
    assert not shift.requires_grad


def test_consistency_losses_compare_each_terms_moved_rows_with_the_rows():
    torch.manual_seed(0)
    encoder = Encoder(5, (8,), n_classes=3, n_components=2)
    x = torch.randn(6, 5)
    logits, _ = encoder(x)
    moves = {"still": torch.zeros_like(x), "far": 3 * torch.randn_like(x)}
    moved = {name: (x + move, logits) for name, move in moves.items()}
    losses = consistency_losses(encoder, moved)
    assert losses["still"].item() == pytest.approx(0.0, abs=1e-6)
    far_alone = consistency_losses(encoder, {"far": moved["far"]})["far"]
    assert losses["far"].item() == pytest.approx(far_alone.item(), rel=1e-5)
    assert losses["far"].item() > 0
    losses["far"].backward()
    # The rows' logits are targets only: the moved rows' pass trains the head.
    assert encoder.class_head.weight.grad is not None
    assert encoder.style_head.weight.grad is None


def test_corrupt_features_takes_features_from_one_partner_row_each():
    n_rows, n_features, rate = 40, 500, 0.3
    # Row i holds i + j / 1000 in feature j: every value names its row.
    x = torch.arange(n_rows)[:, None] + torch.arange(n_features) / 1000
    corrupted = corrupt_features(x, rate, torch.Generator().manual_seed(0))
    assert corrupted.shape == x.shape
    source_row = corrupted.floor()
    # Each feature keeps its column; at most one partner per row.
    torch.testing.assert_close(corrupted - source_row, x - x.floor())
    changed = source_row != x.floor()
    for row, hit in zip(source_row, changed, strict=True):
        assert len(row[hit].unique()) <= 1
    swapped = changed.any(dim=1)
    assert swapped.sum() >= n_rows - 3  # only rows paired with themselves keep all
    assert changed[swapped].float().mean().item() == pytest.approx(rate, abs=0.02)


@pytest.mark.parametrize("rate", [0.1, 0.6])
def test_corrupt_features_replaces_about_rate_of_the_features(rate):
    x = torch.randn(64, 300)
    corrupted = corrupt_features(x, rate, torch.Generator().manual_seed(1))
    assert (corrupted != x).float().mean().item() == pytest.approx(rate, abs=0.03)


@pytest.mark.parametrize("training", ["fused", "phased"])
@pytest.mark.parametrize(("weight", "n_calls"), [(0.0, 0), (1.5, 19)])
def test_corruption_rate_reaches_the_term_only_when_weighted(
    digits_partial, monkeypatch, training, weight, n_calls
):
    rates = []
    original = skaae._training.corrupt_features

    def corrupt_features(x, rate, generator):
        rates.append(rate)
        return original(x, rate, generator)

    monkeypatch.setattr(skaae._training, "corrupt_features", corrupt_features)
    X, y = digits_partial
    small_aae(
        training=training,
        corruption_weight=weight,
        corruption_rate=0.45,
        max_iter=1,
    ).fit(X, y)
    # 600 rows in batches of 32: one call a step, with the estimator's rate.
    assert rates == [0.45] * n_calls


@pytest.mark.parametrize("training", ["fused", "phased"])
def test_the_corruption_term_alone_trains_the_class_head(digits_partial, training):
    X, y = digits_partial
    others_off = {"vat_weight": 0, "balance_weight": 0, "style_invariance_weight": 0}
    clf = small_aae(training=training, corruption_weight=2.0, **others_off).fit(X, y)
    assert {"corruption", "supervised"} <= set(clf.history_)
    assert not {"vat", "balance", "style_invariance"} & set(clf.history_)
    assert np.isfinite(clf.history_["corruption"]).all()
    assert clf.history_["corruption"][-1] > 0


def test_balance_loss_is_the_kl_divergence_of_the_mean_from_uniform():
    uniform_rows = torch.eye(4)  # one row per class: the mean is uniform
    assert balance_loss(uniform_rows).item() == pytest.approx(0.0, abs=1e-7)
    one_class = torch.eye(4)[[2, 2, 2]]
    assert balance_loss(one_class).item() == pytest.approx(np.log(4))
    two_classes = torch.eye(4)[[0, 1]]  # mean (1/2, 1/2, 0, 0)
    assert balance_loss(two_classes).item() == pytest.approx(np.log(2))


@pytest.mark.parametrize("training", ["fused", "phased"])
def test_beta_1_sets_every_adam_optimiser(digits_partial, training):
    X, y = digits_partial
    clf = small_aae(training=training, beta_1=0.3)
    clf.partial_fit(X, y, classes=np.arange(10))
    betas = {g["betas"] for o in clf._optimizers.values() for g in o.param_groups}
    assert betas == {(0.3, 0.999)}
    assert len(clf._optimizers) == (2 if training == "fused" else 4)


@pytest.mark.parametrize("training", ["fused", "phased"])
@pytest.mark.parametrize(
    ("weight", "loss"),
    [
        ("balance_weight", "balance"),
        ("interpolation_weight", "interpolation"),
        ("style_invariance_weight", "style_invariance"),
        ("corruption_weight", "corruption"),
    ],
)
def test_class_term_trains_only_when_weighted(digits_partial, training, weight, loss):
    X, y = digits_partial
    with_term = small_aae(training=training, **{weight: 2.0}).fit(X, y)
    without = small_aae(training=training, **{weight: 0.0}).fit(X, y)
    assert np.isfinite(with_term.history_[loss]).all()
    assert loss not in without.history_
    assert not np.allclose(with_term.predict_proba(X), without.predict_proba(X))


@pytest.mark.parametrize("training", ["fused", "phased"])
@pytest.mark.parametrize(("fraction", "n_perturbed"), [(1.0, 32), (0.5, 16), (0.1, 4)])
def test_vat_fraction_sets_how_many_rows_vat_perturbs(
    digits_partial, monkeypatch, training, fraction, n_perturbed
):
    seen = []
    original = skaae._training.vat_perturbation

    def vat_perturbation(encoder, x, logits, epsilon, generator):
        seen.append((len(x), len(logits)))
        return original(encoder, x, logits, epsilon, generator)

    monkeypatch.setattr(skaae._training, "vat_perturbation", vat_perturbation)
    X, y = digits_partial
    # 600 rows in batches of 32: 18 full batches, then one of 24.
    clf = small_aae(training=training, vat_fraction=fraction, max_iter=1).fit(X, y)
    assert seen[:18] == [(n_perturbed, n_perturbed)] * 18
    assert seen[18:] == [(int(np.ceil(fraction * 24)),) * 2]
    assert np.isfinite(clf.history_["vat"]).all()


@pytest.mark.parametrize("training", ["fused", "phased"])
@pytest.mark.parametrize(("interval", "n_updates"), [(1, 19), (2, 10), (3, 7)])
def test_discriminator_interval_sets_how_often_the_discriminators_step(
    digits_partial, monkeypatch, training, interval, n_updates
):
    calls = []
    for name in ("_discriminator_step", "_generator_loss"):
        original = getattr(skaae._training, name)

        def counted(*args, _name=name, _original=original):
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(skaae._training, name, counted)
    X, y = digits_partial
    # 600 rows in batches of 32: 19 steps in the epoch.
    clf = small_aae(training=training, discriminator_interval=interval, max_iter=1).fit(
        X, y
    )
    assert calls.count("_generator_loss") == 19
    assert calls.count("_discriminator_step") == n_updates
    # The first step trains the discriminators, so the generator term of
    # every step meets trained ones.
    assert calls[0] == "_discriminator_step"
    for loss in ("discriminator_cat", "discriminator_style"):
        assert np.isfinite(clf.history_[loss]).all()


def test_discriminator_losses_are_averaged_over_the_steps_that_train_them(
    digits_partial, monkeypatch
):
    original = skaae._training._discriminator_step

    def _discriminator_step(*args):
        return dict.fromkeys(original(*args), torch.tensor(1.0))

    monkeypatch.setattr(skaae._training, "_discriminator_step", _discriminator_step)
    X, y = digits_partial
    clf = small_aae(discriminator_interval=4, max_iter=2).fit(X, y)
    # Five of each epoch's 19 steps train them: a mean over all 19 would
    # give 5 / 19.
    assert clf.history_["discriminator_cat"] == [1.0, 1.0]
    assert clf.history_["discriminator_style"] == [1.0, 1.0]


def _encoder_and_rows(n_rows: int):
    torch.manual_seed(0)
    encoder = Encoder(6, (8,), n_classes=3, n_components=2)
    x = torch.randn(n_rows, 6)
    with torch.no_grad():
        y = encoder(x)[0].softmax(dim=1)
    return encoder, x, y


def _interpolation_loss_at(head, x, y, seed=0):
    mix = Interpolation.draw(len(x), torch.Generator().manual_seed(seed), x.device)
    return interpolation_loss(head(mix(x))[0], y, mix)


def test_interpolation_loss_of_one_row_is_zero_at_its_own_prediction():
    # One row can only be mixed with itself, so the mix is the row and the
    # target is the encoder's own prediction there.
    encoder, x, y = _encoder_and_rows(1)
    loss = _interpolation_loss_at(encoder, x, y)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_interpolation_loss_trains_the_encoder_against_fixed_targets():
    encoder, x, y = _encoder_and_rows(16)
    y.requires_grad_()
    loss = _interpolation_loss_at(encoder, x, y)
    assert loss.item() > 0
    loss.backward()
    assert y.grad is None
    assert any(torch.any(p.grad != 0) for p in encoder.parameters())


def test_interpolation_loss_is_zero_for_a_head_linear_in_the_rows():
    # A head whose probabilities are affine in x predicts every mix of two
    # rows as the same mix of their predictions: the term asks for no more.
    # A mix weight or partner used differently for x and y would break this.
    class AffineProbabilities(torch.nn.Module):
        def forward(self, x):
            p = torch.stack([0.5 + 0.1 * x[:, 0], 0.5 - 0.1 * x[:, 0]], dim=1)
            return p.log(), x[:, :1]

    head = AffineProbabilities()
    x = torch.rand(32, 3)
    y = head(x)[0].exp()
    loss = _interpolation_loss_at(head, x, y)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_interpolation_pairs_each_row_with_a_partner_and_mixes_by_lam():
    mix = Interpolation.draw(50, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert sorted(mix.partner.tolist()) == list(range(50))
    assert mix.lam.shape == (50, 1)
    assert bool(((mix.lam >= 0) & (mix.lam <= 1)).all())
    swap = Interpolation(
        partner=torch.tensor([1, 0]), lam=torch.tensor([[0.25], [1.0]])
    )
    mixed = swap(torch.tensor([[0.0, 8.0], [4.0, 0.0]]))
    torch.testing.assert_close(mixed, torch.tensor([[3.0, 2.0], [4.0, 0.0]]))


@pytest.mark.parametrize(
    ("weight", "needed"),
    [("shift_weight", "image_shift"), ("neighbour_weight", "neighbour_moves")],
)
def test_a_config_with_a_moving_term_needs_its_moves(weight, needed):
    # Without them the estimator turns the term off, whatever its weight.
    config = skaae._classifier.AAEClassifier()._training_config(
        torch.device("cpu"), 1, "constant"
    )
    assert getattr(config, weight) == 0 and getattr(config, needed) is None
    with pytest.raises(ValueError, match=f"needs {needed}"):
        dataclasses.replace(config, **{weight: 1.0})


def test_fused_step_meets_the_discriminators_it_just_updated():
    # The fused step's one autocast region caches half-precision weights:
    # the generator term must still see the discriminators after their
    # update, not the copies cast before it.
    torch.manual_seed(0)
    networks = build_networks(12, 3, 2, (16,), (16,))
    # A large learning rate, so that one update moves the generator term.
    config = skaae._classifier.AAEClassifier(
        learning_rate_init=0.1, adversarial_weight=1.0, precision="bfloat16"
    )._training_config(torch.device("cpu"), 1, "constant")
    x = torch.randn(32, 12)
    batch = Batch(x=x, x_labeled=x[:6], y_labeled=torch.arange(6) % 3)
    before = copy.deepcopy(networks)
    losses = _fused_step(
        networks,
        make_optimizers(networks, config),
        batch,
        config,
        torch.Generator().manual_seed(0),
        True,
    )

    def generator_term(with_discriminators_of):
        with torch.no_grad(), config.autocast(x.device):
            _, y, z = _encode(before.encoder, torch.cat([x, batch.x_labeled]))
            return _generator_loss(with_discriminators_of, y[:32], z[:32])

    updated, stale = generator_term(networks), generator_term(before)
    torch.testing.assert_close(losses["generator"], updated)
    assert abs(float(updated - stale)) > 0.01
