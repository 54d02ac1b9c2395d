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
    """The classic configuration of a ``depth`` x 10 net (quickened in quick mode)."""
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
    """Accuracy drop and function change against eps, one curve per layer (figure 1)."""
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
    hidden layer at ``DRAW_EPS`` (figure 2)."""
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
    """Test accuracy after resetting or re-randomising each layer alone (figure 3)."""
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
    """``field`` (grad_norm or update_ratio) per layer over training, one panel per net."""
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
    update ratios under both."""
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
    """Train (or load), perturb, re-initialise, record gradients; write figures and table."""
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
