"""Exact pictures of how a trained net folds the input plane, layer by layer.

Every view here is computed from a decomposition, not from sampled activations:

* :func:`colored_images`: the input plane cut into small coloured pieces (a grid of squares
  intersected with the regions of the first k layers), each piece mapped exactly by its
  region's affine map into layer k's activations. Where the map folds, pieces from different
  input places land on top of each other and the colour jumps along a fold line.
* :func:`warped_grid`: the classic warped-grid view: straight grid lines of the input plane,
  cut at every region boundary they cross (:func:`analysis.folding.crossed_regions`) and
  pushed through layer k; each image is an exact polyline.
* :func:`images_figure`: both, next to the input plane with the same colours, one row per
  layer. Width-2 layers are drawn in their own coordinates; wider ones projected onto two
  chosen units or the two leading principal axes (:func:`analysis.folding.projector`).
* :func:`fold_groups_figure`: input regions whose images overlap at layer k (so every later
  layer treats them identically) drawn in one colour per group.
* :func:`bowl_figure`: the exact image of the plane in a 3-unit layer, a piecewise-linear
  surface in 3D, with the output layer's decision plane and the test points.

Input colours (:func:`wheel_colors`) are a colour wheel centred on the domain: hue gives the
direction from the centre, saturation the distance. Hue alone is not safe for every colour
vision, so every view also carries the geometry itself (outlines, grid lines, group counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
import torch
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import hsv_to_rgb
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

import regions
from analysis.folding import crossed_regions, find_folds, projector, region_images
from analysis.style import OKABE_ITO, REGION_EDGE_COLOR, style

__all__ = [
    "ColoredImages",
    "Units",
    "WarpedGrid",
    "bowl_figure",
    "colored_images",
    "fold_groups_figure",
    "images_figure",
    "output_plane",
    "warped_grid",
    "wheel_colors",
]

#: How a layer is drawn in 2D: two unit indices, the principal plane, or "auto" (the layer's
#: own coordinates when it has width 2, else the principal plane).
Units = tuple[int, int] | Literal["pca", "auto"]
#: Colour pieces per side of the domain's bounding box.
COLOR_CELLS = 48
#: Grid lines per direction in the warped-grid view.
GRID_LINES = 17
#: Warped grid: images of horizontal input lines, of vertical ones (Okabe-Ito blue, vermillion).
GRID_COLORS = (OKABE_ITO[5], OKABE_ITO[6])
#: Elevation and azimuth (degrees) of the 3D view.
VIEW = (22.0, 40.0)
#: Colour of regions that no other region is folded onto.
UNFOLDED_COLOR = "#DDDDDD"


def wheel_colors(xy: np.ndarray, bounds: Sequence[float]) -> np.ndarray:
    """RGB colours (n, 3) of plane points (n, 2) on a colour wheel over ``bounds``.

    Hue is the angle about the centre of ``bounds = (xmin, xmax, ymin, ymax)`` (red to the
    right, counter-clockwise through yellow, green, blue), saturation the distance from the
    centre relative to half the shorter side (white at the centre, full colour at the edge's
    midpoints and beyond), value 0.95.

    Examples
    --------
    >>> from analysis.folding_views import wheel_colors
    >>> import numpy as np
    >>> c = wheel_colors(np.array([[0.0, 0.0], [2.0, 0.0], [-2.0, 0.0]]), (-2, 2, -2, 2))
    >>> c.round(2).tolist()
    [[0.95, 0.95, 0.95], [0.95, 0.0, 0.0], [0.0, 0.95, 0.95]]
    """
    xy = np.asarray(xy, dtype=np.float64)
    centre = np.array([(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2])
    half = min(bounds[1] - bounds[0], bounds[3] - bounds[2]) / 2
    d = (xy - centre) / half
    hue = np.mod(np.arctan2(d[:, 1], d[:, 0]) / (2 * np.pi), 1.0)
    sat = np.clip(np.hypot(d[:, 0], d[:, 1]), 0.0, 1.0)
    return hsv_to_rgb(np.stack([hue, sat, np.full_like(hue, 0.95)], axis=1))


def _bounds(part: regions.Partition) -> tuple[float, float, float, float]:
    lo, hi = part.domain.hull.min(axis=0), part.domain.hull.max(axis=0)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def _resolve(units: Units, width: int) -> tuple[int, int] | Literal["pca"]:
    if units == "auto":
        return (0, 1) if width == 2 else "pca"
    return units


@dataclass(frozen=True)
class ColoredImages:
    """Small coloured pieces of the input plane and their exact images at one layer.

    Attributes
    ----------
    layer : int
        1-based activation layer.
    pieces : tuple of ndarray, shape (k_i, 2)
        Piece polygons in the input plane: a grid square intersected with a region of the
        first ``layer`` layers.
    images : tuple of ndarray, shape (k_i, width)
        Their images, vertex by vertex (activation units).
    colors : ndarray, shape (P, 3)
        :func:`wheel_colors` of each piece's centroid.
    region : ndarray of int, shape (P,)
        Region (of ``part.at_depth(layer)``) of each piece.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.folding_views import ColoredImages
    >>> square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> ci = ColoredImages(1, (square,), (2 * square,), np.ones((1, 3)), np.zeros(1, int))
    >>> float(ci.images[0].max()), len(ci.pieces)
    (2.0, 1)
    """

    layer: int
    pieces: tuple[np.ndarray, ...]
    images: tuple[np.ndarray, ...]
    colors: np.ndarray
    region: np.ndarray


def colored_images(part: regions.Partition, layer: int, cells: int = COLOR_CELLS) -> ColoredImages:
    """Cut the plane into coloured pieces and map each exactly through layers ``1..layer``.

    Parameters
    ----------
    part : Partition
        Decomposition of depth at least ``layer``; its depth-``layer`` regions are used.
    layer : int
        1-based activation layer.
    cells : int
        Grid squares per side of the domain's bounding box (colour resolution only: the
        images are exact whatever it is).

    Returns
    -------
    ColoredImages

    Examples
    --------
    >>> from analysis.folding_views import colored_images
    >>> import torch, regions
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.eye(2)); _ = net[0].bias.zero_()
    >>> part = regions.decompose(net, (-1, 1, -1, 1))
    >>> ci = colored_images(part, 1, cells=4)
    >>> import shapely
    >>> len(ci.pieces), round(sum(shapely.Polygon(p).area for p in ci.pieces), 9)
    (16, 4.0)
    >>> bool(min(h.min() for h in ci.images) >= 0)  # ReLU activations
    True
    """
    coarse = part.at_depth(layer)
    A, c = coarse.affine(layer=layer)
    bounds = _bounds(coarse)
    xs = np.linspace(bounds[0], bounds[1], cells + 1)
    ys = np.linspace(bounds[2], bounds[3], cells + 1)
    x0, y0 = np.meshgrid(xs[:-1], ys[:-1])
    x1, y1 = np.meshgrid(xs[1:], ys[1:])
    squares = shapely.box(x0.ravel(), y0.ravel(), x1.ravel(), y1.ravel())
    polys = coarse.to_shapely()
    sq, reg = shapely.STRtree(squares).query(polys, predicate="intersects")[::-1]
    parts, owner = shapely.get_parts(
        shapely.intersection(squares[sq], polys[reg]), return_index=True
    )
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, region = parts[keep], reg[owner[keep]]
    xy, idx = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    # Rings repeat their first vertex at the end; drop it.
    last = np.r_[idx[1:] != idx[:-1], True]
    xy, idx = xy[~last], idx[~last]
    h = np.einsum("nwk,nk->nw", A[region[idx]], xy) + c[region[idx]]
    cuts = np.flatnonzero(np.diff(idx)) + 1
    centroids = shapely.get_coordinates(shapely.centroid(parts))
    return ColoredImages(
        layer,
        tuple(np.split(xy, cuts)),
        tuple(np.split(h, cuts)),
        wheel_colors(centroids, bounds),
        region.astype(np.int64),
    )


@dataclass(frozen=True)
class WarpedGrid:
    """Images of straight input grid lines under the first ``layer`` layers.

    Attributes
    ----------
    layer : int
    lines : tuple of ndarray, shape (m_i + 1, width)
        Exact image polyline of each grid line: the images of its crossing points with the
        region boundaries, in order (activation units).
    inputs : tuple of ndarray, shape (2, 2)
        Each grid line's endpoints in the input plane.
    horizontal : ndarray of bool, shape (n_lines,)
        Whether each line is horizontal in the input plane (else vertical).

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.folding_views import WarpedGrid
    >>> line = np.array([[-1.0, 0.0], [1.0, 0.0]])
    >>> grid = WarpedGrid(1, (np.array([[0.0, 0.0], [1.0, 0.0]]),), (line,), np.array([True]))
    >>> grid.lines[0].shape, bool(grid.horizontal[0])
    ((2, 2), True)
    """

    layer: int
    lines: tuple[np.ndarray, ...]
    inputs: tuple[np.ndarray, ...]
    horizontal: np.ndarray


def warped_grid(part: regions.Partition, layer: int, n_lines: int = GRID_LINES) -> WarpedGrid:
    """Push ``n_lines`` horizontal and ``n_lines`` vertical input lines through the layers.

    Parameters
    ----------
    part : Partition
        Decomposition of depth at least ``layer`` on a convex domain.
    layer : int
        1-based activation layer.
    n_lines : int
        Lines per direction, evenly spaced over the domain's bounding box (edges included).

    Returns
    -------
    WarpedGrid

    Examples
    --------
    >>> from analysis.folding_views import warped_grid
    >>> import torch, regions
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.eye(2)); _ = net[0].bias.zero_()
    >>> g = warped_grid(regions.decompose(net, (-1, 1, -1, 1)), 1, n_lines=3)
    >>> g.lines[2].tolist()  # y = 1: the half x < 0 collapses onto the point (0, 1)
    [[0.0, 1.0], [1.0, 1.0]]
    """
    coarse = part.at_depth(layer)
    A, c = coarse.affine(layer=layer)
    b = _bounds(coarse)
    inputs = [np.array([[b[0], y], [b[1], y]]) for y in np.linspace(b[2], b[3], n_lines)]
    inputs += [np.array([[x, b[2]], [x, b[3]]]) for x in np.linspace(b[0], b[1], n_lines)]
    lines = []
    for p, q in inputs:
        idx, t0, t1 = crossed_regions(coarse, p, q)
        # Both ends of every piece, mapped by that piece's region: exact and continuous.
        t = np.stack([t0, t1], axis=1).ravel()
        owner = np.repeat(idx, 2)
        xy = p + t[:, None] * (q - p)
        h = np.einsum("nwk,nk->nw", A[owner], xy) + c[owner]
        keep = np.r_[True, np.any(np.abs(np.diff(h, axis=0)) > 0, axis=1)]
        lines.append(h[keep])
    horizontal = np.arange(2 * n_lines) < n_lines
    return WarpedGrid(layer, tuple(lines), tuple(inputs), horizontal)


# ------------------------------------------------------------------------------- drawing
def _frame(ax: Axes, points: np.ndarray, xlabel: str, ylabel: str) -> None:
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.05 * float(max(hi - lo)) + 1e-9
    ax.set_xlim(lo[0] - pad, hi[0] + pad)
    ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _axis_labels(units: tuple[int, int] | Literal["pca"], layer: int) -> tuple[str, str]:
    if units == "pca":
        return f"layer {layer}: principal axis 1", "principal axis 2"
    return f"layer {layer}: unit {units[0] + 1}", f"unit {units[1] + 1}"


def _input_panel(ax: Axes, ci: ColoredImages, part: regions.Partition) -> None:
    ax.add_collection(
        PolyCollection(list(ci.pieces), facecolors=ci.colors, edgecolors="face", linewidths=0.2)
    )
    ax.add_collection(
        PolyCollection(list(part.polygons), facecolors="none", edgecolors="black", linewidths=0.5)
    )
    b = _bounds(part)
    ax.set_xlim(b[0], b[1])
    ax.set_ylim(b[2], b[3])
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def images_figure(
    part: regions.Partition,
    layers: Sequence[int] | None = None,
    units: Units = "auto",
    *,
    title: str = "",
    cells: int = COLOR_CELLS,
    n_lines: int = GRID_LINES,
) -> Figure:
    """Input plane, exact coloured images and warped grid, one row per layer.

    Parameters
    ----------
    part : Partition
        Decomposition of a convex domain.
    layers : sequence of int, optional
        1-based activation layers (rows); all of ``part``'s by default.
    units : (i, j), "pca" or "auto"
        2D view of each layer (see :data:`Units`).
    title : str
        Figure title.
    cells, n_lines : int
        Colour resolution (:func:`colored_images`) and grid lines (:func:`warped_grid`).

    Returns
    -------
    Figure
        ``len(layers)`` rows of three panels: the input plane coloured by position with the
        regions of layers ``1..k``; the exact images of the coloured pieces (drawn in input
        order, so where copies overlap the later one shows); the warped grid.

    Examples
    --------
    >>> from analysis.folding_views import images_figure
    >>> import torch, regions
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 3), torch.nn.ReLU(),
    ...     torch.nn.Linear(3, 1))
    >>> fig = images_figure(regions.decompose(net, (-1, 1, -1, 1)), cells=8, n_lines=5)
    >>> len(fig.axes), fig.axes[4].get_xlabel()
    (6, 'layer 2: principal axis 1')
    """
    layers = list(range(1, part.depth + 1)) if layers is None else list(layers)
    with style():
        fig = Figure(figsize=(6.6, 2.25 * len(layers) + 0.4), layout="constrained")
        axes = fig.subplots(len(layers), 3, squeeze=False)
        for (left, mid, right), k in zip(axes, layers, strict=True):
            coarse = part.at_depth(k)  # built once; the helpers' at_depth(k) returns it as is
            ci = colored_images(coarse, k, cells)
            grid = warped_grid(coarse, k, n_lines)
            view = _resolve(units, coarse.network.activations[k - 1].width)
            f = projector(region_images(coarse, k), view)
            labels = _axis_labels(view, k)
            _input_panel(left, ci, coarse)
            left.set_title(f"input, regions of layer{'s 1..' if k > 1 else ' '}{k}")
            flat = [f(h) for h in ci.images]
            mid.add_collection(
                PolyCollection(flat, facecolors=ci.colors, edgecolors="face", linewidths=0.2)
            )
            _frame(mid, np.concatenate(flat), *labels)
            mid.set_title(f"exact images after layer {k}")
            lines = [f(h) for h in grid.lines]
            colors = np.where(grid.horizontal, GRID_COLORS[0], GRID_COLORS[1])
            right.add_collection(LineCollection(lines, colors=list(colors), linewidths=0.7))
            _frame(right, np.concatenate(lines), *labels)
            right.set_title(f"warped {n_lines}×{n_lines} grid\n(blue: horizontal, red: vertical)")
        if title:
            fig.suptitle(title)
    return fig


def fold_groups_figure(
    part: regions.Partition, layers: Sequence[int] | None = None, *, title: str = ""
) -> Figure:
    """Input regions folded onto each other at each layer, one colour per group.

    Uses :func:`analysis.folding.find_folds` in the layer's own coordinates, so it is exact for
    width-2 layers (wider layers are compared in their principal plane, which can only
    overstate folding; the panel title says so).

    Parameters
    ----------
    part : Partition
    layers : sequence of int, optional
        1-based activation layers (panels); all of ``part``'s by default.
    title : str

    Returns
    -------
    Figure
        One panel per layer: regions of layers ``1..k`` filled by fold group (regions nothing
        else is folded onto in light grey), titled with the number of groups and the largest
        number of copies in one group.

    Examples
    --------
    >>> from analysis.folding_views import fold_groups_figure
    >>> import torch, regions
    >>> net = torch.nn.Sequential(  # layer 2 computes (|x|, |y|): four quadrants, one image
    ...     torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2), torch.nn.ReLU())
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.tensor([[1., 0], [-1, 0], [0, 1], [0, -1]]))
    ...     _ = net[0].bias.zero_()
    ...     _ = net[2].weight.copy_(torch.tensor([[1., 1, 0, 0], [0, 0, 1, 1]]))
    ...     _ = net[2].bias.zero_()
    >>> fig = fold_groups_figure(regions.decompose(net, (-1, 1, -1, 1)), [2])
    >>> fig.axes[0].get_title().splitlines()
    ['layer 2: 1 fold group,', 'largest 4 regions']
    """
    layers = list(range(1, part.depth + 1)) if layers is None else list(layers)
    palette = list(OKABE_ITO[1:])
    with style():
        fig = Figure(figsize=(2.2 * len(layers), 2.6), layout="constrained")
        axes = fig.subplots(1, len(layers), squeeze=False)[0]
        for ax, k in zip(axes, layers, strict=True):
            coarse = part.at_depth(k)
            width = coarse.network.activations[k - 1].width
            folds = find_folds(coarse, k, _resolve("auto", width))
            groups = folds.groups()
            colors = np.array([UNFOLDED_COLOR] * len(coarse), dtype=object)
            for g, members in enumerate(sorted(groups, key=len, reverse=True)):
                colors[members] = palette[g % len(palette)]
            ax.add_collection(
                PolyCollection(
                    list(coarse.polygons),
                    facecolors=list(colors),
                    edgecolors=REGION_EDGE_COLOR,
                    linewidths=0.4,
                )
            )
            b = _bounds(coarse)
            ax.set_xlim(b[0], b[1])
            ax.set_ylim(b[2], b[3])
            ax.set_aspect("equal")
            ax.set_xlabel("x")
            ax.set_ylabel("y")
            n = len(groups)
            note = "" if width == 2 else "\n(principal plane)"
            ax.set_title(
                f"layer {k}: {n} fold group{'s' * (n != 1)},\nlargest {folds.max_copies} "
                f"region{'s' * (folds.max_copies != 1)}{note}"
            )
        if title:
            fig.suptitle(title)
    return fig


def bowl_figure(
    parts: Sequence[regions.Partition],
    layers: Sequence[int],
    planes: Sequence[tuple[np.ndarray, float]],
    points: np.ndarray,
    labels: np.ndarray,
    titles: Sequence[str],
) -> Figure:
    """Exact image of the plane in a 3-unit layer, with the output's separating plane.

    Parameters
    ----------
    parts : sequence of Partition
        One decomposition per panel.
    layers : sequence of int
        The 3-unit activation layer drawn for each part (1-based).
    planes : sequence of (ndarray of shape (3,), float)
        ``(w, b)`` per panel: the output predicts class 1 where ``w . h + b > 0``.
    points : ndarray, shape (n, 2)
        Input points (e.g. the test set), mapped exactly through their regions' maps.
    labels : ndarray of int, shape (n,)
        Their true classes (0 or 1).
    titles : sequence of str
        Panel titles.

    Returns
    -------
    Figure
        One 3D panel per part: every region's image (a flat polygon in 3D) filled by the class
        the net predicts there, the points coloured by true class, and the plane
        ``w . h + b = 0`` translucent.

    Examples
    --------
    >>> from analysis.folding_views import bowl_figure
    >>> import numpy as np, torch, regions
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> part = regions.decompose(net, (-1, 1, -1, 1))
    >>> fig = bowl_figure([part], [1], [(np.ones(3), -0.5)], np.zeros((1, 2)), np.zeros(1, int),
    ...                   ["demo"])
    >>> fig.axes[0].get_zlabel()
    'unit 3'
    """
    class_colors = (OKABE_ITO[5], OKABE_ITO[1])  # class 0 blue, class 1 orange
    points = np.asarray(points, dtype=np.float64)
    labels = np.asarray(labels)
    with style():
        fig = Figure(figsize=(3.3 * len(parts), 3.4), layout="constrained")
        for i, (part, k, (w, b), name) in enumerate(
            zip(parts, layers, planes, titles, strict=True)
        ):
            ax = fig.add_subplot(1, len(parts), i + 1, projection="3d")
            coarse = part.at_depth(k)
            images = region_images(coarse, k)
            A, c = coarse.affine(layer=k)
            centre = np.array([v.mean(axis=0) for v in images])
            predicted = centre @ np.asarray(w) + b > 0
            faces = [class_colors[int(p)] for p in predicted]
            ax.add_collection3d(
                Poly3DCollection(
                    list(images),
                    facecolors=faces,
                    edgecolors="#303030",
                    linewidths=0.2,
                    alpha=0.45,
                )
            )
            where = coarse.locate(points)
            inside = where >= 0
            h = np.einsum("nwk,nk->nw", A[where[inside]], points[inside]) + c[where[inside]]
            ax.scatter(
                *h.T, s=1.5, c=[class_colors[int(y)] for y in labels[inside]], depthshade=False
            )
            allh = np.concatenate(images)
            lo, hi = allh.min(axis=0), allh.max(axis=0)
            _plane(ax, np.asarray(w, dtype=np.float64), float(b), lo, hi)
            pad = 0.02 * max(float(np.max(hi - lo)), 1e-9)
            ax.set_xlim(lo[0] - pad, hi[0] + pad)
            ax.set_ylim(lo[1] - pad, hi[1] + pad)
            ax.set_zlim(lo[2] - pad, hi[2] + pad)
            ax.view_init(elev=VIEW[0], azim=VIEW[1])
            ax.set_xlabel("unit 1")
            ax.set_ylabel("unit 2")
            ax.set_zlabel("unit 3")
            ax.set_title(name)
    return fig


def output_plane(model: torch.nn.Module) -> tuple[np.ndarray, float]:
    """The decision plane of a 2-logit net in its last hidden layer's activations.

    The logits are affine in the last hidden layer ``h``, so class 1 wins exactly where
    ``w . h + b > 0`` with ``w`` and ``b`` the differences of the last ``Linear``'s rows.

    Parameters
    ----------
    model : torch.nn.Module
        A net whose last ``torch.nn.Linear`` module produces 2 logits.

    Returns
    -------
    w : ndarray, shape (width,)
    b : float

    Examples
    --------
    >>> import torch
    >>> from analysis.folding_views import output_plane
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    >>> with torch.no_grad():
    ...     _ = net[2].weight.copy_(torch.tensor([[1.0, 0, 0], [0, 2, 0]]))
    ...     _ = net[2].bias.copy_(torch.tensor([0.5, 0.0]))
    >>> w, b = output_plane(net)
    >>> w.tolist(), b
    ([-1.0, 2.0, 0.0], -0.5)
    """
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    W = last.weight.detach().double().numpy()
    c = last.bias.detach().double().numpy()
    return W[1] - W[0], float(c[1] - c[0])


def _plane(ax: Axes, w: np.ndarray, b: float, lo: np.ndarray, hi: np.ndarray) -> None:
    """The plane ``w . h + b = 0`` over the box ``[lo, hi]``, solved for its steepest axis."""
    axis = int(np.argmax(np.abs(w)))
    if w[axis] == 0:
        return
    others = [j for j in range(3) if j != axis]
    u, v = np.meshgrid(*(np.linspace(lo[j], hi[j], 2) for j in others))
    solved = -(b + w[others[0]] * u + w[others[1]] * v) / w[axis]
    coords = [None, None, None]
    coords[others[0]], coords[others[1]], coords[axis] = u, v, np.clip(solved, lo[axis], hi[axis])
    ax.plot_surface(*coords, color=OKABE_ITO[0], alpha=0.25, linewidth=0)
