"""The epoch loop around training: checkpoints, divergence, Ctrl-C, early stopping.

:func:`run_epochs` consumes the epochs of :func:`~skaae._training.train_epochs`
and decides which weights the fitted model keeps: those of the last finite
epoch, or of the best epoch on validation rows when early stopping is on.
"""

import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from ._state import checkpoint, restore

History = dict[str, list[float]]


@dataclass
class EarlyStopping:
    """Stop when a validation score stops growing.

    ``score()`` is called after each epoch. The best weights are kept on any
    improvement; the count of epochs without progress resets only when the
    score beats the best by ``tol``.
    """

    score: Callable[[], float]
    tol: float
    n_iter_no_change: int
    best: float = -math.inf
    waited: int = 0

    def update(self, score: float) -> bool:
        """Record an epoch's score; return whether it is the best so far."""
        self.waited = 0 if score >= self.best + self.tol else self.waited + 1
        improved = score > self.best
        self.best = max(self.best, score)
        return improved

    @property
    def exhausted(self) -> bool:
        return self.waited >= self.n_iter_no_change


@dataclass
class Outcome:
    """What happened during the epochs, and which of them the weights are from."""

    history: History
    n_epochs: int
    kept_epoch: int
    stop: str
    validation_scores: list[float] = field(default_factory=list)


def accuracy(encoder: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of ``x`` whose most probable class is ``y``."""
    with torch.inference_mode():
        logits, _ = encoder(x)
    return float((logits.argmax(dim=1) == y).double().mean())


def _finite(values) -> bool:
    return all(math.isfinite(v) for v in values)


def _finite_weights(modules: Mapping[str, nn.Module]) -> bool:
    return all(
        bool(torch.isfinite(p).all())
        for module in modules.values()
        for p in module.parameters()
    )


def _append(history: History, means: dict[str, float], n_before: int) -> None:
    """Add an epoch's means to ``history``, every list one longer.

    A loss that the epoch did not compute gets NaN (the discriminators'
    when no step of a short epoch trained them), and one computed for the
    first time NaN for the epochs before.
    """
    for name in means.keys() - history.keys():
        history[name] = [math.nan] * n_before
    for name, values in history.items():
        values.append(means.get(name, math.nan))


def run_epochs(
    modules: Mapping[str, nn.Module],
    epochs: Iterator[dict[str, float]],
    interrupted: Callable[[], bool],
    early_stopping: EarlyStopping | None = None,
    on_epoch: Callable[[int, dict[str, float], float], None] | None = None,
) -> Outcome:
    """Run ``epochs`` and leave ``modules`` with the weights worth keeping.

    Parameters
    ----------
    modules : mapping of str to Module
        The networks that ``epochs`` trains in place.
    epochs : iterator of dict
        Yields each finished epoch's mean losses.
    interrupted : callable
        Tells, once ``epochs`` ends, whether it ended because Ctrl-C was
        pressed.
    early_stopping : EarlyStopping, optional
        Score each epoch on validation rows, stop when the score stalls and
        keep the weights of its best epoch.
    on_epoch : callable, optional
        Called with (epoch, mean losses and validation score, seconds).

    Returns
    -------
    outcome : Outcome
        ``stop`` is ``"max_iter"``, ``"early_stopping"``, ``"diverged"`` (a
        loss or, after the epoch, a weight was not finite; that epoch is
        dropped) or ``"interrupted"`` (the unfinished epoch is dropped).
        ``kept_epoch`` is the epoch the weights now come from, 0 for the
        weights the modules started with. Every list of ``history`` has one
        value per kept epoch, NaN where the epoch did not compute the loss.
        If ``epochs`` raises, the modules get back the weights they started
        with before the exception goes on.
    """
    initial = kept = checkpoint(modules)
    kept_epoch = 0
    outcome = Outcome(history={}, n_epochs=0, kept_epoch=0, stop="max_iter")
    try:
        while True:
            start = time.perf_counter()
            means = next(epochs, None)
            if means is None:
                outcome.stop = "interrupted" if interrupted() else "max_iter"
                break
            # The losses come before each step: the last step's update is
            # seen only in the weights.
            if not (_finite(means.values()) and _finite_weights(modules)):
                outcome.stop = "diverged"
                break
            _append(outcome.history, means, outcome.n_epochs)
            outcome.n_epochs += 1
            improved = True
            if early_stopping is not None:
                score = early_stopping.score()
                outcome.validation_scores.append(score)
                means = {**means, "validation_score": score}
                improved = early_stopping.update(score)
            if improved:
                kept, kept_epoch = checkpoint(modules), outcome.n_epochs
            if on_epoch is not None:
                on_epoch(outcome.n_epochs, means, time.perf_counter() - start)
            if early_stopping is not None and early_stopping.exhausted:
                outcome.stop = "early_stopping"
                break
    except BaseException:
        # A hard interrupt or an error: the weights training started from, so
        # that a warm start that raises leaves the fitted model as it was.
        restore(modules, initial)
        raise
    if kept_epoch != outcome.n_epochs or outcome.stop != "max_iter":
        restore(modules, kept)
    outcome.kept_epoch = kept_epoch
    return outcome
