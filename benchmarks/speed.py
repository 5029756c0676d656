"""Training and prediction speed of AAEClassifier on MNIST.

At the tutorial's architecture (784-1000-1000 encoder and mirrored decoder,
z of 10, discriminators 1000-1000, batch 100) it times one 60k-row epoch of

- a seed-faithful reference loop, written plainly below: the paper's four
  phases as four optimiser steps, four encoder passes per step, float32;
- skaae's loop with its defaults at that architecture and batch;
- skaae's paper-faithful configuration (``common.PAPER_FAITHFUL``);

all in this one process, so the ratios hold even when the machine is busy;
the reference loop and skaae's defaults are then timed again in
back-to-back pairs (``--pairs``), and the median of the pairs' ratios is
the figure to quote.
It counts each loop's matrix FLOPs, compares the achieved GFLOP/s with the
measured matmul peak, and times ``predict`` on the 10k test rows.
Writes ``docs/benchmarks/speed.md``.

    python benchmarks/speed.py
"""

import argparse
import time
import warnings
from functools import partial
from itertools import pairwise

import numpy as np
import torch
import torch.nn.functional as F
from common import DOCS, PAPER_FAITHFUL, header, image_setting, markdown_table, split
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from skaae import AAEClassifier
from skaae._runtime import autocast_dtype
from skaae._training import batches_per_epoch
from skaae.datasets import hide_labels

HIDDEN = (1000, 1000)
N_COMPONENTS = 10
BATCH = 100


def _mlp(*sizes: int, last=None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers, *([last] if last else []))


class ReferenceAAE:
    """The tutorial's semi-supervised AAE step, one optimiser per phase.

    ``fused_adam`` swaps torch's default Adam (a loop over the tensors on
    the CPU), which the tutorial uses, for the fused one that skaae uses, to
    show how much of the gap the optimiser alone makes.
    """

    def __init__(self, n_features: int, n_classes: int, fused_adam: bool = False):
        self.trunk = _mlp(n_features, *HIDDEN, last=nn.ReLU())
        self.head_y = nn.Linear(HIDDEN[-1], n_classes)
        self.head_z = nn.Linear(HIDDEN[-1], N_COMPONENTS)
        self.decoder = _mlp(n_classes + N_COMPONENTS, *HIDDEN[::-1], n_features)
        self.d_cat = _mlp(n_classes, *HIDDEN, 1)
        self.d_gauss = _mlp(N_COMPONENTS, *HIDDEN, 1)
        encoder = [
            *self.trunk.parameters(),
            *self.head_y.parameters(),
            *self.head_z.parameters(),
        ]
        adam = partial(torch.optim.Adam, fused=fused_adam or None)
        self.opt_rec = adam([*encoder, *self.decoder.parameters()], lr=1e-3)
        self.opt_disc = adam(
            [*self.d_cat.parameters(), *self.d_gauss.parameters()], lr=1e-3
        )
        self.opt_gen = adam(encoder, lr=1e-3)
        self.opt_semi = adam(encoder, lr=1e-3)
        self.n_classes = n_classes

    def encode(self, x):
        h = self.trunk(x)
        return self.head_y(h), self.head_z(h)

    def step(self, x, x_labeled, y_labeled) -> None:
        # 1. reconstruction
        logits, z = self.encode(x)
        x_hat = self.decoder(torch.cat([logits.softmax(1), z], 1))
        self._descend(self.opt_rec, F.mse_loss(x_hat, x))
        # 2. discriminators
        with torch.no_grad():
            logits, z = self.encode(x)
        real_y = F.one_hot(torch.randint(self.n_classes, (len(x),)), self.n_classes)
        real_z = torch.randn(len(x), N_COMPONENTS)
        ones, zeros = torch.ones(len(x), 1), torch.zeros(len(x), 1)
        bce = F.binary_cross_entropy_with_logits
        d_loss = (
            bce(self.d_cat(real_y.float()), ones)
            + bce(self.d_cat(logits.softmax(1)), zeros)
            + bce(self.d_gauss(real_z), ones)
            + bce(self.d_gauss(z), zeros)
        )
        self._descend(self.opt_disc, d_loss)
        # 3. generator
        logits, z = self.encode(x)
        g_loss = bce(self.d_cat(logits.softmax(1)), ones) + bce(self.d_gauss(z), ones)
        self._descend(self.opt_gen, g_loss)
        # 4. semi-supervised
        logits, _ = self.encode(x_labeled)
        self._descend(self.opt_semi, F.cross_entropy(logits, y_labeled))

    @staticmethod
    def _descend(optimizer, loss) -> None:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def reference_epoch(
    X, y_partial, n_steps: int | None = None, fused_adam: bool = False
) -> float:
    """Seconds for one epoch (or ``n_steps`` steps) of the reference loop."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x_all = torch.from_numpy(X)
    labeled = np.flatnonzero(y_partial != -1)
    y_all = torch.from_numpy(y_partial.astype(np.int64))
    model = ReferenceAAE(X.shape[1], int(y_partial.max()) + 1, fused_adam)
    order = rng.permutation(len(X))
    n_batches = n_steps or len(X) // BATCH
    start = time.perf_counter()
    for k in range(n_batches):
        idx = torch.from_numpy(order[k * BATCH : (k + 1) * BATCH])
        lab = torch.from_numpy(rng.choice(labeled, BATCH))
        model.step(x_all[idx], x_all[lab], y_all[lab])
    return time.perf_counter() - start


def resolved_precision() -> str:
    """What ``precision="auto"`` trains in on this machine's CPU."""
    dtype = autocast_dtype("auto", torch.device("cpu"))
    return "float32" if dtype is None else str(dtype).removeprefix("torch.")


