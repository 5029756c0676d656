"""Training must learn: the unlabeled rows have to help."""

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from skaae._training import UNSUPERVISED_WEIGHTS
from skaae.datasets import hide_labels

from .conftest import small_aae


def test_unlabeled_rows_beat_the_same_network_on_labels_alone(digits):
    """Digits, 10 labels per class: the AAE beats its supervised-only twin.

    The twin has the same encoder, optimiser, steps and labeled batches; only
    the reconstruction, adversarial and VAT terms are switched off. If any of
    those phases were broken the two would tie or the AAE would lose.
    """
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    y_partial = hide_labels(y_train, n_per_class=10, random_state=0)
    aae = small_aae(
        hidden_layer_sizes=(128, 128),
        n_components=10,
        discriminator_layer_sizes=(64,),
        batch_size=64,
        max_iter=20,
    )
    supervised = clone(aae).set_params(**dict.fromkeys(UNSUPERVISED_WEIGHTS, 0.0))
    aae_accuracy = np.mean(aae.fit(X_train, y_partial).predict(X_test) == y_test)
    sup_accuracy = np.mean(supervised.fit(X_train, y_partial).predict(X_test) == y_test)
    assert aae_accuracy > sup_accuracy + 0.02, (aae_accuracy, sup_accuracy)
    assert aae_accuracy > 0.9
