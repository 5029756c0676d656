"""Test error of AAEClassifier with its defaults next to its peers.

For every case (dataset, labels per class) and label seed, each method is fit
on the whole training set with all but N labels per class hidden, in a fresh
process, and scored on the test set. Writes ``docs/benchmarks/accuracy.md``
and ``docs/benchmarks/accuracy.png`` (test error against fit time).

    python benchmarks/accuracy.py
    python benchmarks/accuracy.py --cases digits:5 --seeds 0 1 2
    python benchmarks/accuracy.py --update --methods "AAEClassifier (defaults)"

``--update`` reruns only the given cases and methods and keeps every other
row of the existing table; the table's ``run`` column says when each row's
fits ran, and the list above the table gives each run's machine and command.
"""

import argparse
import datetime
import json
import time

import numpy as np
from common import (
    DOCS,
    INTERPOLATION_BESIDE_VAT,
    INTERPOLATION_NOT_VAT,
    LABELED_ONLY,
    PAPER_FAITHFUL,
    command_line,
    header,
    image_setting,
    machine,
    markdown_table,
    run_isolated,
    split,
)
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from skaae import AAEClassifier
from skaae.datasets import hide_labels

# Five epochs: the paper-faithful loop plateaus within the first few (see
# docs/benchmarks/validation.md).
PAPER_FAITHFUL_EPOCHS = 5

# The shift term told the image's shape, with interpolation and without the
# corruption and neighbour terms (round 26 of docs/benchmarks/validation.md).
IMAGE_METHOD = (
    "AAE, image_shape set (shift term), interpolation 12, "
    "no corruption or neighbour term"
)
# Earlier defaults, each kept as it was measured: before image_shape="auto"
# (no shift term unless told), and before that, before corruption_fraction
# and neighbour_fraction existed and before the neighbour term existed.
NO_RASTER_METHOD = "AAE, defaults without the raster search (image_shape None)"
EVERY_ROW_METHOD = "AAE, defaults with the corruption and neighbour terms on every row"
NO_NEIGHBOUR_METHOD = (
    "AAE, defaults without the neighbour term, corruption on every row"
)
NO_CORRUPTION_METHOD = "AAE, defaults without the corruption and neighbour terms"
INTERPOLATION_NOT_VAT_METHOD = (
    "AAE, interpolation in place of VAT, no style, corruption or neighbour term"
)
INTERPOLATION_BESIDE_VAT_METHOD = (
    "AAE, interpolation beside VAT, no style, corruption or neighbour term"
)
# The settings above but the raster search's were measured with VAT on every
# row, the default before round 38 of docs/benchmarks/validation.md; they
# keep it, so that each stays the computation its rows measured.
VAT_ON_EVERY_ROW = {"vat_fraction": 1.0}


def make_method(name: str, seed: int, dataset: str):
    """A fresh, unfitted model for the method called ``name`` on ``dataset``."""
    if name == "AAEClassifier (defaults)":
        return AAEClassifier(random_state=seed)
    if name == IMAGE_METHOD:
        return AAEClassifier(
            random_state=seed, **image_setting(dataset), **VAT_ON_EVERY_ROW
        )
    if name == NO_RASTER_METHOD:
        return AAEClassifier(random_state=seed, image_shape=None)
    if name == EVERY_ROW_METHOD:
        return AAEClassifier(
            random_state=seed,
            image_shape=None,
            corruption_fraction=1.0,
            neighbour_fraction=1.0,
            **VAT_ON_EVERY_ROW,
        )
    if name == NO_NEIGHBOUR_METHOD:
        return AAEClassifier(
            random_state=seed,
            image_shape=None,
            neighbour_weight=0.0,
            corruption_fraction=1.0,
            **VAT_ON_EVERY_ROW,
        )
    if name == NO_CORRUPTION_METHOD:
        return AAEClassifier(
            random_state=seed,
            image_shape=None,
            corruption_weight=0.0,
            neighbour_weight=0.0,
            **VAT_ON_EVERY_ROW,
        )
    if name == "AAE, paper-faithful":
        return AAEClassifier(
            random_state=seed, max_iter=PAPER_FAITHFUL_EPOCHS, **PAPER_FAITHFUL
        )
    if name == INTERPOLATION_NOT_VAT_METHOD:
        return AAEClassifier(random_state=seed, **INTERPOLATION_NOT_VAT)
    if name == INTERPOLATION_BESIDE_VAT_METHOD:
        return AAEClassifier(
            random_state=seed, **INTERPOLATION_BESIDE_VAT, **VAT_ON_EVERY_ROW
        )
    if name == "same network, labeled rows only":
        return AAEClassifier(random_state=seed, **LABELED_ONLY)
    if name == "LabelSpreading (knn, PCA-50)":
        return make_pipeline(PCA(50, random_state=seed), LabelSpreading(kernel="knn"))
    if name == "SelfTraining (logistic, PCA-50)":
        return make_pipeline(
            PCA(50, random_state=seed),
            SelfTrainingClassifier(LogisticRegression(max_iter=1000)),
        )
    raise ValueError(f"unknown method {name!r}")


