"""Saving and loading: pickle, joblib and skops round trips, GPU to CPU."""

import ast
import io
import os
import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

import skaae
from skaae import SKOPS_TRUSTED_TYPES

from .conftest import small_aae

sio = pytest.importorskip("skops.io")


@pytest.fixture(scope="module")
def fitted(digits_partial):
    X, y = digits_partial
    return small_aae().fit(X, y)


def _same_answers(a, b, X):
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def _joblib_round_trip(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def _skops_round_trip(model):
    return sio.loads(sio.dumps(model), trusted=SKOPS_TRUSTED_TYPES)


@pytest.mark.parametrize(
    "round_trip",
    [lambda m: pickle.loads(pickle.dumps(m)), _joblib_round_trip, _skops_round_trip],
    ids=["pickle", "joblib", "skops"],
)
def test_round_trips_answer_identically(fitted, digits_partial, round_trip):
    X, y = digits_partial
    loaded = round_trip(fitted)
    _same_answers(fitted, loaded, X)
    assert loaded.history_ == fitted.history_
    assert loaded.get_params() == fitted.get_params()
    # A loaded model trains on, like the original.
    weight = next(loaded.encoder_.parameters()).detach().clone()
    loaded.set_params(warm_start=True, max_iter=1).fit(X, y)
    assert loaded.n_iter_ == fitted.n_iter_ + 1
    assert not torch.equal(next(loaded.encoder_.parameters()), weight)


def test_a_device_given_as_a_torch_device_loads_with_the_trusted_types(
    digits_partial,
):
    X, y = digits_partial
    model = small_aae(device=torch.device("cpu"), max_iter=1).fit(X, y)
    _same_answers(model, _skops_round_trip(model), X)


def test_a_found_image_shape_loads_with_the_trusted_types(digits_partial):
    # digits' pixels show no layout: as 16 x 16 images of two digits side by
    # side, blurred, they are found to be images.
    X, y = digits_partial
    images = np.kron(X[:, :64].reshape(-1, 8, 8), np.ones((2, 2)))
    rows = gaussian_filter(images, sigma=(0, 1, 1)).reshape(len(X), -1)
    model = small_aae(max_iter=1).fit(rows, y)
    assert model.image_shape_ == (1, 16, 16)
    loaded = _skops_round_trip(model)
    assert loaded.image_shape_ == model.image_shape_
    _same_answers(model, loaded, rows)
    loaded.set_params(warm_start=True).fit(rows, y)
    assert len(loaded.history_["shift"]) == 2


def test_a_partial_fit_model_loads_whatever_its_parameters_say_now(digits_partial):
    # set_params checks nothing; the saved optimiser states hold their own
    # learning rates and betas.
    X, y = digits_partial
    model = small_aae().partial_fit(X, y, classes=np.arange(10))
    loaded = pickle.loads(pickle.dumps(model.set_params(beta_1=1.5)))
    saved = model._optimizers["autoencoder"].param_groups[0]
    assert loaded._optimizers["autoencoder"].param_groups[0]["betas"] == saved["betas"]
    loaded.set_params(beta_1=0.5).partial_fit(X, y)


def test_pickled_state_is_plain_numpy(fitted):
    state = fitted.__getstate__()
    for name in ("encoder_", "decoder_", "discriminator_cat_", "discriminator_style_"):
        assert all(type(a) is np.ndarray for a in state[name].values())
    assert isinstance(fitted.encoder_, torch.nn.Module)  # the live model is intact
    assert b"torch" not in pickle.dumps(fitted)


def test_skops_needs_only_the_documented_trusted_types(fitted, digits_partial):
    assert sio.get_untrusted_types(data=sio.dumps(fitted)) == SKOPS_TRUSTED_TYPES[:1]
    on_a_device = small_aae(device=torch.device("cpu"), max_iter=1)
    on_a_device.fit(*digits_partial)
    untrusted = sio.get_untrusted_types(data=sio.dumps(on_a_device))
    assert untrusted == SKOPS_TRUSTED_TYPES
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert repr(SKOPS_TRUSTED_TYPES).replace("'", '"') in readme


def test_skops_refuses_a_file_with_an_unexpected_type(fitted):
    tampered = pickle.loads(pickle.dumps(fitted))
    tampered.history_ = {"reconstruction": os.system}
    data = sio.dumps(tampered)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="system"):
        sio.loads(data, trusted=SKOPS_TRUSTED_TYPES)


def test_unfitted_model_round_trips():
    model = small_aae()
    for loaded in (pickle.loads(pickle.dumps(model)), _skops_round_trip(model)):
        assert loaded.get_params() == model.get_params()
        assert not hasattr(loaded, "encoder_")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_model_fitted_for_cuda_loads_on_the_cpu(fitted, digits_partial):
    # The weights are stored as NumPy arrays whatever device they trained
    # on, so a CUDA model's pickle differs from this one only in `device`.
    X, _ = digits_partial
    on_gpu = pickle.loads(pickle.dumps(fitted))
    on_gpu.device = "cuda"
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        loaded = pickle.loads(pickle.dumps(on_gpu))
    assert next(loaded.encoder_.parameters()).device.type == "cpu"
    _same_answers(fitted, loaded, X)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_model_unpickles_without_cuda(digits_partial, monkeypatch):
    X, y = digits_partial
    model = small_aae(device="cuda").fit(X, y)
    data = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        loaded = pickle.loads(data)
    assert next(loaded.encoder_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(
        loaded.predict_proba(X), model.predict_proba(X), rtol=1e-4, atol=1e-6
    )


def _torch_load_calls(source: str):
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "load"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "torch"
        ):
            yield node


def test_torch_load_is_only_called_with_weights_only():
    package = Path(skaae.__file__).parent
    for path in package.rglob("*.py"):
        for call in _torch_load_calls(path.read_text()):
            keywords = {k.arg: k.value for k in call.keywords}
            assert "weights_only" in keywords, f"{path}:{call.lineno}"
            assert ast.literal_eval(keywords["weights_only"]) is True


def test_the_torch_load_check_finds_calls():
    calls = list(
        _torch_load_calls(
            "import torch\ntorch.load(f)\ntorch.load(f, weights_only=True)"
        )
    )
    assert len(calls) == 2
