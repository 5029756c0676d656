"""Memory of predict, predict_proba and transform on a million rows.

Fits AAEClassifier (default architecture) for one epoch on 10k MNIST
training rows, builds a float32 X of N rows by tiling the MNIST training
set, and measures, in a fresh process per method, the resident memory above
what X and the model already take (a thread samples /proc/self/statm every
few milliseconds while the method runs). Writes ``docs/benchmarks/memory.md``.

    python benchmarks/memory.py --rows 1000000
"""

import argparse
import os
import threading
import time

import numpy as np
from common import DOCS, header, markdown_table, run_isolated, split

from skaae import AAEClassifier
from skaae.datasets import hide_labels

METHODS = ("predict", "predict_proba", "transform")
_PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20


def resident_mib() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE_MIB


class PeakSampler:
    """Highest resident memory seen while the ``with`` block runs."""

    def __init__(self, every: float = 0.002) -> None:
        self.every, self.peak = every, resident_mib()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, resident_mib())
            time.sleep(self.every)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, resident_mib())


def tiled(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """``n_rows`` rows cycling through ``rows``, as float32, built in place."""
    X = np.empty((n_rows, rows.shape[1]), dtype=np.float32)
    for start in range(0, n_rows, len(rows)):
        block = X[start : start + len(rows)]
        block[...] = rows[: len(block)]
    return X


def measure(method: str, n_rows: int, data_home: str | None) -> dict:
    X_fit, y_fit, _, _ = split("mnist", "validation", data_home)
    model = AAEClassifier(max_iter=1, random_state=0).fit(
        X_fit[:10_000], hide_labels(y_fit[:10_000], 100, random_state=0)
    )
    X = tiled(X_fit, n_rows)
    before = resident_mib()
    start = time.perf_counter()
    with PeakSampler() as sampler:
        out = getattr(model, method)(X)
    return {
        "method": method,
        "data MiB": X.nbytes / 2**20,
        "resident before MiB": before,
        "peak above before MiB": sampler.peak - before,
        "output MiB": out.nbytes / 2**20,
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=str(DOCS / "memory.md"))
    args = parser.parse_args()
    rows = []
    for method in METHODS:
        result, _ = run_isolated(measure, method, args.rows, args.data_home)
        print(result, flush=True)
        rows.append(
            [
                f"`{method}`",
                f"{result['data MiB']:.0f}",
                f"{result['resident before MiB']:.0f}",
                f"**{result['peak above before MiB']:.0f}**",
                f"{result['output MiB']:.0f}",
                f"{result['seconds']:.1f}",
            ]
        )
    text = header(f"Memory of inference on {args.rows:,} rows")
    text += (
        f"\nX: {args.rows:,} x 784 float32 (MNIST training rows, tiled); model: "
        "default architecture, one epoch on 10k rows. One fresh process per "
        "method; resident memory sampled every 2 ms.\n\n"
    )
    text += markdown_table(
        [
            "method",
            "X MiB",
            "resident before the call MiB",
            "peak above that MiB",
            "output MiB",
            "seconds",
        ],
        rows,
    )
    print(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
