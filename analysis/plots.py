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

__all__ = [
    "Panel",
    "annotate",
    "draw_decision_boundary",
    "draw_positive_region",
    "draw_probability",
    "draw_region_boundaries",
    "draw_regions",
    "draw_surface_3d",
    "draw_true_boundary",
    "draw_truth",
    "heatmap_grid",
    "region_colors",
    "region_grid",
    "surface_grid",
    "true_boundary_lines",
]

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

    Examples
    --------
    >>> import regions
    >>> from analysis.models import MLP
    >>> from analysis.plots import Panel
    >>> from analysis.surfaces import probability_grid
    >>> net = MLP((2,), seed=0)
    >>> box = (-1.0, 1.0, -1.0, 1.0)
    >>> panel = Panel(probability_grid(net, box, 5), regions.decompose(net, box), "4 regions")
    >>> panel.surface.P.shape, len(panel.partition), panel.surface.box
    ((5, 5), 4, (-1.0, 1.0, -1.0, 1.0))
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
    """Heat map (zorder -3) of P(class 1) over the surface's box, colours fixed to [0, 1].

    Parameters
    ----------
    ax : Axes
        A 2D axes; its limits are set to the box and its aspect to equal.
    surface : Surface
        P(class 1), shape (res, res), sampled over the box (input units).

    Returns
    -------
    AxesImage
        One pixel per grid point, centred on it.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.models import MLP
    >>> from analysis.plots import draw_probability
    >>> from analysis.surfaces import probability_grid
    >>> surface = probability_grid(MLP((2,), seed=0), (-1.0, 1.0, -1.0, 1.0), 5)
    >>> ax = Figure().subplots()
    >>> image = draw_probability(ax, surface)
    >>> image.get_array().shape, image.get_clim(), ax.get_xlim() == (-1, 1)
    ((5, 5), (0.0, 1.0), True)
    >>> [float(e) for e in image.get_extent()]  # half a cell (0.25) past the outer points
    [-1.25, 1.25, -1.25, 1.25]
    """
    return _image(ax, surface.P, surface)


def draw_truth(ax: Axes, boundary: Boundary, surface: Surface) -> AxesImage:
    """The true labels on ``surface``'s grid, coloured as P = 0 or 1 on the same scale.

    Parameters
    ----------
    ax : Axes
        A 2D axes; limits set to the surface's box.
    boundary : Boundary
        The true boundary that labels the grid points.
    surface : Surface
        Only its grid (``xs``, ``ys``, shape (res,)) is used.

    Returns
    -------
    AxesImage
        Labels 0.0 or 1.0, shape (res, res), rows following y.

    Examples
    --------
    Class 1 above the diagonal (``sign(y - x)``), on a 3 x 3 grid of [-1, 1]^2:

    >>> from matplotlib.figure import Figure
    >>> from analysis.data import get_boundary
    >>> from analysis.models import MLP
    >>> from analysis.plots import draw_truth
    >>> from analysis.surfaces import probability_grid
    >>> surface = probability_grid(MLP((2,), seed=0), (-1.0, 1.0, -1.0, 1.0), 3)
    >>> image = draw_truth(Figure().subplots(), get_boundary("line"), surface)
    >>> image.get_array().tolist()  # rows y = -1, 0, 1; columns x = -1, 0, 1
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    """
    labels = boundary.labels(surface.points).reshape(surface.P.shape)
    return _image(ax, labels.astype(np.float64), surface)


