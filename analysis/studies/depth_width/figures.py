"""The depth-versus-width study's figures: counts against budgets, depth, width and training,
the partition layer by layer, the constructions and the region statistics.

Every depth has one colour and marker in every figure (:func:`depth_style`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import regions
from analysis.figures import style
from analysis.figures.panels import annotate, frame
from analysis.figures.regions import draw_regions
from analysis.lab.data import get_boundary
from analysis.studies.depth_width.counting import BOUNDARY_BINS, DATA_BINS, constructions_table
from analysis.studies.depth_width.nets import describe, n_parameters
from analysis.studies.depth_width.results import AREA, Counts, bound
from analysis.studies.depth_width.settings import DepthWidthSettings
from regions import DEFAULT_BOX

__all__ = [
    "budget_figure",
    "construction_figure",
    "layer_figure",
    "statistics_figure",
    "sweep_figure",
    "training_figure",
]


def _mids(edges: Sequence[float], last_factor: float = 1.5) -> list[float]:
    """Plotting positions of distance bands (the last, open band at its lower edge x factor)."""
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        out.append(lo * last_factor if math.isinf(hi) else (lo + hi) / 2 if lo > 0 else hi / 2)
    return out


def _depth_color(i: int) -> str:
    """Okabe-Ito colours without black (reserved) and yellow (faint on white)."""
    palette = [c for j, c in enumerate(style.OKABE_ITO) if j not in (0, 4)]
    return palette[i % len(palette)]


_DEPTH_ORDER = (1, 2, 4, 8, 3, 6, 10, 5, 7, 9)  # the compared depths get the first colours
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


def depth_style(depth: int) -> tuple[str, str]:
    """(colour, marker) of a depth, the same in every figure; markers tell apart depths
    that share a colour."""
    rank = _DEPTH_ORDER.index(depth) if depth in _DEPTH_ORDER else depth
    return _depth_color(rank), _MARKERS[rank % len(_MARKERS)]


def _plot_init(
    ax: Axes,
    xs: np.ndarray | Sequence[float],
    counts: Counts,
    nets: Sequence[tuple[int, ...]],
    color: str,
    label: str,
) -> None:
    """Each net's region count at initialisation against ``xs``: mean and std over seeds."""
    values = np.array([counts.init_regions(w) for w in nets])
    ax.errorbar(
        xs,
        values.mean(axis=1),
        values.std(axis=1),
        fmt="o-",
        ms=3,
        capsize=2,
        color=color,
        label=label,
    )


# The two bounds every count figure draws: (name for ``bound``, line style, legend label).
_BOUNDS = (
    ("serra_upper", "--", "upper bound (Serra)"),
    ("montufar_lower", ":", "lower bound (Montufar)"),
)


def _plot_bounds(
    ax: Axes,
    xs: np.ndarray | Sequence[float],
    nets: Sequence[tuple[int, ...]],
    colors: tuple[str, str],
    *,
    labelled: bool = False,
    **line: float,
) -> None:
    """Serra's upper and Montufar's lower bound of each net in ``nets``, at ``xs``."""
    for (name, ls, label), color in zip(_BOUNDS, colors, strict=True):
        extra = {"label": label} if labelled else {}
        ax.plot(xs, [bound(name, w) or np.nan for w in nets], ls, color=color, **line, **extra)


