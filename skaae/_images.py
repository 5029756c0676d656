"""Rows that are images: their shape, and small translations of them."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ._checks import positive_ints
from ._rows import feature_offset

# With max_shift="auto" the reach is the image's shorter side over this,
# rounded down, and at least one pixel: 2 pixels on 28 x 28 (the reach
# measured on MNIST and Fashion-MNIST), 1 on 8 x 8 (digits).
_AUTO_REACH_DIVISOR = 14


def check_image_shape(
    image_shape: Sequence[int], max_shift: int | str, n_features: int
) -> tuple[tuple[int, int, int], int]:
    """``(channels, height, width)`` of each row, and the reach of a shift in pixels.

    Raises ValueError, with what to change, when the shape is not one of
    ``n_features`` pixels, looks channels-last, or leaves no room to move.
    """
    shape = tuple(image_shape) if np.ndim(image_shape) == 1 else ()
    if len(shape) not in (2, 3) or not positive_ints(shape):
        raise ValueError(
            "image_shape must be (height, width) or (channels, height, width) "
            f"of positive integers, got {image_shape!r}."
        )
    shape = tuple(int(v) for v in shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={shape} holds {math.prod(shape)} pixels, but X has "
            f"{n_features} features. Give the shape of one row as an image (its "
            "features are read in C order, channels first), or set "
            "image_shape=None for data that are not images."
        )
    # (32, 32, 3) is the usual channels-last layout of a colour image; read
    # as channels first it would be 32 images of 32 x 3 pixels, shifted
    # along the wrong axes without a word.
    if len(shape) == 3 and shape[2] <= 4 < shape[0]:
        raise ValueError(
            f"image_shape={shape} looks channels-last (height, width, channels); "
            "it must be (channels, height, width). Reorder X's features to "
            "match, e.g. X.reshape(n, h, w, c).transpose(0, 3, 1, 2).reshape(n, "
            "-1), and pass (c, h, w)."
        )
    channels, height, width = (1, *shape) if len(shape) == 2 else shape
    side = min(height, width)
    if side < 2:
        raise ValueError(
            f"image_shape={shape} has a side of one pixel, which the shift term "
            "cannot move along. Set image_shape=None."
        )
    reach = max(1, side // _AUTO_REACH_DIVISOR) if max_shift == "auto" else max_shift
    if reach >= side:
        raise ValueError(
            f"max_shift={max_shift!r} moves images of {height} x {width} pixels by "
            f"up to {reach} pixels, out of view. Set max_shift below {side}, the "
            "shorter side."
        )
    return (channels, height, width), int(reach)


# eq=False: the offset is a tensor, whose == is elementwise.
@dataclass(frozen=True, eq=False)
class ImageShift:
    """Whole-pixel translations of standardised rows that are images.

    Parameters
    ----------
    shape : tuple of int
        ``(channels, height, width)`` of each row.
    max_shift : int
        Largest move, in pixels, along each of the two axes.
    offset : tensor of shape (n_features,)
        X's per-feature mean divided by its scale: added to a standardised
        row it gives the row in X's units (divided by the scale), where a
        pixel outside the image is 0.
    """

    shape: tuple[int, int, int]
    max_shift: int
    offset: torch.Tensor

    @classmethod
    def for_rows(
        cls,
        shape: tuple[int, int, int],
        max_shift: int,
        mean: np.ndarray,
        scale: float,
        device: torch.device,
    ) -> "ImageShift":
        """The shifts of rows that were standardised with ``mean`` and ``scale``."""
        return cls(shape, max_shift, feature_offset(mean, scale, device))

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Each row of x moved by its own random shift, uniform on the grid of moves.

        All channels of a row move together; pixels that come into view are
        0 in X's units, as if the background were black.
        """
        n_rows, reach = len(x), self.max_shift
        channels, height, width = self.shape
        pixels = (x + self.offset).view(n_rows, channels, height, width)
        padded = F.pad(pixels, (reach, reach, reach, reach))
        moves = torch.randint(
            0, 2 * reach + 1, (2, n_rows), generator=generator, device=x.device
        )
        rows = moves[0, :, None] + torch.arange(height, device=x.device)
        cols = moves[1, :, None] + torch.arange(width, device=x.device)
        moved = padded[
            torch.arange(n_rows, device=x.device)[:, None, None, None],
            torch.arange(channels, device=x.device)[None, :, None, None],
            rows[:, None, :, None],
            cols[:, None, None, :],
        ]
        return moved.reshape(n_rows, -1) - self.offset
