"""The sweep runner (analysis.run.sweep): resuming, result files, pools."""

from __future__ import annotations

import json
import signal
import time
import warnings
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import pytest
import torch
from tqdm.auto import tqdm

import regions
from analysis.lab import sgd
from analysis.lab.files import atomic_write
from analysis.lab.jobs import Job, SweepWarning, TrainJob, result_path, run_job
from analysis.lab.sgd import build_model
from analysis.lab.train import train
from analysis.run.sweep import _init_worker, process_pool, run_sweep
from analysis.studies.depth_width.jobs import CountJob
from analysis.studies.depth_width.nets import n_parameters, train_config
from tests.analysis.lab.test_train import REGULARISED, SMALL


@dataclass(frozen=True)
class Square(Job):
    x: int

    def run(self, cache_dir: str | None) -> int:
        return self.x**2


@dataclass(frozen=True)
class Other(Job):
    x: int


class Counting:
    """``fn(job) = job.x ** 2``, counting calls; raises on call number ``fail_on``."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.calls: list[int] = []
        self.fail_on = fail_on

    def __call__(self, job: Square) -> dict[str, int]:
        self.calls.append(job.x)
        if len(self.calls) == self.fail_on:
            raise RuntimeError("interrupted")
        return {"square": job.x**2}


JOBS = [Square(x) for x in range(5)]


def test_key_is_stable_and_distinguishes_fields_and_types() -> None:
    assert Square(3).key() == Square(3).key()
    assert Square(3).key() != Square(4).key()
    assert Square(3).key() != Other(3).key()
    assert len(Square(3).key()) == 16


def test_a_new_training_cache_version_gives_training_jobs_new_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from analysis.studies.dynamics.checkpoints import DynamicsRun
    from analysis.studies.dynamics.experiment import DynamicsJob
    from analysis.studies.dynamics.measures import Probe

    run = DynamicsRun("x", SMALL, checkpoints=2)
    keyed = (TrainJob(SMALL), CountJob(SMALL, True), DynamicsJob(run, Probe()), run, SMALL)
    before = [thing.key() for thing in keyed]
    square = Square(3).key()
    monkeypatch.setattr(sgd, "CACHE_VERSION", sgd.CACHE_VERSION + 1)
    after = [thing.key() for thing in keyed]
    assert all(a != b for a, b in zip(after, before, strict=True))
    assert Square(3).key() == square  # trains nothing: its results still hold


def test_interrupted_sweep_resumes_and_computes_only_the_rest(tmp_path: Path) -> None:
    first = Counting(fail_on=3)
    with pytest.raises(RuntimeError, match="interrupted"):
        run_sweep(JOBS, first, tmp_path, progress=False)
    assert first.calls == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(
        result_path(tmp_path, j).name for j in JOBS[:2]
    )
    second = Counting()
    results = run_sweep(JOBS, second, tmp_path, progress=False)
    assert second.calls == [2, 3, 4]
    assert results == [{"square": x * x} for x in range(5)]
    third = Counting()
    assert run_sweep(JOBS, third, tmp_path, progress=False) == results
    assert third.calls == []


def test_subset_first_then_all_and_duplicates_computed_once(tmp_path: Path) -> None:
    run_sweep(JOBS[:2], Counting(), tmp_path, progress=False)
    fn = Counting()
    results = run_sweep([*JOBS, JOBS[4]], fn, tmp_path, progress=False)
    assert fn.calls == [2, 3, 4]
    assert results[-1] == results[4] == {"square": 16}


def test_result_files_are_valid_json_written_atomically(tmp_path: Path) -> None:
    run_sweep(JOBS, Counting(), tmp_path, progress=False)
    files = sorted(tmp_path.iterdir())
    assert len(files) == len(JOBS)
    assert not [p for p in files if p.name.startswith(".") or p.suffix != ".json"]
    for job in JOBS:
        record = json.loads(result_path(tmp_path, job).read_text())
        assert record["job"] == {"x": job.x} and record["result"] == {"square": job.x**2}
        assert record["key"] == job.key() and record["type"] == "Square"


def test_corrupt_or_foreign_result_file_is_recomputed(tmp_path: Path) -> None:
    run_sweep(JOBS[:2], Counting(), tmp_path, progress=False)
    result_path(tmp_path, JOBS[0]).write_text("{not json")
    record = json.loads(result_path(tmp_path, JOBS[1]).read_text())
    record["job"] = {"x": 99}
    result_path(tmp_path, JOBS[1]).write_text(json.dumps(record))
    fn = Counting()
    with pytest.warns(SweepWarning):
        results = run_sweep(JOBS[:2], fn, tmp_path, progress=False)
    assert fn.calls == [0, 1] and results == [{"square": 0}, {"square": 1}]


def test_pool_and_serial_give_identical_numbers(tmp_path: Path) -> None:
    jobs = [CountJob(train_config(h, "line", s)) for h in ((6,), (4, 4), (3, 3, 3)) for s in (0, 1)]
    fn = partial(run_job, cache_dir=None)
    serial = run_sweep(jobs, fn, tmp_path / "serial", progress=False)
    with process_pool(2) as pool:
        pooled = run_sweep(jobs, fn, tmp_path / "pool", executor=pool, progress=False)
    assert pooled == serial
    assert run_sweep(jobs, fn, tmp_path / "pool", progress=False) == serial  # loaded
    # The counts are real: each equals a fresh exact decomposition of the same net.
    for job, result in zip(jobs, serial, strict=True):
        part = regions.decompose(build_model(job.config))
        assert result["by_depth"] == part.counts_by_depth().tolist()
        assert result["linear"] == part.linear_regions().n <= len(part)
        assert result["n_parameters"] == n_parameters(job.config.model.hidden)


def test_train_jobs_in_a_pool_cache_the_same_weights_as_serial_training(tmp_path: Path) -> None:
    configs = [replace(SMALL, epochs=2, dataset=d) for d in ("line", "abs")] + [REGULARISED]
    fn = partial(run_job, cache_dir=str(tmp_path / "models"))
    train(configs[1], cache_dir=tmp_path / "models", progress=False)  # one already cached
    results = run_sweep([TrainJob(c) for c in configs], fn, tmp_path, progress=False, n_jobs=2)
    for config, result in zip(configs, results, strict=True):
        cached = train(config, cache_dir=tmp_path / "models", progress=False)
        fresh = train(config, progress=False)
        assert cached.from_cache and result["test_acc"] == float(cached.history.test_acc[-1])
        for name, value in fresh.model.state_dict().items():
            assert torch.equal(cached.model.state_dict()[name], value), name


def test_pool_workers_keep_freed_memory(monkeypatch):
    """The pool's initializer turns on regions.keep_freed_memory in each worker (spawned: the
    parent's allocator settings do not reach it)."""
    kept = []
    monkeypatch.setattr(regions, "keep_freed_memory", lambda: kept.append(True))
    handler, show, lock = signal.getsignal(signal.SIGINT), warnings.showwarning, tqdm.get_lock()
    terminate = signal.getsignal(signal.SIGTERM)
    try:
        _init_worker()
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, terminate)
        warnings.showwarning = show
        tqdm.set_lock(lock)
    assert kept == [True]


def _write_slowly(path: str) -> None:
    """Half a file, then a minute's wait: a write in progress when the worker is ended."""
    atomic_write(path, lambda fh: (fh.write(b"half"), time.sleep(60)))


def test_ended_workers_leave_no_partial_files(tmp_path: Path) -> None:
    """A Ctrl-C ends the pool's workers by SIGTERM, which runs no clean-up of theirs: the
    temporary file of a write in progress is removed all the same (it would stay in the cache
    for good)."""
    target = tmp_path / "model.pt"
    with pytest.raises(KeyboardInterrupt), process_pool(1) as pool:
        pool.submit(_write_slowly, str(target))
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".model.pt.*.tmp")):  # the worker is writing
            assert time.monotonic() < deadline, "the worker never started writing"
            time.sleep(0.02)
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