def reference_step_flops(X, y_partial) -> float:
    """Matrix FLOPs of one reference step."""
    model = ReferenceAAE(X.shape[1], int(y_partial.max()) + 1)
    x = torch.from_numpy(X[:BATCH])
    labels = torch.zeros(BATCH, dtype=torch.int64)
    with FlopCounterMode(display=False) as counter:
        model.step(x, x, labels)
    return counter.get_total_flops()


def skaae_model(**params) -> AAEClassifier:
    """One epoch at the tutorial's architecture and batch; ``params`` on top."""
    tutorial = {
        "hidden_layer_sizes": HIDDEN,
        "n_components": N_COMPONENTS,
        "discriminator_layer_sizes": HIDDEN,
        "batch_size": BATCH,
        "max_iter": 1,
        "random_state": 0,
    }
    return AAEClassifier(**{**tutorial, **params})


def timed_fit(X, y_partial, **params) -> tuple[AAEClassifier, float]:
    """A model fitted with ``skaae_model(**params)`` and the seconds it took."""
    start = time.perf_counter()
    model = skaae_model(**params).fit(X, y_partial)
    return model, time.perf_counter() - start


def skaae_step_flops(X, y_partial, **params) -> float:
    """Mean matrix FLOPs of a training step over one discriminator interval.

    A fit on exactly ``discriminator_interval`` batches: the first step
    trains the discriminators, the others do not.
    """
    model = skaae_model(**params)
    n_steps = model.discriminator_interval
    # Batches of labeled rows only: each step then draws a full labeled
    # batch, as it does on MNIST with 1000 labels.
    rows = np.flatnonzero(y_partial != -1)[: n_steps * BATCH]
    with FlopCounterMode(display=False) as counter, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "y contains no unlabeled rows")
        model.fit(X[rows], y_partial[rows])
    return counter.get_total_flops() / n_steps


