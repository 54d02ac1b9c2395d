"""The result of a decomposition: :class:`Partition`, its fields, patterns, geometry and maps.

A partition is stored column-wise, shapely-2 style: all region rings in one flat array of vertex
ids with ragged offsets, one row per region in every per-region array. Methods are vectorised
over regions. On a non-convex domain (or one with holes) the convex cells computed on the
domain's hull are clipped to it, and every connected piece of a clipped cell is a region.

What a partition answers beyond its own cells lives in one module per role, mixed into
:class:`Partition`: :mod:`regions.cell_geometry` (polygons, areas, centroids, interior and
exact points), :mod:`regions.locate` (point location), :mod:`regions.topology`
(adjacency, boundaries, Euler's formula), :mod:`regions.snapshots` (coarser views by depth)
and :mod:`regions.decisions` (linear regions, decision boundary, predicted regions). The
column meanings and per-layer snapshots are in :mod:`regions.breakpoints`, the small results in
:mod:`regions.results`; both are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .breakpoints import Breakpoints, Level, renamed_class, renamed_property, stack_levels
from .cell_geometry import CellGeometry
from .clipping import CellBounds, Clipped, clipped_cells
from .decisions import Decisions
from .domain import Domain, Plane
from .fallback import CutState
from .local import local_counts, local_density
from .locate import PointLocation
from .maps import level_maps, node_maps
from .network import Activation, Network
from .results import Adjacency, Boundaries, DecisionBoundary, LinearRegions
from .snapshots import Snapshots
from .topology import Topology
from .validate import check_index

__all__ = [
    "Adjacency",
    "Boundaries",
    "Breakpoints",
    "DecisionBoundary",
    "Level",
    "LinearRegions",
    "Partition",
    "stack_levels",
]


def __getattr__(name: str) -> type[Breakpoints]:
    return renamed_class(__name__, name)


@dataclass(frozen=True, eq=False)
class Partition(CellGeometry, PointLocation, Topology, Snapshots, Decisions):
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
    breakpoints : Breakpoints
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
    cut_state : CutState or None
        The decomposition's vertex values, error bounds and exact fallback, for exact
        further cuts (the class cells) and exact clipping to a non-convex domain; kept by
        :meth:`at_depth`, whose vertices are the decomposition's (its output maps hold at
        full depth only), None on other derived partitions.

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
    breakpoints: Breakpoints
    vertices: np.ndarray
    ring: np.ndarray
    start: np.ndarray
    edge_label: np.ndarray
    cell_bits: np.ndarray
    levels: tuple[Level, ...]
    cut_state: CutState | None = None

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
    def _clipped(self) -> Clipped | None:
        """For non-convex domains: the regions from the cells
        (:func:`regions.clipping.clipped_cells`)."""
        if self.domain.convex:
            return None
        bounds = None
        if self.cut_state is not None:
            state = self.cut_state
            bounds = CellBounds.of(
                self.ring, self.start, self.vertices, state.r, state.exact.position
            )
        return clipped_cells(self.cell_geometries(), self.domain, bounds)

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
        return np.arange(self.n_cells) if clipped is None else clipped.region_cell

    def __len__(self) -> int:
        """Number R of regions."""
        return len(self.region_cell)

    def __repr__(self) -> str:
        return (
            f"Partition({len(self)} regions, depth {self.depth} of {self.network.n_layers}, "
            f"{self.n_breakpoints} breakpoints, "
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
    def n_breakpoints(self) -> int:
        """Number of pattern columns: the breakpoints of the first ``depth`` layers.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.n_breakpoints, part.at_depth(1).n_breakpoints  # 2 ReLU units per layer
        (6, 2)
        """
        return int(np.count_nonzero(self.breakpoints.layer <= self.depth))

    switches = renamed_property("Partition", "switches", "breakpoints")
    n_switches = renamed_property("Partition", "n_switches", "n_breakpoints")

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
        return np.unpackbits(self.cell_bits, axis=1, count=self.n_breakpoints).astype(bool)

    @property
    def patterns(self) -> np.ndarray:
        """Activation pattern (R, S) bool: region on the positive side of each breakpoint.

        Column ``j`` is breakpoint ``j`` of :attr:`breakpoints`: true where the unit's
        preactivation exceeds ``breakpoints.threshold[j]``. Patterns are distinct on a convex
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
        self._check_layer(layer, "Partition.layer_patterns")
        return self.patterns[:, self.breakpoints.columns(layer)]

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
            self._check_layer(layer, "Partition.affine")
            act = self.network.activations[layer - 1]
            node = act.src if pre else self.network.nodes.index(act)
            # The node reads the layers before it only: its maps are built on the regions of
            # the level of the last activation before it in node order (a preactivation may
            # come before earlier layers: maximum(a, b) + leaky_relu(a)), and read through
            # each region's ancestor there.
            nodes = self.network.nodes[1 : node + 1]
            level = sum(isinstance(n, Activation) for n in nodes)
            ancestor = self.region_cell
            for snapshot in reversed(self.levels[level : self.depth]):
                ancestor = snapshot.parent[ancestor]
            A, c = level_maps(self.network, self.plane.map, self.levels[:level], node)
            return A[ancestor], c[ancestor]
        return A[self.region_cell], c[self.region_cell]

    @cached_property
    def _output_maps(self) -> tuple[np.ndarray, np.ndarray]:
        """Output maps (C, m, 2), (C, m) of the cells: the decomposition's own, or derived from
        the patterns on first use."""
        if self.depth < self.network.n_layers:
            raise ValueError(
                f"the output is not affine on the regions of a depth-{self.depth} partition; "
                "ask for affine(layer=k) with k <= depth, or use the full partition"
            )
        if self.cut_state is not None:  # carried through the decomposition
            m = self.cut_state.output.m
            return np.ascontiguousarray(m[:, :2, :].transpose(0, 2, 1)), m[:, 2, :].copy()
        return node_maps(
            self.network, self.plane.map, self.cell_bits, self.breakpoints, self.network.output
        )

    def _check_layer(self, layer: int, where: str) -> None:
        check_index(layer, "layer", 1, self.depth, where)

    @cached_property
    def _next(self) -> np.ndarray:
        """Ring position (I,) of the next vertex of the same cell."""
        nxt = np.arange(1, len(self.ring) + 1)
        nxt[self.start[1:] - 1] = self.start[:-1]
        return nxt

    # ------------------------------------------------------------------ local complexity
    def local_counts(self, points: np.ndarray, radius: float) -> np.ndarray:
        """Regions meeting the open disc of ``radius`` about each point (N,): see
        :func:`regions.local.local_counts`."""
        return local_counts(self, points, radius)

    def local_density(self, points: np.ndarray, radius: float) -> np.ndarray:
        """``local_counts / (pi radius^2)`` (N,), regions per squared plane unit: see
        :func:`regions.local.local_density`."""
        return local_density(self, points, radius)
