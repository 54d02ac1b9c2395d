"""Space folding on the hand-built folding net, computed exactly.

:func:`regions.constructions.folding_net` ``(p, depth)`` folds each input coordinate of the
unit square p times per folding layer: layer k is the zigzag ``t`` applied to the outputs of
layer k - 1, read out through the weights ``a`` of the next layer. Its *folded coordinates*
after k layers are ``F_k = P h_k`` with ``P = I_2 (x) a`` (:func:`fold_readout`), which equal
``(t^k(x), t^k(y))``; every depth-k region (a square of side ``p^-k``) is mapped by an
invertible affine map onto the whole unit square, so ``p^(2k)`` input regions land on the
same image.

What is computed here: the images of the depth-k regions in folded coordinates
(:func:`folded_images`, the copies stacked on one image counted by
:func:`~analysis.studies.folding.images.find_folds`) and the exact preimage of a small disc
(the "hole") in folded coordinates, ``p^(2k)`` ellipses in the input square
(:func:`hole_preimage`). The disc is approximated by a regular :data:`DISC_SIDES`-gon, so the
preimages are polygons; on each region the map is inverted exactly.
:mod:`analysis.studies.folding.net_figures` draws both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

import regions
from analysis.studies.folding.images import find_folds, project, region_images
from regions.constructions import folding_net

__all__ = [
    "DISC_SIDES",
    "HOLE_CENTRE",
    "HOLE_RADIUS",
    "UNIT_BOX",
    "Fold",
    "Preimage",
    "fold_readout",
    "folded_images",
    "folding_partition",
    "hole_preimage",
]

UNIT_BOX = (0.0, 1.0, 0.0, 1.0)
#: Folds per coordinate, folding layers and final width of the demonstration net.
P, DEPTH, FINAL_WIDTH = 2, 3, 3
#: The hole: a disc in folded coordinates, off every fold line and the square's edge.
HOLE_CENTRE, HOLE_RADIUS = (0.3, 0.62), 0.12
DISC_SIDES = 64


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
    >>> from analysis.studies.folding.folding_net import fold_readout
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
    >>> from analysis.studies.folding.folding_net import folding_partition
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
        The largest group of images overlapping with positive area
        (:attr:`~analysis.studies.folding.images.Folds.max_copies`): the number of input
        regions folded onto the same piece of representation.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.studies.folding.folding_net import folded_images, folding_partition
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
    >>> from analysis.studies.folding.folding_net import folded_images, folding_partition
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
    A, c = coarse.affine(layer=layer)
    return Fold(
        layer,
        tuple(coarse.polygons),
        project(region_images(coarse, layer), readout),
        np.einsum("ij,rjk->rik", readout, A),
        c @ readout.T,
        find_folds(coarse, layer, readout).max_copies,
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
    >>> from analysis.studies.folding.folding_net import (
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
    >>> from analysis.studies.folding.folding_net import (
    ...     folded_images, folding_partition, hole_preimage)
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
