"""Choose AAEClassifier's defaults on validation rows, never on test rows.

Fits the candidate settings below on the training set minus its validation
rows (see ``common.split``) with N labels per class and reports validation
error, mean ± std over label seeds (and fit seeds, if given). Fits run in
parallel worker processes.

    python benchmarks/validation.py --dataset mnist --labels-per-class 100
"""

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from multiprocessing import get_context

import numpy as np
import torch
from common import (
    DOCS,
    INTERPOLATION_BESIDE_VAT,
    INTERPOLATION_NOT_VAT,
    LABELED_ONLY,
    PAPER_FAITHFUL,
    exit_with_parent,
    header,
    markdown_table,
    split,
)

from skaae import AAEClassifier
from skaae.datasets import hide_labels

# Each candidate changes a few parameters of AAEClassifier's defaults.
CANDIDATES = {
    "defaults": {},
    "epochs 10": {"max_iter": 10},
    "epochs 30": {"max_iter": 30},
    "vat_epsilon 0.15": {"vat_epsilon": 0.15},
    "vat_epsilon 0.25": {"vat_epsilon": 0.25},
    "vat_epsilon 0.35": {"vat_epsilon": 0.35},
    "vat_epsilon 0.75": {"vat_epsilon": 0.75},
    "vat_fraction 0.5": {"vat_fraction": 0.5},
    "vat_fraction 1": {"vat_fraction": 1.0},
    "vat_weight 2": {"vat_weight": 2.0},
    "vat_weight 8": {"vat_weight": 8.0},
    "vat_weight 16": {"vat_weight": 16.0},
    "vat_weight 32": {"vat_weight": 32.0},
    "balance_weight 20": {"balance_weight": 20.0},
    "supervised_weight 5": {"supervised_weight": 5.0},
    "reconstruction_weight 0.1": {"reconstruction_weight": 0.1},
    "no adversarial term": {"adversarial_weight": 0.0},
    "no VAT": {"vat_weight": 0.0},
    "interpolation 12": INTERPOLATION_BESIDE_VAT,
    "interpolation 12 in place of VAT": INTERPOLATION_NOT_VAT,
    "no reconstruction": {"reconstruction_weight": 0.0, "style_invariance_weight": 0.0},
    "no style invariance": {"style_invariance_weight": 0.0},
    "style_invariance_scale 0.5": {"style_invariance_scale": 0.5},
    "style_invariance_scale 2": {"style_invariance_scale": 2.0},
    "style_invariance_weight 8": {"style_invariance_weight": 8.0},
    "no neighbour term": {"neighbour_weight": 0.0},
    "no corruption": {"corruption_weight": 0.0},
    "discriminator_interval 1": {"discriminator_interval": 1},
    "discriminator_interval 4": {"discriminator_interval": 4},
    "learning_rate_init 2e-3": {"learning_rate_init": 2e-3},
    "batch 512, lr 2e-3": {"batch_size": 512, "learning_rate_init": 2e-3},
    "batch 128": {"batch_size": 128},
    "batch 64": {"batch_size": 64},
    "epochs 200": {"max_iter": 200},
    "float32": {"precision": "float32"},
    "paper-faithful": {**PAPER_FAITHFUL, "max_iter": 10},
    "supervised only": LABELED_ONLY,
}


@cache
def _data(dataset: str, data_home: str | None):
    return split(dataset, "validation", data_home)


def _init_worker(n_threads: int) -> None:
    exit_with_parent()
    torch.set_num_threads(n_threads)


def evaluate(job: dict) -> dict:
    """Fit one candidate on one label draw; return its validation error."""
    X_fit, y_fit, X_val, y_val = _data(job["dataset"], job["data_home"])
    y_partial = hide_labels(y_fit, job["labels_per_class"], job["seed"])
    fit_seed = job["seed"] if job["fit_seed"] is None else job["fit_seed"]
    params = {"random_state": fit_seed, "device": job["device"], **job["base"]}
    model = AAEClassifier(**{**params, **CANDIDATES[job["candidate"]]})
    start = time.perf_counter()
    model.fit(X_fit, y_partial)
    seconds = time.perf_counter() - start
    error = float(np.mean(model.predict(X_val) != y_val))
    return {**job, "error": error, "seconds": seconds}


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--labels-per-class", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument(
        "--fit-seeds",
        type=int,
        nargs="+",
        default=None,
        help="random_state of the fits, each with every label seed; several "
        "measure fit-to-fit noise (default: the label seed)",
    )
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES))
    parser.add_argument(
        "--base", type=json.loads, default={}, help="JSON parameters for all"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--threads", type=int, default=2, help="torch threads each")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None, help="markdown file to write")
    return parser.parse_args()


def main() -> None:
    args = _parse()
    jobs = [
        {
            "dataset": args.dataset,
            "labels_per_class": args.labels_per_class,
            "seed": seed,
            "fit_seed": fit_seed,
            "candidate": name,
            "base": args.base,
            "device": args.device,
            "data_home": args.data_home,
        }
        for name in args.candidates
        for seed in args.seeds
        for fit_seed in args.fit_seeds or [None]
    ]
    with ProcessPoolExecutor(
        args.jobs,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(args.threads,),
    ) as pool:
        results = []
        for result in pool.map(evaluate, jobs):
            print(json.dumps(result), flush=True)
            results.append(result)
    rows = []
    for name in args.candidates:
        errors = [100 * r["error"] for r in results if r["candidate"] == name]
        seconds = [r["seconds"] for r in results if r["candidate"] == name]
        rows.append(
            [
                name,
                json.dumps(CANDIDATES[name]),
                f"{np.mean(errors):.2f} ± {np.std(errors):.2f}",
                " / ".join(f"{e:.2f}" for e in errors),
                f"{np.mean(seconds):.0f}",
            ]
        )
    text = header(
        f"Validation error, {args.dataset}, {args.labels_per_class} labels per class"
    )
    text += (
        f"\nBase parameters for every candidate: `{json.dumps(args.base)}`; "
        f"label seeds {args.seeds}; fit seeds "
        f"{args.fit_seeds or 'equal to the label seed'}; "
        f"{args.jobs} fits at a time on {args.device}, "
        f"{args.threads} torch threads each (the machine line counts this "
        "process's threads).\n\n"
    )
    text += markdown_table(
        ["candidate", "changes", "val error % (mean ± std)", "per fit", "fit s"],
        rows,
    )
    print(text)
    out = args.out or DOCS / (f"validation-{args.dataset}-{args.labels_per_class}.md")
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
