"""The result of a decomposition: :class:`Partition` and the small results it returns.

A partition is stored column-wise, shapely-2 style: all region rings in one flat array of vertex
ids with ragged offsets, one row per region in every per-region array. Methods are vectorised
over regions. On a non-convex domain (or one with holes) the convex cells computed on the
domain's hull are clipped to it, and every connected piece of a clipped cell is a region.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .domain import Domain, Plane
from .maps import node_maps
from .mesh import DOMAIN_EDGE, Mesh
from .network import Network
from .ragged import expand, offsets, segment_any, segment_sum

__all__ = [
    "Adjacency",
    "Boundaries",
    "DecisionBoundary",
    "Level",
    "LinearRegions",
    "Partition",
    "Switches",
]


@dataclass(frozen=True, eq=False)
class Switches:
    """The breakpoints that draw region boundaries, one column of ``Partition.patterns`` each.

    A ReLU-like unit has one breakpoint (at 0); ReLU6 and Hardtanh units have two.

    Attributes
    ----------
    layer : ndarray, shape (S,)
        1-based activation layer of each breakpoint.
    unit : ndarray, shape (S,)
        Unit index within its layer.
    threshold : ndarray, shape (S,)
        Preactivation value of the breakpoint.

    Columns are ordered layer by layer, unit by unit, breakpoint by breakpoint.

    Examples
    --------
    A Hardtanh layer on the identity: each unit has breakpoints at -1 and 1, so the
    lines x = +-1 and y = +-1 cut [-2, 2]^2 into a 3 x 3 grid:

    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Hardtanh())
    >>> with torch.no_grad():
    ...     _ = model[0].weight.copy_(torch.eye(2))
    ...     _ = model[0].bias.zero_()
    >>> part = regions.decompose(model)
    >>> len(part)
    9
    >>> sw = part.switches
    >>> sw.layer.tolist(), sw.unit.tolist(), sw.threshold.tolist()
    ([1, 1, 1, 1], [0, 0, 1, 1], [-1.0, 1.0, -1.0, 1.0])
    >>> r = part.locate([[-1.5, 0.0]])  # x below -1, y between -1 and 1
    >>> part.patterns[r].astype(int).tolist()
    [[0, 0, 1, 0]]
    >>> [p.tolist() for p in sw.pieces(part.patterns[r], part.network, 1)]  # per unit
    [[[0, 1]]]
    """

    layer: np.ndarray
    unit: np.ndarray
    threshold: np.ndarray

    def columns(self, layer: int) -> np.ndarray:
        """Pattern columns (switch indices) of activation layer ``layer``.

        Parameters
        ----------
        layer : int
            1-based activation layer.

        Returns
        -------
        ndarray of int, shape (S_layer,)
            Ascending column indices into ``Partition.patterns``.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
        >>> part.switches.columns(2).tolist()  # 2 ReLU units per layer
        [2, 3]
        """
        return np.flatnonzero(self.layer == layer)

    def pieces(self, patterns: np.ndarray, net: Network, depth: int) -> list[np.ndarray]:
        """Piece index (R, width) of every unit of layers 1..depth: breakpoints exceeded.

        Parameters
        ----------
        patterns : ndarray of bool, shape (R, S)
            Activation patterns with these switches as columns (at least layers 1..depth).
        net : Network
            The network the switches belong to.
        depth : int
            Number of leading activation layers to read.

        Returns
        -------
        list of ndarray of int, one (R, width) per layer 1..depth
            Index into that layer's ``slopes`` and ``offsets`` columns (0..K).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(2), (0, 1, 0, 1))
        >>> r = part.locate([[0.3, 0.5]])  # x > 0 and x < 1/2: unit 0 on, unit 1 off
        >>> [p.tolist() for p in part.switches.pieces(part.patterns[r], part.network, 1)]
        [[[1, 0]]]
        """
        out = []
        for act in net.activations[:depth]:
            cols = self.columns(act.layer)
            bits = patterns[:, cols].reshape(len(patterns), act.width, -1)
            out.append(bits.sum(axis=2))
        return out


@dataclass(frozen=True, eq=False)
class Level:
    """The partition drawn by the first k activation layers (a snapshot taken during cutting).

    ``parent`` maps each region to its region at the previous level; ``bits`` holds each region's
    side of this layer's ``n_bits`` breakpoints, packed along axis 1 (``np.packbits``).

    Attributes
    ----------
    ring, start, edge_label : ndarray
        The cells at this level as ragged counter-clockwise rings of vertex ids into
        ``Partition.vertices`` (I,), offsets (R_k + 1,) and edge labels (I,).
    parent : ndarray of int, shape (R_k,)
        Region at the previous level (all 0 at level 1: the domain).
    bits : ndarray of uint8, shape (R_k, ceil(n_bits / 8))
        Packed side of each region for this layer's breakpoints.
    n_bits : int
        Number of breakpoints of this layer.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> [(level.n_regions, level.n_bits) for level in part.levels]
    [(2, 2), (4, 2), (8, 2)]
    >>> part.levels[1].parent.tolist()  # each of the 2 halves splits in 2
    [0, 1, 0, 1]
    """

    ring: np.ndarray
    start: np.ndarray
    edge_label: np.ndarray
    parent: np.ndarray
    bits: np.ndarray
    n_bits: int

    @property
    def n_regions(self) -> int:
        """Number of regions (convex cells) at this level."""
        return len(self.start) - 1


def stack_levels(levels: tuple[Level, ...], chunk: int = 1 << 16) -> np.ndarray:
    """Packed patterns (R, ceil(S / 8)) of the last level's regions.

    Each level's bits are read through the region's ancestor at that level; rows are
    assembled in chunks so the unpacked bits never exist for all regions at once.

    Parameters
    ----------
    levels : tuple of Level
        Snapshots after layers 1..k, in order.
    chunk : int
        Regions assembled at a time.

    Returns
    -------
    ndarray of uint8, shape (R, ceil(S / 8))
        Packed patterns of the last level's R regions over all S breakpoints of the levels;
        shape (1, 0) when ``levels`` is empty.

    Examples
    --------
    >>> import numpy as np
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.partition import stack_levels
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> bits = stack_levels(part.levels)
    >>> bits.shape, np.array_equal(bits, part.cell_bits)  # 8 regions, 6 bits in one byte
    ((8, 1), True)
    """
    if not levels:
        return np.zeros((1, 0), dtype=np.uint8)
    n_regions = levels[-1].n_regions
    n_bits = sum(level.n_bits for level in levels)
    out = np.empty((n_regions, (n_bits + 7) // 8), dtype=np.uint8)
    for lo in range(0, n_regions, chunk):
        ancestor = np.arange(lo, min(lo + chunk, n_regions))
        columns = []
        for level in reversed(levels):
            columns.append(np.unpackbits(level.bits[ancestor], axis=1, count=level.n_bits))
            ancestor = level.parent[ancestor]
        out[lo : lo + chunk] = np.packbits(np.concatenate(columns[::-1], axis=1), axis=1)
    return out


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Boundary segments of a partition, each labelled by the unit whose breakpoint drew it.

    Attributes
    ----------
    segments : ndarray, shape (E, 2, 2)
        Segment endpoints, ``segments[e] = [[x0, y0], [x1, y1]]``.
    layer : ndarray, shape (E,)
        1-based activation layer that drew the segment; 0 for the domain's boundary.
    unit : ndarray, shape (E,)
        Unit within that layer; -1 for the domain's boundary.
    switch : ndarray, shape (E,)
        Pattern column (breakpoint) that drew the segment; -1 for the domain's boundary.

    ``len(b)`` is the number of segments E. Coordinates are plane coordinates.

    Examples
    --------
    The lines x = 0 and y = 0 on [-1, 1]^2, each split where they cross:

    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    >>> b = part.boundaries()
    >>> len(b), b.segments.shape
    (4, (4, 2, 2))
    >>> b.layer.tolist(), b.unit.tolist()
    ([1, 1, 1, 1], [0, 0, 1, 1])
    >>> len(part.boundaries(include_domain=True))  # + 8 pieces of the square's sides
    12
    """

    segments: np.ndarray
    layer: np.ndarray
    unit: np.ndarray
    switch: np.ndarray

    def __len__(self) -> int:
        return len(self.segments)

    def to_shapely(self) -> np.ndarray:
        """The segments as an array (E,) of shapely LineStrings.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> lines = part.boundaries().to_shapely()
        >>> lines.shape, float(sum(line.length for line in lines))  # two axes of length 2
        ((4,), 4.0)
        """
        return shapely.linestrings(self.segments)


