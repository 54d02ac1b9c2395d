"""The training-dynamics study: exact regions and local complexity at every checkpoint.

Humayun, Balestriero and Baraniuk ("Deep networks always grok", ICML 2024) report that the
local complexity (LC) of a net around its training data falls after initialisation, rises,
then falls again late in training as regions migrate from the data to the decision boundary.
Here the same is measured exactly in 2D: nets trained in their setting scaled down (MSE on
one-hot targets, AdamW with weight decay, 1,000 samples in batches of 200, long training) on
two boundaries, with and without weight decay and at two widths, and the classic SGD setting
for contrast. Each run is one :class:`DynamicsJob`: it trains with checkpoints at log-spaced
steps (:mod:`.checkpoints`, resumable) and measures each (:mod:`.measures`, each checkpoint's
numbers cached beside its weights).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tempfile
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

import regions
from analysis.lab.cache import CacheWarning
from analysis.lab.data import Box, get_boundary
from analysis.lab.files import atomic_write_text
from analysis.lab.jobs import Job
from analysis.lab.models import MLPConfig
from analysis.lab.options import RunOptions
from analysis.lab.sgd import TrainConfig, dataset_for
from analysis.studies.dynamics.checkpoints import DynamicsRun, load_net, train_checkpoints
from analysis.studies.dynamics.figures import (
    animation,
    boundary_figure,
    layers_figure,
    lc_figure,
    snapshots_figure,
)
from analysis.studies.dynamics.measures import Probe, fixed_points, measure, row_columns
from analysis.studies.experiment import Attachment, Drawing, Exploration, Report, Results, Table
from regions import Partition

__all__ = ["EXPERIMENT", "Dynamics", "DynamicsJob", "classic_run", "humayun_run", "phase_picks"]

NOTEBOOK = "07_training_dynamics.py"
MEASURE_VERSION = 1
"""Bump when :func:`.measures.measure` changes, so cached per-checkpoint numbers are redone."""


@dataclass(frozen=True)
class DynamicsJob(Job):
    """Train one run with checkpoints and measure every checkpoint.

    Attributes
    ----------
    training : DynamicsRun
        The run (already scaled for quick mode).
    probe : Probe
        Where and at which radii local complexity is measured.

    Examples
    --------
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.sgd import TrainConfig
    >>> from analysis.studies.dynamics.checkpoints import DynamicsRun
    >>> from analysis.studies.dynamics.experiment import DynamicsJob
    >>> from analysis.studies.dynamics.measures import Probe
    >>> config = TrainConfig("line", n_train=100, n_test=50, batch_size=50, epochs=2,
    ...                      model=MLPConfig((4,)))
    >>> job = DynamicsJob(DynamicsRun("demo", config, checkpoints=2), Probe(n_points=5))
    >>> result = job.run(cache_dir=None)
    >>> [row["step"] for row in result["rows"]], result["rows"][0]["regions"] >= 1
    ([0, 1, 4], True)
    """

    version = 2  # 2: linear regions decided exactly (Partition.linear_regions)

    training: DynamicsRun
    probe: Probe

    def _measure_path(self, cache_dir: str, step: int) -> Path:
        """Where one checkpoint's numbers are kept, beside its weights (per probe and version:
        bumping :attr:`version` or :data:`MEASURE_VERSION` measures every checkpoint again)."""
        probe = json.dumps(self.to_dict()["probe"], sort_keys=True)
        versions = f"{MEASURE_VERSION}:{self.version}"
        key = hashlib.sha256(f"{versions}:{probe}".encode()).hexdigest()[:12]
        return self.training.folder(cache_dir) / f"measure_{key}_{step:09d}.json"

    def run(self, cache_dir: str | None) -> dict[str, Any]:
        """Train (resuming) and measure; returns ``rows`` (one per checkpoint) and timings."""
        if cache_dir is None:
            with tempfile.TemporaryDirectory() as tmp:
                return self.run(tmp)
        data = dataset_for(self.training.train)
        fixed = fixed_points(data, self.probe)
        rows, measuring = [], 0.0
        start = time.perf_counter()
        for step, net in train_checkpoints(self.training, cache_dir):
            path = self._measure_path(cache_dir, step)
            cached = _cached_row(path, step)
            if cached is not None:
                rows.append(cached)
                continue
            t = time.perf_counter()
            row = {"step": step, **measure(net, data, self.probe, fixed)}
            measuring += time.perf_counter() - t
            atomic_write_text(path, json.dumps(row))
            rows.append(row)
        total = time.perf_counter() - start
        return {"rows": rows, "seconds": round(total, 3), "measure_seconds": round(measuring, 3)}


def _cached_row(path: Path, step: int) -> dict[str, Any] | None:
    """The numbers of checkpoint ``step`` kept at ``path``, or None when there are none.

    An unusable file (truncated, not a row of that step) gives a
    :class:`~analysis.lab.cache.CacheWarning` and None, so the checkpoint is measured again
    and the file overwritten.
    """
    if not path.is_file():
        return None
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(row, dict) or row.get("step") != step:
            raise ValueError(f"it does not hold the numbers of step {step}")
        return row
    except (OSError, ValueError) as err:
        warnings.warn(f"ignoring measure file {path}: {err}; measuring again", CacheWarning, 3)
        return None


def humayun_run(
    boundary: str,
    *,
    width: int = 32,
    depth: int = 3,
    weight_decay: float = 0.01,
    steps: int = 50_000,
    checkpoints: int = 30,
    seed: int = 0,
) -> DynamicsRun:
    """Humayun et al.'s MNIST setting scaled to 2D: MSE on one-hot targets, AdamW (lr 1e-3)
    with decoupled weight decay on the weights, 1,000 samples in batches of 200, PyTorch's
    default initialisation (uniform weights and biases), ``steps`` steps.

    Examples
    --------
    >>> from analysis.studies.dynamics.experiment import humayun_run
    >>> run = humayun_run("sine", steps=1000)
    >>> run.steps, run.optimizer, run.train.loss, run.train.model.hidden, run.label
    (1000, 'adamw', 'mse', (32, 32, 32), 'sine, AdamW wd 0.01, 3 × 32')
    """
    config = TrainConfig(
        boundary,
        n_train=1000,
        n_test=2000,
        batch_size=200,
        epochs=math.ceil(steps / 5),
        lr=1e-3,
        weight_decay=weight_decay,
        loss="mse",
        model=MLPConfig((width,) * depth, init="default"),
        seed=seed,
    )
    label = f"{boundary}, AdamW wd {weight_decay:g}, {depth} × {width}"
    return DynamicsRun(label, config, "adamw", checkpoints)


def classic_run(boundary: str, *, steps: int = 20_000, checkpoints: int = 30) -> DynamicsRun:
    """The classic setting: 4 × 10 ReLU net, He-normal init and zero biases, plain SGD
    (lr 0.01) on the published loss, 10,000 samples in batches of 1,000, ``steps`` steps.

    Examples
    --------
    >>> from analysis.studies.dynamics.experiment import classic_run
    >>> run = classic_run("sine", steps=1000)
    >>> run.steps, run.optimizer, run.train.loss, run.label
    (1000, 'sgd', 'classic', 'sine, classic SGD, 4 × 10')
    """
    config = TrainConfig(boundary, epochs=math.ceil(steps / 10), loss="classic")
    return DynamicsRun(f"{boundary}, classic SGD, 4 × 10", config, "sgd", checkpoints)


FULL_RUNS = (
    humayun_run("sine"),
    humayun_run("ellipse"),
    humayun_run("sine", weight_decay=0.0),
    humayun_run("sine", width=64),
    classic_run("sine"),
)
# Quick mode caps batches at 100 and samples at 2,000, doubling the steps of an epoch here:
# these train for 600 and 300 steps.
QUICK_RUNS = (
    humayun_run("sine", width=16, steps=300, checkpoints=8),
    classic_run("sine", steps=150, checkpoints=6),
)


@dataclass(frozen=True)
class Dynamics:
    """The study: its runs, where LC is measured, and what is drawn.

    Attributes
    ----------
    name, title, notebook : str
        Registry name, section title and explaining notebook.
    runs : tuple of DynamicsRun
        The nets watched (full size; quick mode scales their training).
    probe : Probe
        Domain, radii and points of the local-complexity measures.
    animated : int
        Index of the run animated.
    quick_changes : mapping
        Field overrides in quick mode.

    Examples
    --------
    >>> from pathlib import Path
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.studies.dynamics.experiment import EXPERIMENT
    >>> quick = RunOptions(Path("out"), Path("cache"), quick=True)
    >>> [job.training.steps for job in EXPERIMENT.jobs(quick)]  # at most QuickMode().steps
    [500, 300]
    >>> len(EXPERIMENT.jobs(RunOptions(Path("out"), Path("cache"))))
    5
    """

    name: str = "dynamics"
    title: str = "Training dynamics: exact regions and local complexity"
    notebook: str = NOTEBOOK
    runs: tuple[DynamicsRun, ...] = FULL_RUNS
    probe: Probe = Probe()
    animated: int = 0
    quick_changes: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType(
            {"runs": QUICK_RUNS, "probe": Probe(radii=(0.1, 0.2), n_points=30)}
        )
    )

    def jobs(self, options: RunOptions) -> list[DynamicsJob]:
        """One job per run, longest first (steps times units)."""
        study = options.sized(self)
        runs = [replace(run, train=options.train_config(run.train)) for run in study.runs]
        jobs = [DynamicsJob(run, study.probe) for run in runs]
        return sorted(
            jobs, key=lambda job: -job.training.steps * sum(job.training.train.model.hidden)
        )

    def report(self, results: Results, options: RunOptions) -> Report:
        """The table (one row per checkpoint), four figures and the animation."""
        study = options.sized(self)
        jobs = self.jobs(options)
        order = {run.label: i for i, run in enumerate(study.runs)}
        jobs.sort(key=lambda job: order[job.training.label])
        runs = [job.training for job in jobs]
        rows = [results[job]["rows"] for job in jobs]
        labels = [run.label for run in runs]
        radii = study.probe.radii
        domain = study.probe.domain
        drawings = [
            Drawing("local_complexity", _LC_CAPTION, lc_figure(labels, rows, radii)),
            Drawing("regions_per_layer", _LAYERS_CAPTION, layers_figure(labels, rows)),
            Drawing("decision_boundary", _BOUNDARY_CAPTION, boundary_figure(labels, rows)),
        ]
        shots = [
            _partitions(run, r, options, phase_picks(r), domain)
            for run, r in zip(runs[:2], rows[:2], strict=True)
        ]
        truths = [get_boundary(run.train.dataset) for run in runs[:2]]
        figure = snapshots_figure(labels[:2], shots, truths)
        drawings.append(Drawing("snapshots", _SNAPSHOTS_CAPTION, figure))
        k = study.animated
        frames = _partitions(runs[k], rows[k], options, range(len(rows[k])), domain)
        movie = animation(labels[k], frames, get_boundary(runs[k].train.dataset))
        caption = f"{labels[k]}: {_ANIMATION_CAPTION}"
        attachments = tuple(
            Attachment(f"training.{ext}", caption, data) for ext, data in movie.items()
        )
        pages = tuple(_exploration(label, shot) for label, shot in zip(labels, shots, strict=False))
        return Report(
            _description(study),
            tuple(drawings),
            _table(runs, rows, radii),
            explorations=pages,
            attachments=attachments,
        )


_LC_CAPTION = (
    "Exact local complexity over training (log steps): the mean number of regions meeting "
    "the open disc of each radius about training points, test points, points on the true "
    "boundary, points on the net's decision boundary at that step and points far from the "
    "data"
)
_LAYERS_CAPTION = (
    "Exact regions of the partition drawn by the first k layers (over the whole domain), "
    "and the linear pieces (regions with equal maps merged), over training"
)
_BOUNDARY_CAPTION = (
    "Mean distance of the region vertices inside the data box to the decision boundary, "
    "test accuracy and straight pieces of the decision boundary, over training"
)
_SNAPSHOTS_CAPTION = (
    "Exact partitions (the data box and a margin) at the start, at the lowest local "
    "complexity at training points, once the net has learned, at the highest local "
    "complexity and at the end; each region coloured by a hash of its activation pattern, "
    "decision boundary black, true boundary dashed, data box dotted"
)
_ANIMATION_CAPTION = (
    "the exact regions and decision boundary at every checkpoint, regions coloured by a "
    "hash of their activation pattern (stable over training)"
)


def phase_picks(rows: list[dict[str, Any]]) -> list[int]:
    """Checkpoint indices that tell the local-complexity story: the start, the lowest LC at
    training points (smallest radius) before its peak, the first checkpoint at 95% of the
    final test accuracy, the peak, and the end (duplicates dropped).

    Examples
    --------
    >>> from analysis.studies.dynamics.experiment import phase_picks
    >>> lc = [5.0, 4.0, 3.0, 6.0, 8.0, 6.5]
    >>> acc = [0.5, 0.6, 0.9, 0.99, 0.99, 0.99]
    >>> phase_picks([{"lc": {"train": [v]}, "test_acc": a} for v, a in zip(lc, acc)])
    [0, 2, 3, 4, 5]
    """
    lc = np.array([row["lc"]["train"][0] for row in rows])
    acc = np.array([row["test_acc"] for row in rows])
    peak = int(np.argmax(lc))
    low = int(np.argmin(lc[: peak + 1]))
    learned = int(np.argmax(acc >= 0.95 * acc[-1]))
    return sorted({0, low, learned, peak, len(rows) - 1})


def _exploration(label: str, shots: list[tuple[Partition, dict[str, Any]]]) -> Exploration:
    """An explorer page of one run's snapshots, with a training slider over them."""
    (last, row), earlier = shots[-1], shots[:-1]
    stem = "explore-" + re.sub(r"[^0-9A-Za-z]+", "-", label).strip("-")
    return Exploration(
        stem,
        f"{label}, {len(shots)} checkpoints",
        last,
        accuracy=row["test_acc"],
        step=row["step"],
        checkpoints=tuple((r["step"], part, r["test_acc"]) for part, r in earlier),
    )


