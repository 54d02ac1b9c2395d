"""Sweeps on a Dask cluster (analysis.run.cluster): a local cluster of two worker processes runs
a quick experiment, with the same numbers and figures as a local run, and resumes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from analysis.lab.options import RunOptions
from analysis.run.cluster import dask_executor
from analysis.run.reproduce import SWEEPS, reproduce

distributed = pytest.importorskip("distributed")

EXPERIMENT = "batchnorm"  # the smallest classic experiment: 2 nets in quick mode


def table_without_timings(out: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO((out / EXPERIMENT / "results.csv").read_text())))
    for row in rows:
        row.pop("train_seconds")  # wall time of the training run: the only thing that varies
    return rows


def test_a_dask_cluster_gives_the_local_results_and_resumes(tmp_path: Path) -> None:
    local = RunOptions(tmp_path / "local", tmp_path / "local" / "cache", quick=True, progress=False)
    reproduce(local, [EXPERIMENT])
    remote = RunOptions(tmp_path / "dask", tmp_path / "dask" / "cache", quick=True, progress=False)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        with dask_executor(cluster.scheduler_address) as executor:
            reproduce(remote, [EXPERIMENT], executor)
            sweeps = {p: p.stat().st_mtime_ns for p in (remote.cache_dir / SWEEPS).glob("*.json")}
            reproduce(remote, [EXPERIMENT], executor)  # resumes: every result loaded
            again = {p: p.stat().st_mtime_ns for p in (remote.cache_dir / SWEEPS).glob("*.json")}
        workers = len(cluster.workers)
    finally:
        cluster.close()
    assert workers == 2 and len(sweeps) == 2 and again == sweeps
    assert table_without_timings(remote.out_dir) == table_without_timings(local.out_dir)
    for png in sorted((local.out_dir / EXPERIMENT).glob("*.png")):
        assert (remote.out_dir / EXPERIMENT / png.name).read_bytes() == png.read_bytes(), png.name
    assert (remote.out_dir / "index.html").is_file()