@dataclass(frozen=True, eq=False)
class Adjacency:
    """Pairs of regions that share a boundary segment of positive length.

    Attributes
    ----------
    pairs : ndarray, shape (P, 2)
        Region indices ``i < j``.
    layer, unit, switch : ndarray, shape (P,)
        The breakpoint whose boundary separates the pair (the one that first drew the shared
        edge when several breakpoints coincide there).

    ``len(adj)`` is the number of pairs P. Regions touching at a single point are not adjacent.

    Examples
    --------
    The four quadrants cut out of [-1, 1]^2 by x = 0 and y = 0:

    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    >>> adj = part.adjacency()
    >>> len(adj)  # diagonal quadrants only share the origin
    4
    >>> r = part.locate([[0.5, 0.5], [-0.5, 0.5]])  # two quadrants across x = 0
    >>> i = adj.pairs.tolist().index(sorted(r.tolist()))
    >>> int(adj.layer[i]), int(adj.unit[i])  # unit 0 draws x = 0
    (1, 0)
    """

    pairs: np.ndarray
    layer: np.ndarray
    unit: np.ndarray
    switch: np.ndarray

    def __len__(self) -> int:
        return len(self.pairs)


@dataclass(frozen=True, eq=False)
class LinearRegions:
    """Activation regions merged where adjacent regions compute the same affine map.

    Attributes
    ----------
    labels : ndarray, shape (R,)
        Linear-region index of every activation region.
    n : int
        Number of linear regions (connected pieces on which the model is one affine map).

    ``len(lin)`` is ``lin.n``.

    Examples
    --------
    ``relu(x)`` computed through two units, the second one (``relu(y)``) unused: the four
    activation regions merge into two linear regions, the half planes x < 0 and x > 0.

    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> with torch.no_grad():
    ...     _ = model[0].weight.copy_(torch.eye(2))
    ...     _ = model[0].bias.zero_()
    ...     _ = model[2].weight.copy_(torch.tensor([[1.0, 0.0]]))
    ...     _ = model[2].bias.zero_()
    >>> part = regions.decompose(model, (-1, 1, -1, 1))
    >>> lin = part.linear_regions()
    >>> len(part), lin.n
    (4, 2)
    >>> r = part.locate([[0.5, 0.5], [0.5, -0.5], [-0.5, 0.5]])
    >>> (lin.labels[r] == lin.labels[r[0]]).tolist()  # both x > 0 quadrants share a label
    [True, True, False]
    """

    labels: np.ndarray
    n: int

    def __len__(self) -> int:
        return self.n


@dataclass(frozen=True, eq=False)
class DecisionBoundary:
    """The exact set where the predicted class changes.

    Attributes
    ----------
    segments : ndarray, shape (E, 2, 2)
        Straight pieces of the boundary, one per region they cross (plane coordinates).

    ``len(db)`` is the number of segments E.

    Examples
    --------
    ``relu(x) + relu(y) > 0`` everywhere but the closed third quadrant, so on [-1, 1]^2 the
    boundary is the two unit segments from (-1, 0) to the origin to (0, -1):

    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    >>> db = part.decision_boundary()
    >>> len(db), db.length
    (2, 2.0)
    >>> db.to_shapely().wkt
    'MULTILINESTRING ((-1 0, 0 0, 0 -1))'
    """

    segments: np.ndarray

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def length(self) -> float:
        """Total length (plane units).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> net = line_arrangement([[1, 0]], [0])  # relu(x) > 0 right of x = 0
        >>> regions.decompose(net, (-1, 1, -2, 2)).decision_boundary().length
        4.0
        """
        return float(np.linalg.norm(self.segments[:, 1] - self.segments[:, 0], axis=1).sum())

    def to_shapely(self) -> shapely.MultiLineString:
        """The boundary as polylines: segments merged end to end.

        Returns
        -------
        shapely.MultiLineString
            One LineString per connected polyline (empty if the class never changes).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> lines = part.decision_boundary().to_shapely()
        >>> len(lines.geoms), lines.length
        (1, 2.0)
        """
        merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(self.segments)))
        if isinstance(merged, shapely.LineString):
            return shapely.MultiLineString([merged]) if not merged.is_empty else merged
        return merged


