"""The classic study's figures: one row per true boundary, one column per setting.

:func:`heatmap_grid` (P(class 1) with the exact regions and decision boundary),
:func:`region_grid` (the exact partitions) and :func:`surface_grid` (3D surfaces) lay out a
:class:`Panel` per trained net, with a ground-truth column first, shared colour bar and
legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.figures import style
from analysis.figures.panels import annotate, frame
from analysis.figures.regions import (
    DECISION_LW,
    draw_decision_boundary,
    draw_region_boundaries,
    draw_regions,
)
from analysis.figures.surfaces import (
    TRUE_LW,
    draw_positive_region,
    draw_probability,
    draw_surface_3d,
    draw_true_boundary,
    draw_truth,
)
from analysis.lab.data import Boundary
from analysis.lab.surfaces import Surface
from regions import Partition

__all__ = ["Panel", "heatmap_grid", "region_grid", "surface_grid"]

PANEL_INCHES = 1.6  # side of one 2D panel
SURFACE_INCHES = 1.9  # side of one 3D panel (3D axes need room for their own labels)
# Grid figures rasterise, per panel, everything below this zorder in PDFs: the heat map,
# region fills and region edges (thousands of paths) sit at negative zorders; spines,
# ticks, boundaries and text stay vector.
RASTER_ZORDER = 0.0


@dataclass(frozen=True, eq=False)
class Panel:
    """What one trained net contributes to a grid figure.

    Attributes
    ----------
    surface : Surface
        P(class 1) on a grid over the panel's box.
    part : regions.Partition or None
        The exact partition, or None for nets that are not piecewise linear.
    annotation : str
        Text written in the panel's corner (test accuracy, region count, ...).

    Examples
    --------
    >>> import regions
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.classic.figures import Panel
    >>> from analysis.lab.surfaces import probability_grid
    >>> net = MLP((2,), seed=0)
    >>> box = (-1.0, 1.0, -1.0, 1.0)
    >>> panel = Panel(probability_grid(net, box, 5), regions.decompose(net, box), "4 regions")
    >>> panel.surface.P.shape, len(panel.part), panel.surface.box
    ((5, 5), 4, (-1.0, 1.0, -1.0, 1.0))
    """

    surface: Surface
    part: Partition | None
    annotation: str


def _row_label(boundary: Boundary) -> str:
    return f"{boundary.name}: {boundary.formula}"


def _legend_handles(with_regions: bool) -> list[Line2D | Patch]:
    handles: list[Line2D | Patch] = [
        Line2D([], [], color=style.TRUE_BOUNDARY_COLOR, lw=TRUE_LW, ls="--", label="true boundary"),
        Line2D(
            [],
            [],
            color=style.DECISION_BOUNDARY_COLOR,
            lw=DECISION_LW,
            label="exact decision boundary",
        ),
    ]
    if with_regions:
        handles.append(
            Line2D([], [], color=style.REGION_EDGE_COLOR, lw=0.6, label="exact region boundaries")
        )
    return handles


def _grid_2d(
    title: str, boundaries: Sequence[Boundary], column_labels: Sequence[str]
) -> tuple[Figure, np.ndarray]:
    n_rows, n_cols = len(boundaries), len(column_labels) + 1
    fig = Figure(
        figsize=(PANEL_INCHES * n_cols + 1.4, PANEL_INCHES * n_rows + 1.0), layout="constrained"
    )
    # Not shared axes: every panel frames the same box anyway, and sharing 24 axes makes
    # matplotlib walk the sibling lists at every tick update (a third of the render time).
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for j, label in enumerate(["ground truth", *column_labels]):
        axes[0, j].set_title(label)
    for i, boundary in enumerate(boundaries):
        axes[i, 0].set_ylabel(f"{_row_label(boundary)}\n\ny")
    for ax in axes.flat:
        ax.set_rasterization_zorder(RASTER_ZORDER)
        ax.label_outer()
    for ax in axes[-1]:
        ax.set_xlabel("x")
    fig.suptitle(title)
    return fig, axes


def heatmap_grid(
    title: str,
    boundaries: Sequence[Boundary],
    column_labels: Sequence[str],
    panels: Sequence[Sequence[Panel]],
) -> Figure:
    """Heat maps of P(class 1), true boundary and, where exact, regions and decision boundary.

    Parameters
    ----------
    title
        Figure title.
    boundaries
        One true boundary per row.
    column_labels
        One label per setting (column after the ground truth).
    panels
        ``panels[i][j]``: the net trained on ``boundaries[i]`` with setting ``j``.

    Returns
    -------
    Figure
        ``len(boundaries)`` x ``(len(column_labels) + 1)`` panels and a colour bar.

    Examples
    --------
    One row (``line``), an exact panel and one without a partition:

    >>> import regions
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.classic.figures import Panel
    >>> from analysis.lab.surfaces import probability_grid
    >>> box = (-1.0, 1.0, -1.0, 1.0)
    >>> net = MLP((2,), seed=0)
    >>> exact = Panel(probability_grid(net, box, 5), regions.decompose(net, box), "4 regions")
    >>> smooth = Panel(probability_grid(MLP((2,), "tanh", seed=0), box, 5), None, "tanh")
    >>> from analysis.studies.classic.figures import heatmap_grid
    >>> fig = heatmap_grid("P(class 1)", [get_boundary("line")], ["relu", "tanh"],
    ...                    [[exact, smooth]])
    >>> [ax.get_title() for ax in fig.axes]  # three panels, then the colour bar
    ['ground truth', 'relu', 'tanh', '']
    >>> fig.axes[0].get_ylabel().splitlines()[0], fig.get_suptitle()
    ('line: sign(y - x)', 'P(class 1)')
    >>> len(fig.axes[1].collections)  # region edges, decision boundary, true boundary
    3
    """
    with style.style():
        fig, axes = _grid_2d(title, boundaries, column_labels)
        image = None
        for i, boundary in enumerate(boundaries):
            box = panels[i][0].surface.box
            image = draw_truth(axes[i, 0], boundary, panels[i][0].surface)
            draw_true_boundary(axes[i, 0], boundary, box)
            for j, panel in enumerate(panels[i], start=1):
                ax = axes[i, j]
                draw_probability(ax, panel.surface)
                if panel.part is not None:
                    draw_region_boundaries(ax, panel.part)
                    draw_decision_boundary(ax, panel.part)
                draw_true_boundary(ax, boundary, box)
                annotate(ax, panel.annotation)
        fig.colorbar(image, ax=axes, shrink=0.5, aspect=30, label="P(class 1)")
        fig.legend(handles=_legend_handles(True), loc="outside lower center", ncols=3)
    return fig


def region_grid(
    title: str,
    boundaries: Sequence[Boundary],
    column_labels: Sequence[str],
    panels: Sequence[Sequence[Panel]],
) -> Figure:
    """Exact partitions coloured by region, with the exact decision boundary on top.

    Same layout and arguments as :func:`heatmap_grid`; nets without an exact partition get
    an empty panel saying so. The ground-truth column fills the true positive region.

    Returns
    -------
    Figure
        ``len(boundaries)`` x ``(len(column_labels) + 1)`` panels.

    Examples
    --------
    >>> import regions
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.classic.figures import Panel
    >>> from analysis.lab.surfaces import probability_grid
    >>> box = (-1.0, 1.0, -1.0, 1.0)
    >>> net = MLP((2,), seed=0)
    >>> exact = Panel(probability_grid(net, box, 5), regions.decompose(net, box), "4 regions")
    >>> smooth = Panel(probability_grid(MLP((2,), "tanh", seed=0), box, 5), None, "tanh")
    >>> from analysis.studies.classic.figures import region_grid
    >>> fig = region_grid("Regions", [get_boundary("line")], ["relu", "tanh"], [[exact, smooth]])
    >>> [ax.get_title() for ax in fig.axes]
    ['ground truth', 'relu', 'tanh']
    >>> len(fig.axes[1].collections[0].get_paths())  # the four regions
    4
    >>> fig.axes[2].texts[0].get_text().split()
    ['not', 'piecewise', 'linear']
    """
    with style.style():
        fig, axes = _grid_2d(title, boundaries, column_labels)
        for i, boundary in enumerate(boundaries):
            box = panels[i][0].surface.box
            draw_positive_region(axes[i, 0], boundary, box)
            draw_true_boundary(axes[i, 0], boundary, box)
            for j, panel in enumerate(panels[i], start=1):
                ax = axes[i, j]
                frame(ax, box)
                if panel.part is None:
                    ax.set_facecolor("#F2F2F2")
                    ax.text(
                        0.5,
                        0.6,
                        "not piecewise\nlinear",
                        transform=ax.transAxes,
                        ha="center",
                        va="center",
                        color="#555555",
                        zorder=6,
                    )
                else:
                    draw_regions(ax, panel.part)
                    draw_decision_boundary(ax, panel.part)
                annotate(ax, panel.annotation)
        handles = [
            Patch(fc=style.POSITIVE_FILL_COLOR, label="true class 1"),
            *_legend_handles(False),
            Patch(fc=style.REGION_PALETTE[0], ec=style.REGION_EDGE_COLOR, label="linear region"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    return fig


def surface_grid(
    title: str,
    boundaries: Sequence[Boundary],
    column_labels: Sequence[str],
    panels: Sequence[Sequence[Panel]],
) -> Figure:
    """3D surfaces of P(class 1), decision and true boundaries projected on the floor.

    Same layout and arguments as :func:`heatmap_grid`; the ground-truth column shows the
    true labels as a 0/1 step. Each panel's annotation is its title.

    Returns
    -------
    Figure
        ``len(boundaries)`` x ``(len(column_labels) + 1)`` 3D panels and a colour bar.

    Examples
    --------
    >>> import regions
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.classic.figures import Panel
    >>> from analysis.lab.surfaces import probability_grid
    >>> box = (-1.0, 1.0, -1.0, 1.0)
    >>> net = MLP((2,), seed=0)
    >>> exact = Panel(probability_grid(net, box, 5), regions.decompose(net, box), "4 regions")
    >>> smooth = Panel(probability_grid(MLP((2,), "tanh", seed=0), box, 5), None, "tanh")
    >>> from analysis.studies.classic.figures import surface_grid
    >>> fig = surface_grid("Surfaces", [get_boundary("line")], ["relu", "tanh"],
    ...                    [[exact, smooth]])
    >>> [ax.name for ax in fig.axes]  # three 3D panels, then the colour bar
    ['3d', '3d', '3d', 'rectilinear']
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['', '4 regions', 'tanh']
    >>> [t.get_text() for t in fig.texts[:3]]  # column and row labels
    ['ground truth', 'line: sign(y - x)', 'relu']
    """
    n_rows, n_cols = len(boundaries), len(column_labels) + 1
    width, height = SURFACE_INCHES * n_cols + 1.3, SURFACE_INCHES * n_rows + 1.1
    # Fixed margins in inches, so labels keep their place whatever the grid size.
    left, right, top, bottom = 0.45 / width, 1 - 0.85 / width, 1 - 0.75 / height, 0.35 / height
    with style.style():
        fig = Figure(figsize=(width, height))
        grid = fig.add_gridspec(
            n_rows, n_cols, left=left, right=right, top=top, bottom=bottom, wspace=0, hspace=0.22
        )
        artist = None
        for i, boundary in enumerate(boundaries):
            for j in range(n_cols):
                ax = fig.add_subplot(grid[i, j], projection="3d", computed_zorder=False)
                if j == 0:
                    draw_surface_3d(ax, panels[i][0].surface, boundary, truth=True)
                else:
                    panel = panels[i][j - 1]
                    artist = draw_surface_3d(ax, panel.surface, boundary)
                    ax.set_title(panel.annotation, fontsize=6, pad=-4, linespacing=1.1)
                box = ax.get_position()
                if i == 0:
                    label = "ground truth" if j == 0 else column_labels[j - 1]
                    fig.text((box.x0 + box.x1) / 2, top + 0.35 / height, label, ha="center")
                if j == 0:
                    fig.text(
                        0.15 / width,
                        (box.y0 + box.y1) / 2,
                        _row_label(boundary),
                        rotation=90,
                        ha="left",
                        va="center",
                    )
        fig.colorbar(
            artist,
            cax=fig.add_axes((1 - 0.55 / width, 0.3, 0.1 / width, 0.4)),
            label="P(class 1)",
        )
        handles = [
            Line2D(
                [], [], color=style.TRUE_BOUNDARY_COLOR, lw=TRUE_LW, ls="--", label="true boundary"
            ),
            Line2D([], [], color="k", lw=1.0, label="P = 0.5 (on the floor)"),
        ]
        fig.legend(handles=handles, loc="lower center", ncols=2, frameon=False)
        fig.suptitle(title, y=1 - 0.1 / height, va="top")
    return fig
