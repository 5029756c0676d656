"""``python -m skaae``: a one-minute demo on scikit-learn's digits.

Trains AAEClassifier with its defaults on digits with a few labels per class
and compares it, on held-out rows, with the same network trained with the
supervised loss alone and with scikit-learn's LabelSpreading.
"""

import argparse
import time
from collections.abc import Sequence

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.semi_supervised import LabelSpreading

from ._classifier import UNLABELED, AAEClassifier
from ._training import UNSUPERVISED_WEIGHTS
from .datasets import hide_labels


def _whole_number(text: str, least: int, most: int | None = None) -> int:
    """``text`` as an int in ``[least, most]``, or argparse's usage error."""
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least or (most is not None and value > most):
        bound = f"at least {least}" if most is None else f"from {least} to {most}"
        raise argparse.ArgumentTypeError(
            f"expected a whole number {bound}, got {text!r}"
        )
    return value


def _count(text: str) -> int:
    return _whole_number(text, least=1)


def _seed(text: str) -> int:
    # NumPy's legacy seeds, which train_test_split takes, stop at 2**32 - 1.
    return _whole_number(text, least=0, most=2**32 - 1)


def _max_iter(text: str) -> int | str:
    return text if text == "auto" else _count(text)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m skaae", description=__doc__)
    parser.add_argument("--labels-per-class", type=_count, default=5)
    parser.add_argument(
        "--max-iter",
        type=_max_iter,
        default="auto",
        help="epochs, or 'auto' (the estimator's default)",
    )
    parser.add_argument("--seed", type=_seed, default=0)
    parser.add_argument("--verbose", action="store_true", help="one line per epoch")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[tuple[str, float, float]]:
    """Run the demo, print its table and return its rows.

    Returns
    -------
    rows : list of (name, test accuracy, fit seconds)
    """
    args = _parse(argv)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.seed
    )
    y_partial = hide_labels(y_train, args.labels_per_class, args.seed)
    aae = AAEClassifier(
        max_iter=args.max_iter, random_state=args.seed, verbose=int(args.verbose)
    )
    supervised = clone(aae).set_params(**dict.fromkeys(UNSUPERVISED_WEIGHTS, 0.0))
    models = [
        ("AAEClassifier (defaults)", aae),
        ("same network, supervised loss only", supervised),
        ("LabelSpreading (knn)", LabelSpreading(kernel="knn")),
    ]
    n_labeled = int(np.sum(y_partial != UNLABELED))
    print(
        f"digits: {n_labeled} labeled + {len(y_partial) - n_labeled} unlabeled "
        f"training rows, {len(y_test)} test rows"
    )
    rows = []
    for name, model in models:
        start = time.perf_counter()
        model.fit(X_train, y_partial)
        seconds = time.perf_counter() - start
        rows.append((name, float(np.mean(model.predict(X_test) == y_test)), seconds))
    print(f"{'model':<36} {'accuracy':>8} {'fit s':>7}")
    for name, accuracy, seconds in rows:
        print(f"{name:<36} {accuracy:>8.3f} {seconds:>7.1f}")
    return rows


if __name__ == "__main__":
    main()
