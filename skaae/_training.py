"""The semi-supervised adversarial autoencoder's training loop.

It works on tensors and torch modules only; the estimator turns arrays into
row sources and label codes before calling :func:`train_epochs`.
"""

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from ._images import ImageShift
from ._layout import NeighbourMoves
from ._networks import Networks
from ._priors import StylePrior, sample_categorical, standard_normal
from ._rows import RowSource

# Loss weights are named as in both the estimator and TrainingConfig.

# The weights of the terms that read the class distribution of every row of
# the batch (in the phased step, from one more pass of those rows).
CLASS_TERM_WEIGHTS = (
    "vat_weight",
    "balance_weight",
    "interpolation_weight",
    "style_invariance_weight",
    "shift_weight",
    "corruption_weight",
    "neighbour_weight",
)

# The weights that ``rampup`` grows from near zero: the terms that shape the
# class head without labels. Reconstruction is left out: it does not choose
# which rows share a class.
RAMPED_WEIGHTS = ("adversarial_weight", *CLASS_TERM_WEIGHTS)

# The weights of the losses that use the unlabeled rows. All of them at 0
# leaves the cross-entropy on the labeled rows alone: the labeled-only
# ablation.
UNSUPERVISED_WEIGHTS = ("reconstruction_weight", *RAMPED_WEIGHTS)

# Radius of the first VAT probe, relative to the root-mean-square row norm.
# Only its direction matters; it has to be large enough for float32 to see
# the change in the class distribution and small enough to stay local.
_VAT_PROBE = 0.1


@dataclass(frozen=True)
class TrainingConfig:
    """What the loop needs from the estimator's hyper-parameters."""

    max_iter: int
    batch_size: int
    learning_rate_init: float
    beta_1: float
    learning_rate: str
    training: str
    reconstruction_weight: float
    adversarial_weight: float
    supervised_weight: float
    vat_weight: float
    vat_epsilon: float
    vat_fraction: float = 1.0
    autocast_dtype: torch.dtype | None = None
    style_prior: StylePrior = standard_normal
    balance_weight: float = 0.0
    interpolation_weight: float = 0.0
    style_invariance_weight: float = 0.0
    style_invariance_scale: float = 1.0
    shift_weight: float = 0.0
    image_shift: ImageShift | None = None
    corruption_weight: float = 0.0
    corruption_rate: float = 0.3
    corruption_fraction: float = 1.0
    neighbour_weight: float = 0.0
    neighbour_fraction: float = 1.0
    neighbour_moves: NeighbourMoves | None = None
    discriminator_interval: int = 1
    rampup: float = 0.0

    def __post_init__(self) -> None:
        if self.shift_weight > 0 and self.image_shift is None:
            raise ValueError("shift_weight > 0 needs image_shift")
        if self.neighbour_weight > 0 and self.neighbour_moves is None:
            raise ValueError("neighbour_weight > 0 needs neighbour_moves")

    def autocast(
        self, device: torch.device, cache: bool = True
    ) -> AbstractContextManager:
        """Mixed precision for the forward passes, or nothing for float32.

        With ``cache`` false, weights are cast afresh at each use instead of
        once per outermost autocast region.
        """
        if self.autocast_dtype is None:
            return nullcontext()
        return torch.autocast(
            device.type, dtype=self.autocast_dtype, cache_enabled=cache
        )


@dataclass(frozen=True)
class Batch:
    """Rows for one step: a batch of all rows and a batch of labeled rows."""

    x: torch.Tensor
    x_labeled: torch.Tensor
    y_labeled: torch.Tensor


# ---------------------------------------------------------------- losses


def rebuild(decoder: torch.nn.Module, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """The decoder's rebuild of rows from their codes [y, z]."""
    return decoder(torch.cat([y, z], dim=1))


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the decoder's rebuild ``x_hat`` of x."""
    return F.mse_loss(x_hat.float(), x)


def discriminator_loss(
    discriminator: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor
) -> torch.Tensor:
    """Binary cross-entropy of telling prior samples (1) from codes (0)."""
    # One pass over both halves: the same numbers as two, with larger products.
    real_logit, fake_logit = discriminator(torch.cat([real, fake])).float().chunk(2)
    return F.binary_cross_entropy_with_logits(
        real_logit, torch.ones_like(real_logit)
    ) + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit))


