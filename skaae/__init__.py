"""skaae: a semi-supervised adversarial autoencoder for scikit-learn."""

from ._classifier import AAEClassifier

__version__ = "0.1.0"

__all__ = ["AAEClassifier", "__version__"]
