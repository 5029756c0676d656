import pytest
from sklearn.datasets import load_digits

import skaae._classifier
import skaae._training
from skaae import AAEClassifier
from skaae.datasets import hide_labels


def small_aae(**params) -> AAEClassifier:
    """A network small and short enough for unit tests."""
    defaults = dict(
        hidden_layer_sizes=(32,),
        n_components=2,
        discriminator_layer_sizes=(16,),
        batch_size=32,
        max_iter=3,
        random_state=0,
    )
    return AAEClassifier(**{**defaults, **params})


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y


@pytest.fixture(scope="session")
def digits_partial(digits):
    """A 600-row slice of digits with 5 labels per class."""
    X, y = digits
    return X[:600], hide_labels(y[:600], 5, random_state=0)


@pytest.fixture
def moved_row_counts(monkeypatch):
    """Per consistency pass, the number of rows each term moved, by term."""
    seen = []
    original = skaae._training.consistency_losses

    def consistency_losses(encoder, moved):
        seen.append({name: len(rows) for name, (rows, _) in moved.items()})
        return original(encoder, moved)

    monkeypatch.setattr(skaae._training, "consistency_losses", consistency_losses)
    return seen


@pytest.fixture
def no_torch_work(monkeypatch):
    """Fail the test if fit gets as far as building networks."""

    def refuse(*args, **kwargs):
        raise AssertionError("torch work started before the input was validated")

    monkeypatch.setattr(skaae._classifier, "build_networks", refuse)
