"""The depth-versus-width study (analysis.studies.depth_width): matched budgets, exact counts
by decomposition and by the arrangement formula, the counting loop, and a tiny full run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import regions
from analysis.lab.models import MLP, MLPConfig
from analysis.lab.options import QuickMode, RunOptions
from analysis.lab.train import train
from analysis.run.registry import EXPERIMENTS
from analysis.run.reproduce import run_experiment
from analysis.studies.depth_width.counting import Count, one_layer_count
from analysis.studies.depth_width.experiment import EXPERIMENT
from analysis.studies.depth_width.jobs import CurveJob
from analysis.studies.depth_width.nets import matched_widths, n_parameters, train_config
from regions.constructions import folding_net_count


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


def decomposed(model: MLP, box: tuple[float, ...]) -> Count:
    part = regions.decompose(model, domain=box)
    return Count(tuple(int(c) for c in part.counts_by_depth()), part.linear_regions().n, "")


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("box", [(-2, 2, -2, 2), (-0.5, 0.5, -0.5, 0.5)])
def test_arrangement_count_equals_exact_decomposition(seed: int, box) -> None:
    model = MLP((40,), bias_std=0.5, seed=seed)
    count = one_layer_count(model, box)
    assert count is not None and count.method == "arrangement"
    assert replace(count, method="") == decomposed(model, box)


@pytest.mark.parametrize("n", [3, 301])
def test_arrangement_count_is_exact_without_general_position(n: int) -> None:
    # Zero biases put every line through the origin: 2n sectors, where the general-position
    # formula would give 1 + n + n(n - 1)/2.
    count = one_layer_count(MLP((n,), seed=0))
    assert count is not None and count.by_depth == (1, 2 * n) and count.linear == 2 * n


def test_linear_count_merges_lines_where_the_output_does_not_bend() -> None:
    # Unit 1 repeats unit 0's line scaled by 2; unit 2 is unit 0 reversed; unit 4 is silent.
    model = MLP((5,), seed=3, bias_std=0.5)
    hidden, out = model.blocks[0].linear, model.output
    with torch.no_grad():
        hidden.weight[1], hidden.bias[1] = 2 * hidden.weight[0], 2 * hidden.bias[0]
        hidden.weight[2], hidden.bias[2] = -hidden.weight[0], -hidden.bias[0]
        # |s| V summed over the line's units: V0 + 2 V1 + V2 = 0, so that line is no kink.
        out.weight[:, 2] = -out.weight[:, 0] - 2 * out.weight[:, 1]
        out.weight[:, 4] = 0.0
    count = one_layer_count(model)
    assert count is not None and replace(count, method="") == decomposed(model, (-2, 2, -2, 2))
    assert count.linear < count.by_depth[-1]


def test_counting_loop_trains_exactly_like_train() -> None:
    job = CurveJob(QuickMode().train(train_config((4, 4), "sine", seed=3)), every=200)
    result = job.run()
    reference = train(job.config, progress=False)
    for name, value in reference.model.state_dict().items():
        assert torch.equal(torch.tensor(result["state"][name], dtype=value.dtype), value), name
    assert result["steps"] == [0, 200, 400, 500]
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


TINY = replace(
    EXPERIMENT,
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
    report = run_experiment(TINY, options)
    assert [f.stem for f in report.figures] == [f"depth-vs-width/{s}" for s in STEMS]
    for stem in STEMS:
        png = tmp_path / "depth-vs-width" / f"{stem}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not (tmp_path / "depth-vs-width" / f"{stem}.pdf").exists()  # quick: PNG only
    table = dict(zip(report.table.columns, zip(*report.table.rows, strict=True), strict=True))
    assert {"budget 100", "depth", "width", "training", "layers", "statistics"} <= set(
        table["part"]
    )
    sweep_dir = tmp_path / "cache" / "sweeps"
    files = {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*.json")}
    assert len(files) == len({j.key() for j in TINY.jobs(options)})
    again = run_experiment(TINY, options)  # every result loaded: no file rewritten, same numbers
    assert {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*.json")} == files
    assert again.table == report.table
    constructions = [r for r in report.table.rows if r[0] == "constructions"]
    for row in constructions:  # exact counts equal their formulas
        assert row[6] == float(row[5].rsplit("= ", 1)[1].rstrip(")"))
    assert np.isfinite([r[6] for r in report.table.rows if r[5] == "regions"]).all()
    # Explorer pages: the focus net on each dataset and the deepest net of each construction,
    # each captioned with its exact count.
    focus = "x".join(map(str, TINY.focus_widths()))
    stems = [f"explore-{ds}-{focus}" for ds in TINY.datasets]
    stems += ["explore-sawtooth-l4", "explore-2d-sawtooth-l3", "explore-folding-p2-l3"]
    assert [p.stem for p in report.explorers] == [f"depth-vs-width/{s}" for s in stems]
    for page in report.explorers:
        assert 'id="regions-data"' in (tmp_path / f"{page.stem}.html").read_text()
    captions = [p.caption for p in report.explorers]
    assert captions[-3:] == [
        "sawtooth L=4 (16 regions)",
        "2D sawtooth L=3 (64 regions)",
        f"folding p=2 L=3 ({folding_net_count(2, 3)} regions)",
    ]
