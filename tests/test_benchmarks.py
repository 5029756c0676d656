"""The benchmark scripts' building blocks (the scripts themselves are not tests)."""

import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from skaae import AAEClassifier

# The scripts import each other as top-level modules, as `python benchmarks/x.py`
# does; a broken import must fail these tests, not skip them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import accuracy
import common
import memory
import validation


def test_validation_rows_are_training_rows_only():
    X_fit, _, X_val, _ = common.split("digits", "validation")
    X_train, _, X_test, _ = common.split("digits", "test")
    assert len(X_fit) + len(X_val) == len(X_train)
    train_rows = {row.tobytes() for row in X_train}
    assert all(row.tobytes() in train_rows for row in X_val)
    assert not {row.tobytes() for row in X_test} & {row.tobytes() for row in X_val}


def test_header_quotes_the_command_so_it_can_be_pasted_back(monkeypatch):
    argv = ["benchmarks/accuracy.py", "--methods", "AAEClassifier (defaults)"]
    monkeypatch.setattr(sys, "argv", argv)
    line = next(li for li in common.header("x").splitlines() if "command" in li)
    assert shlex.split(line.split("`")[1]) == ["python", *argv]


@pytest.mark.parametrize("dataset", common.DATASETS)
@pytest.mark.parametrize("name", accuracy.METHODS)
def test_every_method_is_a_fresh_estimator(name, dataset):
    model = accuracy.make_method(name, seed=0, dataset=dataset)
    assert model is not accuracy.make_method(name, seed=0, dataset=dataset)
    assert not hasattr(model, "classes_")
    assert type(clone(model)) is type(model)
    assert callable(model.fit) and callable(model.predict)


def test_methods_run_on_some_cases_name_known_methods_and_cases():
    for method, cases in accuracy._ONLY_ON.items():
        assert method in accuracy.METHODS
        assert set(cases) <= set(accuracy.CASES)


def test_unknown_method_is_an_error():
    with pytest.raises(ValueError, match="unknown method"):
        accuracy.make_method("kmeans", seed=0, dataset="digits")


@pytest.mark.parametrize("name", list(validation.CANDIDATES))
def test_every_candidate_is_a_valid_setting(name):
    AAEClassifier(**validation.CANDIDATES[name])._validate_params()


def test_validation_fit_seed_is_the_models_random_state(monkeypatch):
    seen = []

    class Recorder(AAEClassifier):
        def fit(self, X, y):
            seen.append(self.random_state)
            return super().fit(X, y)

    monkeypatch.setattr(validation, "AAEClassifier", Recorder)
    job = {
        "dataset": "digits",
        "labels_per_class": 5,
        "seed": 2,
        "candidate": "defaults",
        "base": {"max_iter": 1, "hidden_layer_sizes": [8]},
        "device": "cpu",
        "data_home": None,
    }
    for fit_seed in (None, 7):
        result = validation.evaluate({**job, "fit_seed": fit_seed})
        assert 0 <= result["error"] <= 1
    # Without fit seeds the label seed seeds the model too, as before.
    assert seen == [2, 7]


def test_fit_and_score_reports_test_error():
    result = accuracy.fit_and_score(
        "LabelSpreading (knn, PCA-50)", "digits:5", seed=0, data_home=None
    )
    assert 0 <= result["error"] < 0.5
    assert result["fit_s"] > 0 and result["predict_s"] > 0


def test_markdown_table():
    text = common.markdown_table(["a", "b"], [[1, "x"], [2.5, "y"]])
    assert text.splitlines() == ["| a | b |", "|---|---|", "| 1 | x |", "| 2.5 | y |"]


def _result(case, method, error, run="2026-01-01 00:00"):
    return {
        "case": case,
        "method": method,
        "error": error,
        "fit_s": 1.0,
        "predict_s": 0.1,
        "peak_mib": 100.0,
        "run": run,
        "machine": f"machine of {run}",
        "command": f"python benchmarks/accuracy.py  # {run}",
    }


def test_summary_gives_mean_and_std_per_case_and_method():
    results = [_result("digits:5", "m", e) for e in (0.1, 0.2)]
    (row,) = accuracy._summary(results, ["digits:5"], ["m"])
    assert row[:4] == ["digits, 5/class", "m", "15.00 ± 5.00", "10.00 / 20.00"]
    assert np.isclose(float(row[4]), 1.0)
    assert row[-1] == "2026-01-01 00:00"


