"""Bad input: every public method answers with a clear ValueError, TypeError or
NotFittedError before any torch work, never a torch error or a silent answer."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError

from skaae import AAEClassifier

from .conftest import small_aae

N, D = 40, 5
INFERENCE = ["predict", "predict_proba", "transform", "reconstruct"]


def _rows(n=N, d=D):
    return np.random.default_rng(0).normal(size=(n, d))


def _labels(n=N):
    y = np.tile([0, 1], n // 2)
    y[::4] = -1
    return y


def _with(value, X=None):
    """X with ``value`` in its first entry."""
    X = _rows() if X is None else X.copy()
    X = X.astype(type(value)) if isinstance(value, complex) else X
    X[0, 0] = value
    return X


@pytest.fixture(scope="module")
def fitted():
    return small_aae(max_iter=1).fit(_rows(), _labels())


# Bad X for every method: (X, error, words of the message).
BAD_X = {
    "NaN": (_with(np.nan), ValueError, "NaN"),
    "+inf": (_with(np.inf), ValueError, "infinity.*np.isinf"),
    "-inf": (_with(-np.inf), ValueError, "infinity"),
    "NaN, sparse": (sp.csr_matrix(_with(np.nan)), ValueError, "NaN"),
    "complex": (_with(1 + 2j), ValueError, "Complex data not supported.*real"),
    "empty": (np.empty((0, D)), ValueError, "0 sample"),
    "no features": (np.empty((N, 0)), ValueError, "0 feature"),
    "1-D": (_rows()[:, 0], ValueError, "Expected 2D array"),
    "3-D": (_rows().reshape(N, D, 1), ValueError, "dim 3.*Reshape"),
    "text": (
        np.full((N, D), "a", dtype=object),
        ValueError,
        "could not convert.*encode text",
    ),
    "str dtype": (np.full((N, D), "a"), ValueError, "encode text"),
    "None entries": (np.full((N, D), None), ValueError, "NaN"),
    "dict entries": (np.full((N, D), {}), TypeError, "argument must be.*encode text"),
}

# Bad y for fit, with good X: (y, error, words of the message).
BAD_Y = {
    "all -1": (np.full(N, -1), ValueError, "no labeled rows"),
    "one class": (np.where(_labels() == 1, -1, _labels()), ValueError, "one class"),
    "floats like 0.5": (np.linspace(0, 1, N), ValueError, "Unknown label type"),
    "NaN": (np.where(_labels() == 1, np.nan, _labels()), ValueError, "NaN"),
    "str dtype": (np.array(["a", "b"] * (N // 2)), ValueError, "object array"),
    "2-D": (np.stack([_labels(), _labels()], axis=1), ValueError, "1d array"),
    "too short": (_labels()[:-2], ValueError, "inconsistent numbers"),
    "empty": (np.empty(0), ValueError, "inconsistent numbers"),
}


@pytest.mark.parametrize("case", list(BAD_X))
def test_fit_refuses_bad_x_before_torch_work(case, no_torch_work):
    X, error, match = BAD_X[case]
    with pytest.raises(error, match=match):
        small_aae().fit(X, _labels(X.shape[0]) if X.ndim else _labels())


@pytest.mark.parametrize("case", list(BAD_X))
def test_partial_fit_refuses_bad_x_before_torch_work(case, no_torch_work):
    X, error, match = BAD_X[case]
    y = _labels(X.shape[0]) if X.ndim else _labels()
    with pytest.raises(error, match=match):
        small_aae().partial_fit(X, y, classes=[0, 1])


# partial_fit takes chunks without labels, or with one class: classes= names
# them all. What it refuses: (y, error, words of the message).
BAD_CHUNK_Y = {
    "label not in classes": (np.where(_labels() == 1, 5, _labels()), "labels \\[5\\]"),
    "floats like 0.5": (np.linspace(0, 1, N), "Unknown label type"),
    "NaN": (np.where(_labels() == 1, np.nan, _labels()), "NaN"),
    "str dtype": (np.array(["a", "b"] * (N // 2)), "object array"),
    "2-D": (np.stack([_labels(), _labels()], axis=1), "1d array"),
    "too short": (_labels()[:-2], "inconsistent numbers"),
}


@pytest.mark.parametrize("case", list(BAD_CHUNK_Y))
def test_partial_fit_refuses_bad_y_before_torch_work(case, no_torch_work):
    y, match = BAD_CHUNK_Y[case]
    with pytest.raises(ValueError, match=match):
        small_aae().partial_fit(_rows(), y, classes=[0, 1])


@pytest.mark.parametrize(
    "y", [np.full(N, -1), np.where(_labels() == 1, -1, _labels())], ids=["none", "one"]
)
def test_partial_fit_takes_chunks_with_few_labels(y):
    clf = small_aae().partial_fit(_rows(), y, classes=[0, 1])
    assert np.isfinite(clf.predict_proba(_rows())).all()


@pytest.mark.parametrize("case", list(BAD_Y))
def test_fit_refuses_bad_y_before_torch_work(case, no_torch_work):
    y, error, match = BAD_Y[case]
    with pytest.raises(error, match=match):
        small_aae().fit(_rows(), y)


@pytest.mark.parametrize("method", [*INFERENCE, "score"])
@pytest.mark.parametrize("case", [c for c in BAD_X if c != "no features"])
def test_inference_refuses_bad_x(fitted, method, case):
    X, error, match = BAD_X[case]
    args = (X, _labels(X.shape[0])) if method == "score" else (X,)
    with pytest.raises(error, match=match):
        getattr(fitted, method)(*args)


@pytest.mark.parametrize("method", [*INFERENCE, "score"])
def test_wrong_width_after_fit(fitted, method):
    X = _rows(d=D - 1)
    args = (X, _labels()) if method == "score" else (X,)
    with pytest.raises(ValueError, match=f"expecting {D} features"):
        getattr(fitted, method)(*args)


@pytest.mark.parametrize("method", [*INFERENCE, "score"])
def test_unfitted_estimator(method):
    args = (_rows(), _labels()) if method == "score" else (_rows(),)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(AAEClassifier(), method)(*args)


@pytest.mark.parametrize(
    "y, match",
    [
        (np.full(N, 7), r"labels \[7\] that the model never saw"),
        (_labels()[:-1], "inconsistent numbers"),
        (np.full(N, -1), "no labeled rows"),
    ],
)
def test_score_refuses_bad_y(fitted, y, match):
    with pytest.raises(ValueError, match=match):
        fitted.score(_rows(), y)


@pytest.mark.parametrize("method", INFERENCE)
def test_huge_values_overflowing_float32_are_refused(fitted, method):
    with pytest.raises(ValueError, match="overflows float32"):
        getattr(fitted, method)(_with(1e300))


# Generation: styles Z (the fitted model has n_components=2) and classes y.
Z = np.zeros((3, 2))

BAD_DECODE = {
    "Z with NaN": ((np.full((3, 2), np.nan), 0), ValueError, "Z contains NaN"),
    "Z with inf": ((np.full((3, 2), np.inf), 0), ValueError, "Z contains infinity"),
    "Z 1-D": ((np.zeros(2), 0), ValueError, "Expected 2D array"),
    "Z too wide": ((np.zeros((3, 3)), 0), ValueError, "n_components=2"),
    "Z empty": ((np.zeros((0, 2)), 0), ValueError, "0 sample"),
    "Z complex": ((Z + 1j, 0), ValueError, "[Cc]omplex"),
    "Z text": ((np.full((3, 2), "a"), 0), ValueError, "convert"),
    "Z beyond float32": ((np.full((3, 2), 1e300), 0), ValueError, "overflows"),
    "y unknown": ((Z, 7), ValueError, r"labels \[7\] that the model was not"),
    "y too short": ((Z, [0, 1]), ValueError, "2 labels for 3 rows"),
    "y 2-D": ((Z, np.zeros((3, 2), dtype=int)), ValueError, "1d array"),
    "y missing": ((Z, None), ValueError, "decode needs y"),
}


@pytest.mark.parametrize("case", list(BAD_DECODE))
def test_decode_refuses_bad_input(fitted, case):
    args, error, match = BAD_DECODE[case]
    with pytest.raises(error, match=match):
        fitted.decode(*args)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_samples": 0}, ValueError, "at least 1"),
        ({"n_samples": -2}, ValueError, "at least 1"),
        ({"n_samples": 2.5}, TypeError, "must be an int"),
        ({"n_samples": "3"}, TypeError, "must be an int"),
        ({"n_samples": True}, TypeError, "must be an int"),
        ({"n_samples": 3, "y": 7}, ValueError, "not fitted with"),
        ({"n_samples": 3, "y": [0, 1]}, ValueError, "2 labels for 3 rows"),
        (
            {"n_samples": 3, "random_state": "seed"},
            ValueError,
            "cannot be used to seed",
        ),
    ],
)
def test_sample_refuses_bad_input(fitted, kwargs, error, match):
    with pytest.raises(error, match=match):
        fitted.sample(**kwargs)


GENERATION = {"sample": (3,), "decode": (Z, 0), "reconstruct": (_rows(),)}


@pytest.mark.parametrize("method", list(GENERATION))
def test_unfitted_estimator_cannot_generate(method):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(AAEClassifier(), method)(*GENERATION[method])


@pytest.mark.parametrize("method", list(GENERATION))
def test_an_untrained_decoder_does_not_generate(method):
    clf = small_aae(max_iter=1, reconstruction_weight=0, style_invariance_weight=0).fit(
        _rows(), _labels()
    )
    with pytest.raises(ValueError, match="reconstruction_weight=0"):
        getattr(clf, method)(*GENERATION[method])


@pytest.mark.parametrize("value", [1e30, -1e30, 1e300])
def test_huge_values_in_fit_train_a_finite_model(value):
    X = _rows() * value
    clf = small_aae(max_iter=2).fit(X, _labels())
    assert np.all(np.isfinite(clf.predict_proba(X)))


@pytest.mark.parametrize(
    "X, y",
    [
        (_rows(d=1), _labels()),
        (_rows() > 0, _labels()),
        (_rows(), _labels() == 1),
        (_rows(n=2), np.array([0, 1])),
    ],
    ids=["one feature", "boolean X", "boolean y", "two rows"],
)
@pytest.mark.filterwarnings("ignore:y contains no unlabeled rows")
def test_small_and_boolean_input_fit_and_predict(X, y):
    clf = small_aae(max_iter=1).fit(X, y)
    proba = clf.predict_proba(X[:1])
    assert proba.shape == (1, 2) and np.all(np.isfinite(proba))
    assert clf.predict(X[:1])[0] in clf.classes_


# ------------------------------------------------------ property-based test

_HUGE = [1e30, -1e30, 1e300, -1e300, 5e-324, -0.0]
_SPECIAL = [np.nan, np.inf, -np.inf]


def _x_arrays(shape):
    small = st.floats(-10, 10)
    return st.one_of(
        hnp.arrays(np.float64, shape, elements=small),
        hnp.arrays(np.float64, shape, elements=small | st.sampled_from(_HUGE)),
        hnp.arrays(np.float64, shape, elements=small | st.sampled_from(_SPECIAL)),
        hnp.arrays(np.float32, shape, elements=st.floats(-10, 10, width=32)),
        hnp.arrays(np.int64, shape, elements=st.integers(-(2**62), 2**62)),
        hnp.arrays(np.bool_, shape),
        hnp.arrays(np.complex128, shape, elements=st.complex_numbers(max_magnitude=9)),
        hnp.arrays(object, shape, elements=st.sampled_from(["a", None, 1.5, b"x"])),
    )


def _y_arrays(n):
    labels = hnp.arrays(np.int64, n, elements=st.sampled_from([0, 1, 2, -1]))
    return st.one_of(
        labels,
        labels,
        hnp.arrays(np.float64, n, elements=st.sampled_from([-1.0, 0.0, 0.5, np.nan])),
        hnp.arrays(object, n, elements=st.sampled_from(["a", "b", -1, None])),
    )


@st.composite
def _fit_input(draw):
    """X, y and new rows: mostly well-shaped, so that many fits get through."""
    n = draw(st.integers(4, 10) | st.integers(0, 10))
    d = draw(st.integers(1, 4) | st.integers(0, 4))
    odd_shape = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=10)
    X = draw(_x_arrays(draw(odd_shape) if draw(st.integers(0, 3)) == 3 else (n, d)))
    y = draw(_y_arrays(draw(st.sampled_from([n, n, n, max(n - 1, 0)]))))
    if y.dtype == np.int64 and len(y) >= 2 and draw(st.booleans()):
        y[:2] = [0, 1]  # two labeled classes: fit can get through
    X_new = draw(_x_arrays(draw(odd_shape) if draw(st.integers(0, 3)) == 3 else (3, d)))
    return X, y, X_new


ALLOWED = (ValueError, TypeError)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=_fit_input(), draw_partial=st.booleans())
@pytest.mark.filterwarnings("ignore")
def test_random_input_gives_an_answer_or_a_clear_error(data, draw_partial):
    X, y, X_new = data
    clf = small_aae(
        hidden_layer_sizes=(4,),
        discriminator_layer_sizes=(4,),
        batch_size=4,
        max_iter=1,
    )
    try:
        if draw_partial:
            clf.partial_fit(X, y, classes=[0, 1, 2])
        else:
            clf.fit(X, y)
    except ALLOWED as exc:
        event(f"fit: {type(exc).__name__}: {str(exc)[:50]}")
        return
    event(f"fit: fitted ({'partial_fit' if draw_partial else 'fit'})")
    for rows in (X, X_new):
        try:
            proba = clf.predict_proba(rows)
        except ALLOWED as exc:
            event(f"predict_proba: {type(exc).__name__}")
            continue
        event("predict_proba: answered")
        assert np.all(np.isfinite(proba))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
        assert np.isin(clf.predict(rows), clf.classes_).all()


def test_one_row_cannot_teach_two_classes(no_torch_work):
    with pytest.raises(ValueError, match="one class"):
        small_aae().fit(_rows(n=1), np.array([0]))


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(hidden_layer_sizes=(10, 0)), "positive integers"),
        (dict(discriminator_layer_sizes=(-3,)), "positive integers"),
        (dict(hidden_layer_sizes=(True, 5)), "positive integers"),
        (dict(discriminator_layer_sizes=[[4, 4]]), "positive integers"),
        (dict(batch_size=0), "batch_size"),
        (dict(training="adam"), "training"),
        (dict(vat_epsilon=0), "vat_epsilon"),
        (dict(vat_fraction=0.0), "vat_fraction"),
        (dict(vat_fraction=1.5), "vat_fraction"),
        (dict(interpolation_weight=-1.0), "interpolation_weight"),
        (dict(style_invariance_weight=-1.0), "style_invariance_weight"),
        (dict(style_invariance_scale=0.0), "style_invariance_scale"),
        (dict(image_shape=(2, 3)), "holds 6 pixels, but X has 5 features"),
        (dict(image_shape=(5,)), r"\(height, width\)"),
        (dict(image_shape=(5, 1, 0)), "positive integers"),
        (dict(image_shape="5x1"), "image_shape"),
        (dict(image_shape=(1, 5)), "side of one pixel"),
        (dict(image_shape=(5, 1), max_shift=1), "side of one pixel"),
        (dict(image_shape=(True, 5)), "positive integers"),
        (dict(image_shape=np.array(5)), "positive integers"),
        (dict(image_shape=[[5, 1]]), "positive integers"),
        (dict(max_shift=0), "max_shift"),
        (dict(shift_weight=-1.0), "shift_weight"),
        (dict(corruption_weight=-1.0), "corruption_weight"),
        (dict(corruption_rate=0.0), "corruption_rate"),
        (dict(corruption_rate=1.0), "corruption_rate"),
        (dict(corruption_fraction=0.0), "corruption_fraction"),
        (dict(corruption_fraction=1.5), "corruption_fraction"),
        (dict(neighbour_weight=-1.0), "neighbour_weight"),
        (dict(neighbour_fraction=0.0), "neighbour_fraction"),
        (dict(neighbour_fraction=1.5), "neighbour_fraction"),
        (dict(discriminator_interval=0), "discriminator_interval"),
        (dict(discriminator_interval=1.5), "discriminator_interval"),
        (dict(reconstruction_weight=0.0), "leaves untrained"),
        (dict(beta_1=1.0), "beta_1"),
        (dict(device="not-a-device"), "not a torch device"),
        (dict(device="meta"), "holds shapes but no values"),
        (dict(batch_size=True), "'batch_size' .* not the bool True"),
        (dict(n_components=True), "'n_components' .* not the bool True"),
    ],
)
def test_bad_parameters_fail_before_torch_work(params, match, no_torch_work):
    with pytest.raises(ValueError, match=match):
        small_aae(**params).fit(_rows(), _labels())


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="MPS is available here")
def test_a_device_this_torch_build_lacks_is_a_clear_error(no_torch_work):
    # Torch accepts the name and fails only when a tensor goes there.
    with pytest.raises(ValueError, match="'mps' is not usable with this PyTorch"):
        small_aae(device="mps").fit(_rows(), _labels())


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error(no_torch_work):
    with pytest.raises(ValueError, match="CUDA is not available"):
        small_aae(device="cuda").fit(_rows(), _labels())
