"""skaae.plotting draws what the model holds and returns the matplotlib objects."""

import sys

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skaae import AAEClassifier, plotting
from skaae.datasets import hide_labels

from .conftest import small_aae

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted(digits_partial):
    return small_aae().fit(*digits_partial)


def test_latent_scatter_shows_z_coloured_by_class(fitted, digits_partial):
    X, y = digits_partial
    ax = plotting.plot_latent(fitted, X, y)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["unlabeled", *map(str, range(10))]
    # n_components=2: the points are z itself, class by class.
    Z = fitted.transform(X)
    for collection, label in zip(ax.collections, [-1, *range(10)], strict=True):
        np.testing.assert_allclose(collection.get_offsets(), Z[y == label])


def test_latent_scatter_takes_named_classes_beside_minus_one(digits_partial):
    X, y = digits_partial
    names = np.char.add("digit ", y.astype(str)).astype(object)
    names[y == -1] = -1
    ax = plotting.plot_latent(small_aae(max_iter=1).fit(X, names), X, names)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["unlabeled", *(f"digit {k}" for k in range(10))]


def test_latent_scatter_colours_by_prediction_and_projects_wide_codes(digits_partial):
    X, y = digits_partial
    clf = small_aae(n_components=3).fit(X, y)
    ax = plotting.plot_latent(clf, X)
    assert ax.get_legend().get_title().get_text() == "predicted class"
    assert ax.get_xlabel() == "PC of z 1"
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(X)


def test_generated_grid_has_classes_in_columns_and_styles_in_rows(fitted):
    Z = np.array([[0.0, 0.0], [1.0, -1.0], [-2.0, 0.5]])
    fig = plotting.plot_generated(fitted, Z=Z)
    axes = np.array(fig.axes).reshape(3, 10)
    assert [ax.get_title() for ax in axes[0]] == [str(c) for c in range(10)]
    assert [row[0].get_ylabel() for row in axes] == ["style 1", "style 2", "style 3"]
    # Row 2, class 7: style Z[1] decoded as a 7, drawn as an 8 x 8 image.
    image = axes[1, 7].get_images()[0].get_array()
    expected = fitted.decode(Z[1:2], 7).reshape(8, 8)
    # float32 products differ in the last bits with the batch's size.
    np.testing.assert_allclose(image, expected, rtol=1e-5, atol=1e-5)


def test_generated_grid_draws_prior_styles_reproducibly(fitted):
    first = plotting.plot_generated(fitted, n_styles=2, random_state=0)
    again = plotting.plot_generated(fitted, n_styles=2, random_state=0)
    assert len(first.axes) == 20
    np.testing.assert_array_equal(
        first.axes[13].get_images()[0].get_array(),
        again.axes[13].get_images()[0].get_array(),
    )


def test_generated_grid_of_a_pipeline_is_in_x_units(digits_partial):
    X, y = digits_partial
    pipe = make_pipeline(StandardScaler(), small_aae()).fit(X, y)
    fig = plotting.plot_generated(pipe, Z=np.zeros((1, 2)))
    image = fig.axes[3].get_images()[0].get_array()
    expected = pipe[:-1].inverse_transform(pipe[-1].decode(np.zeros((1, 2)), 3))
    np.testing.assert_allclose(image, expected.reshape(8, 8), rtol=1e-5, atol=1e-5)


def test_generated_grid_of_a_pipeline_that_narrows_x_has_x_shape(digits_partial):
    X, y = digits_partial
    pipe = make_pipeline(PCA(16), small_aae(max_iter=1)).fit(X, y)
    fig = plotting.plot_generated(pipe, n_styles=1)
    assert fig.axes[0].get_images()[0].get_array().shape == (8, 8)
    with pytest.raises(ValueError, match="holds 16 pixels, but the model has 64"):
        plotting.plot_generated(pipe, image_shape=(4, 4))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_shape": (4, 4)}, "holds 16 pixels"),
        ({"n_styles": 0}, "positive int"),
        ({"Z": np.zeros((2, 3))}, "n_components=2"),
    ],
)
def test_generated_grid_refuses_bad_arguments(fitted, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_generated(fitted, **kwargs)


def test_generated_grid_needs_a_shape_for_non_square_images():
    X = np.random.default_rng(0).normal(size=(60, 10))
    y = hide_labels(np.tile([0, 1, 2], 20), 5, random_state=0)
    clf = small_aae().fit(X, y)
    with pytest.raises(ValueError, match="pass image_shape"):
        plotting.plot_generated(clf)
    fig = plotting.plot_generated(clf, image_shape=(2, 5), n_styles=1)
    assert fig.axes[0].get_images()[0].get_array().shape == (2, 5)


@pytest.mark.parametrize(
    "params", [{}, {"image_shape": (8, 8), "interpolation_weight": 1.0}]
)
def test_history_has_a_panel_per_phase(digits_partial, params):
    X, y = digits_partial
    clf = small_aae(max_iter=4, early_stopping=True, validation_fraction=0.4)
    clf.set_params(**params).fit(X, y)
    fig = plotting.plot_history(clf)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["reconstruction", "regularisation", "semi-supervised", "accuracy"]
    lines = {line.get_label(): line.get_ydata() for ax in fig.axes for line in ax.lines}
    assert set(lines) == {*clf.history_, "validation_score"}
    np.testing.assert_allclose(lines["vat"], clf.history_["vat"])
    np.testing.assert_allclose(lines["validation_score"], clf.validation_scores_)


def test_history_leaves_out_phases_that_did_not_run(digits_partial):
    X, y = digits_partial
    clf = small_aae(
        reconstruction_weight=0, vat_weight=0, style_invariance_weight=0
    ).fit(X, y)
    fig = plotting.plot_history(clf)
    assert [ax.get_title() for ax in fig.axes] == [
        "regularisation",
        "semi-supervised",
        "accuracy",
    ]


@pytest.mark.parametrize(
    "function, args",
    [
        (plotting.plot_latent, (np.zeros((3, 64)),)),
        (plotting.plot_generated, ()),
        (plotting.plot_history, ()),
    ],
)
def test_plots_need_a_fitted_aae(function, args):
    with pytest.raises(NotFittedError):
        function(AAEClassifier(), *args)
    with pytest.raises(TypeError, match="Pipeline ending with one"):
        function(LogisticRegression(), *args)


def test_missing_matplotlib_is_a_clear_error(fitted, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skaae\[plotting\]"):
        plotting.plot_history(fitted)


def test_generated_grid_takes_the_models_image_shape(digits_partial):
    # 64 pixels read as 4 x 16: not the square a shape-less call would take.
    clf = small_aae(image_shape=(4, 16), max_iter=1).fit(*digits_partial)
    assert clf.image_shape_ == (1, 4, 16)
    fig = plotting.plot_generated(clf, n_styles=1)
    assert fig.axes[0].get_images()[0].get_array().shape == (4, 16)
    # A shape given to the call still wins.
    fig = plotting.plot_generated(clf, n_styles=1, image_shape=(8, 8))
    assert fig.axes[0].get_images()[0].get_array().shape == (8, 8)


def test_generated_grid_ignores_a_model_shape_that_does_not_cover_x(digits_partial):
    X, y = digits_partial
    # The classifier sees 8 features as 1 x 2 x 4; the pipeline draws
    # images in X's 64 features, as the square 8 x 8.
    pipe = make_pipeline(
        PCA(8, random_state=0), small_aae(image_shape=(2, 4), max_iter=1)
    ).fit(X, y)
    fig = plotting.plot_generated(pipe, n_styles=1)
    assert fig.axes[0].get_images()[0].get_array().shape == (8, 8)
