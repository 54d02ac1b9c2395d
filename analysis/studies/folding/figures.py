"""Exact pictures of how trained nets fold the input plane, and the ring's enclosure.

* :func:`images_figure`: the input plane coloured by position
  (:func:`analysis.figures.panels.position_colors`), the exact images of its small pieces
  under layers ``1..k``, and the warped grid, one row per layer. Width-2 layers are drawn in
  their own coordinates; wider ones projected onto two chosen units or the two leading
  principal axes (:func:`~analysis.studies.folding.images.projector`).
* :func:`fold_groups_figure`: input regions whose images overlap at layer k (so every later
  layer treats them identically) drawn in one colour per group.
* :func:`bowl_figure`: the exact image of the plane in a 3-unit layer, a piecewise-linear
  surface in 3D, with the output layer's decision plane and the test points.
* :func:`enclosure_figure`: ring nets' exact regions and predicted inner class.

Every view also carries the geometry itself (outlines, grid lines, group counts), so no
reading depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

import regions
from analysis.figures.panels import annotate, frame, padded_box, position_colors
from analysis.figures.regions import (
    draw_decision_boundary,
    draw_region_boundaries,
    outline_regions,
)
from analysis.figures.style import OKABE_ITO, POSITIVE_FILL_COLOR, REGION_EDGE_COLOR, style
from analysis.figures.surfaces import draw_true_boundary
from analysis.lab.data import get_boundary
from analysis.studies.folding.images import (
    COLOR_CELLS,
    GRID_LINES,
    ColoredImages,
    Units,
    colored_images,
    domain_box,
    find_folds,
    projector,
    region_images,
    resolve_units,
    warped_grid,
)
from analysis.studies.folding.ring import Enclosure, components
from regions import DEFAULT_BOX

__all__ = ["bowl_figure", "enclosure_figure", "fold_groups_figure", "images_figure"]

#: Warped grid: images of horizontal input lines, of vertical ones (Okabe-Ito blue, vermillion).
GRID_COLORS = (OKABE_ITO[5], OKABE_ITO[6])
#: Elevation and azimuth (degrees) of the 3D view.
VIEW = (22.0, 40.0)
#: Colour of regions that no other region is folded onto.
UNFOLDED_COLOR = "#DDDDDD"


def _axis_labels(units: tuple[int, int] | Literal["pca"], layer: int) -> tuple[str, str]:
    if units == "pca":
        return f"layer {layer}: principal axis 1", "principal axis 2"
    return f"layer {layer}: unit {units[0] + 1}", f"unit {units[1] + 1}"


def _input_panel(ax: Axes, ci: ColoredImages, colors: np.ndarray, part: regions.Partition) -> None:
    ax.add_collection(
        PolyCollection(list(ci.pieces), facecolors=colors, edgecolors="face", linewidths=0.2)
    )
    outline_regions(ax, part.polygons)
    frame(ax, domain_box(part), "x", "y")


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
    >>> from analysis.studies.folding.figures import images_figure
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
            view = resolve_units(units, coarse.network.activations[k - 1].width)
            f = projector(region_images(coarse, k), view)
            labels = _axis_labels(view, k)
            colors = position_colors(ci.centroids, domain_box(coarse))
            _input_panel(left, ci, colors, coarse)
            left.set_title(f"input, regions of layer{'s 1..' if k > 1 else ' '}{k}")
            flat = [f(h) for h in ci.images]
            mid.add_collection(
                PolyCollection(flat, facecolors=colors, edgecolors="face", linewidths=0.2)
            )
            frame(mid, padded_box(np.concatenate(flat)), *labels, equal=False)
            mid.set_title(f"exact images after layer {k}")
            lines = [f(h) for h in grid.lines]
            colors = np.where(grid.horizontal, GRID_COLORS[0], GRID_COLORS[1])
            right.add_collection(LineCollection(lines, colors=list(colors), linewidths=0.7))
            frame(right, padded_box(np.concatenate(lines)), *labels, equal=False)
            right.set_title(f"warped {n_lines}×{n_lines} grid\n(blue: horizontal, red: vertical)")
        if title:
            fig.suptitle(title)
    return fig


def fold_groups_figure(
    part: regions.Partition, layers: Sequence[int] | None = None, *, title: str = ""
) -> Figure:
    """Input regions folded onto each other at each layer, one colour per group.

    Uses :func:`~analysis.studies.folding.images.find_folds` in the layer's own coordinates,
    so it is exact for
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
    >>> from analysis.studies.folding.figures import fold_groups_figure
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
            folds = find_folds(coarse, k, resolve_units("auto", width))
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
            frame(ax, domain_box(coarse), "x", "y")
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
    >>> from analysis.studies.folding.figures import bowl_figure
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


def enclosure_figure(rows: Sequence[Enclosure], parts: Sequence[regions.Partition]) -> Figure:
    """Each ring net's exact regions, decision boundary and predicted inner class (shaded).

    One panel per net on the data box, annotated with its test accuracy and how many
    inner-class components are bounded on the large box (:func:`~.ring.enclosure`).
    """
    with style():
        fig = Figure(figsize=(2.0 * len(rows), 2.9), layout="constrained")
        axes = fig.subplots(1, len(rows), squeeze=False, sharey=True)[0]
        clip = shapely.box(DEFAULT_BOX[0], DEFAULT_BOX[2], DEFAULT_BOX[1], DEFAULT_BOX[3])
        truth = get_boundary("ring")
        for ax, row, part in zip(axes, rows, parts, strict=True):
            for poly in components(shapely.intersection(part.predicted_region(1), clip)):
                xy = np.asarray(poly.exterior.coords)
                ax.fill(xy[:, 0], xy[:, 1], color=POSITIVE_FILL_COLOR, lw=0, zorder=0)
            draw_region_boundaries(ax, part)
            draw_decision_boundary(ax, part)
            draw_true_boundary(ax, truth, DEFAULT_BOX)
            frame(ax, DEFAULT_BOX, "x")
            ax.set_title(f"widths {row.hidden}", fontsize="small")
            annotate(ax, f"acc {row.test_acc:.3f}\nbounded {row.n_bounded}")
        axes[0].set_ylabel("y")
        fig.suptitle(
            "Ring: predicted inner class (shaded), exact decision boundary (black), "
            "true boundary (dashed)"
        )
        return fig
