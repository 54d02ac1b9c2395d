"""Drawing primitives for one panel, and the grid figures the experiments are made of.

Primitives draw onto an existing axes and return the artist they add:
:func:`draw_probability` (heat map of P(class 1)), :func:`draw_truth` (true label map),
:func:`draw_true_boundary`, :func:`draw_region_boundaries`, :func:`draw_decision_boundary`,
:func:`draw_regions` (exact partition coloured by region), :func:`draw_surface_3d` and
:func:`annotate`. Grid figures (:func:`heatmap_grid`, :func:`surface_grid`,
:func:`region_grid`) lay out one row per true boundary and one column per setting, with a
ground-truth column first, shared colour bar and legend.

Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot state), built
inside :func:`analysis.style.style`; write them with :func:`analysis.style.save_figure`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import contourpy
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from analysis import style
from analysis.surfaces import Surface

if TYPE_CHECKING:
    from mpl_toolkits.mplot3d import Axes3D

    from analysis.data import Boundary, Box
    from regions import Partition

PANEL_INCHES = 1.6  # side of one 2D panel
SURFACE_INCHES = 1.9  # side of one 3D panel (3D axes need room for their own labels)
SURFACE_SAMPLES = 60  # rows and columns of the 3D mesh: smooth enough, light in a PDF
TRUTH_RESOLUTION = 401  # grid for tracing the true boundary f = 0

TRUE_LW = 1.4  # dashed true boundary
DECISION_LW = 1.6  # exact decision boundary
REGION_LW = 0.35  # exact region boundaries, in sparse partitions
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
    partition : regions.Partition or None
        The exact partition, or None for nets that are not piecewise linear.
    annotation : str
        Text written in the panel's corner (test accuracy, region count, ...).
    """

    surface: Surface
    partition: Partition | None
    annotation: str


# ---------------------------------------------------------------------------------------------
# Primitives.


def _set_box(ax: Axes, box: Box) -> None:
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_aspect("equal")


def _image(ax: Axes, values: np.ndarray, surface: Surface) -> AxesImage:
    # Pixels are centred on the grid points, so the image extends half a cell past them.
    dx = (surface.xs[-1] - surface.xs[0]) / (len(surface.xs) - 1)
    dy = (surface.ys[-1] - surface.ys[0]) / (len(surface.ys) - 1)
    extent = (
        surface.xs[0] - dx / 2,
        surface.xs[-1] + dx / 2,
        surface.ys[0] - dy / 2,
        surface.ys[-1] + dy / 2,
    )
    image = ax.imshow(
        values,
        origin="lower",
        extent=extent,
        cmap=style.PROBABILITY_CMAP,
        vmin=0.0,
        vmax=1.0,
        interpolation="nearest",
        zorder=-3,
    )
    _set_box(ax, surface.box)
    return image


def draw_probability(ax: Axes, surface: Surface) -> AxesImage:
    """Heat map (zorder -3) of P(class 1) over the surface's box, colours fixed to [0, 1]."""
    return _image(ax, surface.P, surface)


def draw_truth(ax: Axes, boundary: Boundary, surface: Surface) -> AxesImage:
    """The true labels on ``surface``'s grid, coloured as P = 0 or 1 on the same scale."""
    labels = boundary.labels(surface.points).reshape(surface.P.shape)
    return _image(ax, labels.astype(np.float64), surface)