def budget_figure(counts: Counts, mode: str) -> Figure:
    """Regions against parameters at matched budgets, at initialisation and trained."""
    s = counts.setup
    with style.style():
        fig = Figure(figsize=(7.2, 3.4), layout="constrained")
        axes = fig.subplots(1, 2, sharey=True)
        for ax, trained in zip(axes, (False, True), strict=True):
            for depth in s.depths:
                color, _ = depth_style(depth)
                nets = [w for b, d, w in s.budget_nets() if d == depth]
                params = np.array([n_parameters(w) for w in nets])
                if trained:
                    values = np.array(
                        [
                            [counts.trained(w, ds)["by_depth"][-1] for ds in s.train_datasets]
                            for w in nets
                        ],
                        dtype=float,
                    )
                    for k in range(values.shape[1]):
                        ax.scatter(params, values[:, k], s=8, color=color, alpha=0.6, lw=0)
                    ax.plot(params, values.mean(axis=1), "-", color=color, label=f"depth {depth}")
                else:
                    _plot_init(ax, params, counts, nets, color, f"depth {depth}")
                _plot_bounds(ax, params, nets, (color, color), lw=0.8)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("parameters")
            ax.set_title(
                "after training (seed 0, one point per dataset)"
                if trained
                else f"at initialisation ({s.seeds} seeds)"
            )
            ax.grid(True, which="major", lw=0.3, alpha=0.5)
        axes[0].set_ylabel("regions in [-2, 2]²")
        handles, labels = axes[0].get_legend_handles_labels()
        handles += [
            Line2D([], [], color="#555555", ls=ls, lw=0.8, label=label) for _, ls, label in _BOUNDS
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
        fig.suptitle(f"Regions versus parameters at matched budgets{mode}")
    return fig


def sweep_figure(counts: Counts, mode: str) -> Figure:
    """Counts against depth and width at initialisation, with the bounds and the N^2 law."""
    s = counts.setup
    fit = counts.density_fit()
    with style.style():
        fig = Figure(figsize=(9.6, 3.3), layout="constrained")
        axes = fig.subplots(1, 3)
        (width, depths), (depth, widths) = s.depth_sweep, s.width_sweep
        for ax, xs, nets, xlabel, title in (
            (
                axes[0],
                depths,
                [(width,) * d for d in depths],
                "depth (hidden layers)",
                f"width {width}",
            ),
            (axes[1], widths, [(w,) * depth for w in widths], "width", f"depth {depth}"),
        ):
            _plot_init(ax, xs, counts, nets, style.OKABE_ITO[5], "measured (init)")
            _plot_bounds(ax, xs, nets, (style.OKABE_ITO[6], style.OKABE_ITO[3]), labelled=True)
            ax.plot(
                xs,
                fit.predict([sum(w) for w in nets], AREA),
                "-",
                color=style.OKABE_ITO[1],
                lw=0.9,
                label=f"C N² area, C = {fit.constant:.3g}",
            )
            ax.set_yscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("regions in [-2, 2]²")
            ax.set_title(f"varying {'depth' if ax is axes[0] else 'width'} at {title}")
            ax.grid(True, lw=0.3, alpha=0.5)
        axes[1].set_xscale("log", base=2)
        axes[0].legend(loc="upper left")
        ax = axes[2]
        nets = {w for _, w in s.sweep_nets()} | {w for _, _, w in s.budget_nets()}
        by_depth: dict[int, list[tuple[int, float]]] = {}
        for w in nets:
            for c in counts.init_regions(w):
                by_depth.setdefault(len(w), []).append((sum(w), c / AREA))
        for d in sorted(by_depth):
            pts = np.array(by_depth[d])
            color, marker = depth_style(d)
            ax.scatter(
                pts[:, 0],
                pts[:, 1],
                s=8,
                lw=0,
                alpha=0.75,
                color=color,
                marker=marker,
                label=f"depth {d}",
            )
        grid = np.geomspace(
            min(p[0] for v in by_depth.values() for p in v),
            max(p[0] for v in by_depth.values() for p in v),
            50,
        )
        ax.plot(
            grid,
            fit.predict(grid, 1.0),
            "-",
            color="#000000",
            lw=0.9,
            label=f"C N², C = {fit.constant:.3g}",
        )
        ax.plot(
            grid,
            fit.predict(grid, 1.0, free=True),
            "--",
            color="#555555",
            lw=0.9,
            label=f"free fit, slope {fit.slope:.2f}",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        style.plain_log_ticks(ax.xaxis)  # about a decade of neurons
        ax.set_xlabel("neurons N (hidden units)")
        ax.set_ylabel("regions per unit area")
        ax.set_title("density at initialisation")
        ax.legend(loc="upper left", ncols=2, fontsize=6)
        ax.grid(True, lw=0.3, alpha=0.5)
        fig.suptitle(f"Depth and width at initialisation{mode}")
    return fig


def training_figure(counts: Counts, mode: str) -> Figure:
    """Exact counts during training, one panel per dataset, one line per depth."""
    s = counts.setup
    with style.style():
        fig = Figure(figsize=(2.4 * len(s.datasets) + 0.4, 2.8), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(s.datasets), sharey=True))
        for ax, ds in zip(axes, s.datasets, strict=True):
            for d in s.curve_depths:
                job, r = counts.curve(ds, d)
                ax.plot(
                    r["steps"],
                    r["regions"],
                    color=depth_style(d)[0],
                    label=f"depth {d}: {describe(job.config.model.hidden)}",
                )
            ax.set_yscale("log")
            ax.set_xlabel("SGD step")
            ax.set_title(get_boundary(ds).name)
            ax.grid(True, lw=0.3, alpha=0.5)
        axes[0].set_ylabel("activation regions")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        fig.suptitle(f"Regions during training, ~{s.curve_budget:,} parameters{mode}")
    return fig


def statistics_figure(counts: Counts, mode: str) -> Figure:
    """Region areas, vertices and densities of the focus nets."""
    s = counts.setup
    with style.style():
        fig = Figure(figsize=(10.4, 2.9), layout="constrained")
        axes = fig.subplots(1, 4)
        for i, ds in enumerate(s.datasets):
            st, color = counts.stats(ds), _depth_color(i)
            areas = np.asarray(st["areas"])
            bins = np.linspace(-8, 1.5, 39)
            axes[0].hist(np.log10(areas), bins=bins, histtype="step", color=color, label=ds)
            vertices = np.asarray(st["vertices"])
            vb = np.arange(2.5, max(vertices.max(), 8) + 1.5)
            axes[1].hist(vertices, bins=vb, histtype="step", color=color, density=True)
            mids = _mids(BOUNDARY_BINS, 1.2)
            axes[2].plot(
                mids,
                [np.nan if v is None else v for v in st["boundary_density"]],
                "o-",
                ms=3,
                color=color,
            )
            axes[3].plot(
                [0.0, *_mids(DATA_BINS)],
                [
                    st["density_data_box"],
                    *[np.nan if v is None else v for v in st["density_outside"]],
                ],
                "o-",
                ms=3,
                color=color,
            )
        axes[0].set_xlabel("log10 region area")
        axes[0].set_ylabel("regions")
        axes[0].legend(loc="upper left")
        axes[1].set_xlabel("vertices per region")
        axes[1].set_ylabel("fraction of regions")
        axes[2].set_xscale("log")
        axes[2].set_yscale("log")
        axes[2].set_xlabel("distance to decision boundary (data box)")
        axes[2].set_ylabel("regions per unit area")
        axes[3].set_yscale("log")
        axes[3].set_xlabel("distance outside data box (0: inside)")
        axes[3].set_ylabel("regions per unit area")
        for ax in axes:
            ax.grid(True, lw=0.3, alpha=0.5)
        for ax in axes[2:]:  # plain numbers: the densities span little more than a decade
            style.plain_log_ticks(ax.yaxis)
        fig.suptitle(
            f"Region statistics, {describe(s.focus_widths())} trained nets, [-4, 4]²{mode}"
        )
    return fig


def layer_figure(
    setup: DepthWidthSettings, parts: Mapping[str, regions.Partition], mode: str
) -> Figure:
    """Partition after each hidden layer of the focus net trained on every dataset.

    Parameters
    ----------
    setup : DepthWidthSettings
        Its ``focus`` net and ``datasets``.
    parts : mapping of str to regions.Partition
        The trained focus net's exact partition on [-2, 2]^2, per dataset.
    mode : str
        Appended to the title.

    Returns
    -------
    Figure
        One row per dataset, one column per hidden layer ``k``: the boundaries drawn by
        layers ``1..k`` on [-2, 2]^2, annotated with the count after layer ``k``.

    Examples
    --------
    A 2 x 3 focus net on one dataset (trained in quick mode into a temporary cache):

    >>> import tempfile
    >>> from pathlib import Path
    >>> import regions
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.lab.train import train
    >>> from analysis.studies.depth_width.counting import count_net
    >>> from analysis.studies.depth_width.figures import layer_figure
    >>> from analysis.studies.depth_width.settings import DepthWidthSettings
    >>> setup = DepthWidthSettings(focus=(30, 2), datasets=("line",))
    >>> setup.focus_widths()
    (3, 3)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     options = RunOptions(Path(tmp), Path(tmp), quick=True, progress=False)
    ...     config = setup.stats_job("line", options).config  # the focus net
    ...     model = train(config, cache_dir=tmp, progress=False).model
    >>> fig = layer_figure(setup, {"line": regions.decompose(model)}, " (example)")
    >>> count = count_net(model)
    >>> [ax.get_title() for ax in fig.axes]
    ['after layer 1', 'after layer 2']
    >>> n = count.by_depth
    >>> fig.axes[1].texts[0].get_text() == f"{n[2]} regions (+{n[2] - n[1]})"
    True
    >>> fig.get_suptitle().splitlines()[1]
    '2 × 3 trained nets (example)'
    """
    widths = setup.focus_widths()
    depth = len(widths)
    with style.style():
        fig = Figure(
            figsize=(1.75 * depth + 0.6, 1.75 * len(setup.datasets) + 0.8), layout="constrained"
        )
        axes = fig.subplots(len(setup.datasets), depth, squeeze=False, sharex=True, sharey=True)
        for row, ds in enumerate(setup.datasets):
            part = parts[ds]
            n = part.counts_by_depth()
            for k in range(1, depth + 1):
                ax = axes[row, k - 1]
                b = part.at_depth(k).boundaries()
                for layer in range(1, k + 1):
                    sel = b.layer == layer
                    ax.add_collection(
                        LineCollection(
                            b.segments[sel],
                            colors=_depth_color(layer - 1),
                            linewidths=0.9 if layer == k else 0.45,
                            zorder=1 + (layer == k),
                        )
                    )
                if k == depth:
                    segs = part.decision_boundary().segments
                    ax.add_collection(
                        LineCollection(segs, colors="#000000", linewidths=1.4, zorder=4)
                    )
                frame(ax, DEFAULT_BOX)
                annotate(ax, f"{n[k]} regions (+{n[k] - n[k - 1]})")
                if row == 0:
                    ax.set_title(f"after layer {k}")
            axes[row, 0].set_ylabel(f"{ds}\ny")
        for ax in axes[-1]:
            ax.set_xlabel("x")
        handles = [
            Line2D([], [], color=_depth_color(i), lw=1.2, label=f"layer {i + 1}")
            for i in range(depth)
        ]
        handles.append(Line2D([], [], color="#000000", lw=1.4, label="decision boundary"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
        fig.suptitle(f"Layer-by-layer refinement\n{describe(widths)} trained nets{mode}")
    return fig


def construction_figure(mode: str) -> Figure:
    """Sawtooth, 2D sawtooth and folding nets with exact counts next to their formulas.

    Parameters
    ----------
    mode : str
        Appended to the title.

    Returns
    -------
    Figure
        One row per construction, one panel per depth: the exact regions on [0, 1]^2,
        titled with the exact count and the closed-form one.

    Examples
    --------
    >>> from analysis.studies.depth_width.figures import construction_figure
    >>> fig = construction_figure("")
    >>> len(fig.axes)  # 3 rows x 4 columns (two unused)
    12
    >>> for ax in fig.axes[:4]:
    ...     print(ax.get_title().splitlines())
    ['sawtooth L=1', '2 regions; 2^1 = 2']
    ['sawtooth L=2', '4 regions; 2^2 = 4']
    ['sawtooth L=3', '8 regions; 2^3 = 8']
    ['sawtooth L=4', '16 regions; 2^4 = 16']
    >>> fig.axes[6].get_title().splitlines()[1]  # 2D sawtooth, L = 3
    '64 regions; 4^3 = 64'
    """
    items = constructions_table()
    rows = [
        [i for i in items if i[0].startswith(p)] for p in ("sawtooth", "2D sawtooth", "folding")
    ]
    n_cols = max(len(r) for r in rows)
    with style.style():
        fig = Figure(figsize=(1.8 * n_cols + 0.4, 1.9 * len(rows) + 0.5), layout="constrained")
        axes = fig.subplots(len(rows), n_cols, squeeze=False)
        for r, row in enumerate(rows):
            for c in range(n_cols):
                ax = axes[r, c]
                if c >= len(row):
                    ax.set_axis_off()
                    continue
                label, net, count, formula = row[c]
                draw_regions(ax, regions.decompose(net, domain=(0, 1, 0, 1)))
                frame(ax, (0, 1, 0, 1))
                ax.set_title(f"{label}\n{count} regions; {formula}")
                ax.set_xticks([0, 1])
                ax.set_yticks([0, 1])
                ax.set_xlabel("x", labelpad=-6)
                ax.set_ylabel("y", labelpad=-6)
        fig.suptitle(f"Constructions that attain the depth lower bounds{mode}")
    return fig