METHODS = (
    "AAEClassifier (defaults)",
    IMAGE_METHOD,
    NO_RASTER_METHOD,
    EVERY_ROW_METHOD,
    NO_NEIGHBOUR_METHOD,
    NO_CORRUPTION_METHOD,
    "AAE, paper-faithful",
    INTERPOLATION_NOT_VAT_METHOD,
    INTERPOLATION_BESIDE_VAT_METHOD,
    "same network, labeled rows only",
    "LabelSpreading (knn, PCA-50)",
    "SelfTraining (logistic, PCA-50)",
)
CASES = ("mnist:100", "mnist:10", "fashion-mnist:100", "digits:5")
# Methods run on some cases only: the paper-faithful loop is slow and only
# asked for on MNIST with 1000 labels; the interpolation setting was chosen
# on Fashion-MNIST's validation rows.
_ONLY_ON = {
    "AAE, paper-faithful": ("mnist:100",),
    INTERPOLATION_NOT_VAT_METHOD: ("fashion-mnist:100",),
}


def fit_and_score(method: str, case: str, seed: int, data_home) -> dict:
    """Fit one method on one label draw of one case; test error and seconds."""
    dataset, labels_per_class = case.split(":")
    X_train, y_train, X_test, y_test = split(dataset, "test", data_home)
    y_partial = hide_labels(y_train, int(labels_per_class), random_state=seed)
    model = make_method(method, seed, dataset)
    start = time.perf_counter()
    model.fit(X_train, y_partial)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    error = float(np.mean(model.predict(X_test) != y_test))
    return {
        "error": error,
        "fit_s": fit_seconds,
        "predict_s": time.perf_counter() - start,
    }


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cases",
        nargs="+",
        default=list(CASES),
        help="dataset:labels_per_class",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=str(DOCS / "accuracy"))
    parser.add_argument(
        "--update",
        action="store_true",
        help="rerun only --cases x --methods, keep the other rows of OUT.json",
    )
    parser.add_argument(
        "--replot", action="store_true", help="only redraw the plot from OUT.json"
    )
    return parser.parse_args()


def _summary(results: list[dict], cases, methods) -> list[list]:
    rows = []
    for case in cases:
        for method in methods:
            runs = [r for r in results if r["case"] == case and r["method"] == method]
            if not runs:
                continue
            errors = [100 * r["error"] for r in runs]
            rows.append(
                [
                    case.replace(":", ", ") + "/class",
                    method,
                    f"{np.mean(errors):.2f} ± {np.std(errors):.2f}",
                    " / ".join(f"{e:.2f}" for e in errors),
                    f"{np.mean([r['fit_s'] for r in runs]):.1f}",
                    f"{np.mean([r['predict_s'] for r in runs]):.2f}",
                    f"{max(r['peak_mib'] for r in runs):.0f}",
                    " / ".join(sorted({r["run"] for r in runs})),
                ]
            )
    return rows


def _run_of(row: dict) -> tuple[str, str, str]:
    # Two runs may start in the same minute: the stamp alone is no key.
    return row["run"], row["machine"], row["command"]