@functools.lru_cache(maxsize=64)
def true_boundary_lines(boundary: Boundary, box: Box) -> tuple[np.ndarray, ...]:
    """The true boundary ``f = 0`` inside ``box`` as polylines, each of shape (k, 2).

    Traced by marching squares on a ``TRUTH_RESOLUTION``-point grid per axis (error far
    below a line width) and cached, as every panel of a row draws the same curve.
    """
    xs = np.linspace(box[0], box[1], TRUTH_RESOLUTION)
    ys = np.linspace(box[2], box[3], TRUTH_RESOLUTION)
    X, Y = np.meshgrid(xs, ys)
    F = boundary.f(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    return tuple(contourpy.contour_generator(xs, ys, F).lines(0.0))


def draw_true_boundary(ax: Axes, boundary: Boundary, box: Box) -> LineCollection:
    """Dashed line (zorder 5) along the true boundary ``f = 0`` inside ``box``."""
    lines = LineCollection(
        true_boundary_lines(boundary, box),
        colors=style.TRUE_BOUNDARY_COLOR,
        linewidths=TRUE_LW,
        linestyles="--",
        zorder=5,
    )
    ax.add_collection(lines)
    return lines


def _edge_width(n_regions: int, widest: float) -> float:
    """Line width for region edges: thinner in dense partitions, so edges do not bury fills.

    ``widest`` up to 400 regions, then falling as 1/sqrt(regions) down to 0.1 pt.
    """
    return float(np.clip(widest * 20.0 / np.sqrt(max(n_regions, 1)), 0.1, widest))


def draw_region_boundaries(ax: Axes, partition: Partition) -> LineCollection:
    """Thin lines (zorder -1) on every edge between two exact linear regions, domain left out."""
    lines = LineCollection(
        partition.boundaries().segments,
        colors=style.REGION_EDGE_COLOR,
        linewidths=_edge_width(len(partition), REGION_LW),
        alpha=0.7,
        zorder=-1,
    )
    ax.add_collection(lines)
    return lines


def draw_decision_boundary(ax: Axes, partition: Partition) -> LineCollection:
    """The exact decision boundary (logit difference = 0) as a thick line (zorder 4)."""
    segments = np.asarray(partition.decision_boundary().segments)
    lines = LineCollection(
        segments,
        colors=style.DECISION_BOUNDARY_COLOR,
        linewidths=DECISION_LW,
        capstyle="round",
        joinstyle="round",
        zorder=4,
    )
    ax.add_collection(lines)
    return lines


def region_colors(n_regions: int, pairs: np.ndarray, n_colors: int) -> np.ndarray:
    """Colour indices for regions such that neighbouring regions differ.

    Greedy colouring in order of decreasing degree (Welsh & Powell), each region taking
    the least-used colour its neighbours do not have, which spreads the palette evenly.
    Planar adjacency graphs rarely need more than five colours this way; should all
    ``n_colors`` be taken, the colour rarest among the neighbours is reused.

    Parameters
    ----------
    n_regions
        Number of regions R.
    pairs
        Neighbouring region indices, shape (P, 2), e.g. ``partition.adjacency().pairs``.
    n_colors
        Size of the palette.

    Returns
    -------
    ndarray, shape (R,), int64
        A palette index per region.
    """
    neighbours: list[list[int]] = [[] for _ in range(n_regions)]
    for a, b in np.asarray(pairs, dtype=np.int64).reshape(-1, 2).tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
    colors = np.full(n_regions, -1, dtype=np.int64)
    used = np.zeros(n_colors, dtype=np.int64)
    for region in sorted(range(n_regions), key=lambda r: (-len(neighbours[r]), r)):
        near = colors[neighbours[region]]
        taken = np.bincount(near[near >= 0], minlength=n_colors)
        free = np.flatnonzero(taken == 0)
        color = int(free[np.argmin(used[free])]) if free.size else int(np.argmin(taken))
        colors[region] = color
        used[color] += 1
    return colors


def draw_regions(ax: Axes, partition: Partition) -> PolyCollection:
    """Fill every exact linear region (zorder -2), neighbours in different colours."""
    palette = style.REGION_PALETTE
    colors = region_colors(len(partition), partition.adjacency().pairs, len(palette))
    polys = PolyCollection(
        list(partition.polygons),
        facecolors=[palette[c] for c in colors],
        edgecolors=style.REGION_EDGE_COLOR,
        linewidths=_edge_width(len(partition), REGION_LW),
        zorder=-2,
    )
    ax.add_collection(polys)
    return polys


def draw_positive_region(ax: Axes, boundary: Boundary, box: Box) -> PolyCollection:
    """Fill the true positive region of ``boundary`` inside ``box`` (ground-truth panels)."""
    region = boundary.positive_region(box)
    rings = [np.asarray(g.exterior.coords) for g in getattr(region, "geoms", [region])]
    polys = PolyCollection(
        rings, facecolors=style.POSITIVE_FILL_COLOR, edgecolors="none", zorder=-2
    )
    ax.add_collection(polys)
    _set_box(ax, box)
    return polys


def annotate(ax: Axes, text: str) -> None:
    """Write ``text`` in the lower-left corner of a 2D panel, on a translucent white box."""
    ax.text(
        0.03,
        0.03,
        text,
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=6,
        linespacing=1.15,
        zorder=6,
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.8},
    )


