"""Exact images of the plane under the first k layers of a net, and regions folded together.

Every view here is computed from a decomposition, not from sampled activations:

* :func:`region_images`: the image of every region under layers ``1..k`` (exact: the map is
  affine on a region); :func:`projector` and :func:`project` bring wide layers to a drawing
  plane (two units, the principal plane, or any ``(2, width)`` matrix).
* :func:`find_folds`: regions whose images overlap (copies folded onto each other).
* :func:`colored_images`: the input plane cut into small pieces (a grid of squares
  intersected with the regions of the first k layers), each mapped exactly by its region's
  affine map. Where the map folds, pieces from different input places land on top of each
  other.
* :func:`warped_grid`: straight grid lines of the input plane, cut at every breakpoint they
  cross (:func:`regions.decompose_line`) and pushed through layer k; each image is an exact
  polyline.
* :func:`output_plane`: the decision plane of a 2-logit net in its last hidden layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import regions
from analysis.lab.data import Box
from regions import Partition

__all__ = [
    "ColoredImages",
    "Folds",
    "Units",
    "WarpedGrid",
    "colored_images",
    "domain_box",
    "find_folds",
    "output_plane",
    "project",
    "projector",
    "region_images",
    "resolve_units",
    "warped_grid",
]

#: A drawing plane of a layer's activations: two unit indices, the principal plane, or a
#: ``(2, width)`` matrix (any linear read-out, e.g. the folding net's folded coordinates).
Plane = tuple[int, int] | Literal["pca"] | np.ndarray
#: How a layer is drawn in 2D: a :data:`Plane`, or "auto" (the layer's own coordinates when
#: it has width 2, else the principal plane).
Units = tuple[int, int] | Literal["pca", "auto"]
#: Colour pieces per side of the domain's bounding box.
COLOR_CELLS = 48
#: Grid lines per direction in the warped-grid view.
GRID_LINES = 17


def domain_box(part: Partition) -> Box:
    """The bounding box ``(xmin, xmax, ymin, ymax)`` of ``part``'s domain.

    Examples
    --------
    >>> from analysis.studies.folding.images import domain_box
    >>> domain_box(regions.decompose(quadrant_net(), (-1, 1, 0, 2)))
    (-1.0, 1.0, 0.0, 2.0)
    """
    lo, hi = part.domain.hull.min(axis=0), part.domain.hull.max(axis=0)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def resolve_units(units: Units, width: int) -> tuple[int, int] | Literal["pca"]:
    """``units`` with "auto" resolved for a layer of ``width`` units.

    Examples
    --------
    >>> from analysis.studies.folding.images import resolve_units
    >>> resolve_units("auto", 2), resolve_units("auto", 5), resolve_units((0, 3), 5)
    ((0, 1), 'pca', (0, 3))
    """
    if units == "auto":
        return (0, 1) if width == 2 else "pca"
    return units


def region_images(part: Partition, layer: int) -> tuple[np.ndarray, ...]:
    """Exact image of every region under the first ``layer`` layers (activations of ``layer``).

    The map is affine on each region, ``h = A v + c`` with ``part.affine(layer=layer)``, so the
    image of a convex region is the convex polygon spanned by its vertices' images (flat, a
    segment or a point, where the map loses rank).

    Parameters
    ----------
    part : Partition
        Depth at least ``layer``; ``part.at_depth(layer)`` gives the coarsest regions.
    layer : int
        1-based activation layer.

    Returns
    -------
    tuple of ndarray, shape (k_i, width)
        Images of the vertices of region i (``part.polygons[i]``), in the same order
        (activation units; ``width`` is the width of layer ``layer``).

    Examples
    --------
    Units ``relu(x)`` and ``relu(y)`` keep the positive quadrant, flatten two quadrants onto
    half-axes and the third onto the origin:

    >>> from analysis.studies.folding.images import region_images
    >>> part = regions.decompose(quadrant_net(), (-1, 1, -1, 1))
    >>> images = region_images(part, 1)
    >>> [h.shape for h in images]  # 4 vertices per quadrant, 2 units
    [(4, 2), (4, 2), (4, 2), (4, 2)]
    >>> for pattern, h in sorted(zip(part.patterns.astype(int).tolist(), images), key=str):
    ...     print(pattern, np.unique(h, axis=0).tolist())
    [0, 0] [[0.0, 0.0]]
    [0, 1] [[0.0, 0.0], [0.0, 1.0]]
    [1, 0] [[0.0, 0.0], [1.0, 0.0]]
    [1, 1] [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    """
    A, c = part.affine(layer=layer)
    polys = part.polygons
    lengths = np.array([len(v) for v in polys])
    owner = np.repeat(np.arange(len(polys)), lengths)
    xy = np.concatenate(polys)
    h = np.einsum("nwk,nk->nw", A[owner], xy) + c[owner]
    return tuple(np.split(h, np.cumsum(lengths)[:-1]))


def projector(
    images: tuple[np.ndarray, ...], units: Plane = (0, 1)
) -> Callable[[np.ndarray], np.ndarray]:
    """The linear map from activations (n, width) to a drawing plane (n, 2), fitted to ``images``.

    Parameters
    ----------
    images : tuple of ndarray, shape (k_i, width)
        Region images (:func:`region_images`); only used to fit the principal axes.
    units : (i, j), "pca" or ndarray of shape (2, width)
        Two units to keep; the plane of the first two principal components of all image
        vertices (centred on their mean; each component's sign fixed so its largest loading is
        positive); or a matrix ``M``, mapping ``h`` to ``M h``. Fitting once and applying the
        same map to other points (grids, data) keeps every drawing of one layer in one frame.

    Returns
    -------
    callable
        ``f(h)`` with ``h`` of shape (n, width), returning shape (n, 2) (activation units: the
        principal plane is an orthonormal projection, so lengths within it are kept).

    Raises
    ------
    ValueError
        If ``units`` is a string other than ``"pca"``.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.studies.folding.images import projector
    >>> images = (np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 4.0, 0.0]]),)  # 3 units
    >>> projector(images, (1, 0))(np.array([[1.0, 2.0, 5.0]])).tolist()  # units 1 and 0
    [[2.0, 1.0]]
    >>> flat = projector(images, "pca")(images[0])  # the triangle's own plane
    >>> flat.shape
    (3, 2)
    >>> sorted(np.linalg.norm(flat - np.roll(flat, 1, axis=0), axis=1).round(9).tolist())
    [3.0, 4.0, 5.0]
    >>> projector(images, np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 2.0]]))(np.ones((1, 3))).tolist()
    [[2.0, 2.0]]
    """
    if isinstance(units, np.ndarray):
        matrix = np.asarray(units, dtype=np.float64)
        return lambda x: np.asarray(x) @ matrix.T
    if isinstance(units, str):
        if units != "pca":
            raise ValueError(f"units must be a pair of unit indices or 'pca', got {units!r}")
        h = np.concatenate(images)
        mean = h.mean(axis=0)
        _, _, vt = np.linalg.svd(h - mean, full_matrices=False)
        basis = np.vstack([vt[:2], np.zeros((max(0, 2 - len(vt)), h.shape[1]))])
        sign = np.sign(basis[np.arange(2), np.abs(basis).argmax(axis=1)])
        basis = basis * np.where(sign == 0, 1.0, sign)[:, None]
        return lambda x: (np.asarray(x) - mean) @ basis.T
    i, j = units
    return lambda x: np.asarray(x)[:, [i, j]]


def project(images: tuple[np.ndarray, ...], units: Plane = (0, 1)) -> tuple[np.ndarray, ...]:
    """Images (k_i, width) projected to 2D (k_i, 2) by :func:`projector` fitted to them.

    Parameters
    ----------
    images : tuple of ndarray, shape (k_i, width)
        Region images (:func:`region_images`), activation units.
    units : (i, j), "pca" or ndarray of shape (2, width)
        See :func:`projector`.

    Returns
    -------
    tuple of ndarray, shape (k_i, 2)
        Every image in one shared 2D frame, vertex by vertex.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.studies.folding.images import project
    >>> images = (np.array([[0.0, 0.0, 1.0], [2.0, 0.0, 1.0]]), np.array([[0.0, 5.0, 3.0]]))
    >>> [h.tolist() for h in project(images, (0, 2))]
    [[[0.0, 1.0], [2.0, 1.0]], [[0.0, 3.0]]]
    >>> [h.shape for h in project(images, "pca")]
    [(2, 2), (1, 2)]
    """
    lengths = np.array([len(v) for v in images])
    out = projector(images, units)(np.concatenate(images))
    return tuple(np.split(out, np.cumsum(lengths)[:-1]))


@dataclass(frozen=True)
class Folds:
    """Regions whose images under the first ``layer`` layers overlap: copies folded together.

    Attributes
    ----------
    layer : int
        The layer whose activations were compared.
    pairs : ndarray of int, shape (P, 2)
        Region pairs ``i < j`` whose (projected) images have the same dimension and share a
        set of positive measure in it (see :func:`find_folds`).
    overlap : ndarray, shape (P,)
        That measure for each pair: area (squared activation units) for two 2D images,
        length (activation units) for two segments, 0 for two (equal) points.
    labels : ndarray of int, shape (R,)
        Group of every region: connected components of the overlap graph.
    sizes : ndarray of int, shape (G,)
        Regions per group; a group of size > 1 is a set of copies folded onto each other.

    Examples
    --------
    After two sawtooth layers the four strips of width 1/4 land pairwise on the same segment:

    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from analysis.studies.folding.images import find_folds
    >>> part = regions.decompose(sawtooth(2), (0, 1, 0, 1))
    >>> folds = find_folds(part, 2)
    >>> folds.layer, folds.pairs.shape, folds.sizes.tolist()
    (2, (2, 2), [2, 2])
    >>> [sorted(float(part.polygons[i][:, 0].min()) for i in g) for g in folds.groups()]
    [[0.25, 0.5], [0.0, 0.75]]
    """

    layer: int
    pairs: np.ndarray
    overlap: np.ndarray
    labels: np.ndarray
    sizes: np.ndarray

    @property
    def n_groups(self) -> int:
        """Groups of more than one region.

        Examples
        --------
        >>> import numpy as np
        >>> from analysis.studies.folding.images import Folds
        >>> folds = Folds(1, np.array([[0, 2]]), np.array([0.5]), np.array([0, 1, 0, 2]),
        ...               np.array([2, 1, 1]))
        >>> folds.n_groups  # regions 0 and 2; regions 1 and 3 are alone
        1
        """
        return int(np.count_nonzero(self.sizes > 1))

    @property
    def max_copies(self) -> int:
        """Size of the largest group of regions folded onto each other (1: no folding).

        Examples
        --------
        >>> import numpy as np
        >>> from analysis.studies.folding.images import Folds
        >>> folds = Folds(1, np.array([[0, 2]]), np.array([0.5]), np.array([0, 1, 0, 2]),
        ...               np.array([2, 1, 1]))
        >>> folds.max_copies
        2
        """
        return int(self.sizes.max(initial=0))

    def groups(self) -> list[np.ndarray]:
        """Region indices of every group with more than one region.

        Returns
        -------
        list of ndarray of int, shape (sizes[g],)
            One array per such group, regions in increasing order; groups in label order.

        Examples
        --------
        >>> import numpy as np
        >>> from analysis.studies.folding.images import Folds
        >>> folds = Folds(1, np.array([[0, 2]]), np.array([0.5]), np.array([0, 1, 0, 2]),
        ...               np.array([2, 1, 1]))
        >>> [g.tolist() for g in folds.groups()]
        [[0, 2]]
        """
        return [np.flatnonzero(self.labels == g) for g in np.flatnonzero(self.sizes > 1)]


def find_folds(
    part: Partition,
    layer: int,
    units: Plane = (0, 1),
    *,
    rtol: float = 1e-9,
) -> Folds:
    """Group regions whose images under the first ``layer`` layers overlap.

    Two regions are folded together when their images have the same dimension and share a
    set of positive measure in it: area for two 2D images, length for two segments (where the
    map lost rank), the same point for two points. Every later layer sees only these
    activations, so it treats the shared part identically in every copy. A region flattened
    onto the edge of another's 2D image is not counted: it meets that region only along a
    line, not on a piece of it. Exact for a width-2 layer with ``units=(0, 1)``: there the
    images are the exact polygons, segments or points. For a wider layer the comparison
    happens in the projection, which can overlap images that are apart in the full space.

    Parameters
    ----------
    part : Partition
        Regions to compare (``part.at_depth(layer)`` for the regions of the first layers alone).
    layer : int
        1-based activation layer.
    units : (i, j), "pca" or ndarray of shape (2, width)
        Projection, see :func:`projector`.
    rtol : float
        Relative to the images' extent (and, for areas, to the largest image's area): smaller
        overlaps are rounding, not folds. Lengths must exceed ``1000 * rtol`` of the extent, so
        that two segments crossing at a point never count.

    Returns
    -------
    Folds

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from analysis.studies.folding.images import find_folds
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> folds = [find_folds(part.at_depth(k), k) for k in (1, 2, 3)]
    >>> [f.max_copies for f in folds]  # strips sent onto the same segment of layer k
    [1, 2, 4]
    """
    flat = project(region_images(part, layer), units)
    lengths = np.array([len(v) for v in flat])
    allpts = np.concatenate(flat)
    extent = float(np.ptp(allpts, axis=0).max()) if len(allpts) else 0.0
    tol = rtol * max(extent, np.finfo(float).tiny)
    points = shapely.multipoints(allpts, indices=np.repeat(np.arange(len(flat)), lengths))
    # The image of a convex region is the convex hull of its vertices' images (valid even when
    # the map reverses orientation or flattens the region to a segment or a point).
    hulls = shapely.convex_hull(points)
    dim = shapely.get_dimensions(hulls)
    area = shapely.area(hulls)
    a, b = shapely.STRtree(hulls).query(hulls, predicate="dwithin", distance=tol)
    a, b = a[a < b], b[a < b]
    same = dim[a] == dim[b]
    a, b = a[same], b[same]
    low = dim[a]
    # Segments against the other one thickened by tol, so rounding cannot push two segments
    # on the same line apart.
    shared = shapely.intersection(
        hulls[a], np.where(low == 2, hulls[b], shapely.buffer(hulls[b], tol))
    )
    overlap = np.where(low == 2, shapely.area(shared), shapely.length(shared))
    keep = np.where(
        low == 2,
        overlap > rtol * float(area.max(initial=0.0)),
        np.where(low == 1, overlap > 1e3 * tol, True),
    )
    overlap = np.where(low == 0, 0.0, overlap)
    pairs = np.stack([a[keep], b[keep]], axis=1).reshape(-1, 2)
    n = len(flat)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return Folds(layer, pairs, overlap[keep], labels, np.bincount(labels))


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
    centroids : ndarray, shape (P, 2)
        Each piece's centroid in the input plane (what colours it in a figure).
    region : ndarray of int, shape (P,)
        Region (of ``part.at_depth(layer)``) of each piece.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.studies.folding.images import ColoredImages
    >>> square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> ci = ColoredImages(1, (square,), (2 * square,), np.full((1, 2), 0.5), np.zeros(1, int))
    >>> float(ci.images[0].max()), len(ci.pieces)
    (2.0, 1)
    """

    layer: int
    pieces: tuple[np.ndarray, ...]
    images: tuple[np.ndarray, ...]
    centroids: np.ndarray
    region: np.ndarray


