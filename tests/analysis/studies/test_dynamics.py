"""The training-dynamics study (analysis.studies.dynamics): resumable checkpoints, the
per-checkpoint measures against independent computations, and a tiny run end to end."""

from __future__ import annotations

import io
import shutil
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import shapely
import torch
from PIL import Image

import regions
from analysis.lab.cache import CacheWarning, entry_paths
from analysis.lab.models import MLPConfig
from analysis.lab.options import RunOptions
from analysis.lab.sgd import TrainConfig, build_model, dataset_for
from analysis.run.registry import EXPERIMENTS
from analysis.run.reproduce import run_experiment
from analysis.studies.dynamics.checkpoints import DynamicsRun, load_net, train_checkpoints
from analysis.studies.dynamics.experiment import Dynamics, DynamicsJob, classic_run, humayun_run
from analysis.studies.dynamics.measures import LOCATIONS, Probe, fixed_points, measure

SMALL = TrainConfig(
    "sine", n_train=200, n_test=100, batch_size=50, epochs=6, lr=1e-2, weight_decay=0.01,
    loss="mse", model=MLPConfig((6, 6), init="default"),
)  # fmt: skip
PROBE = Probe(radii=(0.1, 0.3), n_points=15)


def _weights(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in net.state_dict().items()}


@pytest.mark.parametrize("optimizer", ["adamw", "sgd"])
def test_resume_is_bit_identical_and_skips_finished_checkpoints(
    tmp_path: Path, optimizer: str
) -> None:
    run = DynamicsRun("small", SMALL, optimizer, checkpoints=5)
    steps = run.checkpoint_steps.tolist()
    whole = {s: _weights(net) for s, net in train_checkpoints(run, tmp_path / "whole")}
    assert list(whole) == steps == [0, 1, 2, 5, 11, 24]
    parts = tmp_path / "parts"
    for step, _ in train_checkpoints(run, parts):  # interrupted after the third checkpoint
        if step == steps[2]:
            break
    stamps = {s: entry_paths(run.folder(parts), f"step_{s:09d}")[0].stat().st_mtime_ns
              for s in steps[:3]}  # fmt: skip
    resumed = {s: _weights(net) for s, net in train_checkpoints(run, parts)}
    assert list(resumed) == steps
    for s in steps:
        assert all(torch.equal(whole[s][k], resumed[s][k]) for k in whole[s])
    for s in steps[:3]:  # not trained or written again
        assert entry_paths(run.folder(parts), f"step_{s:09d}")[0].stat().st_mtime_ns == stamps[s]
    payload = torch.load(entry_paths(run.folder(parts), "step_000000024")[0], weights_only=True)
    assert set(payload) == {"model", "optimizer"}


def test_a_corrupt_checkpoint_is_trained_again(tmp_path: Path) -> None:
    run = DynamicsRun("small", SMALL, "adamw", checkpoints=5)
    first = {s: _weights(net) for s, net in train_checkpoints(run, tmp_path)}
    pt_path = entry_paths(run.folder(tmp_path), "step_000000011")[0]
    pt_path.write_bytes(pt_path.read_bytes()[:-7] + b"garbage")
    again = {s: _weights(net) for s, net in train_checkpoints(run, tmp_path)}
    assert all(torch.equal(first[24][k], again[24][k]) for k in first[24])
    assert torch.load(pt_path, weights_only=True)["model"].keys() == first[11].keys()


def test_diverged_training_is_an_error_and_never_cached(tmp_path: Path) -> None:
    run = DynamicsRun("wild", replace(SMALL, lr=1e30), "sgd", checkpoints=5)
    with pytest.raises(FloatingPointError, match=r"'wild'.* diverged .*try a smaller lr"):
        list(train_checkpoints(run, tmp_path))
    saved = sorted(int(p.stem[5:]) for p in run.folder(tmp_path).glob("step_*.pt"))
    assert saved == run.checkpoint_steps.tolist()[: len(saved)] and 0 < len(saved) < 6
    for step in saved:  # every checkpoint on disk is finite and loads
        assert all(torch.isfinite(p).all() for p in load_net(run, tmp_path, step).parameters())