def _runs(results: list[dict]) -> str:
    """A Markdown list: each run behind the rows, with its machine and command.

    A row may carry a ``note``, written by hand into the JSON file, for what
    the command alone does not tell (a method renamed since, say).
    """
    notes = {_run_of(r): f" ({r['note']})" for r in results if "note" in r}
    lines = []
    for run in sorted(set(map(_run_of, results))):
        stamp, machine, command = run
        lines.append(f"- {stamp}: {machine}; `{command}`{notes.get(run, '')}\n")
    return "".join(lines)


def _order(results: list[dict]) -> tuple[list[str], list[str]]:
    """The cases and methods of ``results``, for the table and the plot.

    Every row of the JSON shows, kept rows included: the known cases and
    methods in their fixed order, then any others (a case given by hand in
    an earlier run, a method since renamed) in the order they appear.
    """
    run_cases = [r["case"] for r in results]
    run_methods = [r["method"] for r in results]
    cases = [c for c in dict.fromkeys((*CASES, *run_cases)) if c in run_cases]
    methods = [m for m in dict.fromkeys((*METHODS, *run_methods)) if m in run_methods]
    return cases, methods


def _plot(results: list[dict], cases, methods, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(cases), figsize=(4.2 * len(cases), 3.8))
    for ax, case in zip(np.atleast_1d(axes), cases, strict=True):
        for index, method in enumerate(methods):
            runs = [r for r in results if r["case"] == case and r["method"] == method]
            if runs:
                ax.scatter(
                    [r["fit_s"] for r in runs],
                    [100 * r["error"] for r in runs],
                    color=f"C{index}",
                    label=method,
                    marker="*" if method.startswith("AAEClassifier") else "o",
                    s=120 if method.startswith("AAEClassifier") else 40,
                )
        ax.set_xscale("log")
        ax.set_xlabel("fit seconds (log)")
        ax.set_ylabel("test error %")
        ax.set_title(case.replace(":", ", ") + " labels/class")
    # Some methods run on some cases only: collect the legend from every panel.
    handles = {}
    for ax in np.atleast_1d(axes):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(
        list(handles.values()),
        list(handles),
        fontsize=8,
        loc="lower center",
        ncol=3,
    )
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(path, dpi=110)


def _kept(path: str, cases, methods) -> list[dict]:
    """The rows of an earlier run that ``--update`` does not rerun."""
    with open(path) as f:
        earlier = json.load(f)
    return [r for r in earlier if r["case"] not in cases or r["method"] not in methods]


def main() -> None:
    args = _parse()
    if args.replot:
        with open(args.out + ".json") as f:
            results = json.load(f)
        _plot(results, args.cases, args.methods, args.out + ".png")
        return
    run = {
        "run": f"{datetime.datetime.now():%Y-%m-%d %H:%M}",
        "machine": machine(),
        "command": command_line(),
    }
    results = _kept(args.out + ".json", args.cases, args.methods) if args.update else []
    for case in args.cases:
        for method in args.methods:
            if case not in _ONLY_ON.get(method, (case,)):
                continue
            for seed in args.seeds:
                result, peak_mib = run_isolated(
                    fit_and_score, method, case, seed, args.data_home
                )
                result |= {"case": case, "method": method, "seed": seed, **run}
                result["peak_mib"] = peak_mib
                print(json.dumps(result), flush=True)
                results.append(result)
    # The fits first, so that nothing below can lose hours of them.
    with open(args.out + ".json", "w") as f:
        json.dump(results, f, indent=1)
    cases, methods = _order(results)
    table = markdown_table(
        [
            "case",
            "method",
            "test error % (mean ± std)",
            "per seed",
            "fit s",
            "predict s",
            "peak RSS MiB",
            "run",
        ],
        _summary(results, cases, methods),
    )
    text = header("Test error: AAEClassifier and its peers")
    text += (
        f"\nLabel seeds {sorted({r['seed'] for r in results})}; every fit runs alone "
        "in a fresh process (peak RSS includes loading the data). Test rows are "
        "never used to choose parameters; see the validation tables. The rows "
        "come from these runs (the `run` column: when a row's fits started):\n\n"
        + _runs(results)
        + "\n"
        + table
    )
    print(text)
    with open(args.out + ".md", "w") as f:
        f.write(text)
    _plot(results, cases, methods, args.out + ".png")


if __name__ == "__main__":
    main()