def colored_images(part: Partition, layer: int, cells: int = COLOR_CELLS) -> ColoredImages:
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
    >>> from analysis.studies.folding.images import colored_images
    >>> part = regions.decompose(quadrant_net(), (-1, 1, -1, 1))
    >>> ci = colored_images(part, 1, cells=4)
    >>> import shapely
    >>> len(ci.pieces), round(sum(shapely.Polygon(p).area for p in ci.pieces), 9)
    (16, 4.0)
    >>> bool(min(h.min() for h in ci.images) >= 0)  # ReLU activations
    True
    """
    coarse = part.at_depth(layer)
    A, c = coarse.affine(layer=layer)
    box = domain_box(coarse)
    xs = np.linspace(box[0], box[1], cells + 1)
    ys = np.linspace(box[2], box[3], cells + 1)
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
        centroids,
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
    >>> from analysis.studies.folding.images import WarpedGrid
    >>> line = np.array([[-1.0, 0.0], [1.0, 0.0]])
    >>> grid = WarpedGrid(1, (np.array([[0.0, 0.0], [1.0, 0.0]]),), (line,), np.array([True]))
    >>> grid.lines[0].shape, bool(grid.horizontal[0])
    ((2, 2), True)
    """

    layer: int
    lines: tuple[np.ndarray, ...]
    inputs: tuple[np.ndarray, ...]
    horizontal: np.ndarray


