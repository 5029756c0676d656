"""skaae: a semi-supervised adversarial autoencoder for scikit-learn."""

from ._classifier import AAEClassifier

__version__ = "0.1.0"

# The types a skops file of a fitted AAEClassifier holds beyond skops' own
# defaults: pass them as ``skops.io.load(path, trusted=SKOPS_TRUSTED_TYPES)``.
# torch.device: the ``device`` parameter may be one.
SKOPS_TRUSTED_TYPES = ["skaae._classifier.AAEClassifier", "torch.device"]

__all__ = ["SKOPS_TRUSTED_TYPES", "AAEClassifier", "__version__"]