@dataclass(frozen=True, eq=False)
class Partition:
    """A piecewise-linear model's regions over a 2D domain.

    Regions are convex polygons (pieces of them on a non-convex domain) on which the model's
    activation pattern, and therefore its affine map, is constant. Every per-region array has
    one row per region, in the same order. Use :func:`regions.decompose` to build one.

    Attributes
    ----------
    network : Network
        The traced model.
    domain : Domain
        Where the partition lives (plane coordinates).
    plane : Plane
        Map from plane coordinates to the model's input space.
    depth : int
        Number of activation layers drawn (``network.n_layers`` unless from :meth:`at_depth`).
    switches : Switches
        What each pattern column means.
    vertices : ndarray, shape (V, 2)
        Vertex pool of the convex cells (shared between neighbouring cells).
    ring, start, edge_label : ndarray
        Cells as ragged rings of vertex ids (counter-clockwise) and the label of each edge.
    cell_bits : ndarray of uint8, shape (C, ceil(S / 8))
        Activation pattern of every convex cell, packed (``np.packbits``); affine maps are
        derived from it on demand.
    levels : tuple of Level
        Snapshots after each activation layer, for :meth:`at_depth`.

    R is the number of regions (``len(part)``), C of convex cells (equal to R on a convex
    domain), S of breakpoints (pattern columns). Lengths are in plane units, areas in squared
    plane units.

    Examples
    --------
    ``f(x, y) = relu(x) + relu(y) - relu(x + y) - 1/2``: three lines through the origin cut
    the default box [-2, 2]^2 into 6 regions.

    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> with torch.no_grad():
    ...     _ = model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    ...     _ = model[0].bias.zero_()
    ...     _ = model[2].weight.copy_(torch.tensor([[1.0, 1.0, -1.0]]))
    ...     _ = model[2].bias.fill_(-0.5)
    >>> part = regions.decompose(model)
    >>> part
    Partition(6 regions, depth 1 of 1, 3 breakpoints, domain area 16)
    >>> len(part), float(part.areas.sum())  # the regions tile the domain
    (6, 16.0)
    >>> sorted(part.areas.tolist())  # two quadrants, and two quadrants halved by x + y = 0
    [2.0, 2.0, 2.0, 2.0, 4.0, 4.0]

    Which region holds a point, its activation pattern and its affine map ``A @ (x, y) + c``:

    >>> r = part.locate([[1.0, 1.0], [-1.0, 0.5], [3.0, 0.0]])
    >>> int(r[2])  # outside the domain
    -1
    >>> part.patterns[r[:2]].astype(int).tolist()  # columns: x > 0, y > 0, x + y > 0
    [[1, 1, 1], [0, 1, 0]]
    >>> A, c = part.affine()  # A (R, 1, 2), c (R, 1)
    >>> A[r[:2], 0].tolist(), c[r[:2], 0].tolist()  # f = -1/2 there, f = y - 1/2 here
    ([[0.0, 0.0], [0.0, 1.0]], [-0.5, -0.5])

    Coarser views, merged regions, the decision boundary (f = 0) and shapely output:

    >>> part.counts_by_depth().tolist()
    [1, 6]
    >>> len(part.at_depth(0)), part.linear_regions().n
    (1, 6)
    >>> part.decision_boundary().to_shapely().wkt
    'MULTILINESTRING ((-2 0.5, -0.5 0.5, -0.5 2), (2 -0.5, 0.5 -0.5, 0.5 -2))'
    >>> part.predicted_region(1).area  # where f > 0: two corner squares of side 1.5
    4.5
    >>> sorted(round(g.area, 6) for g in part.to_shapely())
    [2.0, 2.0, 2.0, 2.0, 4.0, 4.0]
    """

    network: Network
    domain: Domain
    plane: Plane
    depth: int
    switches: Switches
    vertices: np.ndarray
    ring: np.ndarray
    start: np.ndarray
    edge_label: np.ndarray
    cell_bits: np.ndarray
    levels: tuple[Level, ...]

    # ----------------------------------------------------------------- regions of the domain
    @property
    def n_cells(self) -> int:
        """Number C of convex cells (equal to ``len(self)`` on a convex domain).

        Examples
        --------
        >>> import regions
        >>> from shapely import Polygon
        >>> from regions.constructions import line_arrangement
        >>> ell = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
        >>> part = regions.decompose(line_arrangement([[1, 1]], [-2.5]), ell)  # x + y = 2.5
        >>> part.n_cells, len(part)  # the cell beyond the line meets the L in two pieces
        (2, 3)
        """
        return len(self.start) - 1

    @cached_property
    def _clipped(self) -> tuple[np.ndarray, np.ndarray] | None:
        """For non-convex domains: (cell of each region (R,), region geometries (R,))."""
        if self.domain.convex:
            return None
        pieces = shapely.intersection(self.cell_geometries(), self.domain.polygon)
        parts, cell = shapely.get_parts(pieces, return_index=True)
        keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
        return cell[keep], shapely.orient_polygons(parts[keep])

    @cached_property
    def region_cell(self) -> np.ndarray:
        """Convex cell (R,) that each region lies in (the identity on convex domains).

        Examples
        --------
        >>> import regions
        >>> from shapely import Polygon
        >>> from regions.constructions import line_arrangement
        >>> ell = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
        >>> part = regions.decompose(line_arrangement([[1, 1]], [-2.5]), ell)  # x + y = 2.5
        >>> part.region_cell.tolist()  # regions 0 and 1 are the two pieces of cell 0
        [0, 0, 1]
        >>> part.areas.tolist()
        [0.125, 0.125, 2.75]
        """
        clipped = self._clipped
        return np.arange(self.n_cells) if clipped is None else clipped[0]

    def __len__(self) -> int:
        """Number R of regions."""
        return len(self.region_cell)

    def __repr__(self) -> str:
        return (
            f"Partition({len(self)} regions, depth {self.depth} of {self.network.n_layers}, "
            f"{self.n_switches} breakpoints, "
            f"domain area {self.domain.area:g})"
        )

    @property
    def n_layers(self) -> int:
        """Number of activation layers drawn (same as ``depth``).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.n_layers, part.at_depth(1).n_layers
        (3, 1)
        """
        return self.depth

    @property
    def n_switches(self) -> int:
        """Number of pattern columns: the breakpoints of the first ``depth`` layers.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.n_switches, part.at_depth(1).n_switches  # 2 ReLU units per layer
        (6, 2)
        """
        return int(np.count_nonzero(self.switches.layer <= self.depth))

    @cached_property
    def cell_patterns(self) -> np.ndarray:
        """Activation pattern (C, S) bool of every convex cell (``cell_bits`` unpacked).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.cell_patterns.shape, part.cell_bits.shape
        ((8, 6), (8, 1))
        """
        return np.unpackbits(self.cell_bits, axis=1, count=self.n_switches).astype(bool)

    @property
    def patterns(self) -> np.ndarray:
        """Activation pattern (R, S) bool: region on the positive side of each breakpoint.

        Column ``j`` is breakpoint ``j`` of :attr:`switches`: true where the unit's
        preactivation exceeds ``switches.threshold[j]``. Patterns are distinct on a convex
        domain (each region is one pattern's set).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> part.patterns[part.locate([[0.5, -0.5]])].tolist()  # x > 0, y < 0
        [[True, False]]
        >>> len({tuple(row) for row in part.patterns.tolist()})  # 4 distinct patterns
        4
        """
        return self.cell_patterns[self.region_cell]

    def layer_patterns(self, layer: int) -> np.ndarray:
        """The pattern columns (R, S_layer) of activation layer ``layer`` (1-based).

        Raises
        ------
        ValueError
            Unless ``1 <= layer <= depth``.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.layer_patterns(3).shape
        (8, 2)
        >>> len({tuple(row) for row in part.layer_patterns(1).tolist()})  # x < 1/2 or not
        2
        """
        self._check_layer(layer)
        return self.patterns[:, self.switches.columns(layer)]

    # ------------------------------------------------------------------------- geometry
    def cell_geometries(self) -> np.ndarray:
        """The convex cells as an array (C,) of shapely Polygons.

        On a non-convex domain these are the unclipped cells on its hull; see
        :meth:`to_shapely` for the regions themselves.

        Examples
        --------
        >>> import regions
        >>> from shapely import Polygon
        >>> from regions.constructions import line_arrangement
        >>> ell = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
        >>> part = regions.decompose(line_arrangement([[1, 1]], [-2.5]), ell)  # x + y = 2.5
        >>> [g.area for g in part.cell_geometries()]  # the hull has area 3.5
        [0.625, 2.875]
        """
        coords = self.vertices[self.ring]
        return shapely.polygons(
            shapely.linearrings(
                coords, indices=np.repeat(np.arange(self.n_cells), np.diff(self.start))
            )
        )

    def to_shapely(self) -> np.ndarray:
        """The regions as an array (R,) of shapely Polygons (with holes if the domain has any).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> polys = part.to_shapely()
        >>> polys.shape, [g.area for g in polys]
        ((4,), [1.0, 1.0, 1.0, 1.0])
        """
        clipped = self._clipped
        return self.cell_geometries() if clipped is None else clipped[1]

    @cached_property
    def polygons(self) -> tuple[np.ndarray, ...]:
        """Counter-clockwise vertex arrays (k_i, 2) of every region (exterior rings if clipped).

        A tuple of R arrays, without the closing vertex.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> [len(poly) for poly in part.polygons]  # four squares
        [4, 4, 4, 4]
        >>> part.polygons[part.locate([[0.5, 0.5]])[0]].tolist()
        [[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
        """
        clipped = self._clipped
        if clipped is None:
            return tuple(np.split(self.vertices[self.ring], self.start[1:-1]))
        return tuple(np.asarray(g.exterior.coords)[:-1] for g in clipped[1])

    def _cell_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Areas (C,) and centroids (C, 2) of the convex cells (shoelace, about the vertex mean)."""
        lengths = np.diff(self.start)
        xy = self.vertices[self.ring]
        mean = segment_sum(xy, self.start) / lengths[:, None]
        p = xy - np.repeat(mean, lengths, axis=0)
        q = p[self._next]
        cross = p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]
        area = 0.5 * segment_sum(cross, self.start)
        moment = segment_sum((p + q) * cross[:, None], self.start) / 6.0
        with np.errstate(invalid="ignore", divide="ignore"):
            centroid = mean + np.where(area[:, None] > 0, moment / area[:, None], 0.0)
        return area, centroid

    @cached_property
    def areas(self) -> np.ndarray:
        """Region areas (R,), in squared plane units.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.areas.round(12).tolist()
        [0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125]
        """
        clipped = self._clipped
        return self._cell_moments()[0] if clipped is None else shapely.area(clipped[1])

    @cached_property
    def centroids(self) -> np.ndarray:
        """Region centroids (R, 2), in plane coordinates.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> sorted(part.centroids[:, 0].round(12).tolist())[:3]  # strip centres
        [0.0625, 0.1875, 0.3125]
        >>> set(part.centroids[:, 1].round(12).tolist())
        {0.5}
        """
        clipped = self._clipped
        if clipped is None:
            return self._cell_moments()[1]
        return shapely.get_coordinates(shapely.centroid(clipped[1]))

    @cached_property
    def points(self) -> np.ndarray:
        """One point (R, 2) strictly inside every region (vertex mean of the convex cell).

        On a non-convex domain, a point on the surface of each clipped region instead.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> import numpy as np
        >>> bool(np.array_equal(part.locate(part.points), np.arange(len(part))))
        True
        """
        clipped = self._clipped
        if clipped is None:
            return segment_sum(self.vertices[self.ring], self.start) / np.diff(self.start)[:, None]
        return shapely.get_coordinates(shapely.point_on_surface(clipped[1]))

    # -------------------------------------------------------------------- affine maps
    def affine(
        self, layer: int | None = None, *, pre: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Affine maps of the output (or of a hidden layer) on every region.

        Parameters
        ----------
        layer : int, optional
            1-based activation layer; None for the model's output (logits).
        pre : bool
            With ``layer``: the layer's preactivations instead of its activations.

        Returns
        -------
        A : ndarray, shape (R, width, 2)
            Gradient with respect to the plane coordinates (u, v).
        c : ndarray, shape (R, width)
            Value at (u, v) = (0, 0): the map is ``A @ (u, v) + c``.

        Raises
        ------
        ValueError
            For the output of a partition from :meth:`at_depth` below full depth, or a
            ``layer`` outside 1..depth.

        Examples
        --------
        ``sawtooth(2)`` has slopes +-4 in x and none in y:

        >>> import numpy as np
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(2), (0, 1, 0, 1))
        >>> A, c = part.affine()
        >>> A.shape, c.shape
        ((4, 1, 2), (4, 1))
        >>> r = part.locate([[0.1, 0.5], [0.3, 0.5]])
        >>> A[r, 0].tolist(), c[r, 0].tolist()  # 4 x, then 2 - 4 x
        ([[4.0, 0.0], [-4.0, 0.0]], [0.0, 2.0])

        The maps agree with the model at interior points:

        >>> x = part.points
        >>> out, _ = part.network.forward(x)
        >>> bool(np.allclose(np.einsum("rij,rj->ri", A, x) + c, out))
        True

        Hidden layers: first-layer preactivations x and x - 1/2, on every region:

        >>> A1, c1 = part.affine(layer=1, pre=True)
        >>> A1[0].tolist(), c1[0].tolist()
        ([[1.0, 0.0], [1.0, 0.0]], [0.0, -0.5])
        """
        if layer is None:
            A, c = self._output_maps
        else:
            self._check_layer(layer)
            act = self.network.activations[layer - 1]
            node = act.src if pre else self.network.nodes.index(act)
            A, c = node_maps(self.network, self.plane.map, self.cell_bits, self.switches, node)
        return A[self.region_cell], c[self.region_cell]

    @cached_property
    def _output_maps(self) -> tuple[np.ndarray, np.ndarray]:
        """Output maps (C, m, 2), (C, m) of the cells, computed once on first use."""
        if self.depth < self.network.n_layers:
            raise ValueError(
                f"the output is not affine on the regions of a depth-{self.depth} partition; "
                "ask for affine(layer=k) with k <= depth, or use the full partition"
            )
        return node_maps(
            self.network, self.plane.map, self.cell_bits, self.switches, self.network.output
        )

    def _check_layer(self, layer: int) -> None:
        if not 1 <= layer <= self.depth:
            raise ValueError(
                f"layer must be in 1..{self.depth} (1-based activation layer), got {layer}"
            )

    # ------------------------------------------------------------------ point location
    @cached_property
    def _pattern_table(self) -> tuple[np.ndarray, np.ndarray]:
        keys = _row_keys(self.cell_bits)
        order = np.argsort(keys, kind="stable")
        return keys[order], order

    def _point_patterns(self, points: np.ndarray) -> np.ndarray:
        """Activation patterns (N, S) of the model at plane points, columns as ``switches``."""
        _, pre = self.network.forward(self.plane.to_input(points))
        acts = self.network.activations[: self.depth]
        # Unit-major, breakpoint-minor: the order in which the switches were cut.
        cols = [
            (z[:, :, None] > a.thresholds).reshape(len(z), -1)
            for z, a in zip(pre[: self.depth], acts, strict=True)
        ]
        return np.concatenate(cols, axis=1) if cols else np.zeros((len(points), 0), dtype=bool)

    def locate(self, points: np.ndarray) -> np.ndarray:
        """Index of the region containing each point; -1 outside the domain.

        A point on a boundary gets one of the regions it touches. Found from the model's own
        activation pattern at the point, confirmed by a point-in-polygon test (a unit that sits
        at its breakpoint on a whole region makes its bit a matter of rounding), with a
        geometric search as fallback.

        Parameters
        ----------
        points : ndarray, shape (N, 2)
            Plane coordinates.

        Returns
        -------
        ndarray, shape (N,), int
            Region index per point, -1 for points outside the domain.

        Raises
        ------
        ValueError
            If ``points`` is not (N, 2).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> r = part.locate([[0.05, 0.5], [0.06, 0.9], [2.0, 0.5]])
        >>> bool(r[0] == r[1]), int(r[2])  # the same strip; outside the domain
        (True, -1)
        >>> import numpy as np
        >>> centres = np.linspace([0.0625, 0.5], [0.9375, 0.5], 8)  # one point per strip
        >>> sorted(part.locate(centres).tolist())
        [0, 1, 2, 3, 4, 5, 6, 7]
        """
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"points must have shape (N, 2), got {points.shape}")
        cell = np.full(len(points), -1, dtype=np.int64)
        inside = shapely.intersects_xy(self.domain.polygon, points[:, 0], points[:, 1])
        if inside.any():
            keys, order = self._pattern_table
            q = _row_keys(np.packbits(self._point_patterns(points[inside]), axis=1))
            pos = np.clip(np.searchsorted(keys, q), 0, len(keys) - 1)
            found = np.where(keys[pos] == q, order[pos], -1)
            missing = np.flatnonzero(~self._contains(found, points[inside]))
            found[missing] = self._locate_geometric(points[inside][missing])
            cell[inside] = found
        if self._clipped is None:
            return cell
        return self._cell_to_region(points, cell)

    @cached_property
    def _edge_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per ring position: edge start (I, 2), edge vector (I, 2), and the tolerance of the
        side test (I,): boundary points within 1e-12 of the domain's diameter count inside."""
        a = self.vertices[self.ring]
        edge = self.vertices[self.ring[self._next]] - a
        return a, edge, np.linalg.norm(edge, axis=1) * self.domain.diameter * 1e-12

    def _contains(self, cells: np.ndarray, points: np.ndarray) -> np.ndarray:
        """Whether each point (N, 2) lies in its cell (N,) (boundary inclusive; -1: no)."""
        ok = cells >= 0
        if not ok.any():
            return ok
        inc, owner, _ = expand(self.start[cells[ok]], np.diff(self.start)[cells[ok]])
        a, edge, tol = self._edge_vectors
        d = points[ok][owner] - a[inc]
        outside = edge[inc, 0] * d[:, 1] - edge[inc, 1] * d[:, 0] < -tol[inc]
        ok[ok] = ~segment_any(outside, offsets(np.diff(self.start)[cells[ok]]))
        return ok

    def _locate_geometric(self, points: np.ndarray) -> np.ndarray:
        """Cells containing points (boundary inclusive), by half-plane tests; -1 if none."""
        out = np.full(len(points), -1, dtype=np.int64)
        a, edge, tol = self._edge_vectors
        for i, p in enumerate(points):  # only points the pattern lookup missed (degenerate nets)
            d = p - a
            inside = edge[:, 0] * d[:, 1] - edge[:, 1] * d[:, 0] >= -tol
            hit = np.flatnonzero(~segment_any(~inside, self.start))
            out[i] = hit[0] if hit.size else -1
        return out

    def _cell_to_region(self, points: np.ndarray, cell: np.ndarray) -> np.ndarray:
        region_cell, geoms = self._clipped
        region = np.full(len(points), -1, dtype=np.int64)
        order = np.argsort(region_cell, kind="stable")
        first = np.searchsorted(region_cell[order], np.arange(self.n_cells))
        last = np.searchsorted(region_cell[order], np.arange(self.n_cells), side="right")
        todo = np.flatnonzero(cell >= 0)
        for rank in range(int((last - first).max(initial=0))):
            idx = todo[first[cell[todo]] + rank < last[cell[todo]]]
            r = order[first[cell[idx]] + rank]
            hit = shapely.intersects_xy(geoms[r], points[idx, 0], points[idx, 1]) & (
                region[idx] < 0
            )
            region[idx[hit]] = r[hit]
        return region

    # --------------------------------------------------------------- edges and neighbours
    @cached_property
    def _next(self) -> np.ndarray:
        """Ring position (I,) of the next vertex of the same cell."""
        nxt = np.arange(1, len(self.ring) + 1)
        nxt[self.start[1:] - 1] = self.start[:-1]
        return nxt

    @cached_property
    def _edge_keys(self) -> np.ndarray:
        """One key (I,) per directed cell edge, equal for the two directions of an edge."""
        u, v = self.ring, self.ring[self._next]
        return np.minimum(u, v) * len(self.vertices) + np.maximum(u, v)

    @cached_property
    def _twins(self) -> tuple[np.ndarray, np.ndarray]:
        """Ring positions (a, b) of the two sides of every interior edge (the mesh is
        conforming, so each interior edge appears once in each neighbouring cell)."""
        order = np.argsort(self._edge_keys, kind="stable")
        k = self._edge_keys[order]
        twin = np.flatnonzero(k[1:] == k[:-1])
        return order[twin], order[twin + 1]

    @cached_property
    def _owner(self) -> np.ndarray:
        """Cell (I,) owning each ring position."""
        return np.repeat(np.arange(self.n_cells), np.diff(self.start))

    @cached_property
    def _cell_adjacency(self) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (P, 2) of cells sharing an edge, and the label of that edge."""
        a, b = self._twins
        pairs = np.sort(np.stack([self._owner[a], self._owner[b]], axis=1), axis=1)
        pairs, idx = np.unique(pairs, axis=0, return_index=True)
        return pairs.reshape(-1, 2), self.edge_label[a][idx]

    def adjacency(self) -> Adjacency:
        """Neighbouring regions and the breakpoint whose boundary separates them.

        Returns
        -------
        Adjacency
            Pairs (P, 2) of regions sharing a boundary of positive length, and the layer,
            unit and switch of that boundary.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> adj = part.adjacency()
        >>> len(adj)  # 8 strips in a row
        7
        >>> sorted(adj.layer.tolist())  # boundaries drawn by layers 1, 2, 3
        [1, 2, 2, 3, 3, 3, 3]
        """
        pairs, sw = self._cell_adjacency
        if self._clipped is not None:
            pairs, sw = self._clip_pairs(pairs, sw)
        return Adjacency(pairs, self.switches.layer[sw], self.switches.unit[sw], sw)

    def _clip_pairs(self, pairs: np.ndarray, sw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Region pairs from cell pairs: pieces whose boundaries share a positive length."""
        region_cell, geoms = self._clipped
        order = np.argsort(region_cell, kind="stable")
        counts = np.bincount(region_cell, minlength=self.n_cells)
        first = offsets(counts)
        # Every (region of cell a) x (region of cell b) candidate, usually exactly one.
        na, nb = counts[pairs[:, 0]], counts[pairs[:, 1]]
        rep = na * nb
        idx, owner, local = expand(np.zeros(len(pairs), dtype=np.int64), rep)
        ra = order[first[pairs[owner, 0]] + local // nb[owner]]
        rb = order[first[pairs[owner, 1]] + local % nb[owner]]
        shared = shapely.length(
            shapely.intersection(shapely.boundary(geoms[ra]), shapely.boundary(geoms[rb]))
        )
        keep = shared > 1e-12 * self.domain.diameter
        return np.sort(np.stack([ra[keep], rb[keep]], 1), axis=1), sw[owner[keep]]

    def boundaries(self, *, include_domain: bool = False) -> Boundaries:
        """Every boundary segment, each once, labelled by the layer and unit that drew it.

        Parameters
        ----------
        include_domain : bool
            Also return the domain's own boundary (layer 0, unit -1).

        Returns
        -------
        Boundaries
            Segments (E, 2, 2) with their layer, unit and switch (E,).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> b = part.boundaries()
        >>> len(b), b.segments.shape  # 7 vertical lines
        (7, (7, 2, 2))
        >>> import numpy as np
        >>> np.bincount(b.layer).tolist()  # none on the domain, then 1, 2 and 4 per layer
        [0, 1, 2, 4]
        >>> len(part.boundaries(include_domain=True))  # + 2 sides + 8 + 8 strip ends
        25
        """
        _, first = np.unique(self._edge_keys, return_index=True)
        first = first[(self.edge_label[first] != DOMAIN_EDGE) | include_domain]
        ends = self.ring[first], self.ring[self._next[first]]
        segments = np.stack([self.vertices[ends[0]], self.vertices[ends[1]]], axis=1)
        sw = self.edge_label[first]
        if self._clipped is not None:
            segments, keep = _clip_segments(segments, self.domain.polygon)
            sw = sw[keep]
            if include_domain:
                ring_segments = _polygon_segments(self.domain.polygon)
                segments = np.concatenate([segments[sw != DOMAIN_EDGE], ring_segments])
                sw = np.concatenate(
                    [sw[sw != DOMAIN_EDGE], np.full(len(ring_segments), DOMAIN_EDGE)]
                )
        on_domain = sw == DOMAIN_EDGE
        layer = np.where(on_domain, 0, self.switches.layer[sw] if sw.size else sw)
        unit = np.where(on_domain, -1, self.switches.unit[sw] if sw.size else sw)
        return Boundaries(segments, layer, unit, np.where(on_domain, -1, sw))

    def euler_characteristic(self) -> int:
        """V - E + F of the cells' planar subdivision: 1 for a conforming tiling of a convex
        domain, which every decomposition must be.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.euler_characteristic()
        1
        """
        n_edges = np.unique(self._edge_keys).size
        return np.unique(self.ring).size - n_edges + self.n_cells

    # ------------------------------------------------------------------- coarser views
    def at_depth(self, k: int) -> Partition:
        """The coarser partition drawn by the first ``k`` activation layers (0 <= k <= depth).

        Parameters
        ----------
        k : int
            Number of activation layers; 0 gives the whole domain as one region.

        Returns
        -------
        Partition
            Same network, domain and vertex pool, with ``depth == k``. Its output maps are
            not defined below full depth; hidden maps ``affine(layer=j)``, j <= k, are.

        Raises
        ------
        ValueError
            Unless ``0 <= k <= depth``.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.at_depth(2)
        Partition(4 regions, depth 2 of 3, 4 breakpoints, domain area 1)
        >>> len(part.at_depth(0)), part.at_depth(3) is part
        (1, True)
        """
        if not 0 <= k <= self.depth:
            raise ValueError(f"k must be in 0..{self.depth}, got {k}")
        if k == self.depth:
            return self
        if k == 0:
            return _whole_domain(self)
        level = self.levels[k - 1]
        return Partition(
            network=self.network,
            domain=self.domain,
            plane=self.plane,
            depth=k,
            switches=self.switches,
            vertices=self.vertices,
            ring=level.ring,
            start=level.start,
            edge_label=level.edge_label,
            cell_bits=stack_levels(self.levels[:k]),
            levels=self.levels[:k],
        )

    def counts_by_depth(self) -> np.ndarray:
        """Region counts (depth + 1,) of ``at_depth(0), ..., at_depth(depth)``.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.counts_by_depth().tolist()
        [1, 2, 4, 8]
        """
        return np.array([len(self.at_depth(k)) for k in range(self.depth + 1)])

    def linear_regions(self, *, rtol: float = 1e-9) -> LinearRegions:
        """Merge adjacent regions whose output affine maps agree (relative tolerance ``rtol``).

        Parameters
        ----------
        rtol : float
            Two maps agree when every entry of ``A`` and ``c`` differs by at most ``rtol``
            times the largest absolute entry over all regions.

        Returns
        -------
        LinearRegions
            A label (R,) per region and the number of linear regions; regions are merged
            transitively through adjacency, so equal maps on separated regions stay distinct.

        Examples
        --------
        ``relu(x) + relu(-x) = |x|``: the two units switch on the same line, so their
        patterns differ but no two adjacent regions share a map:

        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [-1, 0]], [0, 0]), (-1, 1, -1, 1))
        >>> len(part), part.linear_regions().n
        (2, 2)

        See :class:`LinearRegions` for regions that merge.
        """
        A, c = self.affine()
        pairs = self.adjacency().pairs
        scale = max(float(np.abs(A).max(initial=0)), float(np.abs(c).max(initial=0)), 1e-300)
        same = np.ones(len(pairs), dtype=bool)
        if len(pairs):
            dA = np.abs(A[pairs[:, 0]] - A[pairs[:, 1]]).reshape(len(pairs), -1).max(axis=1)
            dc = np.abs(c[pairs[:, 0]] - c[pairs[:, 1]]).max(axis=1)
            same = np.maximum(dA, dc) <= rtol * scale
        n = len(self)
        graph = coo_matrix((np.ones(same.sum()), tuple(pairs[same].T)), shape=(n, n))
        n_lin, labels = connected_components(graph, directed=False)
        return LinearRegions(labels=labels, n=int(n_lin))

    # ------------------------------------------------------------------ decisions
    @cached_property
    def _class_cells(self) -> tuple[Partition, np.ndarray]:
        """The cells cut further where the predicted class changes, and each piece's class."""
        self._output_maps  # noqa: B018  (raises below full depth)
        logits, _ = self.network.forward(self.plane.to_input(self.vertices))
        mesh = Mesh.from_cells(self.vertices, self.ring, self.start, self.edge_label, logits.T)
        m = logits.shape[1]
        pairs = [(0, None)] if m == 1 else [(i, j) for i in range(m) for j in range(i + 1, m)]
        for i, j in pairs:
            s = mesh.values[i] if j is None else mesh.values[j] - mesh.values[i]
            scale = float(np.abs(s).max())
            if scale > 0:
                mesh.cut(s, 1e-10 * scale, DOMAIN_EDGE - 1)
        mean = segment_sum(mesh.values[:, mesh.ring].T, mesh.start) / mesh.length[:, None]
        cls = (mean[:, 0] > 0).astype(np.int64) if m == 1 else mean.argmax(axis=1)
        cells = Partition(
            network=self.network,
            domain=self.domain,
            plane=self.plane,
            depth=self.depth,
            switches=self.switches,
            vertices=mesh.xy.copy(),
            ring=mesh.ring,
            start=mesh.start,
            edge_label=mesh.label,
            cell_bits=self.cell_bits[mesh.parent],
            levels=(),
        )
        return cells, cls

    def decision_boundary(self) -> DecisionBoundary:
        """The exact boundary where the predicted class (argmax of the logits, or logit > 0 for
        one output) changes, as straight segments.

        Returns
        -------
        DecisionBoundary
            Segments (E, 2, 2), in plane coordinates.

        Raises
        ------
        ValueError
            Below full depth (a partition from :meth:`at_depth`).

        Examples
        --------
        A two-class net predicting class 1 where y > x:

        >>> import torch
        >>> import regions
        >>> from torch.nn import Linear, ReLU, Sequential
        >>> model = Sequential(Linear(2, 2), ReLU(), Linear(2, 2))
        >>> with torch.no_grad():
        ...     _ = model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        ...     _ = model[0].bias.fill_(2.0)  # relu(x + 2) = x + 2 on the box
        ...     _ = model[2].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        ...     _ = model[2].bias.zero_()
        >>> db = regions.decompose(model, (-1, 1, -1, 1)).decision_boundary()
        >>> db.to_shapely().wkt
        'MULTILINESTRING ((-1 -1, 1 1))'
        >>> round(db.length, 6)  # 2 sqrt(2)
        2.828427
        """
        cells, cls = self._class_cells
        a, b = cells._twins
        e = a[cls[cells._owner[a]] != cls[cells._owner[b]]]
        ends = cells.ring[e], cells.ring[cells._next[e]]
        segments = np.stack([cells.vertices[ends[0]], cells.vertices[ends[1]]], axis=1)
        if self._clipped is not None:
            segments, _ = _clip_segments(segments, self.domain.polygon)
        return DecisionBoundary(segments)

    def predicted_region(self, cls: int = 1) -> shapely.Geometry:
        """Exact region of the domain where the model predicts class ``cls`` (shapely geometry).

        Parameters
        ----------
        cls : int
            Class index, 0 .. n_outputs - 1; for one output, 1 where the logit is > 0 and 0
            elsewhere.

        Returns
        -------
        shapely.Geometry
            A Polygon or MultiPolygon (empty if the class is never predicted), clipped to a
            non-convex domain.

        Raises
        ------
        ValueError
            For a class out of range, or below full depth.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> part.predicted_region(1).area, part.predicted_region(0).area  # relu(x) + relu(y) > 0
        (3.0, 1.0)
        >>> part.predicted_region(0).bounds  # the third quadrant
        (-1.0, -1.0, 0.0, 0.0)
        """
        cells, labels = self._class_cells
        m = self.network.n_outputs
        if not 0 <= cls < max(m, 2):
            raise ValueError(f"cls must be in 0..{max(m, 2) - 1}, got {cls}")
        geoms = cells.cell_geometries()[labels == cls]
        region = shapely.coverage_union_all(geoms) if len(geoms) else shapely.Polygon()
        return region if self.domain.convex else shapely.intersection(region, self.domain.polygon)

    def local_counts(self, points: np.ndarray, radius: float) -> np.ndarray:
        """Regions meeting the open disc of ``radius`` about each point (N,): see
        :func:`regions.local.local_counts`."""
        from .local import local_counts

        return local_counts(self, points, radius)

    def local_density(self, points: np.ndarray, radius: float) -> np.ndarray:
        """``local_counts / (pi radius^2)`` (N,), regions per squared plane unit: see
        :func:`regions.local.local_density`."""
        from .local import local_density

        return local_density(self, points, radius)


def _row_keys(packed: np.ndarray) -> np.ndarray:
    """One comparable key per row of packed bits."""
    packed = np.ascontiguousarray(packed)
    return (
        packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        if packed.shape[1]
        else np.zeros(len(packed), dtype="V1")
    )


def _clip_segments(segments: np.ndarray, polygon: shapely.Polygon) -> tuple[np.ndarray, np.ndarray]:
    """Pieces (E', 2, 2) of segments inside a polygon, and the source index (E',) of each."""
    pieces = shapely.intersection(shapely.linestrings(segments), polygon)
    parts, index = shapely.get_parts(pieces, return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)
    parts, index = parts[keep], index[keep]
    ends = np.stack(
        [
            shapely.get_coordinates(shapely.get_point(parts, 0)),
            shapely.get_coordinates(shapely.get_point(parts, -1)),
        ],
        axis=1,
    )
    return ends.reshape(-1, 2, 2), index


def _polygon_segments(polygon: shapely.Polygon) -> np.ndarray:
    """Segments (E, 2, 2) of a polygon's exterior and interior rings."""
    rings = [polygon.exterior, *polygon.interiors]
    return np.concatenate(
        [np.stack([np.asarray(r.coords)[:-1], np.asarray(r.coords)[1:]], axis=1) for r in rings]
    )


def _whole_domain(part: Partition) -> Partition:
    """The depth-0 partition: the domain's hull as a single cell."""
    hull = part.domain.hull
    return Partition(
        network=part.network,
        domain=part.domain,
        plane=part.plane,
        depth=0,
        switches=part.switches,
        vertices=hull,
        ring=np.arange(len(hull)),
        start=np.array([0, len(hull)]),
        edge_label=np.full(len(hull), DOMAIN_EDGE),
        cell_bits=np.zeros((1, 0), dtype=np.uint8),
        levels=(),
    )