def draw_surface_3d(
    ax: Axes3D, surface: Surface, boundary: Boundary, *, truth: bool = False
) -> Poly3DCollection:
    """P(class 1) as a 3D surface; decision and true boundaries projected on the floor z = 0.

    Parameters
    ----------
    ax
        A 3D axes created with ``computed_zorder=False``, so the floor contours, drawn
        last, stay visible at the foot of the surface instead of being sorted behind it.
    surface
        The sampled probabilities.
    boundary
        The true boundary, projected as a dashed line.
    truth
        Draw the true labels (a 0/1 step) instead of ``surface.P``; each facet then takes
        the colour of one corner so the step's walls are solid, not striped.
    """
    X, Y = np.meshgrid(surface.xs, surface.ys)
    if truth:
        Z = boundary.labels(surface.points).reshape(X.shape).astype(np.float64)
        colour = {"facecolors": style.PROBABILITY_CMAP(Z)}
    else:
        Z = surface.P
        colour = {"cmap": style.PROBABILITY_CMAP, "vmin": 0.0, "vmax": 1.0}
    artist = ax.plot_surface(
        X,
        Y,
        Z,
        rcount=SURFACE_SAMPLES,
        ccount=SURFACE_SAMPLES,
        linewidth=0,
        antialiased=False,
        rasterized=True,
        zorder=1,
        **colour,
    )
    if not truth:
        ax.contour(X, Y, Z, levels=[0.5], zdir="z", offset=0.0, zorder=2, colors="k", linewidths=1)
    for line in true_boundary_lines(boundary, surface.box):
        ax.plot(
            line[:, 0],
            line[:, 1],
            0.0,
            zorder=3,
            color=style.TRUE_BOUNDARY_COLOR,
            lw=TRUE_LW,
            ls="--",
        )
    ax.set_xlim(surface.box[0], surface.box[1])
    ax.set_ylim(surface.box[2], surface.box[3])
    ax.set_zlim(0.0, 1.0)
    # Inner ticks only: the lower ends of x and y would collide at the front corner.
    ax.set_xticks(np.linspace(*surface.box[:2], 5)[1:-1])
    ax.set_yticks(np.linspace(*surface.box[2:], 5)[1:-1])
    ax.set_zticks([0, 0.5, 1])
    ax.tick_params(labelsize=6, pad=-2)
    ax.set_xlabel("x", labelpad=-9)
    ax.set_ylabel("y", labelpad=-9)
    ax.set_zlabel("P", labelpad=-9)
    ax.view_init(elev=28, azim=-125)
    ax.set_box_aspect(None, zoom=1.05)
    return artist


# ---------------------------------------------------------------------------------------------
# Grid figures: rows are true boundaries, the first column the ground truth.


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
    axes = fig.subplots(n_rows, n_cols, sharex=True, sharey=True, squeeze=False)
    for j, label in enumerate(["ground truth", *column_labels]):
        axes[0, j].set_title(label)
    for i, boundary in enumerate(boundaries):
        axes[i, 0].set_ylabel(f"{_row_label(boundary)}\n\ny")
    for ax in axes.flat:
        ax.set_rasterization_zorder(RASTER_ZORDER)
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
                if panel.partition is not None:
                    draw_region_boundaries(ax, panel.partition)
                    draw_decision_boundary(ax, panel.partition)
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
    """
    with style.style():
        fig, axes = _grid_2d(title, boundaries, column_labels)
        for i, boundary in enumerate(boundaries):
            box = panels[i][0].surface.box
            draw_positive_region(axes[i, 0], boundary, box)
            draw_true_boundary(axes[i, 0], boundary, box)
            for j, panel in enumerate(panels[i], start=1):
                ax = axes[i, j]
                _set_box(ax, box)
                if panel.partition is None:
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
                    draw_regions(ax, panel.partition)
                    draw_decision_boundary(ax, panel.partition)
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