def matmul_peak(dtype: torch.dtype, rows: int = 1024, repeats: int = 30) -> float:
    """Best GFLOP/s of a (rows x 1000) @ (1000 x 1000) product."""
    a = torch.randn(rows, 1000).to(dtype)
    b = torch.randn(1000, 1000).to(dtype)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * rows * 1000 * 1000 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument(
        "--rows", type=int, default=None, help="fewer rows: a smoke run"
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=3,
        help="back-to-back pairs of reference and default epochs whose time "
        "ratios are reported with their median (the table's pair included)",
    )
    parser.add_argument("--out", default=str(DOCS / "speed.md"))
    args = parser.parse_args()
    X, y, X_test, _ = split("mnist", "test", args.data_home)
    X, y = X[: args.rows], y[: args.rows]
    y_partial = hide_labels(y, 100 if args.rows is None else 10, random_state=0)
    n_steps = batches_per_epoch(len(X), BATCH)
    dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16}
    peaks = {name: matmul_peak(dtype) for name, dtype in dtypes.items()}

    reference_seconds = reference_epoch(X, y_partial)
    fused_reference_seconds = reference_epoch(X, y_partial, fused_adam=True)
    flops = reference_step_flops(X, y_partial) * n_steps
    loops = [
        ["seed-faithful reference loop (float32)", reference_seconds, flops],
        [
            "the same loop with skaae's fused Adam (float32)",
            fused_reference_seconds,
            flops,
        ],
    ]
    for name, params in [
        ("skaae defaults (fused step, VAT, precision auto)", {}),
        ("skaae defaults, float32", {"precision": "float32"}),
        (
            "skaae defaults without the raster search, so without the shift term "
            "(image_shape None)",
            {"image_shape": None},
        ),
        (
            "skaae defaults without the style-invariance term",
            {"style_invariance_weight": 0.0},
        ),
        (
            "skaae defaults, discriminators trained every step "
            "(discriminator_interval 1)",
            {"discriminator_interval": 1},
        ),
        (
            "skaae paper-faithful (phased; no VAT, balance, style or neighbour term)",
            PAPER_FAITHFUL,
        ),
        (
            "skaae defaults plus interpolation consistency (interpolation_weight 12)",
            {"interpolation_weight": 12.0},
        ),
        (
            "skaae defaults with the corruption and neighbour terms on every row "
            "(corruption_fraction 1, neighbour_fraction 1)",
            {"corruption_fraction": 1.0, "neighbour_fraction": 1.0},
        ),
        (
            "skaae defaults without the neighbour term, corruption on every row "
            "(neighbour_weight 0, corruption_fraction 1)",
            {"neighbour_weight": 0.0, "corruption_fraction": 1.0},
        ),
        (
            "skaae defaults without the corruption and neighbour terms "
            "(corruption_weight 0, neighbour_weight 0)",
            {"corruption_weight": 0.0, "neighbour_weight": 0.0},
        ),
        (
            "skaae defaults with VAT on every row (vat_fraction 1)",
            {"vat_fraction": 1.0},
        ),
        (
            "skaae defaults told the rows are 28 x 28 images (shift term), "
            "plus interpolation_weight 12, without the corruption or neighbour term",
            image_setting("mnist"),
        ),
    ]:
        model, seconds = timed_fit(X, y_partial, **params)
        flops = skaae_step_flops(X, y_partial, **params) * n_steps
        loops.append([name, seconds, flops])
        if not params:
            defaults_seconds = seconds
            predict_times = []
            for _ in range(5):
                start = time.perf_counter()
                model.predict(X_test)
                predict_times.append(time.perf_counter() - start)

    # One pair is at the mercy of whatever else the machine runs meanwhile.
    ratios = [defaults_seconds / reference_seconds]
    for _ in range(args.pairs - 1):
        reference = reference_epoch(X, y_partial)
        ratios.append(timed_fit(X, y_partial)[1] / reference)

    # Measured again after the loops; the better reading is the peak.
    peaks = {name: max(peaks[name], matmul_peak(d)) for name, d in dtypes.items()}
    rows = [
        [
            name,
            f"{seconds:.1f}",
            f"{seconds / reference_seconds:.2f}",
            f"{flops / 1e12:.2f}",
            f"{flops / seconds / 1e9:.0f}",
        ]
        for name, seconds, flops in loops
    ]
    text = header("Speed: one epoch of MNIST, prediction")
    text += (
        f"\nArchitecture 784-{HIDDEN[0]}-{HIDDEN[1]} (decoder mirrored), z = "
        f"{N_COMPONENTS}, discriminators {HIDDEN[0]}-{HIDDEN[1]}, batch {BATCH}; "
        f"{len(X)} rows, {n_steps} steps, {np.sum(y_partial != -1)} labels. "
        "skaae times are whole "
        "`fit(max_iter=1)` calls (standardising the data included). FLOPs are "
        "the matrix products counted by `torch.utils.flop_counter`. The "
        "reference loop uses torch's default Adam, as the tutorial does; "
        "skaae uses the fused one, which the second row gives the reference "
        f'too. `precision="auto"` ran in {resolved_precision()} on this '
        "machine; the reference loop runs in float32.\n\n"
    )
    text += markdown_table(
        ["loop", "epoch s", "vs reference", "TFLOP/epoch", "GFLOP/s"], rows
    )
    text += (
        f"\nEpoch time of skaae's defaults over the reference loop's in "
        f"{len(ratios)} back-to-back pairs (the table's first): "
        f"{' / '.join(f'{r:.3f}' for r in ratios)}; median "
        f"{np.median(ratios):.3f}. Over the reference loop with fused Adam "
        f"(one timing each): {defaults_seconds / fused_reference_seconds:.2f}.\n"
    )
    text += (
        f"\nMeasured matmul peak ({1024}x1000 @ 1000x1000, best of 30): "
        f"float32 {peaks['float32']:.0f} GFLOP/s, bfloat16 {peaks['bfloat16']:.0f} "
        "GFLOP/s.\n\n"
        f"`predict` on the {len(X_test)} MNIST test rows (skaae defaults at this "
        f"architecture): median {np.median(predict_times):.3f} s, best "
        f"{min(predict_times):.3f} s of 5.\n"
    )
    print(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
