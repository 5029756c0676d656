"""Fit, predict and pickle round trip of AAEClassifier on one torch device.

python benchmarks/device_check.py --device cuda
"""

import argparse
import pickle
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skaae import AAEClassifier
from skaae.datasets import hide_labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    y_partial = hide_labels(y_train, 10, random_state=0)
    model = AAEClassifier(device=args.device, random_state=0)
    start = time.perf_counter()
    model.fit(X_train, y_partial)
    fit_seconds = time.perf_counter() - start
    proba = model.predict_proba(X_test)
    accuracy = np.mean(model.classes_[proba.argmax(axis=1)] == y_test)
    restored = pickle.loads(pickle.dumps(model))
    same = np.array_equal(restored.predict_proba(X_test), proba)
    weights_device = next(restored.encoder_.parameters()).device
    print(
        f"device={args.device}: fit {fit_seconds:.1f} s ({model.n_iter_} epochs), "
        f"test accuracy {accuracy:.3f}, pickle round trip identical "
        f"predict_proba: {same}, restored weights on {weights_device}, "
        f"transform {restored.transform(X_test).shape}"
    )
    if not same:
        raise SystemExit("pickle round trip changed predict_proba")


if __name__ == "__main__":
    main()