def warped_grid(part: Partition, layer: int, n_lines: int = GRID_LINES) -> WarpedGrid:
    """Push ``n_lines`` horizontal and ``n_lines`` vertical input lines through the layers.

    Parameters
    ----------
    part : Partition
        Decomposition of depth at least ``layer``: its network, plane and domain's bounding
        box (the lines cross the whole box, whatever the domain's shape).
    layer : int
        1-based activation layer.
    n_lines : int
        Lines per direction, evenly spaced over the domain's bounding box (edges included).

    Returns
    -------
    WarpedGrid

    Examples
    --------
    >>> from analysis.studies.folding.images import warped_grid
    >>> g = warped_grid(regions.decompose(quadrant_net(), (-1, 1, -1, 1)), 1, n_lines=3)
    >>> g.lines[2].tolist()  # y = 1: the half x < 0 collapses onto the point (0, 1)
    [[0.0, 1.0], [1.0, 1.0]]
    """
    b = domain_box(part)
    inputs = [np.array([[b[0], y], [b[1], y]]) for y in np.linspace(b[2], b[3], n_lines)]
    inputs += [np.array([[x, b[2]], [x, b[3]]]) for x in np.linspace(b[0], b[1], n_lines)]
    lines = []
    walks = regions.decompose_lines(part.network, *np.swapaxes(inputs, 0, 1), plane=part.plane)
    for walk in walks:
        pieces = walk.at_depth(layer)
        a, c = pieces.affine(layer=layer)
        # Both ends of every piece, mapped by that piece's map: exact and continuous.
        ends = np.concatenate([[0.0], pieces.breaks, [1.0]])
        s = np.stack([ends[:-1], ends[1:]], axis=1)
        h = (a[:, None, :] * s[:, :, None] + c[:, None, :]).reshape(-1, a.shape[1])
        keep = np.r_[True, np.any(np.abs(np.diff(h, axis=0)) > 0, axis=1)]
        lines.append(h[keep])
    horizontal = np.arange(2 * n_lines) < n_lines
    return WarpedGrid(layer, tuple(lines), tuple(inputs), horizontal)


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
    >>> from analysis.studies.folding.images import output_plane
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
