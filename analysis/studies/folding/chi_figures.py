"""Figures of the exact space-folding measure chi: by layer, and across depth at matched budgets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from analysis.figures.style import OKABE_ITO, style
from analysis.studies.folding.chi import ChiSummary

__all__ = ["chi_depth_figure", "chi_layers_figure"]

_STAGE_COLORS = tuple(OKABE_ITO[i] for i in (5, 1, 3, 6, 2, 7, 0))


def chi_layers_figure(
    nets: Sequence[tuple[str, Sequence[tuple[str, np.ndarray]]]],
) -> Figure:
    """Box plots of chi per truncation depth, one panel per net, one box colour per stage.

    Parameters
    ----------
    nets : sequence of (title, [(stage, chi)])
        Per panel: its title and, per stage (e.g. ``"init"``, ``"trained on sine"``), the chi
        array (L, n) of :func:`~analysis.studies.folding.measures.chi_by_layer`.

    Returns
    -------
    Figure
        Boxes (quartiles, whiskers to the 5th and 95th percentiles) with the mean as a dot,
        at layers ``1..L`` on the x axis.

    Examples
    --------
    >>> from analysis.studies.folding.chi_figures import chi_layers_figure
    >>> import numpy as np
    >>> chi = np.array([[0.0, 0.0, 0.0], [0.0, 0.5, 0.2]])
    >>> fig = chi_layers_figure([("2 × 3", [("init", chi), ("trained", chi / 2)])])
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('patterns of layers 1..k (k)', 'folding measure χ')
    """
    with style():
        fig = Figure(figsize=(2.6 * len(nets) + 0.4, 2.8), layout="constrained")
        axes = fig.subplots(1, len(nets), squeeze=False, sharey=True)[0]
        for ax, (title, stages) in zip(axes, nets, strict=True):
            n_stages = len(stages)
            width = 0.8 / n_stages
            for s, (stage, chi) in enumerate(stages):
                chi = np.asarray(chi)
                layers = np.arange(1, len(chi) + 1)
                pos = layers - 0.4 + width * (s + 0.5)
                color = _STAGE_COLORS[s % len(_STAGE_COLORS)]
                ax.boxplot(
                    list(chi),
                    positions=pos,
                    manage_ticks=False,
                    widths=width * 0.85,
                    whis=(5, 95),
                    showfliers=False,
                    patch_artist=True,
                    boxprops={"facecolor": color, "alpha": 0.55, "edgecolor": color},
                    medianprops={"color": "black", "linewidth": 0.8},
                    whiskerprops={"color": color},
                    capprops={"color": color},
                )
                ax.plot(pos, chi.mean(axis=1), "o", ms=3, color=color, label=stage)
            ax.set_xticks(np.arange(1, max(len(c) for _, c in stages) + 1))
            ax.set_xlim(0.5, max(len(c) for _, c in stages) + 0.5)
            ax.set_xlabel("patterns of layers 1..k (k)")
            ax.set_title(title)
        axes[0].set_ylabel("folding measure χ")
        axes[0].legend(loc="upper left", fontsize="small")
    return fig


def chi_depth_figure(rows: Sequence[ChiSummary]) -> Figure:
    """Whole-net chi against depth at matched budgets: mean chi and share of folded segments.

    Parameters
    ----------
    rows : sequence of ChiSummary
        Nets at initialisation (averaged over seeds, bars: min to max over seeds) and trained
        (one seed per dataset); one line per (stage, budget).

    Returns
    -------
    Figure
        Left: mean chi; right: fraction of segments with chi > 0; x: hidden layers (log 2).

    Examples
    --------
    >>> from analysis.studies.folding.chi import ChiSummary
    >>> from analysis.studies.folding.chi_figures import chi_depth_figure
    >>> rows = [ChiSummary("1 × 8", 1, 42, 50, "init", 0, None, 9, 0.0, 0.0, (0.0,)),
    ...         ChiSummary("2 × 5", 2, 57, 50, "init", 0, None, 14, 0.1, 0.3, (0.0, 0.1))]
    >>> fig = chi_depth_figure(rows)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['mean χ over segments', 'segments with χ > 0']
    """
    groups: dict[tuple[str, int], list[ChiSummary]] = {}
    for r in rows:
        groups.setdefault((r.stage, r.budget), []).append(r)
    with style():
        fig = Figure(figsize=(6.4, 2.9), layout="constrained")
        left, right = fig.subplots(1, 2)
        for i, ((stage, budget), members) in enumerate(sorted(groups.items(), key=_order)):
            color = _STAGE_COLORS[i % len(_STAGE_COLORS)]
            style_ = "-" if stage == "init" else "--"
            label = f"{'init' if stage == 'init' else 'trained on ' + stage}, budget {budget}"
            for ax, field in ((left, "mean_chi"), (right, "folded")):
                depths = sorted({m.depth for m in members})
                vals = [[getattr(m, field) for m in members if m.depth == d] for d in depths]
                mean = np.array([np.mean(v) for v in vals])
                lo = mean - np.array([np.min(v) for v in vals])
                hi = np.array([np.max(v) for v in vals]) - mean
                ax.errorbar(
                    depths,
                    mean,
                    yerr=[lo, hi],
                    fmt="o" + style_,
                    ms=3,
                    lw=1.1,
                    capsize=2,
                    color=color,
                    label=label,
                )
        ticks = sorted({r.depth for r in rows})
        for ax in (left, right):
            ax.set_xscale("log", base=2)
            ax.set_xticks(ticks, labels=[str(t) for t in ticks])
            ax.minorticks_off()
            ax.set_xlabel("hidden layers at matched budget")
        left.set_ylabel("mean χ over segments")
        right.set_ylabel("segments with χ > 0")
        right.set_ylim(-0.03, 1.03)
        left.legend(fontsize="x-small", loc="upper left")
    return fig


def _order(item: tuple[tuple[str, int], list[ChiSummary]]) -> tuple[bool, str, int]:
    (stage, budget), _ = item
    return (stage != "init", stage, budget)
