"""Experiment ``sensitivity``: per-layer weight perturbation, re-initialisation, gradient flow.

Nets: ReLU MLPs with 4 and 8 hidden layers of 10 units, trained with the classic settings
(the same configurations, hence the same cache entries, as the ``depth`` experiment) on the
four classic boundaries. For each net and each linear layer alone (output layer included):

* Gaussian weight noise of relative RMS ``eps``
  (:mod:`analysis.studies.sensitivity.perturbation`), measured by accuracy drop, function
  change, exact region-count change, exact Hausdorff displacement of the decision boundary,
  exact misclassified-area change and pattern flips;
* reset to the initial weights, or re-drawn from the init distribution (Zhang, Bengio &
  Singer 2019; :mod:`analysis.studies.sensitivity.reinit`).

Gradient flow (:mod:`analysis.studies.sensitivity.gradients`): sigmoid, tanh and ReLU nets of
several depths on ``sine``, per-layer gradient norms and update ratios over training, with
one learning rate or rates falling geometrically with depth to a tenth at the output layer.
Each net's perturbations and each gradient run are one job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from analysis.lab.data import BOUNDARY_NAMES
from analysis.lab.jobs import Job, from_json, to_json
from analysis.lab.models import MLPConfig
from analysis.lab.options import RunOptions
from analysis.lab.sgd import TrainConfig, dataset_for
from analysis.lab.train import train
from analysis.studies.experiment import (
    EXPLORER_MAX_REGIONS,
    Drawing,
    Exploration,
    Report,
    Results,
    Table,
)
from analysis.studies.sensitivity.drawn import DRAW_EPS, DrawnNet, drawn_nets
from analysis.studies.sensitivity.figures import (
    DEPTHS,
    DRAW_DATASET,
    GRAD_ACTIVATIONS,
    GRAD_DATASET,
    LR_FLOOR,
    WIDTH,
    drawn_figure,
    gradient_figure,
    layer_lr_figure,
    layer_name,
    perturbation_figure,
    reinit_figure,
)
from analysis.studies.sensitivity.gradients import (
    GradientRecord,
    depth_lr_scales,
    record_gradients,
)
from analysis.studies.sensitivity.perturbation import (
    EPS_GRID,
    PerturbationSweep,
    baseline,
    perturbation_sweep,
)
from analysis.studies.sensitivity.reinit import Reinit, reinit_robustness

__all__ = ["EXPERIMENT", "GradientJob", "PerturbJob", "Row", "Sensitivity", "net_config"]

TABLE_EPS = 0.1  # eps of the perturbation rows in the table (present in both grids)
GRAD_EVERY = 10  # SGD steps between gradient records


@dataclass(frozen=True)
class Row:
    """One line of the results table.

    Attributes
    ----------
    part : str
        ``'perturb'`` (weight noise at ``eps``), ``'reinit'`` or ``'gradients'``.
    dataset, net : str
        True boundary and architecture (e.g. ``'8 × 10 relu'``).
    layer : str
        ``'1'`` .. ``'D'``, ``'out'``, or ``'all'`` (gradient runs).
    eps : float or None
        Relative noise size (perturbation rows).
    acc_drop, function_change, region_change, hausdorff_median, area_change, pattern_flips
        Means over noise seeds (median for the Hausdorff distance, which is infinite when a
        perturbed net loses its boundary); see
        :class:`~analysis.studies.sensitivity.perturbation.Measures`.
    test_acc : float or None
        Re-init rows: accuracy with the layer reset to its initial values; gradient rows:
        final accuracy with one learning rate.
    test_acc_alt : float or None
        Re-init rows: mean accuracy over re-randomised draws; gradient rows: final accuracy
        with depth-decreasing rates.

    Examples
    --------
    >>> from analysis.studies.experiment import Table
    >>> from analysis.studies.sensitivity.experiment import Row
    >>> row = Row("reinit", "sine", "4 × 10 relu", "out", test_acc=0.55, test_acc_alt=0.52)
    >>> row.layer, row.eps, row.test_acc
    ('out', None, 0.55)
    >>> table = Table.from_records([row, Row("perturb", "sine", "4 × 10 relu", "1", eps=0.1)])
    >>> len(table.rows)
    2
    """

    part: str
    dataset: str
    net: str
    layer: str
    eps: float | None = None
    acc_drop: float | None = None
    function_change: float | None = None
    region_change: float | None = None
    hausdorff_median: float | None = None
    area_change: float | None = None
    pattern_flips: float | None = None
    test_acc: float | None = None
    test_acc_alt: float | None = None


def net_config(dataset: str, depth: int, activation: str = "relu") -> TrainConfig:
    """The classic configuration of a ``depth`` x 10 net (scale it with ``RunOptions``).

    Parameters
    ----------
    dataset : str
        Dataset name (:data:`analysis.lab.data.DATASET_NAMES`).
    depth : int
        Hidden layers of ``WIDTH`` (10) units.
    activation : str
        Hidden activation.

    Returns
    -------
    TrainConfig
        The same configuration, hence cache entry, as the ``depth`` experiment's.

    Examples
    --------
    >>> from analysis.lab.options import QuickMode
    >>> from analysis.studies.sensitivity.experiment import net_config
    >>> full = net_config("sine", 4)
    >>> full.model.hidden, full.n_train, full.batch_size, full.epochs
    ((10, 10, 10, 10), 10000, 1000, 100)
    >>> quick = QuickMode().train(net_config("sine", 4, activation="tanh"))
    >>> quick.model.activation, quick.n_train, quick.batch_size, quick.epochs  # 20 x 25 steps
    ('tanh', 2000, 100, 25)
    """
    return TrainConfig(dataset, model=MLPConfig(hidden=(WIDTH,) * depth, activation=activation))


@dataclass(frozen=True)
class PerturbJob(Job):
    """Perturb and re-initialise every layer of one trained net.

    Attributes
    ----------
    config : TrainConfig
        The net, trained through the model cache.
    eps : tuple of float
        Relative noise sizes.
    seeds : tuple of int
        Noise seeds (and re-draw seeds).
    exact_eps : tuple of float or None
        Sizes at which the exact measures are computed (None: all).

    Examples
    --------
    >>> from analysis.studies.sensitivity.experiment import PerturbJob
    >>> job = PerturbJob(tiny_config, eps=(0.1,), seeds=(0,))
    >>> result = job.run(None)
    >>> len(result["sweep"]["values"]), len(result["reinit"]["reset_acc"])  # 2 linear layers
    (2, 2)
    """

    config: TrainConfig
    eps: tuple[float, ...]
    seeds: tuple[int, ...]
    exact_eps: tuple[float, ...] | None = None

    def run(self, cache_dir: str | None) -> dict[str, Any]:
        """The :class:`PerturbationSweep` and :class:`Reinit` as JSON (``sweep``, ``reinit``)."""
        result = train(self.config, cache_dir=cache_dir, progress=False)
        data = dataset_for(self.config)
        sweep = perturbation_sweep(
            result.model,
            data,
            eps=self.eps,
            seeds=self.seeds,
            base=baseline(result.model, data),
            exact_eps=self.exact_eps,
        )
        reinit = reinit_robustness(result.model, result.initial_state, data, self.seeds)
        return {"sweep": to_json(sweep), "reinit": to_json(reinit)}


@dataclass(frozen=True)
class GradientJob(Job):
    """Per-layer gradients of one training run, with one rate or rates falling with depth.

    Attributes
    ----------
    config : TrainConfig
        The run (never cached).
    every : int
        SGD steps between records.
    lr_floor : float or None
        Output-layer rate over first-layer rate (:func:`depth_lr_scales`); None: one rate.

    Examples
    --------
    >>> from analysis.studies.sensitivity.experiment import GradientJob
    >>> result = GradientJob(tiny_config, every=1, lr_floor=0.1).run(None)
    >>> result["lr_scales"], len(result["step"])  # 2 epochs of one batch
    ([1.0, 0.1], 2)
    """

    config: TrainConfig
    every: int
    lr_floor: float | None = None

    def run(self, cache_dir: str | None = None) -> dict[str, Any]:
        """The :class:`GradientRecord` as JSON, without its config and model."""
        n_layers = len(self.config.model.hidden) + 1
        scales = None if self.lr_floor is None else depth_lr_scales(n_layers, self.lr_floor)
        record = record_gradients(self.config, every=self.every, lr_scales=scales)
        return to_json(record, skip=("config", "model"))


def _perturb_rows(name: str, depth: int, sweep: PerturbationSweep) -> list[Row]:
    e = int(np.argmin(np.abs(np.log(sweep.eps / TABLE_EPS))))
    n = len(sweep.layers)
    rows = []
    for i, k in enumerate(sweep.layers):

        def m(field: str, i: int = i) -> float:
            return float(sweep.mean(field)[i, e])

        rows.append(
            Row(
                part="perturb",
                dataset=name,
                net=f"{depth} × {WIDTH} relu",
                layer=layer_name(int(k), n),
                eps=float(sweep.eps[e]),
                acc_drop=m("acc_drop"),
                function_change=m("function_change"),
                region_change=m("region_change"),
                hausdorff_median=float(np.median(sweep.get("hausdorff")[i, e])),
                area_change=m("area_change"),
                pattern_flips=m("pattern_flips"),
            )
        )
    return rows


@dataclass(frozen=True)
class Sensitivity:
    """The sensitivity experiment: which nets, noise sizes, seeds and gradient runs.

    Attributes
    ----------
    eps : tuple of float
        Relative noise sizes.
    seeds : int
        Noise seeds and re-draws per layer.
    exact_all : bool
        Compute the exact measures at every ``eps`` (else only at ``TABLE_EPS``).
    grad_depths : tuple of int
        Depths of the gradient-flow runs.
    quick_changes : mapping
        Field overrides in quick mode (:meth:`RunOptions.sized`).

    Examples
    --------
    >>> from pathlib import Path
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.studies.sensitivity.experiment import EXPERIMENT, TABLE_EPS
    >>> quick = RunOptions(Path("out"), Path("out/cache"), quick=True)
    >>> TABLE_EPS in quick.sized(EXPERIMENT).eps  # the table's noise size is swept in quick mode
    True
    >>> len(EXPERIMENT.jobs(quick)), EXPERIMENT.notebook  # 8 nets, 3 x 2 x 2 gradient runs
    (20, '05_sensitivity.py')
    """

    eps: tuple[float, ...] = EPS_GRID
    seeds: int = 5
    exact_all: bool = True
    grad_depths: tuple[int, ...] = (2, 4, 8)
    quick_changes: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType(
            {
                "eps": (0.01, 0.03, 0.1, 0.3, 1.0),
                "seeds": 1,
                "exact_all": False,
                "grad_depths": (2, 8),
            }
        )
    )
    name: str = "sensitivity"
    title: str = "Per-layer sensitivity and gradient flow"
    notebook: str = "05_sensitivity.py"

    def perturb_jobs(self, options: RunOptions) -> dict[tuple[str, int], PerturbJob]:
        """One job per (boundary, depth)."""
        s = options.sized(self)
        exact = None if s.exact_all else (TABLE_EPS,)
        return {
            (b, d): PerturbJob(
                options.train_config(net_config(b, d)), s.eps, tuple(range(s.seeds)), exact
            )
            for b in BOUNDARY_NAMES
            for d in DEPTHS
        }

    def gradient_jobs(self, options: RunOptions) -> dict[tuple[str, int, bool], GradientJob]:
        """One job per (activation, depth, decreasing rates)."""
        s = options.sized(self)
        return {
            (a, d, decreasing): GradientJob(
                options.train_config(net_config(GRAD_DATASET, d, a)),
                GRAD_EVERY,
                LR_FLOOR if decreasing else None,
            )
            for a in GRAD_ACTIVATIONS
            for d in s.grad_depths
            for decreasing in (False, True)
        }

    def jobs(self, options: RunOptions) -> list[Job]:
        """The perturbation jobs (slowest), then the gradient runs."""
        return [*self.perturb_jobs(options).values(), *self.gradient_jobs(options).values()]

    def report(self, results: Results, options: RunOptions) -> Report:
        """Six figures and the table, from the jobs' results."""
        s = options.sized(self)
        mode = " (quick mode)" if options.quick else ""
        sweeps: dict[tuple[str, int], PerturbationSweep] = {}
        reinits: dict[tuple[str, int], Reinit] = {}
        rows: list[Row] = []
        for key, job in self.perturb_jobs(options).items():
            sweeps[key] = from_json(PerturbationSweep, results[job]["sweep"])
            reinits[key] = from_json(Reinit, results[job]["reinit"])
            rows += _perturb_rows(*key, sweeps[key])
        for (name, depth), r in reinits.items():
            n = len(r.layers)
            rows += [
                Row(
                    part="reinit",
                    dataset=name,
                    net=f"{depth} × {WIDTH} relu",
                    layer=layer_name(int(k), n),
                    test_acc=float(r.reset_acc[i]),
                    test_acc_alt=float(r.rerandom_acc[i].mean()),
                )
                for i, k in enumerate(r.layers)
            ]
        single: dict[tuple[str, int], GradientRecord] = {}
        decreasing: dict[tuple[str, int], GradientRecord] = {}
        for (act, depth, falling), job in self.gradient_jobs(options).items():
            record = from_json(GradientRecord, results[job], config=job.config, model=None)
            (decreasing if falling else single)[act, depth] = record
        for act, depth in single:
            rows.append(
                Row(
                    part="gradients",
                    dataset=GRAD_DATASET,
                    net=f"{depth} × {WIDTH} {act}",
                    layer="all",
                    test_acc=single[act, depth].test_acc,
                    test_acc_alt=decreasing[act, depth].test_acc,
                )
            )
        drawn = drawn_nets(
            {
                d: train(job.config, cache_dir=options.cache_dir, progress=False)
                for (b, d), job in self.perturb_jobs(options).items()
                if b == DRAW_DATASET
            }
        )
        drawings = (
            Drawing(
                "perturbation",
                "Per-layer weight perturbation: test-accuracy drop and mean |ΔP(class 1)| over a "
                "grid of the box against the relative noise size, one curve per layer.",
                perturbation_figure(sweeps, mode),
            ),
            Drawing(
                "perturbation_drawn",
                f"The same perturbation (ε = {DRAW_EPS}) on layer 1 and on the last hidden "
                "layer: P(class 1), exact regions and the exact decision boundary before "
                "(dashed) and after.",
                drawn_figure(drawn, mode),
            ),
            Drawing(
                "reinit",
                "Re-initialisation robustness: test accuracy with one layer reset to its "
                "initial values (top) or re-drawn from the init distribution (bottom, mean ± sd).",
                reinit_figure(reinits, mode),
            ),
            Drawing(
                "gradient_norms",
                "Per-layer gradient norms during training (mini-batch, every 10 steps).",
                gradient_figure(single, "grad_norm", "‖∂L/∂W_k‖", mode),
            ),
            Drawing(
                "update_ratios",
                "Per-layer relative update sizes during training.",
                gradient_figure(single, "update_ratio", "‖ΔW_k‖ / ‖W_k‖", mode),
            ),
            Drawing(
                "layer_lr",
                "Learning rates falling with depth versus one rate: final test accuracy and the "
                "deepest ReLU net's update ratios.",
                layer_lr_figure(single, decreasing, mode),
            ),
        )
        description = (
            f"ReLU nets with {' and '.join(map(str, DEPTHS))} hidden layers of {WIDTH} units on "
            f"the classic boundaries; each linear layer alone perturbed by Gaussian noise "
            f"(eps {', '.join(f'{e:.3g}' for e in s.eps)}, {s.seeds} noise seeds), reset or "
            f"re-drawn. Table rows 'perturb' are means at eps {TABLE_EPS:g}. Gradient flow: "
            f"{', '.join(GRAD_ACTIVATIONS)} nets on {GRAD_DATASET}."
        )
        pages = tuple(
            _exploration(net)
            for row in drawn
            for net in row
            if len(net.partition) <= EXPLORER_MAX_REGIONS
        )
        return Report(description, drawings, Table.from_records(rows), pages)


def _exploration(net: DrawnNet) -> Exploration:
    """The explorer page of one net of the drawn-perturbation figure."""
    hidden = [lin.out_features for lin in net.model.linears()[:-1]]
    widths = f"{len(hidden)} × {hidden[0]}" if len(set(hidden)) == 1 else "-".join(map(str, hidden))
    return Exploration(
        f"explore-{net.data.name}-{widths.replace(' × ', 'x')}-{net.slug}",
        f"{net.data.name}, {widths}, {net.title} ({len(net.partition)} regions)",
        net.partition,
        (net.data.X_test, net.data.y_test),
        net.test_acc,
    )


EXPERIMENT = Sensitivity()
"""The registered experiment (``python -m analysis reproduce --experiment sensitivity``)."""
