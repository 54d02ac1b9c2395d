"""The resumable sweep runner and the depth-versus-width experiment built on it."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

import regions
from analysis.depth_width import (
    CountJob,
    CurveJob,
    DepthWidth,
    _run_job,
    matched_widths,
    n_parameters,
    one_layer_count,
    train_config,
)
from analysis.experiments import EXPERIMENTS, RunOptions
from analysis.models import MLP, MLPConfig
from analysis.sweeps import Job, SweepWarning, result_path, run_sweep
from analysis.train import build_model, train
from regions.constructions import line_arrangement


@dataclass(frozen=True)
class Square(Job):
    x: int


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
    jobs = [CountJob(h, s, 0.5) for h in ((6,), (4, 4), (3, 3, 3)) for s in range(2)]
    fn = partial(_run_job, cache_dir=None)
    serial = run_sweep(jobs, fn, tmp_path / "serial", progress=False)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        pooled = run_sweep(jobs, fn, tmp_path / "pool", executor=pool, progress=False)
    assert pooled == serial
    assert run_sweep(jobs, fn, tmp_path / "pool", progress=False) == serial  # loaded
    # The counts are real: each equals a fresh exact decomposition of the same net.
    for job, result in zip(jobs, serial, strict=True):
        part = regions.decompose(
            build_model(train_config(job.hidden, "line", job.seed, 0.5, False))
        )
        assert result["by_depth"] == part.counts_by_depth().tolist()
        assert result["linear"] == part.linear_regions().n <= len(part)
        assert result["n_parameters"] == n_parameters(job.hidden)


@pytest.mark.parametrize("depth", [1, 2, 4, 8])
@pytest.mark.parametrize("budget", [100, 300, 1_000, 3_000, 10_000])
def test_matched_widths_hit_the_budget(budget: int, depth: int) -> None:
    widths = matched_widths(budget, depth)
    assert len(widths) == depth and max(widths) - min(widths) <= 1
    assert list(widths) == sorted(widths, reverse=True)
    params = n_parameters(widths)
    assert abs(params - budget) <= 0.05 * budget
    w = min(widths)
    for other in (w - 1, w + 1):  # no constant width is closer
        if other >= 1:
            assert abs(n_parameters((other,) * depth) - budget) >= abs(params - budget)


def test_parameter_count_matches_torch() -> None:
    for hidden in ((7,), (5, 9), (3, 3, 3, 3)):
        assert n_parameters(hidden) == MLP(hidden).n_parameters


@pytest.mark.parametrize("seed", [0, 1])
def test_arrangement_count_equals_exact_decomposition(seed: int) -> None:
    model = MLP((40,), bias_std=0.5, seed=seed)
    layer = model.blocks[0].linear
    W, b = layer.weight.detach().double().numpy(), layer.bias.detach().double().numpy()
    assert one_layer_count(W, b) == len(regions.decompose(model))
    assert one_layer_count(W, b, (-0.5, 0.5, -0.5, 0.5)) == regions.count(
        model, (-0.5, 0.5, -0.5, 0.5)
    )


@pytest.mark.parametrize("n", [3, 301])
def test_arrangement_count_is_exact_without_general_position(n: int) -> None:
    # Zero biases put every line through the origin: 2n sectors, where the general-position
    # formula would give 1 + n + n(n - 1)/2. With repeated and parallel lines added too.
    model = MLP((n,), seed=0)
    layer = model.blocks[0].linear
    W, b = layer.weight.detach().double().numpy(), layer.bias.detach().double().numpy()
    assert one_layer_count(W, b) == 2 * n == len(regions.decompose(model))
    W2 = np.vstack([W[:3], -2 * W[:1], W[:1]])
    b2 = np.array([0.0, 0.0, 0.0, 0.0, 0.7])  # line 0 twice more, and once shifted
    net = line_arrangement(W2, b2)
    assert one_layer_count(W2, b2) == regions.count(net)


def test_counting_loop_trains_exactly_like_train() -> None:
    job = CurveJob((4, 4), "sine", seed=3, bias_std=0.5, every=400, quick=True)
    result = job.run()
    reference = train(train_config(job.hidden, "sine", 3, 0.5, True), progress=False)
    for name, value in reference.model.state_dict().items():
        assert torch.equal(torch.tensor(result["state"][name], dtype=value.dtype), value), name
    assert result["steps"] == [0, 400, 800, 1000]
    assert result["regions"] == [c[-1] for c in result["by_depth"]]


def test_bias_std_draws_seeded_normal_biases_and_keeps_old_configs() -> None:
    assert "bias_std" not in MLPConfig().to_dict()  # cache keys of older configs unchanged
    assert MLPConfig.from_dict(MLPConfig(bias_std=0.5).to_dict()).bias_std == 0.5
    zero, old = MLP((30, 30), seed=1), MLP((30, 30), seed=1, bias_std=0.0)
    assert all(torch.equal(a, b) for a, b in zip(zero.parameters(), old.parameters(), strict=True))
    biased = MLP((300, 300), seed=1, bias_std=0.5)
    biases = torch.cat([layer.bias.detach() for layer in biased.linears()[:-1]])
    assert 0.45 < float(biases.std()) < 0.55
    assert torch.equal(biased.linears()[0].weight, MLP((300, 300), seed=1).linears()[0].weight)
    with pytest.raises(ValueError, match="bias_std"):
        MLPConfig(init="default", bias_std=0.1)


TINY = DepthWidth(
    budgets=(100, 300),
    depths=(1, 2),
    seeds=2,
    train_datasets=("line",),
    depth_sweep=(8, (1, 2)),
    width_sweep=(2, (4, 8)),
    curve_budget=100,
    curve_depths=(1, 2),
    curve_every=250,
    focus=(100, 2),
    datasets=("line", "sine"),
    quick_changes={},
)
STEMS = ("budget", "depth-width", "training", "layers", "constructions", "statistics")


def test_quick_tiny_run_writes_every_figure_and_reruns_from_results(tmp_path: Path) -> None:
    assert "depth-vs-width" in EXPERIMENTS
    options = RunOptions(out_dir=tmp_path, cache_dir=tmp_path / "cache", quick=True, progress=False)
    report = TINY(options)
    assert [f.stem for f in report.figures] == [f"depth-vs-width/{s}" for s in STEMS]
    for stem in STEMS:
        png = tmp_path / "depth-vs-width" / f"{stem}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (tmp_path / "depth-vs-width" / f"{stem}.pdf").stat().st_size > 0
    table = dict(zip(report.table.columns, zip(*report.table.rows, strict=True), strict=True))
    assert {"budget 100", "depth", "width", "training", "layers", "statistics"} <= set(
        table["part"]
    )
    sweep_dir = tmp_path / "cache" / "sweeps" / "depth-vs-width"
    files = {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*.json")}
    again = TINY(options)  # every result loaded: no file rewritten, same numbers
    assert {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*.json")} == files
    assert again.table == report.table
    constructions = [r for r in report.table.rows if r[0] == "constructions"]
    for row in constructions:  # exact counts equal their formulas
        assert row[6] == float(row[5].rsplit("= ", 1)[1].rstrip(")"))
    assert np.isfinite([r[6] for r in report.table.rows if r[5] == "regions"]).all()
