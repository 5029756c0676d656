"""Samples that the discriminators learn to tell from the encoder's codes.

Every style prior has the signature ``prior(n_samples, n_components,
generator) -> tensor`` and draws with the torch ``generator`` on its device.
"""

import math
from collections.abc import Callable

import numpy as np
import torch

StylePrior = Callable[[int, int, torch.Generator], torch.Tensor]

# The mixture prior: this many Gaussians on a circle in the first two
# dimensions, each stretched along its radius.
_N_MIXTURE = 10
_MIXTURE_RADIUS = 2.0
_MIXTURE_SCALES = (0.5, 0.1)


def sample_categorical(
    n_samples: int, n_classes: int, generator: torch.Generator
) -> torch.Tensor:
    """One-hot rows drawn uniformly from the ``n_classes`` categories."""
    device = generator.device
    labels = torch.randint(n_classes, (n_samples,), generator=generator, device=device)
    return torch.nn.functional.one_hot(labels, n_classes).float()


def standard_normal(
    n_samples: int, n_components: int, generator: torch.Generator
) -> torch.Tensor:
    """Rows drawn from the standard normal style prior N(0, I)."""
    device = generator.device
    return torch.randn(n_samples, n_components, generator=generator, device=device)


def _rotate(plane: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    cos, sin = torch.cos(angle), torch.sin(angle)
    x, y = plane[:, 0], plane[:, 1]
    return torch.stack([x * cos - y * sin, x * sin + y * cos], dim=1)


def gaussian_mixture(
    n_samples: int, n_components: int, generator: torch.Generator
) -> torch.Tensor:
    """Ten elongated Gaussians on a circle in dimensions 0-1; N(0, 1) beyond."""
    rows = standard_normal(n_samples, n_components, generator)
    device = generator.device
    k = torch.randint(_N_MIXTURE, (n_samples,), generator=generator, device=device)
    scales = torch.tensor(_MIXTURE_SCALES, device=device)
    radial = rows[:, :2] * scales + torch.tensor([_MIXTURE_RADIUS, 0.0], device=device)
    rows[:, :2] = _rotate(radial, 2 * math.pi * k / _N_MIXTURE)
    return rows


def swiss_roll(
    n_samples: int, n_components: int, generator: torch.Generator
) -> torch.Tensor:
    """A swiss roll in dimensions 0-1 (radius grows with the angle); N(0, 1) beyond."""
    rows = standard_normal(n_samples, n_components, generator)
    u = torch.rand(n_samples, generator=generator, device=generator.device)
    # sqrt spreads the samples evenly along the spiral, not bunched at its centre.
    angle = 3 * math.pi * torch.sqrt(u)
    radius = angle / (3 * math.pi) * 2.0 + 0.05 * rows[:, 0]
    rows[:, 0] = radius * torch.cos(angle)
    rows[:, 1] = radius * torch.sin(angle)
    return rows


BUILT_IN = {
    "normal": standard_normal,
    "mixture": gaussian_mixture,
    "swiss_roll": swiss_roll,
}


def from_user(
    function: Callable[[int, int, np.random.Generator], np.ndarray], seed: int
) -> StylePrior:
    """Adapt a user's ``(n, dim, rng) -> array`` to the torch signature.

    The user's function draws with its own NumPy generator, seeded from the
    fit's seed. What it returns is checked on every call.
    """
    rng = np.random.default_rng([seed, 1])

    def prior(n_samples, n_components, generator):
        # A copy: torch takes neither negative strides nor read-only memory.
        rows = np.array(function(n_samples, n_components, rng), dtype=np.float32)
        if rows.shape != (n_samples, n_components) or not np.isfinite(rows).all():
            raise ValueError(
                f"The prior callable returned {rows.shape} values (finite: "
                f"{bool(np.isfinite(rows).all())}) for n={n_samples}, "
                f"dim={n_components}; it must return a finite array of shape "
                "(n, dim)."
            )
        return torch.from_numpy(rows).to(generator.device)

    return prior