def test_bad_runs_raise() -> None:
    with pytest.raises(ValueError, match="optimizer must be one of"):
        DynamicsRun("x", SMALL, "adam")
    with pytest.raises(ValueError, match="loss 'classic' needs optimizer 'sgd'"):
        DynamicsRun("x", replace(SMALL, loss="classic"), "adamw")
    with pytest.raises(ValueError, match="no dropout"):
        DynamicsRun("x", replace(SMALL, model=MLPConfig((4,), keep_prob=0.5)))
    with pytest.raises(ValueError, match="leaves no room for far points"):
        Probe(domain=(-3, 3, -3, 3))


def test_measure_against_independent_computations() -> None:
    data = dataset_for(SMALL)
    net = build_model(SMALL).eval()
    row = measure(net, data, PROBE, fixed_points(data, PROBE))
    part = regions.decompose(net, PROBE.domain)
    assert row["regions"] == regions.count(net, PROBE.domain) == len(part)
    assert row["regions_by_layer"] == part.counts_by_depth()[1:].tolist()
    assert list(row["lc"]) == list(LOCATIONS)
    points = fixed_points(data, PROBE)
    for j, r in enumerate(PROBE.radii):
        # Each training point's disc, counted by shapely's distance to every region.
        d = shapely.distance(shapely.points(points["train"])[:, None], part.to_shapely()[None])
        assert row["lc"]["train"][j] == pytest.approx((d < r).sum(axis=1).mean(), abs=1e-12)
    far = points["far"]
    assert (np.abs(far).max(axis=1) >= 3.0).all()
    assert (np.abs(far).max(axis=1) <= 4.0 - max(PROBE.radii)).all()
    assert row["train_acc"] == pytest.approx(
        float((net(torch.from_numpy(data.X_train)).argmax(1).numpy() == data.y_train).mean())
    )


def test_tiny_study_end_to_end(tmp_path: Path) -> None:
    """Rows per checkpoint, step 0 equal to the initial net's count, figures and GIF."""
    runs = (
        DynamicsRun("a", SMALL, "adamw", checkpoints=4),
        DynamicsRun("b", replace(SMALL, dataset="ellipse", loss="classic"), "sgd", checkpoints=3),
    )
    study = Dynamics(name="dynamics", runs=runs, probe=PROBE)
    options = RunOptions(tmp_path / "out", tmp_path / "cache", progress=False)
    manifest = run_experiment(study, options)
    stems = [f.stem for f in manifest.figures]
    names = ("local_complexity", "regions_per_layer", "decision_boundary", "snapshots")
    assert stems == [f"dynamics/{s}" for s in names]
    table = manifest.table
    col = {c: i for i, c in enumerate(table.columns)}
    for name in ("regions", "regions_l1", "regions_l2", "linear_pieces", "boundary_pieces",
                 "train_acc", "test_acc", "vertex_distance", "lc_train_r0.1",
                 "lc_decision_boundary_r0.3", "lc_far_r0.1", "lc_true_boundary_r0.3",
                 "lc_test_r0.1"):  # fmt: skip
        assert name in col
    for run in runs:
        mine = [r for r in table.rows if r[col["run"]] == run.label]
        assert [r[col["step"]] for r in mine] == run.checkpoint_steps.tolist()
        initial = build_model(run.train)
        assert mine[0][col["regions"]] == regions.count(initial, PROBE.domain)
        assert all(r[col["lc_train_r0.1"]] >= 1 for r in mine)
    gif = tmp_path / "out" / "dynamics" / "training.gif"
    assert [m.path for m in manifest.media][0] == "dynamics/training.gif"
    frames = Image.open(io.BytesIO(gif.read_bytes()))
    assert frames.n_frames == len(runs[0].checkpoint_steps)
    csv_rows = (tmp_path / "out" / "dynamics" / "results.csv").read_text().splitlines()
    assert len(csv_rows) == 1 + sum(len(r.checkpoint_steps) for r in runs)
    # A second run reads every number from the sweep and the checkpoints from the cache.
    job = DynamicsJob(runs[0], PROBE)
    again = job.run(str(options.cache_dir))
    assert again["measure_seconds"] == 0.0
    mine = [r for r in table.rows if r[col["run"]] == "a"]
    assert [row["regions"] for row in again["rows"]] == [r[col["regions"]] for r in mine]
    net, initial = load_net(runs[0], options.cache_dir, 0), build_model(SMALL)
    assert all(
        torch.equal(a, b) for a, b in zip(net.parameters(), initial.parameters(), strict=True)
    )


