"""Behaviour of AAEClassifier as a scikit-learn estimator."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from skaae import AAEClassifier
from skaae._layout import _SPARSE_CHUNK
from skaae._training import UNSUPERVISED_WEIGHTS

from .conftest import small_aae


def test_is_a_classifier_and_a_transformer():
    clf = AAEClassifier()
    tags = get_tags(clf)
    assert is_classifier(clf)
    assert tags.transformer_tags is not None
    assert tags.input_tags.sparse


def test_fit_predict_proba_transform(digits_partial):
    X, y = digits_partial
    clf = small_aae().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    z = clf.transform(X)
    assert z.shape == (len(X), 2)
    assert z.dtype == np.float64
    assert clf.transform(X.astype(np.float32)).dtype == np.float32


def test_fitted_attributes(digits_partial):
    X, y = digits_partial
    clf = small_aae(max_iter=4).fit(X, y)
    assert clf.n_features_in_ == X.shape[1]
    assert clf.n_iter_ == 4
    expected = {
        "reconstruction",
        "discriminator_cat",
        "discriminator_style",
        "generator",
        "supervised",
        "vat",
        "balance",
        "style_invariance",
        "corruption",
        "labeled_accuracy",
    }
    assert set(clf.history_) == expected
    assert all(len(v) == 4 and np.all(np.isfinite(v)) for v in clf.history_.values())
    for name in ["encoder_", "decoder_", "discriminator_cat_", "discriminator_style_"]:
        assert isinstance(getattr(clf, name), torch.nn.Module)
    assert not hasattr(clf, "feature_names_in_")


def test_disabled_phases_leave_history(digits_partial):
    X, y = digits_partial
    clf = small_aae(**dict.fromkeys(UNSUPERVISED_WEIGHTS, 0.0))
    clf.fit(X, y)
    assert set(clf.history_) == {"supervised", "labeled_accuracy"}


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 7, 42]),
        np.array([-5, 0, 9]),
        np.array(["cat", "dog", "owl"], dtype=object),
    ],
)
def test_label_types(digits, labels):
    X, y = digits
    X, y = X[:300], y[:300] % 3
    y_partial = labels[y].astype(object if labels.dtype == object else labels.dtype)
    y_partial[::2] = -1
    clf = small_aae().fit(X, y_partial)
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert set(clf.predict(X)) <= set(labels)


def test_string_dtype_labels_explain_object_arrays(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="object array"):
        small_aae().fit(X[:20], np.array(["a", "b"] * 10))


def test_dataframe_feature_names_and_pandas_output(digits_partial):
    X, y = digits_partial
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    clf = small_aae().fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    np.testing.assert_array_equal(
        clf.get_feature_names_out(), ["aaeclassifier0", "aaeclassifier1"]
    )
    out = clf.set_output(transform="pandas").transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["aaeclassifier0", "aaeclassifier1"]


def test_feature_names_out_need_a_fit_and_follow_the_fitted_width(digits_partial):
    X, y = digits_partial
    with pytest.raises(NotFittedError):
        small_aae().get_feature_names_out()
    clf = small_aae(n_components=2).fit(X, y).set_params(n_components=4)
    assert len(clf.get_feature_names_out()) == 2
    out = clf.set_output(transform="pandas").transform(X[:3])
    assert list(out.columns) == ["aaeclassifier0", "aaeclassifier1"]


def test_sparse_input_is_densified_a_few_rows_at_a_time(digits_partial, monkeypatch):
    X, y = digits_partial
    dense_pred = small_aae().fit(X, y).predict(X)

    densified = []
    original = sp.csr_matrix.toarray

    def recording_toarray(self, *args, **kwargs):
        densified.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", recording_toarray)
    clf = small_aae().fit(sp.csr_matrix(X), y)
    # Batches for training, blocks of rows for the layout's correlations.
    assert densified and max(densified) <= max(clf.batch_size, _SPARSE_CHUNK)
    assert max(densified) < len(X)
    np.testing.assert_array_equal(clf.predict(sp.csr_matrix(X)), dense_pred)


def test_score_ignores_unlabeled_rows(digits_partial):
    X, y = digits_partial
    clf = small_aae().fit(X, y)
    labeled = y != -1
    expected = np.mean(clf.predict(X[labeled]) == y[labeled])
    assert clf.score(X, y) == pytest.approx(expected)
    with pytest.raises(ValueError, match="no labeled rows"):
        clf.score(X, np.full(len(X), -1))


def test_score_takes_true_labels_in_a_string_dtype(digits, digits_partial):
    # fit needs an object array to hold -1; true labels for score need not.
    X, y = digits_partial
    names = np.array([f"digit {k}" for k in range(10)], dtype=object)
    y_named = np.where(y == -1, -1, names[y]).astype(object)
    clf = small_aae().fit(X, y_named)
    y_true = names[digits[1][: len(X)]].astype(str)
    expected = np.mean(clf.predict(X) == y_true)
    assert clf.score(X, y_true) == pytest.approx(expected)
    assert clf.score(X, y_true.tolist()) == pytest.approx(expected)


# Digits as DIA has hundreds of diagonals, which scipy warns is inefficient.
@pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")
@pytest.mark.parametrize("fmt", ["coo", "csc", "dia", "bsr", "lil"])
def test_score_takes_every_sparse_format(digits_partial, fmt):
    X, y = digits_partial
    clf = small_aae().fit(X, y)
    sparse = sp.csr_matrix(X).asformat(fmt)
    assert clf.score(sparse, y) == pytest.approx(clf.score(X, y))


def test_score_warns_once_about_missing_feature_names(digits_partial):
    X, y = digits_partial
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    clf = small_aae().fit(df, y)
    with pytest.warns(UserWarning, match="valid feature names") as record:
        clf.score(X, y)
    assert len([w for w in record if "feature names" in str(w.message)]) == 1


def test_same_seed_same_model_other_seed_other_model(digits_partial):
    X, y = digits_partial
    a = small_aae(random_state=1).fit(X, y)
    b = small_aae(random_state=1).fit(X, y)
    c = small_aae(random_state=2).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history_ == b.history_
    assert not np.array_equal(a.transform(X), c.transform(X))


@pytest.mark.parametrize("random_state", [None, 0, np.random.RandomState(0)])
def test_global_random_and_thread_state_untouched(digits_partial, random_state):
    X, y = digits_partial
    np_state = np.random.get_state()
    torch_state = torch.get_rng_state()
    threads = torch.get_num_threads()
    small_aae(random_state=random_state, max_iter=1).fit(X, y)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(np_state, after, strict=True))
    assert torch.equal(torch_state, torch.get_rng_state())
    assert torch.get_num_threads() == threads


def test_pickle_deepcopy_and_clone(digits_partial):
    X, y = digits_partial
    clf = small_aae().fit(X, y)
    expected = clf.predict_proba(X)
    for restored in [pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)]:
        np.testing.assert_array_equal(restored.predict_proba(X), expected)
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params()
    assert not hasattr(fresh, "encoder_")


def test_pipeline_cross_val_and_grid_search(digits_partial):
    X, y = digits_partial
    pipe = make_pipeline(StandardScaler(), small_aae(max_iter=2))
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(3))
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(
        pipe, {"aaeclassifier__n_components": [2, 3]}, cv=StratifiedKFold(2)
    ).fit(X, y)
    assert search.best_params_["aaeclassifier__n_components"] in (2, 3)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_fit_transform_equals_fit_then_transform(digits_partial):
    X, y = digits_partial
    np.testing.assert_array_equal(
        small_aae().fit_transform(X, y), small_aae().fit(X, y).transform(X)
    )


def test_warns_when_nothing_is_unlabeled(digits):
    X, y = digits
    with pytest.warns(UserWarning, match="no unlabeled rows"):
        small_aae(max_iter=1).fit(X[:100], y[:100])


def test_verbose_prints_one_line_per_epoch(digits_partial, capsys):
    X, y = digits_partial
    small_aae(max_iter=2, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2"]
    assert all("reconstruction=" in line and "supervised=" in line for line in lines)
    small_aae(max_iter=2).fit(X, y)
    assert capsys.readouterr().out == ""


def test_verbose_lines_carry_the_validation_score(digits_partial, capsys):
    X, y = digits_partial
    clf = small_aae(max_iter=2, verbose=1, early_stopping=True, validation_fraction=0.4)
    clf.fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    for line, score in zip(lines, clf.validation_scores_, strict=True):
        assert "labeled_accuracy=" in line
        assert f"validation_score={score:.4f}" in line
        assert line.endswith(" s")


def test_phased_training_runs_every_phase(digits_partial):
    X, y = digits_partial
    clf = small_aae(training="phased", vat_weight=0).fit(X, y)
    assert set(clf.history_) == {
        "reconstruction",
        "discriminator_cat",
        "discriminator_style",
        "generator",
        "supervised",
        "balance",
        "style_invariance",
        "corruption",
        "labeled_accuracy",
    }
