"""AAEClassifier on a Dask cluster: GridSearchCV through joblib, chunked fits."""

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skaae.datasets import hide_labels

from .conftest import small_aae

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
Incremental = pytest.importorskip("dask_ml.wrappers").Incremental


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:900], hide_labels(y[:900], 10, random_state=0), y[:900]


@pytest.fixture(scope="module")
def client():
    # Two worker processes of one thread each; the nanny sets OMP_NUM_THREADS
    # in them, so each fit runs on one torch thread.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _search():
    # One torch thread here too: the same arithmetic as on the workers.
    pipe = make_pipeline(StandardScaler(), small_aae(max_iter=5, n_threads=1))
    return GridSearchCV(
        pipe,
        {"aaeclassifier__n_components": [2, 4], "aaeclassifier__vat_weight": [1, 4]},
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
    )


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def test_dask_workers_run_torch_on_one_thread(client):
    # What docs/scaling.md tells users: no oversubscription by default.
    assert set(client.run(_torch_threads).values()) == {1}


def test_grid_search_on_a_dask_cluster_matches_the_local_run(digits, client):
    X, y, _ = digits
    local = _search().fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = _search().fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


def test_incremental_over_a_dask_array_is_the_partial_fit_loop(digits, client):
    X, y, y_true = digits
    X_blocks = da.from_array(X, chunks=(300, -1))
    y_blocks = da.from_array(y, chunks=300)
    n_passes = 10
    params = dict(hidden_layer_sizes=(128,), batch_size=64, n_threads=1)
    incremental = Incremental(small_aae(**params), shuffle_blocks=False)
    for _ in range(n_passes):
        incremental.partial_fit(X_blocks, y_blocks, classes=np.arange(10))
    by_hand = small_aae(**params)
    for _ in range(n_passes):
        for X_block, y_block in zip(X_blocks.blocks, y_blocks.blocks, strict=True):
            by_hand.partial_fit(
                X_block.compute(), y_block.compute(), classes=np.arange(10)
            )
    model = incremental.estimator_
    assert model.n_iter_ == by_hand.n_iter_ == 3 * n_passes
    np.testing.assert_array_equal(model.predict_proba(X), by_hand.predict_proba(X))
    assert model.score(X, y_true) > 0.8