def test_runs_lists_each_run_once_in_order_with_its_machine_and_command():
    results = [
        _result("mnist:10", "a", 0.1, run="2026-01-02 00:00"),
        _result("digits:5", "a", 0.1, run="2026-01-01 00:00"),
        _result("digits:5", "b", 0.2, run="2026-01-02 00:00"),
    ]
    results[1]["note"] = "renamed since"
    # Another run that started in the same minute as the last one.
    results.append({**results[2], "command": "python benchmarks/accuracy.py -x"})
    assert accuracy._runs(results).splitlines() == [
        "- 2026-01-01 00:00: machine of 2026-01-01 00:00; "
        "`python benchmarks/accuracy.py  # 2026-01-01 00:00` (renamed since)",
        "- 2026-01-02 00:00: machine of 2026-01-02 00:00; "
        "`python benchmarks/accuracy.py  # 2026-01-02 00:00`",
        "- 2026-01-02 00:00: machine of 2026-01-02 00:00; "
        "`python benchmarks/accuracy.py -x`",
    ]


def test_update_keeps_only_the_rows_it_does_not_rerun(tmp_path):
    earlier = [
        _result("digits:5", "a", 0.1),
        _result("digits:5", "b", 0.2),
        _result("mnist:10", "a", 0.3),
    ]
    path = tmp_path / "accuracy.json"
    path.write_text(json.dumps(earlier))
    kept = accuracy._kept(str(path), ["digits:5"], ["a"])
    assert kept == earlier[1:]


def test_table_shows_every_row_known_ones_first():
    results = [
        _result("mnist:20", "AAEClassifier (defaults)", 0.1),
        _result("digits:5", "a renamed method", 0.2),
        _result("digits:5", "AAEClassifier (defaults)", 0.3),
        _result("mnist:10", "LabelSpreading (knn, PCA-50)", 0.4),
    ]
    cases, methods = accuracy._order(results)
    assert cases == ["mnist:10", "digits:5", "mnist:20"]
    assert methods == [
        "AAEClassifier (defaults)",
        "LabelSpreading (knn, PCA-50)",
        "a renamed method",
    ]


def test_a_workers_peak_memory_is_its_own_not_its_parents():
    # ru_maxrss would carry this process's peak into the spawned worker.
    block = np.ones(1024**3 // 8)  # 1 GiB, every page touched
    assert common.peak_resident_mib() > 1024
    result, worker_peak = common.run_isolated(int, "7")
    assert result == 7 and worker_peak < 1024
    del block


def test_tiled_cycles_through_the_rows():
    rows = np.arange(6, dtype=np.float64).reshape(3, 2)
    X = memory.tiled(rows, 7)
    assert X.dtype == np.float32 and X.shape == (7, 2)
    np.testing.assert_array_equal(X[[0, 3, 6]], rows[[0, 0, 0]])


def test_peak_sampler_sees_a_temporary_allocation():
    with memory.PeakSampler() as sampler:
        before = memory.resident_mib()
        block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
        time.sleep(0.05)  # many sampling periods
        del block
    assert sampler.peak - before > 32


_ORPHAN_SCRIPT = """
import os, sys, time
sys.path.insert(0, {benchmarks!r})
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from common import exit_with_parent

def report_pid_and_wait(path):
    with open(path, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(120)

if __name__ == "__main__":
    context = get_context("spawn")
    pool = ProcessPoolExecutor(1, mp_context=context, initializer=exit_with_parent)
    pool.submit(report_pid_and_wait, {pid_file!r}).result()
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_pool_workers_end_when_their_parent_is_killed(tmp_path):
    # A stopped benchmark must not leave fits running that would share the CPU
    # with, and spoil the timings of, the next run.
    import subprocess

    pid_file = tmp_path / "worker.pid"
    script = tmp_path / "parent.py"
    benchmarks = str(Path(__file__).resolve().parents[1] / "benchmarks")
    script.write_text(
        _ORPHAN_SCRIPT.format(benchmarks=benchmarks, pid_file=str(pid_file))
    )
    parent = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 120
        while not (pid_file.exists() and pid_file.read_text()):
            assert time.monotonic() < deadline, "the worker never started"
            time.sleep(0.2)
        worker = int(pid_file.read_text())
        assert _alive(worker)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 20
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(worker)
    finally:
        parent.kill()
