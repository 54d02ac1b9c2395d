"""The sensitivity study's figures: perturbation curves, a perturbation drawn, re-initialisation,
gradient flow and per-layer learning rates. Layers are coloured in order (viridis)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.figures import style
from analysis.figures.panels import annotate
from analysis.figures.regions import draw_decision_boundary, draw_region_boundaries
from analysis.figures.surfaces import draw_probability
from analysis.lab.data import BOUNDARY_NAMES
from analysis.lab.surfaces import probability_grid
from analysis.studies.sensitivity.drawn import DrawnNet
from analysis.studies.sensitivity.gradients import GradientRecord
from analysis.studies.sensitivity.perturbation import PerturbationSweep
from analysis.studies.sensitivity.reinit import Reinit

__all__ = [
    "DEPTHS",
    "WIDTH",
    "drawn_figure",
    "gradient_figure",
    "layer_lr_figure",
    "layer_name",
    "perturbation_figure",
    "reinit_figure",
]

DEPTHS = (4, 8)
WIDTH = 10
DRAW_DATASET = "sine"
GRAD_DATASET = "sine"
GRAD_ACTIVATIONS = ("sigmoid", "tanh", "relu")
LR_FLOOR = 0.1  # output-layer rate / first-layer rate in the decreasing schedule
LAYER_CMAP = colormaps["viridis"]  # ordered layers: sequential and colour-blind safe


def layer_name(k: int, n: int) -> str:
    """``'out'`` for the last of ``n`` linear layers, else ``str(k)``.

    Examples
    --------
    >>> from analysis.studies.sensitivity.figures import layer_name
    >>> layer_name(1, 5), layer_name(5, 5)
    ('1', 'out')
    """
    return "out" if k == n else str(k)


def _layer_colors(n: int) -> list[tuple[float, ...]]:
    return [LAYER_CMAP(0.9 * i / max(n - 1, 1)) for i in range(n)]


def _curves(ax: Axes, x: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> None:
    colors = _layer_colors(len(mean))
    for k, (m, s, c) in enumerate(zip(mean, spread, colors, strict=True)):
        ax.plot(x, m, color=c, marker="o", ms=2, label=layer_name(k + 1, len(mean)))
        ax.fill_between(x, m - s, m + s, color=c, alpha=0.15, lw=0)
    ax.set_xscale("log")


def perturbation_figure(sweeps: dict[tuple[str, int], PerturbationSweep], mode: str) -> Figure:
    """Accuracy drop and function change against eps, one curve per layer (figure 1).

    Parameters
    ----------
    sweeps : dict of (str, int) to PerturbationSweep
        One sweep per (boundary in :data:`~analysis.lab.data.BOUNDARY_NAMES`, depth in
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
    >>> from analysis.lab.data import BOUNDARY_NAMES
    >>> from analysis.studies.sensitivity.perturbation import MEASURES, PerturbationSweep
    >>> from analysis.studies.sensitivity.figures import DEPTHS, perturbation_figure
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
    >>> len(fig.axes[0].get_lines()), fig.get_suptitle().splitlines()[0]
    (5, 'Per-layer weight perturbation (example)')
    >>> fig.get_suptitle().endswith("band ±1 sd")  # two seeds; one would say "one noise seed"
    True
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
        n_seeds = len(next(iter(sweeps.values())).seeds)
        spread = "mean over noise seeds, band ±1 sd" if n_seeds > 1 else "one noise seed"
        fig.suptitle(
            f"Per-layer weight perturbation{mode}\nGaussian noise of RMS ε·RMS(W_k) on one "
            f"layer; {spread}"
        )
    return fig


def drawn_figure(drawn: Sequence[Sequence[DrawnNet]], mode: str) -> Figure:
    """Surface, exact regions and boundaries before and after perturbing layer 1 and the last
    hidden layer (figure 2).

    Parameters
    ----------
    drawn : sequence of sequence of DrawnNet
        One row per depth, from :func:`~analysis.studies.sensitivity.drawn.drawn_nets`.
    mode : str
        Appended to the title.

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

    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.lab.train import TrainConfig, train
    >>> from analysis.studies.sensitivity.drawn import drawn_nets
    >>> from analysis.studies.sensitivity.figures import DEPTHS, drawn_figure
    >>> results = {
    ...     d: train(TrainConfig("sine", n_train=200, n_test=100, epochs=2, batch_size=50,
    ...                          model=MLPConfig(hidden=(3,) * d)), progress=False)
    ...     for d in DEPTHS
    ... }
    >>> fig = drawn_figure(drawn_nets(results), " (example)")
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['4 × 10: trained', '4 × 10: layer 1, ε = 0.1', '4 × 10: layer 4 (last hidden), ε = 0.1']
    >>> len(fig.axes)  # 2 x 3 panels and the colour bar
    7
    >>> "boundary moved (Hausdorff)" in fig.axes[1].texts[0].get_text()
    True
    """
    with style.style():
        fig = Figure(figsize=(7.2, 2.5 * len(drawn) + 0.6), layout="constrained")
        axes = fig.subplots(len(drawn), 3, sharex=True, sharey=True, squeeze=False)
        image = None
        for i, row in enumerate(drawn):
            for j, net in enumerate(row):
                ax = axes[i, j]
                ax.set_rasterization_zorder(0.0)
                box = net.data.box
                image = draw_probability(ax, probability_grid(net.model, box, 200))
                draw_region_boundaries(ax, net.partition)
                draw_decision_boundary(ax, net.partition)
                ax.add_collection(_old_boundary(net.before))
                text = f"{len(net.partition)} regions, test acc {net.test_acc:.1%}"
                if net.moved is not None:
                    text += f"\nboundary moved (Hausdorff) {net.moved:.3f}"
                annotate(ax, text)
                ax.set_title(f"{net.depth} × {WIDTH}: {net.title}")
                ax.set_xlabel("x") if i == len(drawn) - 1 else None
                ax.set_ylabel("y") if j == 0 else None
        fig.colorbar(image, ax=axes, shrink=0.6, label="P(class 1)")
        handles = [
            Line2D([], [], color="k", lw=1.6, label="exact decision boundary"),
            Line2D([], [], color=style.OKABE_ITO[1], lw=1.2, ls="--", label="before perturbing"),
            Line2D([], [], color=style.REGION_EDGE_COLOR, lw=0.6, label="exact region boundaries"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        seed = drawn[0][0].seed
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
        One result per (boundary in :data:`~analysis.lab.data.BOUNDARY_NAMES`, depth in
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
    >>> from analysis.lab.data import BOUNDARY_NAMES
    >>> from analysis.studies.sensitivity.reinit import Reinit
    >>> from analysis.studies.sensitivity.figures import DEPTHS, reinit_figure
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
                ax.set_xticks(r.layers, [layer_name(k, len(r.layers)) for k in r.layers])
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
    >>> from analysis.studies.sensitivity.gradients import depth_lr_scales, record_gradients
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.studies.sensitivity.figures import GRAD_ACTIVATIONS
    >>> from analysis.lab.train import TrainConfig
    >>> def config(act):  # 8 SGD steps of a 2 x 10 net
    ...     return TrainConfig("sine", n_train=200, n_test=100, epochs=2, batch_size=50,
    ...                        model=MLPConfig(hidden=(10, 10), activation=act))
    >>> from analysis.studies.sensitivity.figures import gradient_figure
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
                    ax.plot(rec.step, values[:, k], color=c, lw=0.9, label=layer_name(k + 1, n))
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
    >>> from analysis.studies.sensitivity.gradients import depth_lr_scales, record_gradients
    >>> from analysis.lab.models import MLPConfig
    >>> from analysis.studies.sensitivity.figures import GRAD_ACTIVATIONS
    >>> from analysis.lab.train import TrainConfig
    >>> def config(act):  # 8 SGD steps of a 2 x 10 net
    ...     return TrainConfig("sine", n_train=200, n_test=100, epochs=2, batch_size=50,
    ...                        model=MLPConfig(hidden=(10, 10), activation=act))
    >>> from analysis.studies.sensitivity.figures import layer_lr_figure
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
            Line2D([], [], color=c, label=layer_name(k + 1, n))
            for k, c in enumerate(_layer_colors(n))
        ]
        curves[1].legend(handles=handles, title="layer", ncols=3, fontsize=5, title_fontsize=6)
        fig.suptitle(
            f"Per-layer learning rates{mode}: base lr for layer 1 falling to {LR_FLOOR:g}× at the "
            f"output, vs one rate ({GRAD_DATASET})"
        )
    return fig
