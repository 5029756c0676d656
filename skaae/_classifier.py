"""AAEClassifier: the scikit-learn face of the semi-supervised AAE."""

import math
import warnings
from functools import partial
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _priors as priors
from ._checks import positive_ints
from ._fitting import EarlyStopping, Outcome, accuracy, run_epochs
from ._generation import decode_rows, one_hot, softmax_
from ._images import ImageShift, check_image_shape
from ._interrupt import deferred_interrupt
from ._layout import NeighbourMoves, find_layout
from ._networks import Networks, build_networks
from ._rows import make_row_source, standardisation, standardise
from ._runtime import autocast_dtype, loading_device, resolve_device, torch_threads
from ._state import (
    load_arrays,
    load_optimizer_states,
    optimizer_states,
    tree_from_arrays,
    tree_to_arrays,
)
from ._training import (
    TrainingConfig,
    adam_optimizers,
    batches_per_epoch,
    make_optimizers,
    optimizer_phases,
    train_epochs,
)

# Rows per forward pass in predict/transform: bounds memory for any n_samples.
_PREDICT_BATCH = 4096

UNLABELED = -1

# Set by validate_data before training starts; put back if fit fails.
_INPUT_ATTRIBUTES = ("n_features_in_", "feature_names_in_")

# The fitted networks: attribute ``<name>_`` holds the module.
_NETS = ("encoder", "decoder", "discriminator_cat", "discriminator_style")

# max_iter="auto": at least this many epochs, and at least this many steps so
# that small data sets get enough updates (both chosen on validation rows, see
# docs/benchmarks/validation.md).
_AUTO_MIN_EPOCHS = 20
_AUTO_MIN_STEPS = 1200


