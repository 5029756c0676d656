"""What the benchmark scripts share: data splits, the machine, table output."""

import datetime
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skaae._training import UNSUPERVISED_WEIGHTS
from skaae.datasets import load_fashion_mnist, load_mnist

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"
DEFAULT_DATA_HOME = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = ("mnist", "fashion-mnist", "digits")

# The paper's schedule: separate optimiser steps per phase, the adversarial
# phase at full weight from the first step, none of skaae's additions (VAT,
# the balance, style-invariance, shift, corruption and neighbour terms, the
# ramp-up), a constant learning rate, and the tutorial's Adam (torch's
# default beta_1) and batch of 100.
# Each script picks its number of epochs.
PAPER_FAITHFUL = {
    "training": "phased",
    "adversarial_weight": 1.0,
    "rampup": 0.0,
    "vat_weight": 0.0,
    "balance_weight": 0.0,
    "style_invariance_weight": 0.0,
    "shift_weight": 0.0,
    "corruption_weight": 0.0,
    "neighbour_weight": 0.0,
    "discriminator_interval": 1,
    "batch_size": 100,
    "learning_rate": "constant",
    "beta_1": 0.9,
}
# The same network trained on the labeled rows alone: every unsupervised term off.
LABELED_ONLY = dict.fromkeys(UNSUPERVISED_WEIGHTS, 0.0)
# The leads of rounds 17-19 of docs/benchmarks/validation.md, measured before
# the style-invariance, shift, corruption and neighbour terms existed and kept
# as they were measured (all off). Interpolation in place of VAT was the best setting on
# Fashion-MNIST's validation rows; MNIST and digits need VAT. Beside VAT it
# helped MNIST with 10 labels per class on validation rows, but made MNIST
# worse on test rows.
INTERPOLATION_NOT_VAT = {
    "interpolation_weight": 12.0,
    "vat_weight": 0.0,
    "style_invariance_weight": 0.0,
    "shift_weight": 0.0,
    "corruption_weight": 0.0,
    "neighbour_weight": 0.0,
}
INTERPOLATION_BESIDE_VAT = {
    "interpolation_weight": 12.0,
    "style_invariance_weight": 0.0,
    "shift_weight": 0.0,
    "corruption_weight": 0.0,
    "neighbour_weight": 0.0,
}
# Each data set's rows as images, for AAEClassifier's image_shape (the shift
# term, at its default weight). On Fashion-MNIST's validation rows the term
# did better beside interpolation than alone (round 25 of
# docs/benchmarks/validation.md), and without the corruption term than with
# it (round 28); it is measured without that term and without the neighbour
# term, which did not add to it either on validation rows (round 33).
IMAGE_SHAPES = {"mnist": (28, 28), "fashion-mnist": (28, 28), "digits": (8, 8)}


def image_setting(dataset: str) -> dict:
    """The shift term (told the image shape), interpolation 12, no other move."""
    return {
        "image_shape": IMAGE_SHAPES[dataset],
        "interpolation_weight": 12.0,
        "corruption_weight": 0.0,
        "neighbour_weight": 0.0,
    }


# Rows of the training set held out as validation rows by ``split(...,
# "validation")``: MNIST-style sets keep their last 10k, digits a quarter.
_VALIDATION_ROWS = 10_000


def split(dataset: str, purpose: str, data_home: str | Path | None = None):
    """``(X_fit, y_fit, X_eval, y_eval)`` for ``purpose`` "test" or "validation".

    "test" fits on the whole training set and evaluates on the test set;
    "validation" fits on part of the training set and evaluates on the rest,
    so that choices made on it never see a test row.
    """
    if dataset == "digits":
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(
            X.astype(np.float32), y, test_size=0.25, stratify=y, random_state=0
        )
        if purpose == "test":
            return X_train, y_train, X_test, y_test
        X_fit, X_val, y_fit, y_val = train_test_split(
            X_train, y_train, test_size=0.25, stratify=y_train, random_state=0
        )
        return X_fit, y_fit, X_val, y_val
    loader = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}[dataset]
    X_train, y_train, X_test, y_test = loader(data_home=data_home or DEFAULT_DATA_HOME)
    if purpose == "test":
        return X_train, y_train, X_test, y_test
    n_fit = len(X_train) - _VALIDATION_ROWS
    return X_train[:n_fit], y_train[:n_fit], X_train[n_fit:], y_train[n_fit:]


def machine() -> str:
    """One line on where the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [
                line.split(":", 1)[1].strip() for line in f if "model name" in line
            ]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    gpu = ""
    if torch.cuda.is_available():
        gpu = f", GPU {torch.cuda.get_device_name()}"
    return (
        f"{cpu}, {len(os.sched_getaffinity(0))} cores available, "
        f"{torch.get_num_threads()} torch threads{gpu}; Python "
        f"{platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}"
    )


def command_line() -> str:
    """This script's command, quoted as a shell needs it so it can be pasted back."""
    return shlex.join(["python", *sys.argv])


def header(title: str) -> str:
    """Markdown heading with the date, the machine and the command."""
    return (
        f"# {title}\n\n"
        f"- date: {datetime.datetime.now():%Y-%m-%d %H:%M}\n"
        f"- machine: {machine()}\n"
        f"- command: `{command_line()}`\n"
    )


def markdown_table(columns: list[str], rows: list[list]) -> str:
    """A GitHub-style table; floats are printed as given by the caller."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def peak_resident_mib() -> float:
    """This process's peak resident memory so far, in MiB.

    Linux's VmHWM belongs to the process's own address space, which the
    exec of a spawned worker starts anew; ru_maxrss outlives the exec, so a
    worker would report its parent's peak whenever that was higher.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    # Elsewhere ru_maxrss, in KiB on Linux and the BSDs (bytes on macOS).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measured(function, args):
    result = function(*args)
    return result, peak_resident_mib()


def exit_with_parent() -> None:
    """Make this worker process end when the process that started it ends.

    A worker pool's processes outlive a parent killed by a signal and would
    go on fitting, sharing the CPU with the next run and spoiling its
    timings. A daemon thread watches the parent's id and exits with it.
    """
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def run_isolated(function, *args):
    """Run ``function(*args)`` in a fresh process; return (result, peak RSS MiB).

    A new process per call makes the peak resident memory that of this call
    alone, data loading included, and keeps one fit's threads and caches
    from leaking into the next.
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(
        1, mp_context=get_context("spawn"), initializer=exit_with_parent
    ) as pool:
        return pool.submit(_measured, function, args).result()
