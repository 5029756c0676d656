"""Pictures of what an AAEClassifier learned.

Needs matplotlib, the ``plotting`` extra: ``pip install "skaae[plotting]"``.
Every function takes a fitted :class:`~skaae.AAEClassifier`, or a fitted
:class:`~sklearn.pipeline.Pipeline` that ends with one, and returns the
matplotlib Axes or Figure it drew on.
"""

import math
from numbers import Integral

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array, check_is_fitted

from ._classifier import AAEClassifier, _draw_seed, labeled_mask

# history_ entries by training phase, in the order the panels are drawn.
_PHASES = {
    "reconstruction": ("reconstruction",),
    "regularisation": ("discriminator_cat", "discriminator_style", "generator"),
    "semi-supervised": (
        "supervised",
        "vat",
        "balance",
        "style_invariance",
        "shift",
        "corruption",
        "neighbour",
        "interpolation",
    ),
    "accuracy": ("labeled_accuracy",),
}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skaae.plotting needs matplotlib. Install it with "
            'pip install "skaae[plotting]".'
        ) from exc
    return plt


def _model(estimator) -> tuple[AAEClassifier, Pipeline | None]:
    """The fitted AAEClassifier and the pipeline steps before it, if any."""
    head = None
    if isinstance(estimator, Pipeline):
        head, estimator = estimator[:-1], estimator[-1]
    if not isinstance(estimator, AAEClassifier):
        raise TypeError(
            "Expected an AAEClassifier or a Pipeline ending with one, got "
            f"{type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    return estimator, head


def plot_latent(estimator, X, y=None, *, ax=None, **scatter_kwargs):
    """Scatter the style codes z of X, coloured by class.

    Parameters
    ----------
    estimator : AAEClassifier or Pipeline
        Fitted model, or a fitted pipeline ending with one.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Rows to encode (before the pipeline's first step, if any).
    y : array-like of shape (n_samples,), default=None
        Classes to colour by; rows marked -1 are drawn grey. None colours
        by the predicted class.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes by default.
    **scatter_kwargs
        Passed to ``Axes.scatter`` (e.g. ``s``, ``alpha``).

    Returns
    -------
    ax : matplotlib Axes
        z itself when ``n_components == 2``, its first two principal
        components otherwise.
    """
    plt = _pyplot()
    _model(estimator)
    Z = estimator.transform(X)
    colours = estimator.predict(X) if y is None else np.asarray(y)
    axis_name = "z"
    if Z.shape[1] != 2:
        Z = PCA(n_components=2).fit_transform(Z)
        axis_name = "PC of z"
    if ax is None:
        _, ax = plt.subplots()
    kwargs = {"s": 8, "alpha": 0.8, **scatter_kwargs}
    labeled = labeled_mask(colours)
    if not labeled.all():
        # First, under the classes' colours.
        hidden = ~labeled
        grey = {**kwargs, "color": "lightgrey"}
        ax.scatter(Z[hidden, 0], Z[hidden, 1], label="unlabeled", **grey)
    for label in np.unique(colours[labeled]):
        rows = colours == label
        ax.scatter(Z[rows, 0], Z[rows, 1], label=str(label), **kwargs)
    ax.set_xlabel(f"{axis_name} 1")
    ax.set_ylabel(f"{axis_name} 2")
    ax.legend(
        title="class" if y is not None else "predicted class",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        markerscale=2,
    )
    return ax


def plot_generated(
    estimator, *, n_styles=5, Z=None, image_shape=None, random_state=None, fig=None
):
    """Draw a grid of generated images: classes in columns, one style per row.

    Every row decodes one style code with each class in turn, so a row shows
    the same writing style across classes and a column the same class in
    different styles: the disentanglement of class and style.

    Parameters
    ----------
    estimator : AAEClassifier or Pipeline
        Fitted model, or a fitted pipeline ending with one whose first steps
        have ``inverse_transform`` (images are drawn in X's units).
    n_styles : int, default=5
        Rows of the grid, each a style drawn from the prior. Ignored when
        ``Z`` is given.
    Z : array-like of shape (n_rows, n_components), default=None
        Style codes to draw instead, e.g. ``transform`` of real rows.
    image_shape : tuple of int, default=None
        Shape of one image. None takes the model's ``image_shape_`` when it
        holds one channel of as many pixels as X has features (a shape
        given to the model or found in the features' order: 20 x 24 for
        MNIST cropped to that), else a square image when n_features is a
        square number (8 x 8 for digits, 28 x 28 for MNIST).
    random_state : int, RandomState instance or None, default=None
        Seeds the styles drawn from the prior.
    fig : matplotlib Figure, default=None
        Where to draw; a new figure by default.

    Returns
    -------
    fig : matplotlib Figure
    """
    plt = _pyplot()
    clf, head = _model(estimator)
    # A pipeline's images come back in X's units, as wide as X.
    n_features = estimator.n_features_in_
    if image_shape is None:
        image_shape = _default_image_shape(clf.image_shape_, n_features)
    if math.prod(image_shape) != n_features:
        raise ValueError(
            f"image_shape={tuple(image_shape)} holds {math.prod(image_shape)} "
            f"pixels, but the model has {n_features} features."
        )
    if Z is None:
        if not isinstance(n_styles, Integral) or n_styles < 1:
            raise ValueError(f"n_styles must be a positive int, got {n_styles!r}.")
        # The styles that sample would decode.
        Z = clf._draw_styles(n_styles, _draw_seed(random_state))
    Z = check_array(Z, input_name="Z")
    classes = clf.classes_
    # Row-major grid: each style repeated once per class.
    images = clf.decode(np.repeat(Z, len(classes), axis=0), np.tile(classes, len(Z)))
    if head is not None:
        images = head.inverse_transform(images)
    if fig is None:
        fig = plt.figure(figsize=(0.8 * len(classes), 0.8 * len(Z)))
    axes = fig.subplots(len(Z), len(classes), squeeze=False)
    for ax, image in zip(axes.ravel(), images, strict=True):
        ax.imshow(image.reshape(image_shape), cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
    for ax, label in zip(axes[0], classes, strict=True):
        ax.set_title(str(label))
    for row, axes_row in enumerate(axes, start=1):
        axes_row[0].set_ylabel(f"style {row}")
    return fig


def _default_image_shape(model_shape, n_features: int) -> tuple[int, int]:
    """``(height, width)`` of a drawn image when the caller gives none."""
    # A pipeline's head may change the features' number, so the model's
    # shape is taken only where it covers X's features; several channels
    # would need a colour map of their own.
    if model_shape is not None:
        channels, height, width = model_shape
        if channels == 1 and height * width == n_features:
            return height, width
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(
            f"The model has {n_features} features, not a square number: "
            "pass image_shape, e.g. image_shape=(height, width)."
        )
    return side, side


def plot_history(estimator, *, fig=None):
    """Plot the training curves of every phase from ``history_``.

    One panel per phase: reconstruction; regularisation (both
    discriminators and the encoder as generator); the semi-supervised
    losses (cross-entropy, VAT, class balance, style invariance, shift,
    corruption, neighbour and interpolation consistency, those that ran); the accuracy
    on labeled batches, with the validation score when early stopping was on.

    Parameters
    ----------
    estimator : AAEClassifier or Pipeline
        Fitted model, or a fitted pipeline ending with one.
    fig : matplotlib Figure, default=None
        Where to draw; a new figure by default.

    Returns
    -------
    fig : matplotlib Figure
    """
    plt = _pyplot()
    clf, _ = _model(estimator)
    history = dict(clf.history_)
    if clf.validation_scores_ is not None:
        history["validation_score"] = clf.validation_scores_
    phases = {**_PHASES, "accuracy": (*_PHASES["accuracy"], "validation_score")}
    panels = {
        phase: [name for name in names if name in history]
        for phase, names in phases.items()
    }
    panels = {phase: names for phase, names in panels.items() if names}
    if fig is None:
        fig = plt.figure(figsize=(3.2 * len(panels), 3.0), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (phase, names) in zip(axes, panels.items(), strict=True):
        for name in names:
            values = history[name]
            ax.plot(np.arange(1, len(values) + 1), values, label=name)
        ax.set_title(phase)
        ax.set_xlabel("epoch")
        ax.legend(fontsize="small")
    return fig