def test_a_broken_or_missing_checkpoint_is_warned_about_and_trained_again(
    tmp_path: Path,
) -> None:
    """The sweep's numbers are loaded, so the report must mend the checkpoints it draws."""
    run = DynamicsRun("a", SMALL, "adamw", checkpoints=3)
    study = Dynamics(name="dynamics", runs=(run,), probe=PROBE)
    options = RunOptions(tmp_path / "out", tmp_path / "cache", progress=False)
    table = run_experiment(study, options).table
    gif = (tmp_path / "out" / "dynamics" / "training.gif").read_bytes()
    last = entry_paths(run.folder(options.cache_dir), "step_000000024")[0]
    payload = torch.load(last, weights_only=True)
    payload["model"]["output.bias"][0] += 1.0  # the weights change behind the checksum
    torch.save(payload, last)
    with pytest.warns(CacheWarning, match=r"step_000000024 of run 'a' .*checksum"):
        assert run_experiment(study, options).table == table
    assert (tmp_path / "out" / "dynamics" / "training.gif").read_bytes() == gif
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # mended: every checkpoint loads
        assert not torch.equal(
            load_net(run, options.cache_dir, 24).output.bias, payload["model"]["output.bias"]
        )
    shutil.rmtree(options.cache_dir / "dynamics")
    with pytest.warns(CacheWarning, match=r"\(it is missing\); training the run again"):
        assert run_experiment(study, options).table == table
    assert (tmp_path / "out" / "dynamics" / "training.gif").read_bytes() == gif


def test_an_unusable_measure_file_is_warned_about_and_measured_again(tmp_path: Path) -> None:
    job = DynamicsJob(DynamicsRun("a", SMALL, "adamw", checkpoints=2), PROBE)
    rows = job.run(str(tmp_path))["rows"]
    path = job._measure_path(str(tmp_path), rows[1]["step"])
    path.write_text(path.read_text()[:20])  # truncated
    with pytest.warns(CacheWarning, match=f"ignoring measure file {path}"):
        again = job.run(str(tmp_path))
    assert again["rows"] == rows and again["measure_seconds"] > 0
    assert job.run(str(tmp_path))["measure_seconds"] == 0.0  # the file was written again


def test_a_new_job_version_measures_again(tmp_path: Path) -> None:
    job = DynamicsJob(DynamicsRun("a", SMALL, "adamw", checkpoints=2), PROBE)
    job.run(str(tmp_path))

    class Bumped(DynamicsJob):
        version = DynamicsJob.version + 1

    bumped = Bumped(job.training, job.probe)
    assert bumped._measure_path(str(tmp_path), 0) != job._measure_path(str(tmp_path), 0)
    assert bumped.run(str(tmp_path))["measure_seconds"] > 0


def test_registered_settings() -> None:
    study = EXPERIMENTS["dynamics"]
    assert study.notebook == "07_training_dynamics.py"
    humayun = [r for r in study.runs if r.optimizer == "adamw"]
    assert {r.train.dataset for r in humayun} >= {"sine", "ellipse"}
    assert {r.train.weight_decay for r in humayun} == {0.0, 0.01}
    assert all(r.train.loss == "mse" and r.train.batch_size == 200 and r.train.n_train == 1000
               for r in humayun)  # fmt: skip
    assert min(r.steps for r in humayun) >= 50_000
    assert any(r.optimizer == "sgd" and r.train.loss == "classic" for r in study.runs)
    assert humayun_run("sine").checkpoint_steps[0] == 0
    assert classic_run("sine").train.model.hidden == (10, 10, 10, 10)