@functools.lru_cache(maxsize=64)
def true_boundary_lines(boundary: Boundary, box: Box) -> tuple[np.ndarray, ...]:
    """The true boundary ``f = 0`` inside ``box`` as polylines, each of shape (k, 2).

    Traced by marching squares on a ``TRUTH_RESOLUTION``-point grid per axis (error far
    below a line width) and cached, as every panel of a row draws the same curve.

    Parameters
    ----------
    boundary : Boundary
        The true boundary.
    box : (xmin, xmax, ymin, ymax)
        A hashable tuple, in input units.

    Returns
    -------
    tuple of ndarray, each shape (k, 2)
        Polylines in input units.

    Examples
    --------
    >>> from analysis.data import get_boundary
    >>> from analysis.plots import true_boundary_lines
    >>> (diagonal,) = true_boundary_lines(get_boundary("line"), (-1.0, 1.0, -1.0, 1.0))
    >>> diagonal[[0, -1]].tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> (ellipse,) = true_boundary_lines(get_boundary("ellipse"), (-2.5, 2.5, -2.5, 2.5))
    >>> abs(ellipse).max(axis=0).round(3).tolist()  # semi-axes 2 and 1
    [2.0, 1.0]
    """
    xs = np.linspace(box[0], box[1], TRUTH_RESOLUTION)
    ys = np.linspace(box[2], box[3], TRUTH_RESOLUTION)
    X, Y = np.meshgrid(xs, ys)
    F = boundary.f(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    return tuple(contourpy.contour_generator(xs, ys, F).lines(0.0))


def draw_true_boundary(ax: Axes, boundary: Boundary, box: Box) -> LineCollection:
    """Dashed line (zorder 5) along the true boundary ``f = 0`` inside ``box``.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    boundary : Boundary
        The true boundary.
    box : (xmin, xmax, ymin, ymax)
        Input units; a tuple (the traced lines are cached per box).

    Returns
    -------
    LineCollection
        One polyline per piece of :func:`true_boundary_lines`.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.data import get_boundary
    >>> from analysis.plots import draw_true_boundary
    >>> ax = Figure().subplots()
    >>> lines = draw_true_boundary(ax, get_boundary("abs"), (-1.0, 1.0, -1.0, 1.0))
    >>> len(lines.get_segments()), lines.get_linestyle()[0][1] is not None  # one dashed V
    (1, True)
    >>> lines.get_segments()[0][[0, -1]].round(6).tolist()  # its two upper ends
    [[-1.0, 1.0], [1.0, 1.0]]
    """
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
    """Thin lines (zorder -1) on every edge between two exact linear regions, domain left out.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    partition : regions.Partition
        The exact partition; its :meth:`~regions.Partition.boundaries` segments (E, 2, 2),
        in input units, are drawn, thinner in dense partitions.

    Returns
    -------
    LineCollection
        One segment per interior edge.

    Examples
    --------
    >>> import regions
    >>> from matplotlib.figure import Figure
    >>> from analysis.models import MLP
    >>> net = MLP((2,), seed=0)  # zero biases: two breakpoint lines through the origin
    >>> part = regions.decompose(net, (-1, 1, -1, 1))  # so four regions
    >>> from analysis.plots import draw_region_boundaries
    >>> lines = draw_region_boundaries(Figure().subplots(), part)
    >>> len(lines.get_segments())  # each line is cut in two at the origin
    4
    """
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
    """The exact decision boundary (logit difference = 0) as a thick line (zorder 4).

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    partition : regions.Partition
        The exact partition of a two-logit net; its decision-boundary segments (E, 2, 2),
        in input units, are drawn.

    Returns
    -------
    LineCollection
        One segment per piece of the boundary (empty when the class never changes).

    Examples
    --------
    A net set by hand to ``logit_1 - logit_0 = relu(x) + relu(y) - 0.5``: its boundary runs
    from (-1, 0.5) to (0, 0.5), (0.5, 0) and (0.5, -1):

    >>> import numpy as np
    >>> import regions
    >>> import torch
    >>> from matplotlib.figure import Figure
    >>> from analysis.models import MLP
    >>> from analysis.plots import draw_decision_boundary
    >>> net = MLP((2,), seed=0)
    >>> with torch.no_grad():
    ...     _ = net.blocks[0].linear.weight.copy_(torch.eye(2))
    ...     _ = net.output.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    ...     _ = net.output.bias.copy_(torch.tensor([0.0, -0.5]))
    >>> part = regions.decompose(net, (-1, 1, -1, 1))
    >>> lines = draw_decision_boundary(Figure().subplots(), part)
    >>> segments = np.array(lines.get_segments())  # (E, 2, 2)
    >>> lengths = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1)
    >>> len(segments), round(float(lengths.sum()), 4)  # 1 + sqrt(0.5) + 1
    (3, 2.7071)
    """
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

    Examples
    --------
    Three regions in a row: the middle one (most neighbours) is coloured first:

    >>> import numpy as np
    >>> from analysis.plots import region_colors
    >>> region_colors(3, np.array([[0, 1], [1, 2]]), n_colors=3).tolist()
    [1, 0, 2]

    The four quadrants of two crossing lines:

    >>> import regions
    >>> from analysis.models import MLP
    >>> part = regions.decompose(MLP((2,), seed=0), (-1, 1, -1, 1))
    >>> pairs = part.adjacency().pairs
    >>> colors = region_colors(len(part), pairs, n_colors=8)
    >>> len(pairs), all(colors[a] != colors[b] for a, b in pairs)
    (4, True)
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
    """Fill every exact linear region (zorder -2), neighbours in different colours.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    partition : regions.Partition
        The exact partition; each region's polygon (k, 2), in input units, is filled with a
        colour of :data:`analysis.style.REGION_PALETTE` chosen by :func:`region_colors`.

    Returns
    -------
    PolyCollection
        One polygon per region.

    Examples
    --------
    >>> import regions
    >>> from matplotlib.figure import Figure
    >>> from analysis.models import MLP
    >>> net = MLP((2,), seed=0)  # zero biases: two breakpoint lines through the origin
    >>> part = regions.decompose(net, (-1, 1, -1, 1))  # so four regions
    >>> from analysis.plots import draw_regions
    >>> polys = draw_regions(Figure().subplots(), part)
    >>> len(polys.get_paths()), len({tuple(c) for c in polys.get_facecolor()}) >= 2
    (4, True)
    """
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
    """Fill the true positive region of ``boundary`` inside ``box`` (ground-truth panels).

    Parameters
    ----------
    ax : Axes
        A 2D axes; limits set to ``box``.
    boundary : Boundary
        The true boundary; its :meth:`~analysis.data.Boundary.positive_region` is filled.
    box : (xmin, xmax, ymin, ymax)
        Input units.

    Returns
    -------
    PolyCollection
        One polygon per connected piece of class 1 (exterior rings only).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.data import get_boundary
    >>> from analysis.plots import draw_positive_region
    >>> ax = Figure().subplots()
    >>> polys = draw_positive_region(ax, get_boundary("line"), (-1.0, 1.0, -1.0, 1.0))
    >>> len(polys.get_paths()), ax.get_xlim() == (-1, 1)  # the triangle above the diagonal
    (1, True)
    >>> xor = draw_positive_region(ax, get_boundary("xor"), (-1.0, 1.0, -1.0, 1.0))
    >>> len(xor.get_paths())  # two opposite quadrants
    2
    """
    region = boundary.positive_region(box)
    rings = [np.asarray(g.exterior.coords) for g in getattr(region, "geoms", [region])]
    polys = PolyCollection(
        rings, facecolors=style.POSITIVE_FILL_COLOR, edgecolors="none", zorder=-2
    )
    ax.add_collection(polys)
    _set_box(ax, box)
    return polys


def annotate(ax: Axes, text: str) -> None:
    """Write ``text`` in the lower-left corner of a 2D panel, on a translucent white box.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    text : str
        May hold several lines.

    Returns
    -------
    None
        The text is added to ``ax.texts``, placed in axes coordinates (0.03, 0.03).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.plots import annotate
    >>> ax = Figure().subplots()
    >>> annotate(ax, "12 regions, test acc 98.0%")
    >>> ax.texts[0].get_text(), ax.texts[0].get_position()
    ('12 regions, test acc 98.0%', (0.03, 0.03))
    """
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

    Returns
    -------
    Poly3DCollection
        The surface (x, y in input units, z = P in [0, 1]).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.data import get_boundary
    >>> from analysis.models import MLP
    >>> from analysis.plots import draw_surface_3d
    >>> from analysis.surfaces import probability_grid
    >>> surface = probability_grid(MLP((2,), seed=0), (-1.0, 1.0, -1.0, 1.0), 5)
    >>> ax = Figure().add_subplot(projection="3d", computed_zorder=False)
    >>> artist = draw_surface_3d(ax, surface, get_boundary("line"))
    >>> type(artist).__name__, ax.get_zlim() == (0, 1), ax.get_zlabel()
    ('Poly3DCollection', True, 'P')
    >>> ax.get_xticks().tolist()  # inner ticks only
    [-0.5, 0.0, 0.5]
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

    Returns
    -------
    Figure
        ``len(boundaries)`` x ``(len(column_labels) + 1)`` panels and a colour bar.

    Examples
    --------
    One row (``line``), an exact panel and one without a partition:

    >>> import regions
    >>> from analysis.data import get_boundary
    >>> from analysis.models import MLP
    >>> from analysis.plots import Panel
    >>> from analysis.surfaces import probability_grid
    >>> box = (-1.0, 1.0, -1.0, 1.0)
    >>> net = MLP((2,), seed=0)
    >>> exact = Panel(probability_grid(net, box, 5), regions.decompose(net, box), "4 regions")
    >>> smooth = Panel(probability_grid(MLP((2,), "tanh", seed=0), box, 5), None, "tanh")
    >>> from analysis.plots import heatmap_grid
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

    Returns
    -------
    Figure
        ``len(boundaries)`` x ``(len(column_labels) + 1)`` panels.

    Examples
    --------
    >>> import regions
    >>> from analysis.data import get_boundary
    >>> from analysis.models import MLP
    >>> from analysis.plots import Panel
    >>> from analysis.surfaces import probability_grid
    >>> box = (-1.0, 1.0, -1.0, 1.0)
    >>> net = MLP((2,), seed=0)
    >>> exact = Panel(probability_grid(net, box, 5), regions.decompose(net, box), "4 regions")
    >>> smooth = Panel(probability_grid(MLP((2,), "tanh", seed=0), box, 5), None, "tanh")
    >>> from analysis.plots import region_grid
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

    Returns
    -------
    Figure
        ``len(boundaries)`` x ``(len(column_labels) + 1)`` 3D panels and a colour bar.

    Examples
    --------
    >>> import regions
    >>> from analysis.data import get_boundary
    >>> from analysis.models import MLP
    >>> from analysis.plots import Panel
    >>> from analysis.surfaces import probability_grid
    >>> box = (-1.0, 1.0, -1.0, 1.0)
    >>> net = MLP((2,), seed=0)
    >>> exact = Panel(probability_grid(net, box, 5), regions.decompose(net, box), "4 regions")
    >>> smooth = Panel(probability_grid(MLP((2,), "tanh", seed=0), box, 5), None, "tanh")
    >>> from analysis.plots import surface_grid
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
