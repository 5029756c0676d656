"""The four networks of the semi-supervised adversarial autoencoder."""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import torch
from torch import nn


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    """Linear layers of the given widths with a ReLU after each of them."""
    layers: list[nn.Module] = []
    for n_in, n_out in pairwise(sizes):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """Maps x to the class logits (head y) and the style code (head z).

    No batch normalisation: it couples the rows of a batch and is a known
    cause of a broken adversarial balance in this model.
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int],
        n_classes: int,
        n_components: int,
    ) -> None:
        super().__init__()
        self.trunk = _mlp([n_features, *hidden_layer_sizes])
        width = hidden_layer_sizes[-1] if hidden_layer_sizes else n_features
        self.class_head = nn.Linear(width, n_classes)
        self.style_head = nn.Linear(width, n_components)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.class_head(h), self.style_head(h)


def make_decoder(
    n_classes: int,
    n_components: int,
    hidden_layer_sizes: Sequence[int],
    n_features: int,
) -> nn.Sequential:
    """Rebuilds x from [y, z]; its hidden layers mirror the encoder's."""
    sizes = [n_classes + n_components, *reversed(hidden_layer_sizes)]
    return nn.Sequential(*_mlp(sizes), nn.Linear(sizes[-1], n_features))


def make_discriminator(
    n_inputs: int, hidden_layer_sizes: Sequence[int]
) -> nn.Sequential:
    """Scores a code: a logit that is high for prior samples, low for the encoder's."""
    sizes = [n_inputs, *hidden_layer_sizes]
    return nn.Sequential(*_mlp(sizes), nn.Linear(sizes[-1], 1))


@dataclass
class Networks:
    """The encoder, the decoder and the two discriminators, trained together."""

    encoder: Encoder
    decoder: nn.Sequential
    discriminator_cat: nn.Sequential
    discriminator_style: nn.Sequential


def build_networks(
    n_features: int,
    n_classes: int,
    n_components: int,
    hidden_layer_sizes: Sequence[int],
    discriminator_layer_sizes: Sequence[int],
) -> Networks:
    """Build the four networks with PyTorch's default initialisation."""
    return Networks(
        encoder=Encoder(n_features, hidden_layer_sizes, n_classes, n_components),
        decoder=make_decoder(n_classes, n_components, hidden_layer_sizes, n_features),
        discriminator_cat=make_discriminator(n_classes, discriminator_layer_sizes),
        discriminator_style=make_discriminator(n_components, discriminator_layer_sizes),
    )
