"""Experiment ``sensitivity``: per-layer weight perturbation, re-initialisation, gradient flow.

Nets: ReLU MLPs with 4 and 8 hidden layers of 10 units, trained with the classic settings
(the same configurations, hence the same cache entries, as the ``depth`` experiment) on the
four classic boundaries. For each net and each linear layer alone (output layer included):

* Gaussian weight noise of relative RMS ``eps`` (:mod:`analysis.sensitivity`), measured by
  accuracy drop, function change, exact region-count change, exact Hausdorff displacement of
  the decision boundary, exact misclassified-area change and pattern flips;
* reset to the initial weights, or re-drawn from the init distribution (Zhang, Bengio &
  Singer 2019).

Gradient flow (:mod:`analysis.gradients`): sigmoid, tanh and ReLU nets of several depths on
``sine``, per-layer gradient norms and update ratios over training, with one learning rate
or rates falling geometrically with depth to a tenth at the output layer.

Figures: perturbation curves, a perturbation drawn (exact regions and boundaries before and
after), re-initialisation robustness, gradient norms, update ratios, per-layer rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from tqdm.auto import tqdm

import regions
from analysis import style
from analysis.data import BOUNDARY_NAMES
from analysis.gradients import GradientRecord, depth_lr_scales, record_gradients
from analysis.models import MLPConfig
from analysis.plots import (
    annotate,
    draw_decision_boundary,
    draw_probability,
    draw_region_boundaries,
)
from analysis.report import ExperimentReport, FigureFile, Table
from analysis.sensitivity import (
    EPS_GRID,
    Perturbation,
    PerturbationSweep,
    Reinit,
    accuracy,
    baseline,
    hausdorff_distance,
    perturb,
    perturbation_sweep,
    reinit_robustness,
)
from analysis.style import save_figure
from analysis.surfaces import probability_grid
from analysis.train import TrainConfig, TrainResult, dataset_for, train_many

if TYPE_CHECKING:
    from analysis.experiments import RunOptions

__all__ = [
    "DEPTHS",
    "NAME",
    "WIDTH",
    "Row",
    "drawn_figure",
    "gradient_figure",
    "layer_lr_figure",
    "net_config",
    "perturbation_figure",
    "reinit_figure",
    "run",
]

NAME = "sensitivity"
DEPTHS = (4, 8)
WIDTH = 10
QUICK_EPS = (0.01, 0.03, 0.1, 0.3, 1.0)
TABLE_EPS = 0.1  # eps of the perturbation rows in the table (present in both grids)
DRAW_EPS = 0.1  # eps of the drawn perturbation (figure 2)
DRAW_DATASET = "sine"
GRAD_DATASET = "sine"
GRAD_ACTIVATIONS = ("sigmoid", "tanh", "relu")
GRAD_DEPTHS, QUICK_GRAD_DEPTHS = (2, 4, 8), (2, 8)
GRAD_EVERY = 10  # SGD steps between gradient records
LR_FLOOR = 0.1  # output-layer rate / first-layer rate in the decreasing schedule
LAYER_CMAP = colormaps["viridis"]  # ordered layers: sequential and colour-blind safe


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
        perturbed net loses its boundary); see :class:`analysis.sensitivity.Measures`.
    test_acc : float or None
        Re-init rows: accuracy with the layer reset to its initial values; gradient rows:
        final accuracy with one learning rate.
    test_acc_alt : float or None
        Re-init rows: mean accuracy over re-randomised draws; gradient rows: final accuracy
        with depth-decreasing rates.

    Examples
    --------
    >>> from analysis.report import Table
    >>> from analysis.sensitivity_experiment import Row
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


def _layer_name(k: int, n: int) -> str:
    return "out" if k == n else str(k)


def _layer_colors(n: int) -> list[tuple[float, ...]]:
    return [LAYER_CMAP(0.9 * i / max(n - 1, 1)) for i in range(n)]


def net_config(dataset: str, depth: int, quick: bool, activation: str = "relu") -> TrainConfig:
    """The classic configuration of a ``depth`` x 10 net (quickened in quick mode).

    Parameters
    ----------
    dataset : str
        Dataset name (:data:`analysis.data.DATASET_NAMES`).
    depth : int
        Hidden layers of ``WIDTH`` (10) units.
    quick : bool
        Apply :func:`analysis.experiments.quicken` (fewer samples, smaller batches, at most
        1,000 SGD steps).
    activation : str
        Hidden activation.

    Returns
    -------
    TrainConfig
        The same configuration, hence cache entry, as the ``depth`` experiment's.

    Examples
    --------
    >>> from analysis.sensitivity_experiment import net_config
    >>> full = net_config("sine", 4, quick=False)
    >>> full.model.hidden, full.n_train, full.batch_size, full.epochs
    ((10, 10, 10, 10), 10000, 1000, 100)
    >>> quick = net_config("sine", 4, quick=True, activation="tanh")
    >>> quick.model.activation, quick.n_train, quick.batch_size, quick.epochs  # 20 x 50 steps
    ('tanh', 2000, 100, 50)
    """
    from analysis.experiments import quicken  # experiments imports this module's runner

    config = TrainConfig(dataset, model=MLPConfig(hidden=(WIDTH,) * depth, activation=activation))
    return quicken(config) if quick else config


# ----------------------------------------------------------------------------------- figures
def _curves(ax: Axes, x: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> None:
    colors = _layer_colors(len(mean))
    for k, (m, s, c) in enumerate(zip(mean, spread, colors, strict=True)):
        ax.plot(x, m, color=c, marker="o", ms=2, label=_layer_name(k + 1, len(mean)))
        ax.fill_between(x, m - s, m + s, color=c, alpha=0.15, lw=0)
    ax.set_xscale("log")


def perturbation_figure(sweeps: dict[tuple[str, int], PerturbationSweep], mode: str) -> Figure:
    """Accuracy drop and function change against eps, one curve per layer (figure 1).

    Parameters
    ----------
    sweeps : dict of (str, int) to PerturbationSweep
        One sweep per (boundary in :data:`~analysis.data.BOUNDARY_NAMES`, depth in
        ``DEPTHS``).
    mode : str
        Appended to the title (``' (quick mode)'`` or ``''``).

    Returns
    -------
    Figure
        One row per boundary; per depth, accuracy drop (fraction of the test set) and mean
        ``|Delta P(class 1)|`` against the relative noise size (log scale), mean ± 1 sd
        over seeds.

    Examples
    --------
    Made-up sweeps (accuracy drop equal to eps) drawn into the figure:

    >>> import numpy as np
    >>> from analysis.data import BOUNDARY_NAMES
    >>> from analysis.sensitivity import MEASURES, PerturbationSweep
    >>> from analysis.sensitivity_experiment import DEPTHS, perturbation_figure
    >>> eps = np.array([0.01, 0.1, 1.0])
    >>> def sweep(depth):  # depth + 1 layers, 3 eps, 2 seeds
    ...     values = np.zeros((depth + 1, len(eps), 2, len(MEASURES)))
    ...     values[..., 0] = eps[:, None]
    ...     return PerturbationSweep(np.arange(1, depth + 2), eps, np.arange(2), values,
    ...                              "weight", "layer", base_acc=0.95)
    >>> fig = perturbation_figure({(b, d): sweep(d) for b in BOUNDARY_NAMES for d in DEPTHS},
    ...                           " (example)")
    >>> len(fig.axes)  # 4 boundaries x 2 depths x 2 measures
    16
    >>> fig.axes[0].get_title(), fig.axes[1].get_title()
    ('4 × 10: test-accuracy drop', '4 × 10: mean |ΔP(class 1)|')
    >>> fig.axes[0].get_ylabel().split()
    ['line', '(trained', 'acc', '95.0%)']
    >>> len(fig.axes[0].get_lines()), fig.get_suptitle().startswith("Per-layer weight")
    (5, True)
    """
    with style.style():
        fig = Figure(figsize=(9.0, 8.2), layout="constrained")
        axes = fig.subplots(len(BOUNDARY_NAMES), 2 * len(DEPTHS), sharex=True, squeeze=False)
        for i, name in enumerate(BOUNDARY_NAMES):
            for j, depth in enumerate(DEPTHS):
                sweep = sweeps[name, depth]
                for c, measure in enumerate(("acc_drop", "function_change")):
                    ax = axes[i, 2 * j + c]
                    _curves(ax, sweep.eps, sweep.mean(measure), sweep.std(measure))
                    if i == 0:
                        what = "test-accuracy drop" if c == 0 else "mean |ΔP(class 1)|"
                        ax.set_title(f"{depth} × {WIDTH}: {what}")
                    if c == 0:
                        ax.set_ylabel(f"{name}\n(trained acc {sweep.base_acc:.1%})")
                    if i == len(BOUNDARY_NAMES) - 1:
                        ax.set_xlabel("relative noise ε (RMS)")
                    if i == 0 and c == 1:
                        ax.legend(title="layer", ncols=2, fontsize=5, title_fontsize=6)
        fig.suptitle(
            f"Per-layer weight perturbation{mode}\nGaussian noise of RMS ε·RMS(W_k) on one "
            "layer; mean over noise seeds, band ±1 sd"
        )
    return fig


def drawn_figure(results: dict[int, TrainResult], mode: str, seed: int = 0) -> Figure:
    """Surface, exact regions and boundaries before and after perturbing layer 1 and the last
    hidden layer at ``DRAW_EPS`` (figure 2).

    Parameters
    ----------
    results : dict of int to TrainResult
        One trained net per depth in ``DEPTHS``; its config gives the dataset and box.
    mode : str
        Appended to the title.
    seed : int
        Noise seed of the drawn perturbations.

    Returns
    -------
    Figure
        One row per depth: the trained net, then layer 1 and the last hidden layer
        perturbed, each with P(class 1), exact regions, exact decision boundary and the
        unperturbed boundary; annotations give region count, test accuracy and the
        Hausdorff distance the boundary moved (input units).

    Examples
    --------
    Nets of width 3 trained for 8 SGD steps, to keep the example fast (the titles always
    give the experiment's width, ``WIDTH``):

    >>> from analysis.models import MLPConfig
    >>> from analysis.sensitivity_experiment import DEPTHS, drawn_figure
    >>> from analysis.train import TrainConfig, train
    >>> results = {
    ...     d: train(TrainConfig("sine", n_train=200, n_test=100, epochs=2, batch_size=50,
    ...                          model=MLPConfig(hidden=(3,) * d)), progress=False)
    ...     for d in DEPTHS
    ... }
    >>> fig = drawn_figure(results, " (example)")
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['4 × 10: trained', '4 × 10: layer 1, ε = 0.1', '4 × 10: layer 4 (last hidden), ε = 0.1']
    >>> len(fig.axes)  # 2 x 3 panels and the colour bar
    7
    >>> "boundary moved (Hausdorff)" in fig.axes[1].texts[0].get_text()
    True
    """
    with style.style():
        fig = Figure(figsize=(7.2, 2.5 * len(DEPTHS) + 0.6), layout="constrained")
        axes = fig.subplots(len(DEPTHS), 3, sharex=True, sharey=True, squeeze=False)
        image = None
        for i, depth in enumerate(DEPTHS):
            model = results[depth].model
            data = dataset_for(results[depth].config)
            base = baseline(model, data)
            nets = (
                ("trained", model),
                (f"layer 1, ε = {DRAW_EPS}", perturb(model, Perturbation(1, DRAW_EPS, seed))),
                (
                    f"layer {depth} (last hidden), ε = {DRAW_EPS}",
                    perturb(model, Perturbation(depth, DRAW_EPS, seed)),
                ),
            )
            for j, (title, net) in enumerate(nets):
                ax = axes[i, j]
                ax.set_rasterization_zorder(0.0)
                part = regions.decompose(net, domain=data.box)
                image = draw_probability(ax, probability_grid(net, data.box, 200))
                draw_region_boundaries(ax, part)
                draw_decision_boundary(ax, part)
                ax.add_collection(_old_boundary(base.boundary))
                acc = accuracy(net, data)
                text = f"{len(part)} regions, test acc {acc:.1%}"
                if j:
                    d = hausdorff_distance(base.boundary, part.decision_boundary().segments)
                    text += f"\nboundary moved (Hausdorff) {d:.3f}"
                annotate(ax, text)
                ax.set_title(f"{depth} × {WIDTH}: {title}")
                ax.set_xlabel("x") if i == len(DEPTHS) - 1 else None
                ax.set_ylabel("y") if j == 0 else None
        fig.colorbar(image, ax=axes, shrink=0.6, label="P(class 1)")
        handles = [
            Line2D([], [], color="k", lw=1.6, label="exact decision boundary"),
            Line2D([], [], color=style.OKABE_ITO[1], lw=1.2, ls="--", label="before perturbing"),
            Line2D([], [], color=style.REGION_EDGE_COLOR, lw=0.6, label="exact region boundaries"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        fig.suptitle(f"One perturbation drawn{mode}: {DRAW_DATASET}, noise seed {seed}")
    return fig


def _old_boundary(segments: np.ndarray) -> LineCollection:
    """The unperturbed decision boundary, dashed orange (zorder 5)."""
    return LineCollection(
        segments, colors=style.OKABE_ITO[1], linewidths=1.2, linestyles="--", zorder=5
    )


def reinit_figure(reinits: dict[tuple[str, int], Reinit], mode: str) -> Figure:
    """Test accuracy after resetting or re-randomising each layer alone (figure 3).

    Parameters
    ----------
    reinits : dict of (str, int) to Reinit
        One result per (boundary in :data:`~analysis.data.BOUNDARY_NAMES`, depth in
        ``DEPTHS``).
    mode : str
        Appended to the title.

    Returns
    -------
    Figure
        Test accuracy (fraction) against the re-initialised layer: reset (top row) and
        re-drawn (bottom, mean ± sd over seeds), one column per depth.

    Examples
    --------
    Made-up results: only the first layer matters.

    >>> import numpy as np
    >>> from analysis.data import BOUNDARY_NAMES
    >>> from analysis.sensitivity import Reinit
    >>> from analysis.sensitivity_experiment import DEPTHS, reinit_figure
    >>> def reinit(depth):
    ...     acc = np.where(np.arange(depth + 1) == 0, 0.5, 0.95)
    ...     return Reinit(np.arange(1, depth + 2), 0.95, acc, np.tile(acc[:, None], (1, 2)))
    >>> fig = reinit_figure({(b, d): reinit(d) for b in BOUNDARY_NAMES for d in DEPTHS}, "")
    >>> for ax in fig.axes:
    ...     print(ax.get_title())
    4 × 10: layer reset to initial values
    8 × 10: layer reset to initial values
    4 × 10: layer re-drawn from the init
    8 × 10: layer re-drawn from the init
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['1', '2', '3', '4', 'out']
    """
    with style.style():
        fig = Figure(figsize=(7.5, 5.0), layout="constrained")
        axes = fig.subplots(2, len(DEPTHS), sharey=True, squeeze=False)
        for j, depth in enumerate(DEPTHS):
            for i, what in enumerate(("reset to initial values", "re-drawn from the init")):
                ax = axes[i, j]
                for c, name in enumerate(BOUNDARY_NAMES):
                    r = reinits[name, depth]
                    color = style.OKABE_ITO[(0, 1, 5, 6)[c]]
                    if i == 0:
                        ax.plot(r.layers, r.reset_acc, "o-", color=color, ms=3, label=name)
                    else:
                        ax.errorbar(
                            r.layers,
                            r.rerandom_acc.mean(1),
                            yerr=r.rerandom_acc.std(1),
                            fmt="s-",
                            ms=3,
                            capsize=2,
                            color=color,
                            label=name,
                        )
                    ax.axhline(r.trained_acc, color=color, lw=0.8, ls=":")
                ax.set_xticks(r.layers, [_layer_name(k, len(r.layers)) for k in r.layers])
                ax.set_title(f"{depth} × {WIDTH}: layer {what}")
                ax.set_xlabel("layer re-initialised")
                ax.set_ylabel("test accuracy")
                ax.axhline(0.5, color="#999999", lw=0.6)
        axes[0, 0].legend(title="dataset (dotted: trained)", fontsize=6)
        fig.suptitle(
            f"Re-initialisation robustness{mode} (Zhang, Bengio & Singer 2019)\none layer "
            "re-initialised, the others trained"
        )
    return fig


def gradient_figure(
    records: dict[tuple[str, int], GradientRecord], field: str, label: str, mode: str
) -> Figure:
    """``field`` (grad_norm or update_ratio) per layer over training, one panel per net.

    Parameters
    ----------
    records : dict of (str, int) to GradientRecord
        One record per (activation in ``GRAD_ACTIVATIONS``, depth); the depths present
        become the columns.
    field : str
        ``'grad_norm'`` or ``'update_ratio'`` (a (T, L) attribute of the records).
    label : str
        Y-axis label.
    mode : str
        Appended to the title.

    Returns
    -------
    Figure
        One row per activation, one column per depth, one log-scale curve per layer
        against the SGD step.

    Examples
    --------
    >>> from analysis.gradients import depth_lr_scales, record_gradients
    >>> from analysis.models import MLPConfig
    >>> from analysis.sensitivity_experiment import GRAD_ACTIVATIONS
    >>> from analysis.train import TrainConfig
    >>> def config(act):  # 8 SGD steps of a 2 x 10 net
    ...     return TrainConfig("sine", n_train=200, n_test=100, epochs=2, batch_size=50,
    ...                        model=MLPConfig(hidden=(10, 10), activation=act))
    >>> from analysis.sensitivity_experiment import gradient_figure
    >>> records = {(a, 2): record_gradients(config(a), every=2) for a in GRAD_ACTIVATIONS}
    >>> fig = gradient_figure(records, "grad_norm", "gradient norm", " (example)")
    >>> len(fig.axes), len(fig.axes[0].get_lines())  # 3 activations; 3 linear layers
    (3, 3)
    >>> fig.axes[0].get_title().startswith("sigmoid, 2 × 10 (test acc")
    True
    """
    depths = sorted({d for _, d in records})
    with style.style():
        fig = Figure(figsize=(2.6 * len(depths) + 0.6, 6.4), layout="constrained")
        axes = fig.subplots(len(GRAD_ACTIVATIONS), len(depths), sharex=True, squeeze=False)
        for i, act in enumerate(GRAD_ACTIVATIONS):
            for j, depth in enumerate(depths):
                rec = records[act, depth]
                ax = axes[i, j]
                values = getattr(rec, field)
                n = values.shape[1]
                for k, c in enumerate(_layer_colors(n)):
                    ax.plot(rec.step, values[:, k], color=c, lw=0.9, label=_layer_name(k + 1, n))
                ax.set_yscale("log")
                ax.set_title(f"{act}, {depth} × {WIDTH} (test acc {rec.test_acc:.1%})")
                ax.set_ylabel(label) if j == 0 else None
                ax.set_xlabel("SGD step") if i == len(GRAD_ACTIVATIONS) - 1 else None
                if i == 0:
                    ax.legend(title="layer", ncols=3, fontsize=5, title_fontsize=6)
        fig.suptitle(f"{label} per layer during training{mode}: {GRAD_DATASET}, one rate")
    return fig


def layer_lr_figure(
    single: dict[tuple[str, int], GradientRecord],
    decreasing: dict[tuple[str, int], GradientRecord],
    mode: str,
) -> Figure:
    """Final accuracy with one rate vs depth-decreasing rates, and the deepest ReLU net's
    update ratios under both.

    Parameters
    ----------
    single, decreasing : dict of (str, int) to GradientRecord
        Runs with one learning rate and with rates falling to ``LR_FLOOR`` at the output
        layer, same keys (activation, depth); ``('relu', deepest depth)`` must be present.
    mode : str
        Appended to the title.

    Returns
    -------
    Figure
        Final test accuracy (fraction) per net and rate schedule (bars), and the deepest
        ReLU net's relative update sizes ``||Delta W_k|| / ||W_k||`` per layer under both.

    Examples
    --------
    >>> from analysis.gradients import depth_lr_scales, record_gradients
    >>> from analysis.models import MLPConfig
    >>> from analysis.sensitivity_experiment import GRAD_ACTIVATIONS
    >>> from analysis.train import TrainConfig
    >>> def config(act):  # 8 SGD steps of a 2 x 10 net
    ...     return TrainConfig("sine", n_train=200, n_test=100, epochs=2, batch_size=50,
    ...                        model=MLPConfig(hidden=(10, 10), activation=act))
    >>> from analysis.sensitivity_experiment import layer_lr_figure
    >>> single = {(a, 2): record_gradients(config(a), every=2) for a in GRAD_ACTIVATIONS}
    >>> decreasing = {
    ...     (a, 2): record_gradients(config(a), every=2, lr_scales=depth_lr_scales(3))
    ...     for a in GRAD_ACTIVATIONS
    ... }
    >>> fig = layer_lr_figure(single, decreasing, "")
    >>> [ax.get_title() for ax in fig.axes]
    ['final accuracy', 'relu 2 × 10, one rate', 'relu 2 × 10, decreasing rates']
    >>> len(fig.axes[0].patches)  # 3 nets x 2 schedules
    6
    """
    keys = list(single)
    deepest = max(d for _, d in keys)
    with style.style():
        fig = Figure(figsize=(10.0, 3.2), layout="constrained")
        ax, *curves = fig.subplots(1, 3, gridspec_kw={"width_ratios": (1.6, 1, 1)})
        x = np.arange(len(keys))
        for off, recs, color, label in (
            (-0.2, single, style.OKABE_ITO[5], "one rate"),
            (0.2, decreasing, style.OKABE_ITO[6], f"rate × {LR_FLOOR:g}^(k/(L-1))"),
        ):
            ax.bar(x + off, [recs[k].test_acc for k in keys], 0.4, color=color, label=label)
        ax.set_xticks(x, [f"{a}\n{d}×{WIDTH}" for a, d in keys], fontsize=6)
        ax.set_ylim(0.4, 1.0)
        ax.set_ylabel("final test accuracy")
        ax.legend(fontsize=6, loc="upper left")
        ax.set_title("final accuracy")
        for cax, recs, title in zip(
            curves, (single, decreasing), ("one rate", "decreasing rates"), strict=True
        ):
            rec = recs["relu", deepest]
            n = rec.update_ratio.shape[1]
            for k, c in enumerate(_layer_colors(n)):
                cax.plot(rec.step, rec.update_ratio[:, k], color=c, lw=0.9)
            cax.set_yscale("log")
            cax.set_xlabel("SGD step")
            cax.set_ylabel("‖ΔW_k‖ / ‖W_k‖")
            cax.set_title(f"relu {deepest} × {WIDTH}, {title}")
        low = min(c.get_ylim()[0] for c in curves)
        high = max(c.get_ylim()[1] for c in curves)
        for cax in curves:
            cax.set_ylim(low, high)
        handles = [
            Line2D([], [], color=c, label=_layer_name(k + 1, n))
            for k, c in enumerate(_layer_colors(n))
        ]
        curves[1].legend(handles=handles, title="layer", ncols=3, fontsize=5, title_fontsize=6)
        fig.suptitle(
            f"Per-layer learning rates{mode}: base lr for layer 1 falling to {LR_FLOOR:g}× at the "
            f"output, vs one rate ({GRAD_DATASET})"
        )
    return fig


# ------------------------------------------------------------------------------------ runner
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
                layer=_layer_name(int(k), n),
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


def run(options: RunOptions) -> ExperimentReport:
    """Train (or load), perturb, re-initialise, record gradients; write figures and table.

    Parameters
    ----------
    options : RunOptions
        Output and cache directories, quick mode, worker processes, progress bars.

    Returns
    -------
    ExperimentReport
        Six figures (written as PNG and PDF under ``options.out_dir / 'sensitivity'``) and
        the table of :class:`Row` s.

    Examples
    --------
    The runner is registered as experiment ``sensitivity``; a run takes minutes even in quick
    mode (``python -m analysis reproduce --experiment sensitivity --quick``):

    >>> from pathlib import Path
    >>> from analysis.experiments import EXPERIMENTS, RunOptions
    >>> from analysis.sensitivity_experiment import QUICK_EPS, TABLE_EPS, run
    >>> EXPERIMENTS["sensitivity"] is run
    True
    >>> TABLE_EPS in QUICK_EPS  # the table's noise size is swept in quick mode too
    True
    >>> options = RunOptions(out_dir=Path("out"), cache_dir=Path("out/cache"), quick=True)
    >>> report = run(options)  # doctest: +SKIP
    >>> len(report.figures), report.figures[0].stem  # doctest: +SKIP
    (6, 'sensitivity/perturbation')
    """
    quick = options.quick
    mode = " (quick mode)" if quick else ""
    eps, seeds = (QUICK_EPS, range(2)) if quick else (EPS_GRID, range(5))
    keys = [(b, d) for b in BOUNDARY_NAMES for d in DEPTHS]
    results = dict(
        zip(
            keys,
            train_many(
                [net_config(b, d, quick) for b, d in keys],
                options.cache_dir,
                options.jobs,
                options.progress,
            ),
            strict=True,
        )
    )
    sweeps: dict[tuple[str, int], PerturbationSweep] = {}
    reinits: dict[tuple[str, int], Reinit] = {}
    rows: list[Row] = []
    for key in tqdm(keys, desc=f"{NAME}: perturbing", disable=not options.progress):
        result = results[key]
        data = dataset_for(result.config)
        sweeps[key] = perturbation_sweep(
            result.model,
            data,
            eps=eps,
            seeds=seeds,
            base=baseline(result.model, data),
            # Quick mode: exact measures (a decomposition each) only where the table needs them.
            exact_eps=(TABLE_EPS,) if quick else None,
        )
        reinits[key] = reinit_robustness(result.model, result.initial_state, data, seeds)
        rows += _perturb_rows(*key, sweeps[key])
    for (name, depth), r in reinits.items():
        n = len(r.layers)
        rows += [
            Row(
                part="reinit",
                dataset=name,
                net=f"{depth} × {WIDTH} relu",
                layer=_layer_name(int(k), n),
                test_acc=float(r.reset_acc[i]),
                test_acc_alt=float(r.rerandom_acc[i].mean()),
            )
            for i, k in enumerate(r.layers)
        ]
    single: dict[tuple[str, int], GradientRecord] = {}
    decreasing: dict[tuple[str, int], GradientRecord] = {}
    grad_keys = [
        (a, d) for a in GRAD_ACTIVATIONS for d in (QUICK_GRAD_DEPTHS if quick else GRAD_DEPTHS)
    ]
    for act, depth in tqdm(grad_keys, desc=f"{NAME}: gradients", disable=not options.progress):
        config = net_config(GRAD_DATASET, depth, quick, act)
        single[act, depth] = record_gradients(config, every=GRAD_EVERY)
        decreasing[act, depth] = record_gradients(
            config, every=GRAD_EVERY, lr_scales=depth_lr_scales(depth + 1, LR_FLOOR)
        )
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
    by_depth = {d: results[DRAW_DATASET, d] for d in DEPTHS}
    figures = [
        (
            "perturbation",
            perturbation_figure(sweeps, mode),
            "Per-layer weight perturbation: test-accuracy drop and mean |ΔP(class 1)| over a "
            "grid of the box against the relative noise size, one curve per layer",
        ),
        (
            "perturbation_drawn",
            drawn_figure(by_depth, mode),
            f"The same perturbation (ε = {DRAW_EPS}) on layer 1 and on the last hidden layer: "
            "P(class 1), exact regions and the exact decision boundary before (dashed) and after",
        ),
        (
            "reinit",
            reinit_figure(reinits, mode),
            "Re-initialisation robustness: test accuracy with one layer reset to its initial "
            "values (top) or re-drawn from the init distribution (bottom, mean ± sd)",
        ),
        (
            "gradient_norms",
            gradient_figure(single, "grad_norm", "‖∂L/∂W_k‖", mode),
            "Per-layer gradient norms during training (mini-batch, every 10 steps)",
        ),
        (
            "update_ratios",
            gradient_figure(single, "update_ratio", "‖ΔW_k‖ / ‖W_k‖", mode),
            "Per-layer relative update sizes during training",
        ),
        (
            "layer_lr",
            layer_lr_figure(single, decreasing, mode),
            "Learning rates falling with depth versus one rate: final test accuracy and the "
            "deepest ReLU net's update ratios",
        ),
    ]
    files = []
    for stem, fig, caption in figures:
        save_figure(fig, Path(options.out_dir) / NAME / stem)
        files.append(FigureFile(stem=f"{NAME}/{stem}", caption=f"{caption}."))
    description = (
        f"ReLU nets with {' and '.join(map(str, DEPTHS))} hidden layers of {WIDTH} units on "
        f"the classic boundaries; each linear layer alone perturbed by Gaussian noise "
        f"(eps {', '.join(f'{e:.3g}' for e in eps)}, {len(seeds)} noise seeds), reset or "
        f"re-drawn. Table rows 'perturb' are means at eps {TABLE_EPS:g}. Gradient flow: "
        f"{', '.join(GRAD_ACTIVATIONS)} nets on {GRAD_DATASET}."
    )
    if quick:
        from analysis.experiments import QUICK_NOTE

        description += f" {QUICK_NOTE}"
    return ExperimentReport(
        name=NAME,
        title="Per-layer sensitivity and gradient flow",
        description=description,
        quick=quick,
        figures=tuple(files),
        table=Table.from_records(rows),
    )
