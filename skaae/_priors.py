"""Samples that the discriminators learn to tell from the encoder's codes."""

import torch


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