def _partitions(
    run: DynamicsRun, rows: list[dict[str, Any]], options: RunOptions, picks: Iterable[int],
    domain: Box,
) -> list[tuple[Partition, dict[str, Any]]]:  # fmt: skip
    """The partitions of the checkpoints ``picks`` (nets loaded from the cache)."""
    return [
        (regions.decompose(load_net(run, options.cache_dir, rows[i]["step"]), domain), rows[i])
        for i in picks
    ]


def _table(
    runs: list[DynamicsRun], rows: list[list[dict[str, Any]]], radii: tuple[float, ...]
) -> Table:
    records = [
        {
            "run": run.label,
            "boundary": run.train.dataset,
            "optimizer": run.optimizer,
            "loss": run.train.loss,
            "hidden": "-".join(str(w) for w in run.train.model.hidden),
            "weight_decay": run.train.weight_decay,
            **row_columns(row, radii),
        }
        for run, rs in zip(runs, rows, strict=True)
        for row in rs
    ]
    columns = list(dict.fromkeys(k for record in records for k in record))
    return Table(tuple(columns), tuple(tuple(r.get(c) for c in columns) for r in records))


def _description(study: Dynamics) -> str:
    probe = study.probe
    return (
        "Nets watched over training, decomposed exactly at every checkpoint (log-spaced "
        "steps from 0). Humayun et al.'s setting scaled to 2D: MSE on one-hot targets, "
        "AdamW (lr 1e-3, weight decay on the weights), 1,000 samples in batches of 200, "
        "PyTorch's default init; on two boundaries, without weight decay and twice as wide; "
        "and the classic setting (SGD on the published loss) for contrast. Local complexity "
        f"(LC): the mean number of regions meeting the open disc of radius "
        f"{', '.join(f'{r:g}' for r in probe.radii)} about {probe.n_points} points of each "
        "kind (training points, test points, the true boundary, the net's decision boundary, "
        f"far from the data), over the domain {list(probe.domain)}; the data fill "
        "[-2, 2]²."
    )


EXPERIMENT = Dynamics()
"""The registered study."""
