"""Rows drawn by the decoder from a class and a style code.

The estimator checks labels and codes; these functions only run the decoder
and undo the standardisation of X, so that rows come back in X's units.
"""

import numpy as np
import torch


def one_hot(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows of zeros with a one at each class code: the decoder's y input."""
    rows = np.zeros((len(codes), n_classes), dtype=np.float32)
    rows[np.arange(len(codes)), codes] = 1.0
    return rows


def softmax_(logits: np.ndarray) -> np.ndarray:
    """Softmax over each row, in place: no temporaries the size of the output."""
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits


def decode_rows(
    decoder: torch.nn.Module,
    y: np.ndarray,
    z: np.ndarray,
    mean: np.ndarray,
    scale: float,
    batch_size: int,
) -> np.ndarray:
    """The decoder's rows for the codes ``[y, z]``, in X's units (float64).

    Parameters
    ----------
    decoder : Module
        Maps ``[y, z]`` to standardised rows.
    y : ndarray of shape (n_samples, n_classes)
        Class distributions: one-hot rows, or the encoder's probabilities.
    z : ndarray of shape (n_samples, n_components)
        Style codes.
    mean, scale : ndarray of shape (n_features,), float
        The standardisation of X learned in fit, undone on the way out.
    batch_size : int
        Rows per decoder pass; bounds memory for any n_samples.

    Raises
    ------
    ValueError
        If the decoder's output is not finite: z so far outside the prior
        that float32 overflows.
    """
    device = next(decoder.parameters()).device
    rows = np.empty((len(y), len(mean)))
    with torch.inference_mode():
        for start in range(0, len(y), batch_size):
            stop = start + batch_size
            # Codes beyond float32's range become inf, refused just below.
            with np.errstate(over="ignore"):
                codes = np.hstack([y[start:stop], z[start:stop]]).astype(np.float32)
            out = decoder(torch.from_numpy(codes).to(device))
            if not torch.isfinite(out).all():
                raise ValueError(
                    "The decoder overflows float32 for these style codes "
                    f"(largest |z|: {np.abs(z[start:stop]).max():.3g}). Pass codes "
                    "on the scale of the prior, like the output of transform."
                )
            rows[start:stop] = out.cpu().numpy()
    rows *= scale
    rows += mean
    return rows