def auto_epochs(n_samples: int, batch_size: int) -> int:
    """Epochs that ``max_iter="auto"`` runs for ``n_samples`` rows."""
    n_batches = batches_per_epoch(n_samples, batch_size)
    return max(_AUTO_MIN_EPOCHS, -(-_AUTO_MIN_STEPS // n_batches))


# rampup="auto": ramp over this share of the steps when the labeled rows
# average fewer than _AUTO_RAMPUP_BELOW per class. On validation rows the ramp
# helped with 5 and 10 labels per class and hurt with 100, where the labels pin
# the clusters from the first step and strong unsupervised terms pay from the
# start (docs/benchmarks/validation.md, round 10); the cut in between is a
# midpoint, not a measurement.
_AUTO_RAMPUP = 0.3
_AUTO_RAMPUP_BELOW = 30


def auto_rampup(n_labeled: int, n_classes: int) -> float:
    """The share of steps that ``rampup="auto"`` ramps over."""
    return _AUTO_RAMPUP if n_labeled < _AUTO_RAMPUP_BELOW * n_classes else 0.0


def unlabeled_mask(y: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows marked unlabeled (``y == -1``).

    Raises
    ------
    ValueError
        If y holds strings in a string dtype, where -1 cannot be written.
    """
    if y.dtype.kind in "US":
        raise ValueError(
            f"y has dtype {y.dtype}, which cannot hold the integer -1 that marks "
            "unlabeled rows. Use an object array instead, for example "
            "np.array(['cat', -1, 'dog'], dtype=object)."
        )
    return np.asarray(y == UNLABELED, dtype=bool)


def labeled_mask(y: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows with a label: all but the -1 ones.

    For labels that are read, not learned from (``score``'s, a plot's): in a
    string dtype, which cannot hold -1, every row has a label. Only training
    needs an object array to mark rows unlabeled (:func:`unlabeled_mask`).
    """
    if y.dtype.kind in "US":
        return np.ones(len(y), dtype=bool)
    return ~unlabeled_mask(y)


# How every method takes X: dense in either float width, or CSR.
_X_FORMAT = {"accept_sparse": "csr", "dtype": [np.float64, np.float32]}

# Advice appended to scikit-learn's input errors, by a phrase of their message.
_INPUT_HINTS = {
    "infinity": "Replace or drop the infinite values first (np.isinf finds them).",
    "could not convert": "X must hold numbers: encode text or categorical columns "
    "first, for example with OneHotEncoder in a Pipeline.",
    "argument must be": "X must hold numbers: encode text or categorical columns "
    "first, for example with OneHotEncoder in a Pipeline.",
    "Complex data": "Pass real numbers, for example np.abs(X) or X.real.",
    "dim 3": "Reshape X to 2-D (n_samples, n_features), e.g. X.reshape(len(X), -1).",
}


def _validate(estimator, *args, **kwargs):
    """``validate_data``, with advice added to the errors that lack it."""
    try:
        return validate_data(estimator, *args, **kwargs)
    except (ValueError, TypeError) as exc:
        hint = next((h for key, h in _INPUT_HINTS.items() if key in str(exc)), None)
        if hint is None:
            raise
        # First line only: some of these messages go on to print all of X.
        raise type(exc)(f"{str(exc).splitlines()[0]} {hint}") from exc


def _draw_seed(random_state) -> int:
    """A torch/NumPy seed from ``random_state`` that leaves global states alone.

    ``check_random_state(None)`` is NumPy's global generator, which must not
    be consumed; fresh OS entropy gives the same "different every fit".
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def split_validation(
    labeled_index: np.ndarray, codes: np.ndarray, fraction: float, random_state
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Carve stratified validation rows out of the labeled rows.

    Returns the labeled rows left for training with their class codes, then
    the validation rows with theirs.

    Raises
    ------
    ValueError
        If some class has fewer than two labeled rows, or either side would
        miss a class.
    """
    counts = np.unique(codes, return_counts=True)[1]
    n_classes, smallest = len(counts), counts.min()
    n_val = math.ceil(fraction * len(codes))
    if smallest < 2 or not n_classes <= n_val <= len(codes) - n_classes:
        raise ValueError(
            f"early_stopping=True needs validation rows of every class from the "
            f"labeled rows, but {len(codes)} labeled rows (the rarest class has "
            f"{smallest}) and validation_fraction={fraction} give {n_val} "
            f"validation rows for {n_classes} classes. Label more rows, change "
            "validation_fraction, or set early_stopping=False."
        )
    train, val = train_test_split(
        np.arange(len(codes)),
        test_size=n_val,
        stratify=codes,
        random_state=_draw_seed(random_state),
    )
    return labeled_index[train], codes[train], labeled_index[val], codes[val]


def _report(outcome: Outcome, warm: bool) -> None:
    """Raise or warn when training did not end by running all its epochs."""
    if outcome.stop not in ("diverged", "interrupted"):
        return
    if outcome.kept_epoch == 0 and not warm:
        if outcome.stop == "interrupted":
            raise KeyboardInterrupt
        raise ValueError(
            "Training diverged in its first epoch (a loss or a weight stopped "
            "being finite), so there is no model to keep. Lower "
            "learning_rate_init or the loss weights, or scale X (for example "
            "with StandardScaler)."
        )
    kept = (
        f"the weights of epoch {outcome.kept_epoch}"
        if outcome.kept_epoch
        else "the weights from before this fit"
    )
    if outcome.stop == "diverged":
        warnings.warn(
            f"Training diverged in epoch {outcome.n_epochs + 1} (a loss or a "
            f"weight stopped being finite); the model keeps {kept}. Lower "
            "learning_rate_init or the loss weights to train further.",
            ConvergenceWarning,
            stacklevel=7,
        )
    else:
        warnings.warn(
            f"Training was interrupted (Ctrl-C) after {outcome.n_epochs} complete "
            f"epochs; the model keeps {kept}. Call fit again to train further "
            "(with warm_start=True it continues from here).",
            UserWarning,
            stacklevel=7,
        )


def _refuse_bool_counts(params: dict, constraints: dict) -> None:
    """Refuse True and False where the constraints ask for an int.

    ``Interval(Integral, ...)`` admits them, as bool is an int to Python;
    training would then fail inside torch (``batch_size=True``).
    """
    for name, options in constraints.items():
        counts = any(isinstance(c, Interval) and c.type is Integral for c in options)
        if counts and isinstance(params[name], bool | np.bool_):
            raise InvalidParameterError(
                f"The {name!r} parameter of AAEClassifier must be an int, not the "
                f"bool {params[name]!r}."
            )


def _check_targets(y_labeled: np.ndarray) -> None:
    """scikit-learn's check that labels are classes, with advice on mixed types."""
    try:
        check_classification_targets(y_labeled)
    except TypeError as exc:
        kinds = sorted({type(v).__name__ for v in y_labeled})
        raise TypeError(
            f"The labels in y cannot be compared with each other ({exc}); they "
            f"are of types {kinds}. Use labels of one type, and -1 for "
            "unlabeled rows."
        ) from exc


def _class_codes(y_labeled: np.ndarray, classes: np.ndarray, why: str) -> np.ndarray:
    """Each label's position in ``classes``; labels outside them are an error.

    ``why`` finishes the message "y holds labels [...] ..." for the caller.
    """
    unseen = np.setdiff1d(y_labeled, classes)
    if len(unseen):
        raise ValueError(f"y holds labels {unseen.tolist()} {why}")
    return np.searchsorted(classes, y_labeled)


def _style_prior(prior, n_components: int, seed: int) -> priors.StylePrior:
    """The style prior sampler for the ``prior`` parameter, checked.

    Raises
    ------
    ValueError
        If a built-in 2-D prior meets ``n_components < 2``, or a callable
        does not return a finite array of shape ``(n, dim)``.
    """
    if not callable(prior):
        if prior != "normal" and n_components < 2:
            raise ValueError(
                f"prior={prior!r} shapes the first two dimensions of z, but "
                f"n_components={n_components}. Use n_components >= 2 or "
                "prior='normal'."
            )
        return priors.BUILT_IN[prior]
    sampler = priors.from_user(prior, seed)
    # A trial draw now, so that a broken callable fails before any training.
    sampler(2, n_components, torch.Generator())
    return sampler


def _extended(history: dict, outcome: Outcome) -> dict:
    """``history`` followed by the outcome's epochs; NaN where a loss was not
    computed (a partial_fit chunk without labeled rows has no supervised loss).
    """
    names = list(history) + [n for n in outcome.history if n not in history]
    before = len(next(iter(history.values()), []))
    return {
        name: history.get(name, [math.nan] * before)
        + outcome.history.get(name, [math.nan] * outcome.n_epochs)
        for name in names
    }


def _print_epoch(
    n_epochs: int, epoch: int, losses: dict[str, float], seconds: float
) -> None:
    values = ", ".join(f"{name}={value:.4f}" for name, value in losses.items())
    print(f"Epoch {epoch}/{n_epochs}: {values}, {seconds:.2f} s", flush=True)


def _check_style_invariance(weight: float, reconstruction_weight: float) -> None:
    """The style-invariance term needs a decoder that learns to rebuild rows."""
    if weight > 0 and reconstruction_weight == 0:
        raise ValueError(
            f"style_invariance_weight={weight} moves rows through the decoder, "
            "which reconstruction_weight=0 leaves untrained. Set "
            "reconstruction_weight > 0, or style_invariance_weight=0."
        )


def _found_shape_and_reach(
    raster: tuple[int, int, int], max_shift: int | str
) -> tuple[tuple[int, int, int], int]:
    """:func:`check_image_shape` of the shape that ``image_shape="auto"`` found.

    Its error says where the shape came from: the user never gave one.
    """
    try:
        return check_image_shape(raster, max_shift, math.prod(raster))
    except ValueError as error:
        raise ValueError(
            f"image_shape='auto' read the rows as images of (channels, height, "
            f"width) = {raster}: {error} If the rows are not images, set "
            "image_shape=None."
        ) from None


def _check_layer_sizes(name: str, sizes) -> tuple[int, ...]:
    values = tuple(np.atleast_1d(np.asarray(sizes, dtype=object)))
    if not positive_ints(values):
        raise ValueError(f"{name} must hold positive integers, got {sizes!r}.")
    return tuple(int(v) for v in values)


class AAEClassifier(
    ClassNamePrefixFeaturesOutMixin, ClassifierMixin, TransformerMixin, BaseEstimator
):
    """Semi-supervised adversarial autoencoder classifier.

    An encoder maps each row x to a class distribution y (softmax over the
    classes) and a continuous style code z; a decoder rebuilds x from
    ``[y, z]``. One discriminator pushes y towards one-hot samples of the
    categorical distribution, another pushes z towards the style prior, a
    standard normal by default (Makhzani et al. 2015, section 5). Every
    mini-batch runs the reconstruction, the regularisation (discriminators,
    then the encoder as generator) and the semi-supervised phase
    (cross-entropy on labeled rows, plus consistency terms of the class head
    on all rows: virtual adversarial training, style invariance,
    corruption and, where the features have a layout, moves along it and,
    where they are an image's pixels, shifts of the image, and a
    class-balance term).

    Rows whose label is ``-1`` are unlabeled: they feed reconstruction,
    regularisation and the class head's consistency and balance terms; the
    labeled rows also train the class head.

    The decoder also generates: :meth:`sample` draws new rows of given or
    random classes in styles drawn from the prior, :meth:`decode` draws given
    styles as given classes, and :meth:`reconstruct` encodes and decodes X.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(1000, 1000)
        Widths of the encoder's hidden layers; the decoder mirrors them.
    n_components : int, default=10
        Dimension of the style code z returned by :meth:`transform`.
    discriminator_layer_sizes : array-like of int, default=(500, 500)
        Widths of the hidden layers of both discriminators.
    batch_size : int, default=256
        Rows of all kinds per mini-batch. Each step also draws this many
        labeled rows (or all of them when fewer are labeled).
    max_iter : int or "auto", default="auto"
        Number of epochs, i.e. passes over all rows. ``"auto"`` runs at least
        20 epochs and at least 1200 optimiser steps: 20 epochs on MNIST-sized
        data, more on small data sets.
    learning_rate_init : float, default=1e-3
        Initial learning rate of the Adam optimisers.
    beta_1 : float, default=0.5
        Decay rate of the running mean of the gradients in every Adam
        optimiser (torch's default is 0.9; the rate of the squared
        gradients stays at torch's 0.999). 0.5, the usual value when
        networks are trained against each other, gave lower validation
        error than 0.9 on MNIST, Fashion-MNIST and digits in the runs that
        chose it (round 14 of the validation page).
    learning_rate : {"cosine", "constant"}, default="cosine"
        Learning-rate schedule over all steps of the fit: cosine decay to
        zero, or constant.
    training : {"fused", "phased"}, default="fused"
        ``"fused"`` runs one encoder pass over all and labeled rows per step,
        trains the discriminators on the detached codes, then takes one
        optimiser step on the weighted sum of the encoder-side losses.
        ``"phased"`` is the paper's schedule: reconstruction, discriminators,
        generator and semi-supervised phase as separate optimiser steps (four
        encoder passes per step, slower).
    reconstruction_weight : float, default=0.1
        Weight of the reconstruction loss (mean squared error on the
        standardised features). 0 disables the decoder. The default suits
        classification; raise it to 1 when the style code matters
        (:meth:`sample`, :meth:`decode`, plots of z), else z carries little
        of the image and may not spread over the prior.
    adversarial_weight : float, default=0.1
        Weight of the encoder's loss for fooling both discriminators.
        0 disables the adversarial regularisation. The default suits
        classification; raise it to 1 (the paper's balance) when z should
        follow the prior closely, as for :meth:`sample` and plots of z.
    supervised_weight : float, default=5.0
        Weight of the cross-entropy on the labeled rows.
    vat_weight : float, default=4.0
        Weight of the virtual adversarial training loss of the class head.
        0 disables it (and saves two encoder passes per step).
    vat_epsilon : float, default=0.3
        Size of the VAT perturbation, relative to the root-mean-square norm of
        a standardised training row, so it does not depend on X's units.
    vat_fraction : float in (0, 1], default=0.5
        Share of each batch's rows (a random subset: batches are shuffled)
        that VAT perturbs. VAT costs two encoder passes over those rows per
        step, so a smaller share does less work: 0.5 takes about a tenth of
        the matrix FLOPs off an MNIST epoch at the speed benchmark's
        architecture. On validation rows 0.5 was level with 1.0 or better
        beside the shift term (round 38 of the validation page), and within
        one fit's noise of it before (round 19). 1.0 perturbs every row, as
        the default did before round 38.
    balance_weight : float, default=5.0
        Weight of the class-balance term: the KL divergence of each batch's
        mean class distribution from the uniform one, which keeps every class
        in use (the categorical prior assumes classes of similar size too).
        With few labels it stops two classes from merging into one while the
        labeled rows of the other are memorised. 0 disables it; lower it for
        strongly imbalanced classes.
    interpolation_weight : float, default=0.0
        Weight of the interpolation-consistency term (after Verma et al.
        2019): each row of a batch is mixed with another, with a uniform
        weight, and the class head is asked to predict the same mixture of
        the two rows' class distributions (KL divergence). With
        ``training="fused"`` the mixed rows join the step's encoder pass (an
        MNIST epoch 1.02 to 1.14 times as long, round 19 of the validation
        page); ``"phased"`` gives them a pass of their own. 0 (the default)
        disables it. Before the
        style-invariance term existed (``style_invariance_weight=0``), 12
        with ``vat_weight=0`` gave 15.3 % test error on Fashion-MNIST with 100
        labels per class against those defaults' 18.4 % (round 18 of the
        validation page); beside VAT it made MNIST worse (round 19).
    style_invariance_weight : float, default=4.0
        Weight of the style-invariance term: each row's style code z takes a
        random Gaussian step, the decoder turns the step into a change of the
        row (``decoder([y, z + step]) - decoder([y, z])``, the class code y
        kept), and the class head is asked to give the changed row the class
        distribution it gives the row (KL divergence). It teaches the head to
        ignore what the style code varies within a class, along directions
        that follow the data, where VAT's are isotropic. The
        moved rows join VAT's adversarial encoder pass (an MNIST epoch at the
        speed benchmark's architecture took 1.05 times as long as without the
        term in round 21, 1.14 times in the speed run of 2026-12-01 01:14).
        Needs ``reconstruction_weight > 0``; 0 disables it. See :ref:`the
        user guide <style-invariance>` for what it changed in the benchmarks.
    style_invariance_scale : float, default=1.0
        Standard deviation of the step of the style code, in the units of z
        (the ``"normal"`` prior has unit variance).
    image_shape : tuple of int, "auto" or None, default="auto"
        For rows that are images: ``(height, width)``, or ``(channels,
        height, width)``, of one row, its features read in C order (a
        flattened 28 x 28 image is ``(28, 28)``; channels come first, so a
        channels-last colour image must be reordered). It turns on the shift
        term (``shift_weight``), which translates the images. The product of
        the shape must be the number of features. ``"auto"`` reads the shape
        from X at the first fit, where the features have a layout (see
        ``neighbour_weight``) and their order shows a raster: features that
        lie ``width`` apart correlate more, on average, than those 2 to
        ``width - 2`` apart, for a ``width`` that divides the number of
        features, with both sides at least 8 pixels (the images of MNIST and
        Fashion-MNIST are found; digits' 8 x 8 images, tables and
        channels-last colour images are not). Channels first are found as
        equal parts of the image whose pixels correlate with their
        counterparts more than with the pixels below them.
        ``image_shape_`` shows what was used. None turns the term off, for
        data that are not images. See :ref:`the user guide <images>` for
        what the term changed in the benchmarks.
    shift_weight : float, default=8.0
        Weight of the shift term, used only when the rows are images
        (``image_shape_`` is not None): each row is
        moved by a random whole number of pixels, up to ``max_shift`` along
        each axis (pixels that come into view are 0 in X's units, a black
        background), and the class head is asked to give the moved image the
        class distribution it gives the image (KL divergence). It tells the
        head what no generic perturbation can: that an object may sit a
        pixel or two to the side. The moved rows join VAT's adversarial
        encoder pass. 0 disables it (and, with ``image_shape="auto"``, the
        search for a raster). See :ref:`the user guide <images>` for what it
        changed in the benchmarks.
    max_shift : int or "auto", default="auto"
        Largest move of the shift term, in pixels, along each axis; it must
        be smaller than the image's shorter side. ``"auto"`` is the shorter
        side over 14, rounded down, and at least 1: 2 pixels for 28 x 28
        images, 1 for 8 x 8.
    corruption_weight : float, default=2.0
        Weight of the corruption term (after the feature corruption of
        SCARF, Bahri et al. 2022, which draws each replaced value from a
        row of its own; here one partner row serves all of a row's replaced
        features): each row gets a random partner in the batch, each of its
        features takes the partner's value with probability
        ``corruption_rate``, and the class head is asked to give the
        corrupted row the class distribution it gives the row (KL
        divergence). Unlike VAT's step, every corrupted value is one the
        feature takes in the data. The corrupted rows
        (``corruption_fraction`` of each batch's) join VAT's adversarial
        encoder pass. 0 disables it; see :ref:`the user guide <corruption>`
        for what it changed in the benchmarks.
    corruption_rate : float in (0, 1), default=0.3
        Probability that the corruption term replaces each feature of a row.
    corruption_fraction : float in (0, 1], default=0.5
        Share of each batch's rows (a random subset: batches are shuffled)
        that the corruption term corrupts, taken from the batch's start.
        Each corrupted row is one more row in VAT's adversarial encoder
        pass: beside the neighbour term, which takes its rows from the
        batch's end, the two terms at 0.5 cost one batch of rows between
        them, as one term on every row would, and move different rows (but
        for one row of a batch with an odd number of rows: each share is
        rounded up). Where no layout is found (tables, digits) the
        corruption term runs alone, on this share of the rows. Partners are
        drawn among the corrupted rows. See :ref:`the user guide
        <term-fractions>` for what 0.5 changed in the benchmarks.
    neighbour_weight : float, default=2.0
        Weight of the neighbour term, used only when the features have a
        layout: at the first ``fit`` (or ``partial_fit``) up to 10 000 rows
        are drawn, each feature is linked to its 8 most correlated features,
        and if that graph is local (on average a feature reaches less than
        half the features in 4 links, as pixels of an image do, where the
        features of most tables reach nearly all) a spectral embedding of it
        places the features in a plane. Each row then takes one of 8
        directions at random, each feature takes the value of its neighbour
        furthest ahead in that direction (a loose translation of an image,
        found without being told the shape), and the class head is asked to
        give the moved row the class distribution it gives the row (KL
        divergence). The moved rows (``neighbour_fraction`` of each
        batch's) join VAT's adversarial encoder pass. X wider than 4096
        features, or with fewer than 20 rows, is not searched.
        ``neighbour_moves_`` shows whether a layout was found. 0 disables
        the term, and the search unless ``image_shape="auto"`` needs it;
        see :ref:`the user guide <neighbour>` for what it changed in the
        benchmarks.
    neighbour_fraction : float in (0, 1], default=0.5
        Share of each batch's rows that the neighbour term moves, taken
        from the batch's end; each moved row is one more row in VAT's
        adversarial encoder pass. The corruption term's rows come from the
        batch's start (see ``corruption_fraction`` and :ref:`the user guide
        <term-fractions>`).
    discriminator_interval : int, default=2
        The discriminators take an optimiser step on every
        ``discriminator_interval``-th mini-batch, the first included; the
        encoder's generator term is computed on every mini-batch, against
        the discriminators as they stand. 1 trains them on every
        mini-batch, as the paper does. Their step is a large share of a
        step's time when the batches are small; see :ref:`the user guide
        <discriminator-interval>` for what 2 changed in the benchmarks.
    rampup : float or "auto", default="auto"
        Share of ``fit``'s optimiser steps over which the weights of the terms
        that shape the class head without labels (``adversarial_weight``,
        ``vat_weight``, ``balance_weight``, ``interpolation_weight``,
        ``style_invariance_weight``, ``shift_weight``, ``corruption_weight``
        and ``neighbour_weight``) grow
        from near zero to their values, as exp(-5 (1 - t)^2). The labels then
        name the clusters before those terms sharpen them; with few labels,
        terms at full weight from the start can split two classes into
        clusters that the labels do not line up with. 0 applies the full
        weights from the start, which is better when every class has many
        labeled rows. ``"auto"`` ramps over 0.3 of the steps when the labeled
        rows average fewer than 30 per class, and not at all otherwise.
        ``partial_fit`` does not ramp.
    precision : {"auto", "bfloat16", "float32"}, default="auto"
        Arithmetic of the training passes. ``"bfloat16"`` runs them under
        bfloat16 autocast (weights, optimiser state and losses stay float32),
        faster where the hardware multiplies bfloat16 natively (an MNIST epoch
        at the speed benchmark's architecture took 15.8 s against 36.2 s in
        float32 on a 2-core AVX512-BF16 CPU, ``benchmarks/speed.py``, run of
        2026-12-01 01:14).
        ``"auto"`` picks bfloat16 on such hardware (CPUs with AVX512-BF16 or
        AMX, CUDA devices that support it) and float32 elsewhere.
        Prediction always runs in float32.
    prior : {"normal", "mixture", "swiss_roll"} or callable, default="normal"
        The distribution the style discriminator pushes z towards:
        ``"normal"`` is N(0, I); ``"mixture"`` puts ten elongated Gaussians
        on a circle and ``"swiss_roll"`` a spiral in the first two dimensions
        of z (N(0, 1) in the others; both need ``n_components >= 2``). A
        callable ``prior(n, dim, rng)`` gets a NumPy Generator and returns an
        array of shape ``(n, dim)``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the labeled rows (stratified; the
        rows stay in training as unlabeled rows), score the class head on them
        after every epoch, stop when the score has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the weights of the best epoch.
    validation_fraction : float, default=0.1
        Share of the labeled rows held out for early stopping. Every class
        needs a row on both sides. Used only with ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Epochs without improvement of the validation score before training
        stops. Used only with ``early_stopping=True``.
    tol : float, default=1e-4
        Least gain in validation accuracy that counts as improvement. Used
        only with ``early_stopping=True``. As in ``MLPClassifier``, at 0 a
        score equal to the best counts, so a flat score never stops training.
    warm_start : bool, default=False
        When True, ``fit`` continues training the fitted networks for
        ``max_iter`` more epochs (new optimiser state and learning-rate
        schedule, same standardisation) instead of starting anew. The
        architecture and the number of features cannot change, and the
        labels must be among ``classes_``.
    device : str or torch.device, default="cpu"
        Torch device for training and inference: ``"cpu"``, ``"cuda"``,
        ``"cuda:N"``, or ``"auto"`` for CUDA when it is available and the CPU
        otherwise. Rows move to the device one mini-batch at a time.
    n_threads : int, default=None
        Torch threads for each call of ``fit``, ``predict`` and the other
        methods; the caller's setting is restored afterwards. None keeps
        torch's own setting, which follows ``OMP_NUM_THREADS``: joblib's
        process workers and Dask's workers set it so that parallel fits do
        not oversubscribe the cores.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order, prior samples and VAT
        directions. An int gives identical models on refit on the CPU.
        The global NumPy and torch random states are never changed.
    verbose : int, default=0
        Print one line per epoch when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels seen in ``fit`` (``-1`` excluded).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``; defined only when X has
        feature names that are all strings.
    n_iter_ : int
        Number of epochs completed over all fits (what ``max_iter="auto"``
        resolved to, unless training stopped early; summed over warm starts;
        each ``partial_fit`` call counts one).
    history_ : dict of str to list of float
        Per-epoch mean of every loss that was computed, one value per epoch
        of ``n_iter_``: ``supervised``; ``reconstruction`` when
        ``reconstruction_weight`` is positive; ``discriminator_cat``,
        ``discriminator_style`` and ``generator`` when
        ``adversarial_weight`` is; ``vat``, ``balance``,
        ``style_invariance``, ``corruption``, ``interpolation``, ``shift``
        and ``neighbour`` when their weights are (``shift`` with
        ``image_shape_`` not None, ``neighbour`` with a layout found); and
        ``labeled_accuracy``, the accuracy of the class head on the labeled
        mini-batches. NaN marks a loss that an epoch did not compute (a
        ``partial_fit`` chunk without labeled rows, an epoch whose one
        mini-batch did not train the discriminators).
    validation_scores_ : list of float or None
        Accuracy on the held-out labeled rows after each epoch of the last
        fit; None unless ``early_stopping=True``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``: the fitted weights are from that
        epoch. None unless ``early_stopping=True``.
    neighbour_moves_ : ndarray of shape (8, `n_features_in_`) or None
        The neighbour term's moves: row d gives, for each feature, the
        feature whose value it takes when a row moves in direction d. Found
        at the first fit and kept by warm starts and ``partial_fit``; None
        when ``neighbour_weight`` was 0 then, or when the features showed no
        layout (the term is then off).
    image_shape_ : tuple of int or None
        ``(channels, height, width)`` of the rows as images, given by
        ``image_shape`` or found at the first fit with ``"auto"``, which warm
        starts and ``partial_fit`` keep; None when the rows were not read as
        images (the shift term is then off), as with ``"auto"`` when
        ``shift_weight`` was 0 at the first fit.
    encoder_ : torch.nn.Module
        Maps standardised rows to (class logits, style code).
    decoder_ : torch.nn.Module
        Maps ``[y, z]`` to standardised rows.
    discriminator_cat_ : torch.nn.Module
        Tells encoder class distributions from one-hot samples.
    discriminator_style_ : torch.nn.Module
        Tells encoder style codes from prior samples.

    See Also
    --------
    sklearn.semi_supervised.LabelSpreading : Graph-based semi-supervised
        classifier.
    sklearn.semi_supervised.SelfTrainingClassifier : Self-training
        meta-estimator.
    skaae.plotting : Latent scatter, generated images and training curves.

    Notes
    -----
    X is centred per feature and divided by one global scale (the root mean
    square of the centred entries) before training, so features keep their
    relative size. Features of very different units should be scaled
    beforehand, e.g. with :class:`~sklearn.preprocessing.StandardScaler` in a
    :class:`~sklearn.pipeline.Pipeline`.

    Training checks its losses and weights after every epoch. If one is not
    finite, that epoch is dropped: the model keeps the weights of the last
    finite epoch (the best one with early stopping) and ``fit`` warns with a
    :class:`~sklearn.exceptions.ConvergenceWarning`; if the first epoch
    already diverges, ``fit`` raises a ``ValueError``. A fitted model never
    holds non-finite weights.

    Ctrl-C during ``fit`` finishes the current mini-batch, drops the
    unfinished epoch, keeps the last completed one (the best one with early
    stopping) and warns; ``fit`` returns normally. A second Ctrl-C, or one
    before the first epoch is complete, raises ``KeyboardInterrupt`` and
    leaves the estimator as it was before ``fit``.

    Pickles hold the networks' weights as NumPy arrays, so a model fitted on
    a GPU loads on a machine without one (on the CPU, with a warning), and
    ``skops.io`` can save and load it with
    ``trusted=skaae.SKOPS_TRUSTED_TYPES``; a callable ``prior`` is saved
    too, and its own type must be added to ``trusted``.

    References
    ----------
    A. Makhzani, J. Shlens, N. Jaitly, I. Goodfellow, B. Frey. Adversarial
    Autoencoders. arXiv:1511.05644, 2015.

    T. Miyato, S. Maeda, M. Koyama, S. Ishii. Virtual Adversarial Training:
    a Regularization Method for Supervised and Semi-Supervised Learning.
    IEEE TPAMI, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skaae import AAEClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> y_partial = np.where(np.arange(len(y)) % 10 == 0, y, -1)
    >>> clf = AAEClassifier(hidden_layer_sizes=(64,), max_iter=3, random_state=0)
    >>> clf = clf.fit(X, y_partial)
    >>> clf.predict(X[:2]).shape
    (2,)
    >>> clf.transform(X[:2]).shape
    (2, 10)
    >>> X_new, y_new = clf.sample(3, y=7, random_state=0)
    >>> X_new.shape, y_new.tolist()
    ((3, 64), [7, 7, 7])
    """

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "discriminator_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "learning_rate": [StrOptions({"cosine", "constant"})],
        "training": [StrOptions({"fused", "phased"})],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "adversarial_weight": [Interval(Real, 0, None, closed="left")],
        "supervised_weight": [Interval(Real, 0, None, closed="neither")],
        "vat_weight": [Interval(Real, 0, None, closed="left")],
        "vat_epsilon": [Interval(Real, 0, None, closed="neither")],
        "vat_fraction": [Interval(Real, 0, 1, closed="right")],
        "rampup": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "balance_weight": [Interval(Real, 0, None, closed="left")],
        "interpolation_weight": [Interval(Real, 0, None, closed="left")],
        "style_invariance_weight": [Interval(Real, 0, None, closed="left")],
        "style_invariance_scale": [Interval(Real, 0, None, closed="neither")],
        "image_shape": [None, "array-like", StrOptions({"auto"})],
        "shift_weight": [Interval(Real, 0, None, closed="left")],
        "max_shift": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "corruption_weight": [Interval(Real, 0, None, closed="left")],
        "corruption_rate": [Interval(Real, 0, 1, closed="neither")],
        "corruption_fraction": [Interval(Real, 0, 1, closed="right")],
        "neighbour_weight": [Interval(Real, 0, None, closed="left")],
        "neighbour_fraction": [Interval(Real, 0, 1, closed="right")],
        "discriminator_interval": [Interval(Integral, 1, None, closed="left")],
        "precision": [StrOptions({"auto", "bfloat16", "float32"})],
        "prior": [StrOptions(set(priors.BUILT_IN)), callable],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "device": [str, torch.device],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(1000, 1000),
        n_components=10,
        *,
        discriminator_layer_sizes=(500, 500),
        batch_size=256,
        max_iter="auto",
        learning_rate_init=1e-3,
        beta_1=0.5,
        learning_rate="cosine",
        training="fused",
        reconstruction_weight=0.1,
        adversarial_weight=0.1,
        supervised_weight=5.0,
        vat_weight=4.0,
        vat_epsilon=0.3,
        vat_fraction=0.5,
        balance_weight=5.0,
        interpolation_weight=0.0,
        style_invariance_weight=4.0,
        style_invariance_scale=1.0,
        image_shape="auto",
        shift_weight=8.0,
        max_shift="auto",
        corruption_weight=2.0,
        corruption_rate=0.3,
        corruption_fraction=0.5,
        neighbour_weight=2.0,
        neighbour_fraction=0.5,
        discriminator_interval=2,
        rampup="auto",
        precision="auto",
        prior="normal",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        device="cpu",
        n_threads=None,
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_components = n_components
        self.discriminator_layer_sizes = discriminator_layer_sizes
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.learning_rate = learning_rate
        self.training = training
        self.reconstruction_weight = reconstruction_weight
        self.adversarial_weight = adversarial_weight
        self.supervised_weight = supervised_weight
        self.vat_weight = vat_weight
        self.vat_epsilon = vat_epsilon
        self.vat_fraction = vat_fraction
        self.balance_weight = balance_weight
        self.interpolation_weight = interpolation_weight
        self.style_invariance_weight = style_invariance_weight
        self.style_invariance_scale = style_invariance_scale
        self.image_shape = image_shape
        self.shift_weight = shift_weight
        self.max_shift = max_shift
        self.corruption_weight = corruption_weight
        self.corruption_rate = corruption_rate
        self.corruption_fraction = corruption_fraction
        self.neighbour_weight = neighbour_weight
        self.neighbour_fraction = neighbour_fraction
        self.discriminator_interval = discriminator_interval
        self.rampup = rampup
        self.precision = precision
        self.prior = prior
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model on partially labeled data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training rows. Sparse input is densified one mini-batch at a time.
        y : array-like of shape (n_samples,)
            Labels, with ``-1`` for unlabeled rows. String labels need an
            object array so that ``-1`` can stand beside them.

        Returns
        -------
        self : AAEClassifier
            The fitted estimator.

        Raises
        ------
        ValueError
            For unusable input or parameters (before any training starts), and
            when the first epoch already diverges. If ``fit`` raises, a model
            fitted earlier is left as it was.
        KeyboardInterrupt
            On Ctrl-C before the first epoch is complete, or on a second Ctrl-C.
        """
        return self._guarded(self._fit, X, y)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Train for one pass over a chunk of rows, for data fed piece by piece.

        Every row of the chunk feeds the reconstruction and adversarial phases
        and VAT; its labeled rows (``y != -1``) also train the class head. A
        chunk may hold no labeled rows at all. The first call fixes the
        standardisation of X (from that chunk), the classes and the networks;
        later calls continue them with a constant learning rate and Adam's
        state carried over, through pickling too; the discriminators step
        on every ``discriminator_interval``-th mini-batch counted over the
        calls, not from each call's first. The parameters ``max_iter``,
        ``learning_rate``, ``rampup``, ``early_stopping`` and ``warm_start``
        do not apply.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of rows.
        y : array-like of shape (n_samples,)
            Their labels, ``-1`` for unlabeled rows.
        classes : array-like of shape (n_classes,), default=None
            Every class label that will ever appear. Required on the first
            call (unless the model was fitted before), optional and checked
            against ``classes_`` afterwards.

        Returns
        -------
        self : AAEClassifier
            The estimator, trained one more pass.
        """
        return self._guarded(self._partial_fit, X, y, classes)

    def _guarded(self, method, *args):
        """Run a training method; if it raises, undo what validation changed."""
        before = {k: v for k, v in vars(self).items() if k in _INPUT_ATTRIBUTES}
        try:
            with torch_threads(self.n_threads):
                return method(*args)
        except BaseException:
            # validate_data sets these before training, which may still fail.
            for name in _INPUT_ATTRIBUTES:
                vars(self).pop(name, None)
            vars(self).update(before)
            raise

    def _validated(self, X, y, reset: bool):
        X, y = _validate(self, X, y, reset=reset, **_X_FORMAT)
        return X, y, ~unlabeled_mask(y)

    def _fit(self, X, y):
        warm = self.warm_start and self.__sklearn_is_fitted__()
        X, y, labeled = self._validated(X, y, reset=not warm)
        classes, codes = self._label_codes(y[labeled], warm)
        if labeled.all():
            warnings.warn(
                "y contains no unlabeled rows (-1): fitting a purely supervised "
                "model. Mark unlabeled rows with -1 to use them.",
                UserWarning,
                stacklevel=5,
            )
        labeled_index = np.flatnonzero(labeled)
        validation = None
        if self.early_stopping:
            labeled_index, codes, *validation = split_validation(
                labeled_index, codes, self.validation_fraction, self.random_state
            )
        n_epochs = (
            auto_epochs(X.shape[0], self.batch_size)
            if self.max_iter == "auto"
            else self.max_iter
        )
        outcome, _ = self._train(
            X,
            labeled_index,
            codes,
            classes,
            warm=warm,
            n_epochs=n_epochs,
            learning_rate=self.learning_rate,
            rampup=(
                auto_rampup(len(labeled_index), len(classes))
                if self.rampup == "auto"
                else self.rampup
            ),
            seed=_draw_seed(self.random_state),
            validation=validation,
        )
        self.validation_scores_ = outcome.validation_scores if validation else None
        self.best_validation_score_ = (
            max(outcome.validation_scores, default=None) if validation else None
        )
        return self

    def _partial_fit(self, X, y, classes):
        warm = self.__sklearn_is_fitted__()
        X, y, labeled = self._validated(X, y, reset=not warm)
        classes = self._chunk_classes(classes, warm)
        y_labeled = y[labeled]
        if len(y_labeled):
            _check_targets(y_labeled)
        codes = _class_codes(
            y_labeled,
            classes,
            f"that are not in classes ({classes.tolist()}). Pass every label to "
            "the first partial_fit call, or mark those rows -1.",
        )
        # A seed per call: the same random_state gives the same sequence of
        # batch orders and prior samples over the chunks, not one order each.
        base = _draw_seed(self.random_state)
        seed = int(
            np.random.SeedSequence([base, self.n_iter_ if warm else 0]).generate_state(
                1
            )[0]
            >> 1
        )
        optimizers = getattr(self, "_optimizers", None)
        if optimizers is not None:
            self._check_same_phases(optimizers)
        # The discriminators' interval runs on over the chunks, as the
        # optimisers do: chunks of one mini-batch would otherwise train them
        # on every call.
        first_step = getattr(self, "_partial_steps", 0) if optimizers is not None else 0
        # A chunk whose weights are dropped (diverged, interrupted, raised)
        # must not leave its steps in Adam's moments either: an infinite
        # second moment would freeze every later step.
        before = optimizer_states(optimizers) if optimizers is not None else None
        try:
            outcome, optimizers = self._train(
                X,
                np.flatnonzero(labeled),
                codes,
                classes,
                warm=warm,
                n_epochs=1,
                # One pass over a chunk is no schedule to decay or ramp over.
                learning_rate="constant",
                rampup=0.0,
                seed=seed,
                validation=None,
                optimizers=optimizers,
                first_step=first_step,
            )
        except BaseException:
            if before is not None:
                load_optimizer_states(optimizers, before)
            raise
        if before is not None and outcome.stop != "max_iter":
            load_optimizer_states(optimizers, before)
        self._optimizers = optimizers
        n_batches = batches_per_epoch(X.shape[0], self.batch_size)
        self._partial_steps = first_step + outcome.n_epochs * n_batches
        self.validation_scores_ = self.best_validation_score_ = None
        return self

    def _check_same_phases(self, optimizers: dict) -> None:
        """Refuse parameters that need other optimisers than earlier chunks'."""
        phases = optimizer_phases(
            self.training, self.adversarial_weight, self.reconstruction_weight
        )
        if set(phases) != set(optimizers):
            raise ValueError(
                "partial_fit continues the optimisers of the earlier calls, "
                f"which trained the phases {sorted(optimizers)}; with training="
                f"{self.training!r}, adversarial_weight={self.adversarial_weight} "
                f"and reconstruction_weight={self.reconstruction_weight} the "
                f"phases are {sorted(phases)}. Set those parameters back, or "
                "call fit to start anew."
            )

    def _validate_params(self) -> None:
        super()._validate_params()
        _refuse_bool_counts(self.get_params(deep=False), self._parameter_constraints)

    def _chunk_classes(self, classes, warm: bool) -> np.ndarray:
        """The classes partial_fit trains for, checked against earlier calls."""
        if classes is None:
            if warm:
                return self.classes_
            raise ValueError(
                "The first call of partial_fit needs classes=, the list of every "
                "class label that will appear (a chunk may miss some)."
            )
        classes = np.unique(column_or_1d(classes))
        if warm and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"classes={classes.tolist()} differs from classes_="
                f"{self.classes_.tolist()} fixed by the first call; pass the same "
                "labels or refit."
            )
        if len(classes) < 2 or np.isin(UNLABELED, classes):
            raise ValueError(
                f"classes={classes.tolist()} must hold at least two labels, and "
                "not -1, which marks unlabeled rows."
            )
        return classes

    def _train(
        self,
        X,
        labeled_index: np.ndarray,
        codes: np.ndarray,
        classes: np.ndarray,
        *,
        warm: bool,
        n_epochs: int,
        learning_rate: str,
        rampup: float,
        seed: int,
        validation: list[np.ndarray] | None,
        optimizers=None,
        first_step: int = 0,
    ) -> tuple[Outcome, dict]:
        """Train on X's rows from the fitted state (warm) or new networks.

        Returns what happened and the optimisers, for partial_fit to keep.
        """
        _check_style_invariance(
            self.style_invariance_weight, self.reconstruction_weight
        )
        architecture = self._checked_architecture(X.shape[1], len(classes), warm)
        device = resolve_device(self.device)
        style_prior = _style_prior(self.prior, self.n_components, seed)
        moves, shape_and_reach = self._layout_terms(X, warm, seed)
        mean, scale, networks = self._starting_point(X, architecture, warm, seed)
        image_shift = None
        if shape_and_reach is not None:
            image_shift = ImageShift.for_rows(*shape_and_reach, mean, scale, device)
        neighbour_moves = None
        if moves is not None:
            neighbour_moves = NeighbourMoves.for_rows(moves, mean, scale, device)
        config = self._training_config(
            device,
            n_epochs,
            learning_rate,
            rampup,
            style_prior,
            image_shift,
            neighbour_moves,
        )
        modules = vars(networks)
        for module in modules.values():
            module.to(device)
        rows = make_row_source(X, mean, scale, device)
        if optimizers is None:
            optimizers = make_optimizers(networks, config)
        early_stopping = None
        if validation is not None:
            val_index, val_codes = validation
            early_stopping = EarlyStopping(
                partial(
                    accuracy,
                    networks.encoder,
                    rows(val_index),
                    torch.as_tensor(val_codes, device=device),
                ),
                self.tol,
                self.n_iter_no_change,
            )
        with deferred_interrupt() as interrupted:
            outcome = run_epochs(
                modules,
                train_epochs(
                    networks,
                    rows,
                    n_samples=X.shape[0],
                    labeled_index=labeled_index,
                    y_labeled=torch.as_tensor(codes, dtype=torch.int64, device=device),
                    config=config,
                    seed=seed,
                    stop_requested=interrupted,
                    optimizers=optimizers,
                    first_step=first_step,
                ),
                interrupted,
                early_stopping=early_stopping,
                on_epoch=partial(_print_epoch, n_epochs) if self.verbose else None,
            )
        _report(outcome, warm)
        self.classes_ = classes
        self._x_mean, self._x_scale = mean, scale
        self.neighbour_moves_ = moves
        self.image_shape_ = None if shape_and_reach is None else shape_and_reach[0]
        self._architecture = architecture
        # sample draws styles from the prior the decoder learned, whatever
        # set_params does to the parameter afterwards.
        self._fitted_prior = self.prior
        for name, module in modules.items():
            setattr(self, f"{name}_", module.eval())
        self.history_ = _extended(self.history_ if warm else {}, outcome)
        self.n_iter_ = (self.n_iter_ if warm else 0) + outcome.n_epochs
        # Only partial_fit continues an optimiser: fit's schedule ends at zero.
        self._optimizers = None
        return outcome, optimizers

    def _checked_architecture(self, n_features: int, n_classes: int, warm: bool):
        """The networks' shapes, which training on from a fitted model keeps."""
        hidden = _check_layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes)
        disc = _check_layer_sizes(
            "discriminator_layer_sizes", self.discriminator_layer_sizes
        )
        architecture = (n_features, n_classes, self.n_components, hidden, disc)
        if warm and architecture != self._architecture:
            raise ValueError(
                "Training on from a fitted model (warm_start=True or partial_fit) "
                "keeps its networks, so hidden_layer_sizes, n_components and "
                "discriminator_layer_sizes cannot change. Set warm_start=False "
                "and call fit to train new networks."
            )
        return architecture

    def _starting_point(self, X, architecture: tuple, warm: bool, seed: int):
        """Standardisation and networks: the fitted ones (warm) or new ones."""
        if warm:
            networks = Networks(**{name: getattr(self, f"{name}_") for name in _NETS})
            return self._x_mean, self._x_scale, networks
        mean, scale = standardisation(X)
        with torch.random.fork_rng(devices=[]):
            # Modules take their initial weights from torch's global
            # generator; fork_rng hands it back to the caller untouched.
            torch.random.default_generator.manual_seed(seed)
            networks = build_networks(*architecture)
        return mean, scale, networks

    def _layout_terms(self, X, warm: bool, seed: int):
        """The neighbour term's moves and the shift term's (shape, reach), each or None.

        A given shape is checked first. Warm, the fitted moves, and the
        fitted shape unless one is given. Otherwise X's layout is searched
        for when a term needs it: the neighbour term's moves, and with
        ``image_shape="auto"`` the raster.
        """
        n_features = X.shape[1]
        automatic = isinstance(self.image_shape, str)
        given = self.image_shape
        if automatic:
            given = self.image_shape_ if warm else None
        shape_and_reach = None
        if given is not None:
            shape_and_reach = check_image_shape(given, self.max_shift, n_features)
        if warm:
            return self.neighbour_moves_, shape_and_reach
        find_raster = automatic and self.shift_weight > 0
        layout = None
        if self.neighbour_weight > 0 or find_raster:
            layout = find_layout(X, np.random.default_rng(seed))
        moves = None
        if layout is not None and self.neighbour_weight > 0:
            moves = layout.moves()
        raster = layout.raster() if layout is not None and find_raster else None
        if raster is not None:
            shape_and_reach = _found_shape_and_reach(raster, self.max_shift)
        return moves, shape_and_reach

    def _label_codes(self, y_labeled: np.ndarray, warm: bool):
        """The classes and the class code of each labeled row, checked."""
        if len(y_labeled) == 0:
            raise ValueError(
                "y has no labeled rows: every entry is -1. Label at least one row "
                "of each of two classes or more."
            )
        _check_targets(y_labeled)
        if warm:
            return self.classes_, _class_codes(
                y_labeled,
                self.classes_,
                f"that the fitted model does not know (classes_ = "
                f"{self.classes_.tolist()}); warm_start cannot add classes. Set "
                "warm_start=False to fit anew.",
            )
        classes, codes = np.unique(y_labeled, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"The labeled rows of y hold only one class ({classes[0]!r}); "
                "at least two classes are needed. Label rows of another class."
            )
        return classes, codes

    def _training_config(
        self,
        device: torch.device,
        n_epochs: int,
        learning_rate: str,
        rampup: float = 0.0,
        style_prior: priors.StylePrior = priors.standard_normal,
        image_shift: ImageShift | None = None,
        neighbour_moves: NeighbourMoves | None = None,
    ) -> TrainingConfig:
        return TrainingConfig(
            max_iter=n_epochs,
            batch_size=self.batch_size,
            learning_rate_init=self.learning_rate_init,
            beta_1=self.beta_1,
            learning_rate=learning_rate,
            training=self.training,
            reconstruction_weight=self.reconstruction_weight,
            adversarial_weight=self.adversarial_weight,
            supervised_weight=self.supervised_weight,
            vat_weight=self.vat_weight,
            vat_epsilon=self.vat_epsilon,
            vat_fraction=self.vat_fraction,
            autocast_dtype=autocast_dtype(self.precision, device),
            style_prior=style_prior,
            balance_weight=self.balance_weight,
            interpolation_weight=self.interpolation_weight,
            style_invariance_weight=self.style_invariance_weight,
            style_invariance_scale=self.style_invariance_scale,
            shift_weight=0.0 if image_shift is None else self.shift_weight,
            image_shift=image_shift,
            corruption_weight=self.corruption_weight,
            corruption_rate=self.corruption_rate,
            corruption_fraction=self.corruption_fraction,
            neighbour_weight=0.0 if neighbour_moves is None else self.neighbour_weight,
            neighbour_fraction=self.neighbour_fraction,
            neighbour_moves=neighbour_moves,
            discriminator_interval=self.discriminator_interval,
            rampup=rampup,
        )

    # ------------------------------------------------------------ inference

    def _encode(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Class logits (float64) and style codes (X's float dtype) of X."""
        check_is_fitted(self)
        return self._encode_checked(_validate(self, X, reset=False, **_X_FORMAT))

    def _encode_checked(self, X) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_encode` of an X that ``validate_data`` has already taken."""
        device = next(self.encoder_.parameters()).device
        # Outputs are allocated whole up front: small per-batch arrays kept
        # until the end would fragment the heap between the batches' large
        # temporaries, which then cannot be reused (benchmarks/memory.py: 554-1072
        # MiB above X on 200k rows that way, 152-218 MiB on 1M rows this way).
        _, n_classes, n_components, _, _ = self._architecture
        logits = np.empty((X.shape[0], n_classes))
        codes = np.empty((X.shape[0], n_components), dtype=X.dtype)
        with torch.inference_mode(), torch_threads(self.n_threads):
            for start in range(0, X.shape[0], _PREDICT_BATCH):
                block = X[start : start + _PREDICT_BATCH]
                lg, z = self.encoder_(
                    standardise(block, self._x_mean, self._x_scale, device)
                )
                if not (torch.isfinite(lg).all() and torch.isfinite(z).all()):
                    raise ValueError(
                        "X holds values so far outside the range seen in fit "
                        "that the network overflows float32 (largest |x| in "
                        f"this batch: {abs(block).max():.3g}). Scale X like the "
                        "training data, or remove those rows."
                    )
                logits[start : start + block.shape[0]] = lg.cpu().numpy()
                codes[start : start + block.shape[0]] = z.cpu().numpy()
        return logits, codes

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, the softmax of the encoder's class head.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to one.
        """
        logits, _ = self._encode(X)
        return softmax_(logits)

    def predict(self, X) -> np.ndarray:
        """Predict the class of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The most probable class of each row.
        """
        logits, _ = self._encode(X)
        return self._most_probable(logits)

    def _most_probable(self, logits: np.ndarray) -> np.ndarray:
        return self.classes_[logits.argmax(axis=1)]

    def transform(self, X) -> np.ndarray:
        """Return the style code z of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to encode.

        Returns
        -------
        z : ndarray of shape (n_samples, n_components)
            Style codes, of X's dtype when X is float32, else float64.
        """
        _, codes = self._encode(X)
        return codes

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy on the labeled rows; rows with ``y == -1`` are ignored.

        This makes ``cross_val_score`` and ``GridSearchCV`` work on partially
        labeled data without a custom scorer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test rows.
        y : array-like of shape (n_samples,)
            True labels, ``-1`` for rows to ignore. Labels in a string dtype,
            which cannot hold -1, are all scored.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of ``predict`` over the labeled rows.
        """
        check_is_fitted(self)
        # All of X is checked, the rows that are not scored too; validated
        # once, so that a warning about it comes once.
        X = _validate(self, X, reset=False, **_X_FORMAT)
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y, sample_weight)
        labeled = labeled_mask(y)
        if not labeled.any():
            raise ValueError(
                "y has no labeled rows (all entries are -1), so there is nothing "
                "to score. Pass rows with known labels."
            )
        _class_codes(
            y[labeled],
            self.classes_,
            f"that the model never saw in fit (classes_ = {self.classes_.tolist()}), "
            "so it can never predict them. Drop those rows, mark them -1, or fit "
            "with them labeled.",
        )
        sample_weight = _check_sample_weight(sample_weight, y)
        logits, _ = self._encode_checked(X[np.flatnonzero(labeled)])
        return accuracy_score(
            y[labeled],
            self._most_probable(logits),
            sample_weight=sample_weight[labeled],
        )

    # ------------------------------------------------------------ generation

    def reconstruct(self, X) -> np.ndarray:
        """Encode X and decode it again: the autoencoder's rebuild of each row.

        The decoder gets each row's class probabilities and style code, as in
        training. :meth:`transform` alone has no inverse: its output z leaves
        out the class by design, and the decoder needs both.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to rebuild.

        Returns
        -------
        X_rebuilt : ndarray of shape (n_samples, n_features)
            Rebuilt rows in X's units (float64). Behind a scaler in a
            Pipeline, ``pipe[:-1].inverse_transform`` maps them back further.
        """
        self._check_decoder()
        logits, z = self._encode(X)
        return self._decode(softmax_(logits), z)

    def decode(self, Z, y) -> np.ndarray:
        """Draw the rows of given classes in given styles.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_components)
            Style codes, e.g. the output of :meth:`transform` or draws from
            the prior.
        y : array-like of shape (n_samples,) or a single label
            Class of each row, from ``classes_``; one label is used for all.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Decoded rows in X's units (float64).
        """
        self._check_decoder()
        if y is None:
            raise ValueError(
                "decode needs y, the class of each row (or one label for all); "
                "to draw classes at random use sample."
            )
        Z = check_array(Z, dtype=np.float64, input_name="Z")
        n_components = self._architecture[2]
        if Z.shape[1] != n_components:
            raise ValueError(
                f"Z has {Z.shape[1]} columns, but the style code of this model "
                f"has n_components={n_components}. Pass codes shaped like the "
                "output of transform."
            )
        codes = self._generation_codes(y, len(Z))
        return self._decode(one_hot(codes, len(self.classes_)), Z)

    def sample(
        self, n_samples: int = 1, y=None, random_state=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Generate new rows: styles drawn from the prior, classes uniform or given.

        The prior is the one the model was fitted with, even if ``prior`` was
        set to another since.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to generate.
        y : array-like of shape (n_samples,) or a single label, default=None
            Class of each row, from ``classes_``; one label is used for all.
            None draws the classes uniformly.
        random_state : int, RandomState instance or None, default=None
            Seeds the classes and styles drawn; an int gives the same rows on
            every call.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Generated rows in X's units (float64).
        y_new : ndarray of shape (n_samples,)
            Their classes.
        """
        self._check_decoder()
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool):
            raise TypeError(
                f"n_samples must be an int, got {type(n_samples).__name__}."
            )
        if n_samples < 1:
            raise ValueError(f"n_samples must be at least 1, got {n_samples}.")
        seed = _draw_seed(random_state)
        n_classes = len(self.classes_)
        if y is None:
            codes = np.random.default_rng([seed, 0]).integers(n_classes, size=n_samples)
        else:
            codes = self._generation_codes(y, n_samples)
        Z = self._draw_styles(n_samples, seed)
        return self._decode(one_hot(codes, n_classes), Z), self.classes_[codes]

    def _check_decoder(self) -> None:
        """Refuse to generate with a decoder that no epoch has trained."""
        check_is_fitted(self)
        if "reconstruction" not in self.history_:
            raise ValueError(
                "The decoder of this model was never trained: it was fitted "
                "with reconstruction_weight=0. Refit with reconstruction_weight "
                "> 0 to generate or rebuild rows."
            )

    def _draw_styles(self, n_samples: int, seed: int) -> np.ndarray:
        """``n_samples`` style codes from the prior fitted with, on the CPU."""
        n_components = self._architecture[2]
        prior = _style_prior(self._fitted_prior, n_components, seed)
        generator = torch.Generator().manual_seed(seed)
        return prior(n_samples, n_components, generator).numpy()

    def _generation_codes(self, y, n_samples: int) -> np.ndarray:
        """Class codes of the labels asked for, one per row, checked."""
        y = np.asarray(y)
        if y.ndim == 0:
            y = np.full(n_samples, y)
        y = column_or_1d(y)
        if len(y) != n_samples:
            raise ValueError(
                f"y holds {len(y)} labels for {n_samples} rows. Pass one label "
                "per row, or a single label for all of them."
            )
        return _class_codes(
            y,
            self.classes_,
            f"that the model was not fitted with (classes_ = "
            f"{self.classes_.tolist()}). Pass labels from classes_.",
        )

    def _decode(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        with torch_threads(self.n_threads):
            return decode_rows(
                self.decoder_, y, z, self._x_mean, self._x_scale, _PREDICT_BATCH
            )

    # ------------------------------------------------------------ persistence

    def __getstate__(self) -> dict:
        # object.__getstate__ may hand back the live __dict__: copy it.
        state = dict(super().__getstate__())
        # partial_fit's Adam state travels too, so that chunks trained in
        # other processes (Dask's Incremental) continue it.
        if state.get("_optimizers") is not None:
            state["_optimizers"] = {
                name: tree_to_arrays(optimizer.state_dict())
                for name, optimizer in state["_optimizers"].items()
            }
        for name in _NETS:
            if f"{name}_" in state:
                state[f"{name}_"] = tree_to_arrays(state[f"{name}_"].state_dict())
        return state

    def __setstate__(self, state: dict) -> None:
        weights = {name: state.pop(f"{name}_") for name in _NETS if f"{name}_" in state}
        super().__setstate__(state)
        if not weights:
            return
        device = loading_device(self.device)
        with torch.device("meta"):
            networks = build_networks(*self._architecture)
        for name, arrays in weights.items():
            setattr(
                self, f"{name}_", load_arrays(getattr(networks, name), arrays, device)
            )
        if getattr(self, "_optimizers", None) is not None:
            saved = self._optimizers
            # The saved states set each optimiser's phase, learning rate and
            # betas, whatever the parameters say now: set_params checks
            # nothing, so they may not even be valid until the next fit.
            self._optimizers = adam_optimizers(networks, saved)
            load_optimizer_states(self._optimizers, tree_from_arrays(saved))

    # ------------------------------------------------------------ sklearn

    def __sklearn_is_fitted__(self) -> bool:
        # validate_data sets n_features_in_ before training, which may fail.
        return hasattr(self, "encoder_")

    @property
    def _n_features_out(self) -> int:
        # The fitted width, not the parameter, which set_params may have
        # changed since; unfitted, the AttributeError makes
        # get_feature_names_out raise NotFittedError.
        return self._architecture[2]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
