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
    """

    layer: np.ndarray
    unit: np.ndarray
    threshold: np.ndarray

    def columns(self, layer: int) -> np.ndarray:
        """Pattern columns (switch indices) of activation layer ``layer``."""
        return np.flatnonzero(self.layer == layer)

    def pieces(self, patterns: np.ndarray, net: Network, depth: int) -> list[np.ndarray]:
        """Piece index (R, width) of every unit of layers 1..depth: breakpoints exceeded."""
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
    """

    ring: np.ndarray
    start: np.ndarray
    edge_label: np.ndarray
    parent: np.ndarray
    bits: np.ndarray
    n_bits: int

    @property
    def n_regions(self) -> int:
        return len(self.start) - 1


def stack_levels(levels: tuple[Level, ...], chunk: int = 1 << 16) -> np.ndarray:
    """Packed patterns (R, ceil(S / 8)) of the last level's regions.

    Each level's bits are read through the region's ancestor at that level; rows are
    assembled in chunks so the unpacked bits never exist for all regions at once.
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
    """

    segments: np.ndarray
    layer: np.ndarray
    unit: np.ndarray
    switch: np.ndarray

    def __len__(self) -> int:
        return len(self.segments)

    def to_shapely(self) -> np.ndarray:
        """The segments as an array (E,) of shapely LineStrings."""
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
        Straight pieces of the boundary, one per region they cross.
    """

    segments: np.ndarray

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def length(self) -> float:
        """Total length (plane units)."""
        return float(np.linalg.norm(self.segments[:, 1] - self.segments[:, 0], axis=1).sum())

    def to_shapely(self) -> shapely.MultiLineString:
        """The boundary as polylines: segments merged end to end."""
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
        """Convex cell (R,) that each region lies in (the identity on convex domains)."""
        clipped = self._clipped
        return np.arange(self.n_cells) if clipped is None else clipped[0]

    def __len__(self) -> int:
        return len(self.region_cell)

    def __repr__(self) -> str:
        return (
            f"Partition({len(self)} regions, depth {self.depth} of {self.network.n_layers}, "
            f"{self.n_switches} breakpoints, "
            f"domain area {self.domain.area:g})"
        )

    @property
    def n_layers(self) -> int:
        """Number of activation layers drawn (same as ``depth``)."""
        return self.depth

    @property
    def n_switches(self) -> int:
        """Number of pattern columns: the breakpoints of the first ``depth`` layers."""
        return int(np.count_nonzero(self.switches.layer <= self.depth))

    @cached_property
    def cell_patterns(self) -> np.ndarray:
        """Activation pattern (C, S) bool of every convex cell (``cell_bits`` unpacked)."""
        return np.unpackbits(self.cell_bits, axis=1, count=self.n_switches).astype(bool)

    @property
    def patterns(self) -> np.ndarray:
        """Activation pattern (R, S) bool: region on the positive side of each breakpoint."""
        return self.cell_patterns[self.region_cell]

    def layer_patterns(self, layer: int) -> np.ndarray:
        """The pattern columns (R, S_layer) of activation layer ``layer`` (1-based)."""
        self._check_layer(layer)
        return self.patterns[:, self.switches.columns(layer)]

    # ------------------------------------------------------------------------- geometry
    def cell_geometries(self) -> np.ndarray:
        """The convex cells as an array (C,) of shapely Polygons."""
        coords = self.vertices[self.ring]
        return shapely.polygons(
            shapely.linearrings(
                coords, indices=np.repeat(np.arange(self.n_cells), np.diff(self.start))
            )
        )

    def to_shapely(self) -> np.ndarray:
        """The regions as an array (R,) of shapely Polygons (with holes if the domain has any)."""
        clipped = self._clipped
        return self.cell_geometries() if clipped is None else clipped[1]

    @cached_property
    def polygons(self) -> tuple[np.ndarray, ...]:
        """Counter-clockwise vertex arrays (k_i, 2) of every region (exterior rings if clipped)."""
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
        """Region areas (R,), in squared plane units."""
        clipped = self._clipped
        return self._cell_moments()[0] if clipped is None else shapely.area(clipped[1])

    @cached_property
    def centroids(self) -> np.ndarray:
        """Region centroids (R, 2)."""
        clipped = self._clipped
        if clipped is None:
            return self._cell_moments()[1]
        return shapely.get_coordinates(shapely.centroid(clipped[1]))

    @cached_property
    def points(self) -> np.ndarray:
        """One point (R, 2) strictly inside every region (vertex mean of the convex cell)."""
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
        """Neighbouring regions and the breakpoint whose boundary separates them."""
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
        domain, which every decomposition must be."""
        n_edges = np.unique(self._edge_keys).size
        return np.unique(self.ring).size - n_edges + self.n_cells

    # ------------------------------------------------------------------- coarser views
    def at_depth(self, k: int) -> Partition:
        """The coarser partition drawn by the first ``k`` activation layers (0 <= k <= depth)."""
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
        """Region counts (depth + 1,) of ``at_depth(0), ..., at_depth(depth)``."""
        return np.array([len(self.at_depth(k)) for k in range(self.depth + 1)])

    def linear_regions(self, *, rtol: float = 1e-9) -> LinearRegions:
        """Merge adjacent regions whose output affine maps agree (relative tolerance ``rtol``)."""
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
        one output) changes, as straight segments."""
        cells, cls = self._class_cells
        a, b = cells._twins
        e = a[cls[cells._owner[a]] != cls[cells._owner[b]]]
        ends = cells.ring[e], cells.ring[cells._next[e]]
        segments = np.stack([cells.vertices[ends[0]], cells.vertices[ends[1]]], axis=1)
        if self._clipped is not None:
            segments, _ = _clip_segments(segments, self.domain.polygon)
        return DecisionBoundary(segments)

    def predicted_region(self, cls: int = 1) -> shapely.Geometry:
        """Exact region of the domain where the model predicts class ``cls`` (shapely geometry)."""
        cells, labels = self._class_cells
        m = self.network.n_outputs
        if not 0 <= cls < max(m, 2):
            raise ValueError(f"cls must be in 0..{max(m, 2) - 1}, got {cls}")
        geoms = cells.cell_geometries()[labels == cls]
        region = shapely.coverage_union_all(geoms) if len(geoms) else shapely.Polygon()
        return region if self.domain.convex else shapely.intersection(region, self.domain.polygon)


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
