"""GridSearchCV of AAEClassifier with n_jobs=1 and n_jobs=2, in one run.

A Pipeline (StandardScaler, AAEClassifier) is searched over four settings
with 2-fold cross-validation on digits with 10 labels per class: eight fits.
With joblib's process workers each worker gets ``cores // n_jobs`` torch
threads through ``OMP_NUM_THREADS``, so two jobs on two cores should take
about as long as one job using both. The threads each fit saw are reported
too. Writes ``docs/benchmarks/parallel.md``.

    python benchmarks/parallel.py
"""

import argparse
import time

import numpy as np
import torch
from common import DOCS, header, markdown_table
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skaae import AAEClassifier
from skaae.datasets import hide_labels


class ThreadReportingAAE(AAEClassifier):
    """AAEClassifier that records the torch threads its fit ran with."""

    def fit(self, X, y):
        super().fit(X, y)
        self.torch_threads_ = torch.get_num_threads()
        return self


def _threads(pipeline, X, y) -> int:
    return pipeline[-1].torch_threads_


def _accuracy(pipeline, X, y) -> float:
    return pipeline.score(X, y)


def search(n_jobs: int, X, y) -> tuple[float, dict, set[int]]:
    """Seconds, best parameters and torch threads per fit of one search."""
    grid = GridSearchCV(
        Pipeline(
            [
                ("scale", StandardScaler()),
                (
                    "aae",
                    ThreadReportingAAE(
                        hidden_layer_sizes=(256, 256), max_iter=30, random_state=0
                    ),
                ),
            ]
        ),
        {
            "aae__n_components": [5, 10],
            "aae__vat_weight": [2.0, 4.0],
        },
        scoring={"accuracy": _accuracy, "threads": _threads},
        refit="accuracy",
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    grid.fit(X, y)
    seconds = time.perf_counter() - start
    threads = {int(t) for t in grid.cv_results_["mean_test_threads"]}
    return seconds, grid.best_params_, threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(DOCS / "parallel.md"))
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    y = hide_labels(y, 10, random_state=0)
    rows = []
    for n_jobs in (1, 2, 1, 2):  # twice each, interleaved: the machine drifts
        seconds, params, threads = search(n_jobs, X, y)
        print(n_jobs, f"{seconds:.1f} s", params, threads, flush=True)
        rows.append([n_jobs, f"{seconds:.1f}", sorted(threads), params])
    ratio = np.mean([float(r[1]) for r in rows if r[0] == 2]) / np.mean(
        [float(r[1]) for r in rows if r[0] == 1]
    )
    text = header("GridSearchCV with n_jobs=1 and n_jobs=2")
    text += (
        "\nPipeline(StandardScaler, AAEClassifier(hidden_layer_sizes=(256, 256), "
        "max_iter=30, random_state=0)), 4 settings x 2 folds on digits with 10 "
        "labels per class. Runs interleaved in one process.\n\n"
    )
    text += markdown_table(
        ["n_jobs", "seconds", "torch threads per fit", "best parameters"], rows
    )
    text += f"\nMean time with n_jobs=2 over n_jobs=1: **{ratio:.2f}**.\n"
    print(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
