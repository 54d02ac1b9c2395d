"""Pictures of space folding on the hand-built folding net, computed exactly.

:func:`regions.constructions.folding_net` ``(p, depth)`` folds each input coordinate of the
unit square p times per folding layer: layer k is the zigzag ``t`` applied to the outputs of
layer k - 1, read out through the weights ``a`` of the next layer. Its *folded coordinates*
after k layers are ``F_k = P h_k`` with ``P = I_2 (x) a`` (:func:`fold_readout`), which equal
``(t^k(x), t^k(y))``; every depth-k region (a square of side ``p^-k``) is mapped by an
invertible affine map onto the whole unit square, so ``p^(2k)`` input regions land on the
same image.

Two figures:

* :func:`folding_figure`: for each layer k, the input square coloured by position next to
  the exact images of the depth-k regions in folded coordinates, each filled with the colour
  of its region's centroid. The images coincide exactly; they are drawn as a stack offset by
  :data:`STACK_OFFSET` per copy so every copy shows.
* :func:`hole_figure`: a small disc (the "hole") in folded coordinates and its exact
  preimage under the first k layers, ``p^(2k)`` ellipses in the input square
  (:func:`hole_preimage`). The disc is approximated by a regular :data:`DISC_SIDES`-gon,
  so the preimages are polygons; on each region the map is inverted exactly.

Input colours (:func:`position_colors`): x runs from Okabe-Ito blue to orange (a hue axis
safe for the common colour-vision deficiencies), y from dark (bottom) to pale (top), so
position is read as hue plus lightness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

import regions
from analysis.folding import region_images
from analysis.style import OKABE_ITO, style
from regions.constructions import folding_net

__all__ = [
    "DISC_SIDES",
    "HOLE_CENTRE",
    "HOLE_RADIUS",
    "STACK_OFFSET",
    "Fold",
    "Preimage",
    "fold_readout",
    "folding_figure",
    "folding_partition",
    "folded_images",
    "hole_figure",
    "hole_preimage",
    "position_colors",
]

UNIT_BOX = (0.0, 1.0, 0.0, 1.0)
#: Folds per coordinate, folding layers and final width of the demonstration net.
P, DEPTH, FINAL_WIDTH = 2, 3, 3
LAYERS = (1, 2)
#: The hole: a disc in folded coordinates, off every fold line and the square's edge.
HOLE_CENTRE, HOLE_RADIUS = (0.3, 0.62), 0.12
DISC_SIDES = 64
#: Diagonal shift (folded units) between consecutive copies of a stack of coinciding images.
STACK_OFFSET = 0.035
#: Largest total shift of a stack (folded units), so deep stacks stay compact.
STACK_SPREAD = 0.3
_X_LOW, _X_HIGH = np.array(to_rgb(OKABE_ITO[5])), np.array(to_rgb(OKABE_ITO[1]))


def position_colors(xy: np.ndarray, box: Sequence[float] = UNIT_BOX) -> np.ndarray:
    """RGB colours (n, 3) of input points (n, 2): hue from x, lightness from y.

    x goes linearly from Okabe-Ito blue (left) to orange (right); the colour is then mixed
    with black (35 % at the bottom edge) or white (65 % at the top edge), linearly in y.

    Parameters
    ----------
    xy : array_like, shape (n, 2)
        Input points (plane coordinates); points outside ``box`` get the colour of the
        nearest point on its edge.
    box : (xmin, xmax, ymin, ymax)
        Rectangle the colours span; the unit square by default.

    Returns
    -------
    ndarray of float, shape (n, 3)
        RGB in [0, 1].

    Examples
    --------
    At y = 0.35 the hues are unmixed (blue left, orange right); blue darkens below, pales above:

    >>> import numpy as np
    >>> from analysis.folding_pictures import position_colors
    >>> xy = np.array([[0.0, 0.35], [1.0, 0.35], [0.0, 0.0], [0.0, 1.0]])
    >>> position_colors(xy).round(3).tolist()
    [[0.0, 0.447, 0.698], [0.902, 0.624, 0.0], [0.0, 0.291, 0.454], [0.65, 0.806, 0.894]]
    >>> position_colors(np.array([[10.0, 3.5]]), (0, 10, 0, 10)).round(3).tolist()  # orange
    [[0.902, 0.624, 0.0]]
    """
    xy = np.asarray(xy, dtype=np.float64)
    u = np.clip((xy[:, 0] - box[0]) / (box[1] - box[0]), 0.0, 1.0)
    v = np.clip((xy[:, 1] - box[2]) / (box[3] - box[2]), 0.0, 1.0)
    base = (1 - u)[:, None] * _X_LOW + u[:, None] * _X_HIGH
    s = -0.35 + v  # < 0: towards black, > 0: towards white
    dark = base * (1 + np.minimum(s, 0))[:, None]
    white = np.maximum(s, 0)[:, None]
    return np.clip(dark * (1 - white) + white, 0.0, 1.0)


def fold_readout(p: int = P) -> np.ndarray:
    """Matrix ``P`` (2, 2p) with ``P h_k = (t^k(x), t^k(y))`` for the folding layers' outputs.

    ``a = (p, -2p, 2p, ...)``: the zigzag weights through which the next folding layer reads
    its input (:func:`regions.constructions.folding_net`).

    Parameters
    ----------
    p : int
        Folds per coordinate per layer (the folding layers have width ``2 p``).

    Returns
    -------
    ndarray of float, shape (2, 2p)
        ``I_2 (x) a``: row 0 reads the x units, row 1 the y units. Folded coordinates are in
        [0, 1] for inputs in the unit square.

    Examples
    --------
    >>> import torch
    >>> from regions.constructions import folding_net
    >>> from analysis.folding_pictures import fold_readout
    >>> fold_readout(2).tolist() == [[2, -4, 0, 0], [0, 0, 2, -4]]
    True
    >>> h1 = folding_net(2, 2)[:2](torch.tensor([[0.3, 0.8]], dtype=torch.float64))  # layer 1
    >>> (fold_readout(2) @ h1.detach().numpy()[0]).round(12).tolist()  # (t(0.3), t(0.8))
    [0.6, 0.4]
    """
    a = np.array([p] + [2 * p * (-1) ** i for i in range(1, p)], dtype=np.float64)
    return np.kron(np.eye(2), a[None, :])


def folding_partition(p: int = P, depth: int = DEPTH) -> regions.Partition:
    """Exact partition of the unit square by ``folding_net(p, depth, 3)``.

    Parameters
    ----------
    p : int
        Folds per coordinate per folding layer.
    depth : int
        Hidden layers: ``depth - 1`` folding layers, then the final width-3 layer.

    Returns
    -------
    regions.Partition
        Regions of the unit square ``(0, 1, 0, 1)`` (input units); after ``k < depth`` layers
        they are the ``p^(2k)`` squares of side ``p^-k``.

    Examples
    --------
    >>> from analysis.folding_pictures import folding_partition
    >>> part = folding_partition(2, 2)
    >>> part.counts_by_depth().tolist()  # 4 squares, then 3 lines drawn in each: 4 * 7
    [1, 4, 28]
    >>> folding_partition().counts_by_depth().tolist()  # the default folding_net(2, 3, 3)
    [1, 4, 16, 112]
    """
    return regions.decompose(folding_net(p, depth, FINAL_WIDTH), UNIT_BOX)


@dataclass(frozen=True)
class Fold:
    """The depth-``layer`` regions and their images in folded coordinates.

    Attributes
    ----------
    layer : int
        1-based folding layer whose outputs are read.
    polygons : tuple of ndarray, shape (k_i, 2)
        Input polygon of each region.
    images : tuple of ndarray, shape (k_i, 2)
        Their exact images ``P (A v + c)`` in folded coordinates, vertex by vertex.
    maps : ndarray, shape (R, 2, 2), and offsets : ndarray, shape (R, 2)
        The affine map ``x -> M x + d`` from input to folded coordinates on each region.
    copies : int
        Most images overlapping one another with positive area (itself included): the
        number of input regions folded onto the same piece of representation.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.folding_pictures import folded_images, folding_partition
    >>> fold = folded_images(folding_partition(2, 2), 1)
    >>> fold.layer, len(fold.polygons), fold.copies  # all 4 squares on the same image
    (1, 4, 4)
    >>> fold.maps.shape, fold.offsets.shape
    ((4, 2, 2), (4, 2))
    >>> np.linalg.det(fold.maps).round(9).tolist()  # each quarter stretched 2x per axis
    [4.0, -4.0, -4.0, 4.0]
    """

    layer: int
    polygons: tuple[np.ndarray, ...]
    images: tuple[np.ndarray, ...]
    maps: np.ndarray
    offsets: np.ndarray
    copies: int


def folded_images(part: regions.Partition, layer: int, p: int = P) -> Fold:
    """Images of the regions of the first ``layer`` layers, in folded coordinates.

    Parameters
    ----------
    part : regions.Partition
        Partition by a folding net (:func:`folding_partition`) of depth at least ``layer``;
        its depth-``layer`` regions are used.
    layer : int
        1-based folding layer (``< depth`` of the net: the last hidden layer does not fold).
    p : int
        Folds per coordinate of the net, for :func:`fold_readout`.

    Returns
    -------
    Fold
        Regions, their images (folded units, the unit square), the per-region affine maps
        and the number of copies stacked on one image.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.folding_pictures import folded_images, folding_partition
    >>> part = folding_partition()
    >>> [folded_images(part, k).copies for k in (1, 2)]  # 4^k copies
    [4, 16]
    >>> fold = folded_images(part, 2)
    >>> all(np.allclose(h.min(axis=0), 0) and np.allclose(h.max(axis=0), 1)
    ...     for h in fold.images)  # every image is the whole unit square
    True
    """
    coarse = part.at_depth(layer)
    readout = fold_readout(p)
    images = tuple(h @ readout.T for h in region_images(coarse, layer))
    A, c = coarse.affine(layer=layer)
    hulls = shapely.convex_hull(shapely.multipoints(list(images)))
    area = shapely.area(hulls)
    a, b = shapely.STRtree(hulls).query(hulls, predicate="intersects")
    shared = shapely.area(shapely.intersection(hulls[a], hulls[b])) > 1e-9 * area.max()
    copies = int(np.bincount(a[shared], minlength=len(hulls)).max(initial=0))
    return Fold(
        layer,
        tuple(coarse.polygons),
        images,
        np.einsum("ij,rjk->rik", readout, A),
        c @ readout.T,
        copies,
    )


def _disc(centre: Sequence[float], radius: float) -> np.ndarray:
    angle = 2 * np.pi * np.arange(DISC_SIDES) / DISC_SIDES
    return np.asarray(centre) + radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


@dataclass(frozen=True)
class Preimage:
    """Exact preimage of the (64-gon) hole under the first ``layer`` layers.

    Attributes
    ----------
    layer : int
        1-based folding layer the preimage is taken under.
    hole : ndarray, shape (DISC_SIDES, 2)
        The hole's vertices in folded coordinates.
    components : tuple of shapely.Polygon
        Connected components of the preimage in the input square (input units).

    Examples
    --------
    >>> from analysis.folding_pictures import (
    ...     DISC_SIDES, folded_images, folding_partition, hole_preimage)
    >>> pre = hole_preimage(folded_images(folding_partition(2, 2), 1))
    >>> pre.layer, pre.hole.shape == (DISC_SIDES, 2), len(pre.components)
    (1, True, 4)
    """

    layer: int
    hole: np.ndarray
    components: tuple[shapely.Polygon, ...]


def hole_preimage(
    fold: Fold, centre: Sequence[float] = HOLE_CENTRE, radius: float = HOLE_RADIUS
) -> Preimage:
    """Points of the input square whose folded coordinates lie in the disc (a 64-gon).

    On region i the map is ``x -> M_i x + d_i``; where ``M_i`` is invertible the preimage
    of the disc polygon is ``M_i^-1 (D - d_i)``, intersected with the region. Regions where
    the map loses rank are skipped (none for the folding net). Pieces in neighbouring
    regions are merged before counting components.

    Parameters
    ----------
    fold : Fold
        Regions and their affine maps to folded coordinates (:func:`folded_images`).
    centre : (float, float)
        Centre of the disc, in folded coordinates.
    radius : float
        Circumradius of the :data:`DISC_SIDES`-gon, in folded units.

    Returns
    -------
    Preimage
        The disc's vertices and the connected components of its preimage.

    Examples
    --------
    Each depth-k square is stretched by ``2^k`` per axis, so the ``4^k`` copies each have
    ``4^-k`` of the disc's area:

    >>> import shapely
    >>> from analysis.folding_pictures import folded_images, folding_partition, hole_preimage
    >>> part = folding_partition()
    >>> pre = [hole_preimage(folded_images(part, k)) for k in (1, 2)]
    >>> [len(p.components) for p in pre]
    [4, 16]
    >>> disc = shapely.Polygon(pre[1].hole).area
    >>> round(sum(c.area for c in pre[1].components) / disc, 9)  # all copies: the disc's area
    1.0
    >>> round(pre[1].components[0].area * 16 / disc, 9)
    1.0
    """
    hole = _disc(centre, radius)
    pieces = []
    for poly, M, d in zip(fold.polygons, fold.maps, fold.offsets, strict=True):
        if abs(np.linalg.det(M)) < 1e-12:
            continue
        back = np.linalg.solve(M, (hole - d).T).T
        piece = shapely.intersection(shapely.Polygon(back), shapely.Polygon(poly))
        if not piece.is_empty and piece.area > 0:
            pieces.append(piece)
    union = shapely.union_all(pieces) if pieces else shapely.Polygon()
    parts = shapely.get_parts(union)
    comps = tuple(g for g in parts if g.geom_type == "Polygon" and g.area > 0)
    return Preimage(fold.layer, hole, comps)


# ------------------------------------------------------------------------------- drawing
def _input_panel(ax: Axes, part: regions.Partition, n: int = 200) -> None:
    """The input square coloured by position, with the regions' boundaries on top."""
    g = (np.arange(n) + 0.5) / n
    xx, yy = np.meshgrid(g, g)
    rgb = position_colors(np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(n, n, 3)
    ax.imshow(rgb, origin="lower", extent=UNIT_BOX, interpolation="nearest", zorder=0)
    _outlines(ax, part)
    _square(ax, UNIT_BOX, "input x", "input y")


def _outlines(ax: Axes, part: regions.Partition) -> None:
    """Region outlines in black, visible on every input colour."""
    edges = PolyCollection(
        list(part.polygons), facecolors="none", edgecolors="black", linewidths=0.7, zorder=1
    )
    ax.add_collection(edges)


def _folded_labels(k: int) -> tuple[str, str]:
    return f"folded x  $t^{{{k}}}(x)$", f"folded y  $t^{{{k}}}(y)$"


def _square(ax: Axes, box: Sequence[float], xlabel: str, ylabel: str) -> None:
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _image_panel(ax: Axes, fold: Fold) -> None:
    """Images as a stack: copy j of a group of coinciding images shifted by j * offset."""
    centroids = np.array([v.mean(axis=0) for v in fold.polygons])
    colors = position_colors(centroids)
    # Copies coincide here; order them by input position so the stack reads left to right.
    order = np.lexsort((centroids[:, 1], centroids[:, 0]))
    step = min(STACK_OFFSET, STACK_SPREAD / max(1, len(order) - 1))
    shift = step * (np.arange(len(order)) - (len(order) - 1) / 2)[:, None] * np.ones(2)
    polys = [fold.images[i] + s for i, s in zip(order, shift, strict=True)]
    ax.add_collection(
        PolyCollection(polys, facecolors=colors[order], edgecolors="#404040", linewidths=0.5)
    )
    pad = 0.05 + float(np.abs(shift).max())
    _square(ax, (-pad, 1 + pad, -pad, 1 + pad), *_folded_labels(fold.layer))


def folding_figure(part: regions.Partition | None = None, layers: Sequence[int] = LAYERS) -> Figure:
    """Input square coloured by position beside the folded images, one row per layer.

    Parameters
    ----------
    part : regions.Partition, optional
        Partition by ``folding_net(P, DEPTH)`` (:func:`folding_partition`, the default).
    layers : sequence of int
        Folding layers k drawn, one row each.

    Returns
    -------
    Figure
        ``len(layers)`` rows of two panels: the input square coloured by
        :func:`position_colors` with the regions of layers ``1..k``, and the images of those
        regions in folded coordinates (:func:`folded_images`), drawn as a diagonal stack.

    Examples
    --------
    >>> from analysis.folding_pictures import folding_figure
    >>> fig = folding_figure(layers=[1, 2])
    >>> len(fig.axes)
    4
    >>> fig.axes[3].get_title().splitlines()
    ['images after layer 2: 16 of', '16 regions on one square (stacked)']
    """
    part = folding_partition() if part is None else part
    with style():
        fig = Figure(figsize=(4.6, 2.3 * len(layers)), layout="constrained")
        axes = fig.subplots(len(layers), 2, squeeze=False)
        for (left, right), k in zip(axes, layers, strict=True):
            fold = folded_images(part, k)
            _input_panel(left, part.at_depth(k))
            left.set_title(f"input coloured by position,\nregions of layers 1..{k}")
            _image_panel(right, fold)
            right.set_title(
                f"images after layer {k}: {fold.copies} of\n{len(fold.polygons)} regions on one "
                "square (stacked)"
            )
        fig.suptitle(f"folding_net({P}, {DEPTH}): each layer folds the square {P * P} times")
    return fig


def hole_figure(part: regions.Partition | None = None, layers: Sequence[int] = LAYERS) -> Figure:
    """A disc in folded coordinates (right) and its exact preimage (left), one row per layer.

    Parameters
    ----------
    part : regions.Partition, optional
        Partition by ``folding_net(P, DEPTH)`` (:func:`folding_partition`, the default).
    layers : sequence of int
        Folding layers k drawn, one row each.

    Returns
    -------
    Figure
        ``len(layers)`` rows of two panels: the preimage components (:func:`hole_preimage`)
        in the input square over the regions of layers ``1..k``, and the hole (radius
        :data:`HOLE_RADIUS` in folded units) in the image square.

    Examples
    --------
    >>> from analysis.folding_pictures import hole_figure
    >>> fig = hole_figure(layers=[1, 2])
    >>> fig.axes[2].get_title().splitlines()
    ['preimage under layers 1..2:', '16 components (predicted 16)']
    """
    part = folding_partition() if part is None else part
    hole_color = OKABE_ITO[6]
    with style():
        fig = Figure(figsize=(4.6, 2.3 * len(layers)), layout="constrained")
        axes = fig.subplots(len(layers), 2, squeeze=False)
        for (left, right), k in zip(axes, layers, strict=True):
            pre = hole_preimage(folded_images(part, k))
            _outlines(left, part.at_depth(k))
            for comp in pre.components:
                xy = np.asarray(comp.exterior.coords)
                left.fill(xy[:, 0], xy[:, 1], color=hole_color, lw=0, zorder=2)
            _square(left, UNIT_BOX, "input x", "input y")
            left.set_title(
                f"preimage under layers 1..{k}:\n{len(pre.components)} components "
                f"(predicted {P ** (2 * k)})"
            )
            right.fill(pre.hole[:, 0], pre.hole[:, 1], color=hole_color, lw=0)
            right.plot([0, 1, 1, 0, 0], [0, 0, 1, 1, 0], color="#404040", lw=0.6)
            _square(right, (-0.05, 1.05, -0.05, 1.05), *_folded_labels(k))
            right.set_title(
                f"hole after layer {k}: disc r={HOLE_RADIUS}\n({DISC_SIDES}-gon) in the image "
                "square"
            )
        fig.suptitle(f"folding_net({P}, {DEPTH}): one hole, {P}$^{{2k}}$ preimages")
    return fig