def generator_loss(discriminator: torch.nn.Module, fake: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the encoder's codes being taken for prior samples.

    The discriminator's weights are frozen while the graph is built: only the
    encoder learns from this loss, so their gradients would be wasted work.
    """
    with _frozen(discriminator):
        logit = discriminator(fake).float()
    return F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))


@contextmanager
def _frozen(module: torch.nn.Module) -> Iterator[None]:
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def _unit_rows(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _kl_from(log_p: torch.Tensor, logits_q: torch.Tensor) -> torch.Tensor:
    """Mean KL(p || q) over rows, p given by its log-probabilities."""
    return F.kl_div(
        logits_q.float().log_softmax(dim=1),
        log_p,
        log_target=True,
        reduction="batchmean",
    )


def vat_perturbation(
    encoder: torch.nn.Module,
    x: torch.Tensor,
    logits: torch.Tensor,
    epsilon: float,
    generator: torch.Generator,
) -> torch.Tensor:
    """Virtual adversarial step of each row (Miyato et al. 2018), detached.

    One power iteration finds the direction in which the class distribution
    changes fastest; the step goes ``epsilon`` times the root-mean-square
    row norm (``sqrt(n_features)`` for standardised rows) along it. VAT's
    loss is the KL divergence between the predictions at x and at x plus the
    step (:func:`consistency_losses`).
    """
    log_p = logits.detach().log_softmax(dim=1)
    rms_norm = math.sqrt(x.shape[1])
    direction = _unit_rows(
        torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    ).requires_grad_()
    probe_logits, _ = encoder(x + _VAT_PROBE * rms_norm * direction)
    (grad,) = torch.autograd.grad(_kl_from(log_p, probe_logits), direction)
    return epsilon * rms_norm * _unit_rows(grad)


def style_shift(
    decoder: torch.nn.Module,
    y: torch.Tensor,
    z: torch.Tensor,
    rebuilt: torch.Tensor,
    scale: float,
    generator: torch.Generator,
) -> torch.Tensor:
    """How the decoder moves each row when its style code takes a random step.

    The step is Gaussian with standard deviation ``scale`` in every component
    of z; the class code y stays. Returns ``decoder([y, z + step]) -
    rebuilt``, where ``rebuilt`` is the decoder's output at [y, z], detached:
    a change of style that, as far as the decoder has learnt, leaves the
    class alone.
    """
    with torch.no_grad():
        step = scale * torch.randn(z.shape, generator=generator, device=z.device)
        moved = rebuild(decoder, y.detach(), z.detach() + step)
        return moved.float() - rebuilt.detach().float()


def corrupt_features(
    x: torch.Tensor, rate: float, generator: torch.Generator
) -> torch.Tensor:
    """Rows with some of their features taken from another row (after SCARF).

    Each row gets a random partner among the rows of x, and each of its features
    is replaced, with probability ``rate``, by the partner's value of that
    feature. SCARF (Bahri et al. 2022) draws each replaced value from a row
    of its own; one partner per row is what the benchmarks measured. Unlike
    added noise, every value stays one that the feature takes in the data,
    so the corrupted rows stay near the data whatever the features' scales.
    """
    hit = torch.rand(x.shape, generator=generator, device=x.device) < rate
    partner = x[torch.randperm(len(x), generator=generator, device=x.device)]
    return torch.where(hit, partner, x)


def consistency_losses(
    encoder: torch.nn.Module, moved: dict[str, tuple[torch.Tensor, torch.Tensor]]
) -> dict[str, torch.Tensor]:
    """KL divergence of the class head at moved rows from its prediction before.

    ``moved`` maps a term's name to its moved rows and the (detached) logits
    of the rows before the move. VAT moves rows along an adversarial
    isotropic step, the style-invariance term along the decoder's style
    directions, which follow the data, the shift term translates rows
    that are images, the corruption term swaps some of their features
    for other rows' and the neighbour term moves each feature's value to a
    neighbouring feature. All moved rows go through one encoder pass: larger
    matrix products, fewer passes.
    """
    moved_logits, _ = encoder(torch.cat([rows for rows, _ in moved.values()]))
    parts = moved_logits.split([len(rows) for rows, _ in moved.values()])
    return {
        name: _kl_from(logits.detach().log_softmax(dim=1), part)
        for (name, (_, logits)), part in zip(moved.items(), parts, strict=True)
    }


def balance_loss(y: torch.Tensor) -> torch.Tensor:
    """KL divergence of the batch's mean class distribution from the uniform.

    The categorical discriminator judges one row at a time, so it hardly
    notices a class that the encoder gives to no row at all: with few labels
    two digits can share one class and the labeled rows of the other are
    memorised as exceptions. This term sees the whole batch (the marginal
    entropy of Hu et al. 2017) and keeps every class in use.
    """
    marginal = y.mean(dim=0)
    log_ratio = marginal.clamp_min(1e-12).log() + math.log(marginal.shape[0])
    return (marginal * log_ratio).sum()


@dataclass(frozen=True)
class Interpolation:
    """Random pairs of a batch's rows and the weights that mix them.

    Calling it on rows ``v`` returns ``lam * v + (1 - lam) * v[partner]``;
    the same pairs and weights mix the inputs and the class distributions.
    """

    partner: torch.Tensor
    lam: torch.Tensor

    @classmethod
    def draw(
        cls, n_rows: int, generator: torch.Generator, device: torch.device
    ) -> "Interpolation":
        """Each row paired with a random row of the batch, ``lam`` uniform on [0, 1]."""
        return cls(
            partner=torch.randperm(n_rows, generator=generator, device=device),
            lam=torch.rand(n_rows, 1, generator=generator, device=device),
        )

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        return self.lam * v + (1 - self.lam) * v[self.partner]


def interpolation_loss(
    mixed_logits: torch.Tensor, y: torch.Tensor, mix: Interpolation
) -> torch.Tensor:
    """Interpolation consistency of the class head (after Verma et al. 2019).

    ``mixed_logits`` are the class head's logits at the mixed rows ``mix(x)``;
    the head is asked to predict the same mixture ``mix(y)`` of the rows'
    class distributions (detached), by KL divergence. Unlike VAT's small
    step, the mixes cross the space between rows, so the head learns to
    change class only where there are few rows.
    """
    target = mix(y.detach())
    return _kl_from(target.clamp_min(1e-8).log(), mixed_logits)


# ---------------------------------------------------------------- steps


def _descend(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _discriminator_step(
    networks: Networks,
    optimizer: torch.optim.Optimizer,
    y: torch.Tensor,
    z: torch.Tensor,
    generator: torch.Generator,
    config: TrainingConfig,
) -> dict[str, torch.Tensor]:
    """Train both discriminators on detached codes against prior samples."""
    n_samples, n_classes = y.shape
    # The fused step runs this inside its own autocast region, whose cache
    # keeps each weight's half-precision copy until the region ends; the
    # discriminators' weights change here, so no copy of them is kept.
    with config.autocast(y.device, cache=False):
        loss_cat = discriminator_loss(
            networks.discriminator_cat,
            sample_categorical(n_samples, n_classes, generator),
            y.detach(),
        )
        loss_style = discriminator_loss(
            networks.discriminator_style,
            config.style_prior(n_samples, z.shape[1], generator),
            z.detach(),
        )
    _descend(optimizer, loss_cat + loss_style)
    return {
        "discriminator_cat": loss_cat.detach(),
        "discriminator_style": loss_style.detach(),
    }


def _generator_loss(networks: Networks, y: torch.Tensor, z: torch.Tensor):
    """The encoder's loss for fooling both discriminators."""
    return generator_loss(networks.discriminator_cat, y) + generator_loss(
        networks.discriminator_style, z
    )


def _encode(encoder: torch.nn.Module, x: torch.Tensor):
    """Class logits, class probabilities and style code, in float32."""
    logits, z = encoder(x)
    logits = logits.float()
    return logits, logits.softmax(dim=1), z.float()


def _moved_rows(networks, x, logits, y, z, rebuilt, config, generator):
    """The rows that the consistency terms move, with the logits before the move."""
    moved = {}
    if config.vat_weight > 0:
        # VAT over the first ``vat_fraction`` of the batch's (shuffled) rows.
        n_rows = _share(config.vat_fraction, len(x))
        x_vat, logits_vat = x[:n_rows], logits[:n_rows]
        step = vat_perturbation(
            networks.encoder, x_vat, logits_vat, config.vat_epsilon, generator
        )
        moved["vat"] = (x_vat + step, logits_vat)
    if config.style_invariance_weight > 0:
        shift = style_shift(
            networks.decoder, y, z, rebuilt, config.style_invariance_scale, generator
        )
        moved["style_invariance"] = (x + shift, logits)
    if config.shift_weight > 0:
        moved["shift"] = (config.image_shift(x, generator), logits)
    if config.corruption_weight > 0:
        n_rows = _share(config.corruption_fraction, len(x))
        corrupted = corrupt_features(x[:n_rows], config.corruption_rate, generator)
        moved["corruption"] = (corrupted, logits[:n_rows])
    if config.neighbour_weight > 0:
        # The last rows: beside the corruption term's first ones, two
        # fractions that sum to at most 1 move different rows, but for one
        # row where both shares are rounded up.
        start = len(x) - _share(config.neighbour_fraction, len(x))
        moved["neighbour"] = (
            config.neighbour_moves(x[start:], generator),
            logits[start:],
        )
    return moved


def _share(fraction: float, n_rows: int) -> int:
    """How many of a batch's ``n_rows`` rows a term that takes ``fraction`` moves."""
    return math.ceil(fraction * n_rows)


def _consistency_terms(networks, x, logits, y, z, rebuilt, config, generator):
    """The losses of the terms that move rows (VAT, style invariance, and so on).

    All come from one encoder pass over the rows they move, each with its
    weight; empty when every such term is off.
    """
    moved = _moved_rows(networks, x, logits, y, z, rebuilt, config, generator)
    if not moved:
        return {}
    losses = consistency_losses(networks.encoder, moved)
    return {
        name: (getattr(config, f"{name}_weight"), loss) for name, loss in losses.items()
    }


def _uses_all_rows(config: TrainingConfig) -> bool:
    return any(getattr(config, name) > 0 for name in UNSUPERVISED_WEIGHTS)


def _uses_class_terms(config: TrainingConfig) -> bool:
    return any(getattr(config, name) > 0 for name in CLASS_TERM_WEIGHTS)


def _fused_step(networks, optimizers, batch, config, generator, train_discriminators):
    """One encoder pass over all and labeled rows, one backward of the weighted sum.

    When ``train_discriminators`` is true the discriminators step first, on
    detached codes, so the encoder's generator term is computed against the
    freshly updated discriminators. One autocast region holds the whole
    forward side, so the encoder's weights are cast to half precision once a
    step, not once per pass (on a CPU with fast bfloat16 products these
    casts and their backward are a large part of a step).
    """
    device = batch.x.device
    # With every unsupervised term off (the supervised-only ablation) the
    # batch of all rows feeds no loss: skip its encoder pass.
    n_all = len(batch.x) if _uses_all_rows(config) else 0
    n_labeled = len(batch.x_labeled)
    rows = [batch.x[:n_all], batch.x_labeled]
    if config.interpolation_weight > 0:
        # The mixed rows join the same encoder pass: their prediction does
        # not depend on the other rows' and one pass is cheaper than two.
        mix = Interpolation.draw(n_all, generator, device)
        rows.append(mix(batch.x))
    losses: dict[str, torch.Tensor] = {}
    encoder_side: dict[str, tuple[float, torch.Tensor]] = {}
    with config.autocast(device):
        logits, y, z = _encode(networks.encoder, torch.cat(rows))
        logits_all, y_all, z_all = logits[:n_all], y[:n_all], z[:n_all]
        logits_labeled = logits[n_all : n_all + n_labeled]
        if config.adversarial_weight > 0 and train_discriminators:
            losses |= _discriminator_step(
                networks, optimizers["discriminators"], y_all, z_all, generator, config
            )
        rebuilt = None
        if config.reconstruction_weight > 0 or config.style_invariance_weight > 0:
            rebuilt = rebuild(networks.decoder, y_all, z_all)
        if config.reconstruction_weight > 0:
            rec = reconstruction_loss(rebuilt, batch.x)
            encoder_side["reconstruction"] = (config.reconstruction_weight, rec)
        if config.adversarial_weight > 0:
            adv = _generator_loss(networks, y_all, z_all)
            encoder_side["generator"] = (config.adversarial_weight, adv)
        if len(batch.y_labeled):
            sup = F.cross_entropy(logits_labeled, batch.y_labeled)
            encoder_side["supervised"] = (config.supervised_weight, sup)
        encoder_side |= _consistency_terms(
            networks, batch.x, logits_all, y_all, z_all, rebuilt, config, generator
        )
        if config.balance_weight > 0:
            encoder_side["balance"] = (config.balance_weight, balance_loss(y_all))
        if config.interpolation_weight > 0:
            mixed_logits = logits[n_all + n_labeled :]
            encoder_side["interpolation"] = (
                config.interpolation_weight,
                interpolation_loss(mixed_logits, y_all, mix),
            )
    if encoder_side:
        _descend(
            optimizers["autoencoder"],
            sum(w * loss for w, loss in encoder_side.values()),
        )
    losses |= {name: loss.detach() for name, (_, loss) in encoder_side.items()}
    if len(batch.y_labeled):
        losses["labeled_accuracy"] = _accuracy(logits_labeled, batch.y_labeled)
    return losses


def _phased_step(networks, optimizers, batch, config, generator, train_discriminators):
    """The paper's three phases, each its own optimiser step.

    Reconstruction updates encoder and decoder; regularisation updates the
    discriminators (when ``train_discriminators`` is true), then the encoder
    as generator; the semi-supervised phase updates the encoder on the
    labeled rows (plus the VAT, balance, style-invariance, shift, corruption,
    neighbour and interpolation terms when enabled).
    """
    losses: dict[str, torch.Tensor] = {}
    encoder = networks.encoder
    autocast = config.autocast(batch.x.device)
    if config.reconstruction_weight > 0:
        with autocast:
            _, y, z = _encode(encoder, batch.x)
            rec = reconstruction_loss(rebuild(networks.decoder, y, z), batch.x)
        _descend(optimizers["reconstruction"], config.reconstruction_weight * rec)
        losses["reconstruction"] = rec.detach()
    if config.adversarial_weight > 0:
        if train_discriminators:
            with torch.no_grad(), autocast:
                _, y, z = _encode(encoder, batch.x)
            losses |= _discriminator_step(
                networks, optimizers["discriminators"], y, z, generator, config
            )
        with autocast:
            _, y, z = _encode(encoder, batch.x)
            adv = _generator_loss(networks, y, z)
        _descend(optimizers["generator"], config.adversarial_weight * adv)
        losses["generator"] = adv.detach()
    semi_supervised = []
    with autocast:
        if len(batch.y_labeled):
            logits_labeled, _, _ = _encode(encoder, batch.x_labeled)
            sup = F.cross_entropy(logits_labeled, batch.y_labeled)
            semi_supervised.append(config.supervised_weight * sup)
            losses["supervised"] = sup.detach()
            losses["labeled_accuracy"] = _accuracy(logits_labeled, batch.y_labeled)
        if _uses_class_terms(config):
            # One pass over all rows serves every term: VAT, style invariance,
            # shift, corruption, neighbour and interpolation detach it, the balance term
            # needs the gradient of y.
            with torch.set_grad_enabled(config.balance_weight > 0):
                logits, y, z = _encode(encoder, batch.x)
            rebuilt = None
            if config.style_invariance_weight > 0:
                with torch.no_grad():
                    rebuilt = rebuild(networks.decoder, y, z)
            for name, (weight, loss) in _consistency_terms(
                networks, batch.x, logits, y, z, rebuilt, config, generator
            ).items():
                semi_supervised.append(weight * loss)
                losses[name] = loss.detach()
        if config.balance_weight > 0:
            balance = balance_loss(y)
            semi_supervised.append(config.balance_weight * balance)
            losses["balance"] = balance.detach()
        if config.interpolation_weight > 0:
            mix = Interpolation.draw(len(batch.x), generator, batch.x.device)
            mixed_logits, _ = encoder(mix(batch.x))
            consistency = interpolation_loss(mixed_logits, y, mix)
            semi_supervised.append(config.interpolation_weight * consistency)
            losses["interpolation"] = consistency.detach()
    if semi_supervised:
        _descend(optimizers["supervised"], sum(semi_supervised))
    return losses


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (logits.detach().argmax(dim=1) == y).float().mean()


_STEPS = {"fused": _fused_step, "phased": _phased_step}


def optimizer_phases(
    training: str, adversarial_weight: float, reconstruction_weight: float
) -> tuple[str, ...]:
    """The phases that run, each with an Adam of its own: one per phase for
    ``phased``, one for the autoencoder and one for the discriminators when
    ``fused``."""
    adversarial = adversarial_weight > 0
    if training == "fused":
        enabled = {"autoencoder": True, "discriminators": adversarial}
    else:
        enabled = {
            "reconstruction": reconstruction_weight > 0,
            "discriminators": adversarial,
            "generator": adversarial,
            "supervised": True,
        }
    return tuple(name for name, on in enabled.items() if on)


def make_optimizers(
    networks: Networks, config: TrainingConfig
) -> dict[str, torch.optim.Optimizer]:
    """Adam optimisers for the phases that ``config`` runs."""
    phases = optimizer_phases(
        config.training, config.adversarial_weight, config.reconstruction_weight
    )
    return adam_optimizers(networks, phases, config.learning_rate_init, config.beta_1)


def adam_optimizers(
    networks: Networks,
    phases: Iterable[str],
    learning_rate_init: float = 1e-3,
    beta_1: float = 0.9,
) -> dict[str, torch.optim.Optimizer]:
    """An Adam over each phase's parameters, by phase name.

    The defaults are Adam's own, for optimisers whose saved states (which
    hold the learning rate and betas) are loaded next.
    """
    encoder = list(networks.encoder.parameters())
    autoencoder = encoder + list(networks.decoder.parameters())
    parameters = {
        "autoencoder": autoencoder,
        "reconstruction": autoencoder,
        "discriminators": list(networks.discriminator_cat.parameters())
        + list(networks.discriminator_style.parameters()),
        "generator": encoder,
        "supervised": encoder,
    }
    return {
        name: torch.optim.Adam(
            parameters[name], lr=learning_rate_init, betas=(beta_1, 0.999), fused=True
        )
        for name in phases
    }


def _lr_factor(schedule: str, n_steps: int) -> Callable[[int], float]:
    if schedule == "cosine":
        return lambda step: (
            0.5 * (1.0 + math.cos(math.pi * min(step, n_steps) / n_steps))
        )
    return lambda step: 1.0


def _rampup(fraction: float, n_steps: int) -> Callable[[int], float]:
    """exp(-5 (1 - t)^2), t going from 0 to 1 over ``fraction`` of the steps.

    The usual warm-up of the unsupervised terms (Laine and Aila 2017): it
    starts near zero, so the labels name the clusters before the terms of
    :data:`RAMPED_WEIGHTS` (adversarial, VAT, balance, interpolation, style
    invariance, shift, corruption and neighbour) sharpen them.
    """
    length = max(fraction * n_steps, 1.0)
    return lambda step: math.exp(-5.0 * (1.0 - min(step / length, 1.0)) ** 2)


def _ramped(config: TrainingConfig, factor: float) -> TrainingConfig:
    """``config`` with the weights of :data:`RAMPED_WEIGHTS` scaled by ``factor``."""
    return replace(
        config, **{name: factor * getattr(config, name) for name in RAMPED_WEIGHTS}
    )


# ---------------------------------------------------------------- batches


def batches_per_epoch(n_samples: int, batch_size: int) -> int:
    """Mini-batches in one pass over ``n_samples`` rows, the last one short."""
    return -(-n_samples // batch_size)


def _labeled_positions(
    rng: np.random.Generator, n_labeled: int, batch_size: int, n_batches: int
) -> np.ndarray:
    """``n_batches`` batches that cycle through reshuffled labeled positions."""
    if n_labeled == 0:
        return np.empty((n_batches, 0), dtype=np.intp)
    n_needed = batch_size * n_batches
    n_rounds = -(-n_needed // n_labeled)
    stream = np.concatenate([rng.permutation(n_labeled) for _ in range(n_rounds)])
    return stream[:n_needed].reshape(n_batches, batch_size)


def _epoch_batches(
    rows: RowSource,
    n_samples: int,
    labeled_index: np.ndarray,
    y_labeled: torch.Tensor,
    batch_size: int,
    rng: np.random.Generator,
) -> Iterator[Batch]:
    order = rng.permutation(n_samples)
    n_batches = batches_per_epoch(n_samples, batch_size)
    labeled_batch_size = min(batch_size, len(labeled_index))
    positions = _labeled_positions(
        rng, len(labeled_index), labeled_batch_size, n_batches
    )
    for k in range(n_batches):
        pos = positions[k]
        yield Batch(
            x=rows(order[k * batch_size : (k + 1) * batch_size]),
            x_labeled=rows(labeled_index[pos]),
            y_labeled=y_labeled[torch.as_tensor(pos, device=y_labeled.device)],
        )


# ---------------------------------------------------------------- loop


def train_epochs(
    networks: Networks,
    rows: RowSource,
    n_samples: int,
    labeled_index: np.ndarray,
    y_labeled: torch.Tensor,
    config: TrainingConfig,
    seed: int,
    stop_requested: Callable[[], bool] = lambda: False,
    optimizers: dict[str, torch.optim.Optimizer] | None = None,
    first_step: int = 0,
) -> Iterator[dict[str, float]]:
    """Train the networks in place, yielding the mean losses of each epoch.

    Parameters
    ----------
    networks : Networks
        Modules to train, already on the device of ``rows`` and ``y_labeled``.
    rows : callable
        ``rows(indices)`` returns the standardised rows as a float tensor.
    n_samples : int
        Number of rows, labeled or not; every row feeds reconstruction and
        regularisation.
    labeled_index : ndarray of int
        Row indices of the labeled rows.
    y_labeled : tensor of int64
        Class codes of the labeled rows, in the order of ``labeled_index``.
    config : TrainingConfig
        Hyper-parameters; ``config.max_iter`` epochs at most.
    seed : int
        Seeds the batch order, the prior samples and the VAT directions.
    stop_requested : callable, optional
        Polled after every mini-batch; when it answers True the generator
        returns after yielding the epoch only if that batch was its last.
    optimizers : dict of str to Optimizer, optional
        Optimisers from :func:`make_optimizers` to continue with (their
        learning rates are scaled by ``config.learning_rate``'s schedule);
        new ones by default.
    first_step : int, default=0
        Mini-batches the networks trained on before, with these optimisers
        (partial_fit's earlier chunks): the discriminators'
        ``config.discriminator_interval`` counts on from there rather than
        restarting with each call.

    Yields
    ------
    means : dict of str to float
        The epoch's mean of every loss over the steps that computed it (the
        discriminators' losses over the steps that trained them), and the
        accuracy on the labeled batches. Values may be NaN or infinite:
        judging them is the caller's job.
    """
    device = y_labeled.device
    rng = np.random.default_rng(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    if optimizers is None:
        optimizers = make_optimizers(networks, config)
    steps_per_epoch = batches_per_epoch(n_samples, config.batch_size)
    factor = _lr_factor(config.learning_rate, config.max_iter * steps_per_epoch)
    # A constant rate needs no scheduler. Nor does it get one: torch warns
    # when a scheduler steps before its optimiser, which an unpickled
    # partial_fit's discriminators do when their interval skips the first
    # batch.
    schedulers = (
        []
        if config.learning_rate == "constant"
        else [torch.optim.lr_scheduler.LambdaLR(o, factor) for o in optimizers.values()]
    )
    step = _STEPS[config.training]
    ramp = _rampup(config.rampup, config.max_iter * steps_per_epoch)
    n_done = 0
    for _ in range(config.max_iter):
        totals: dict[str, torch.Tensor] = {}
        counts: dict[str, int] = {}
        n_batches = 0
        for batch in _epoch_batches(
            rows, n_samples, labeled_index, y_labeled, config.batch_size, rng
        ):
            step_config = _ramped(config, ramp(n_done)) if config.rampup else config
            train_discriminators = (
                first_step + n_done
            ) % config.discriminator_interval == 0
            n_done += 1
            for name, value in step(
                networks,
                optimizers,
                batch,
                step_config,
                generator,
                train_discriminators,
            ).items():
                totals[name] = totals.get(name, 0.0) + value
                counts[name] = counts.get(name, 0) + 1
            for scheduler in schedulers:
                scheduler.step()
            n_batches += 1
            if stop_requested():
                break
        if n_batches == steps_per_epoch:
            yield {name: float(total) / counts[name] for name, total in totals.items()}
        if stop_requested():
            return
