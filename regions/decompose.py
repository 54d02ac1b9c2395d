"""The front door: :func:`decompose`.

Layerwise hyperplane intersection. Walking the traced network in order, every live node is
kept as one affine map per current region, with a rigorous bound on its rounding error
(:mod:`regions.region_maps`). At an activation layer each unit's breakpoint is a line on every
current region (the unit's input is affine there), so each (unit, breakpoint) pair cuts the
mesh once (:meth:`regions.mesh.Mesh.cut`): the unit's values at the vertices come from the maps,
every side of the line is decided exactly (the bound, else rational arithmetic), and new
vertices are where the line's equation on the cut region meets the cut edge's. With numba the
layer's cuts run as one compiled loop doing the same (:mod:`regions.fused`). After the layer
the maps pass through the activation onto the new regions and the walk continues.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import numpy as np
from torch import nn
from tqdm.auto import tqdm

from . import fused, kernels, layer_kernels, region_maps
from .breakpoints import Breakpoints, Level, stack_levels
from .crossings import band_overruled, side_flags
from .domain import Domain, Plane, as_domain, as_plane
from .errors import InvalidModelError, TooManyRegionsError
from .fallback import CutState, ExactVertices
from .floats import EPS, SAFE, gamma
from .lines import MapLine
from .mesh import Mesh, no_values
from .network import Activation, Affine, Concat, Network, Sum
from .partition import Partition
from .ragged import with_room
from .threads import one_blas_thread
from .tracing import trace
from .validate import check_finite_on, check_max_regions, check_real

__all__ = ["decompose", "DEFAULT_MAX_REGIONS", "DEFAULT_TOL"]

DEFAULT_MAX_REGIONS = 2_000_000
DEFAULT_TOL = 0.0

_AHEAD = 256
"""Polygons a layer has room for from its start (and two vertices, eight ring positions each)."""

_UNITS_PER_CALL = 16
"""Units cut per call of the compiled loop: the progress bar moves between calls."""


def decompose(
    model: nn.Module | Network,
    domain: object = None,
    *,
    plane: object = None,
    max_regions: int = DEFAULT_MAX_REGIONS,
    tol: float = DEFAULT_TOL,
    n_inputs: int | None = None,
    progress: bool = False,
) -> Partition:
    """Decompose a piecewise-linear model exactly into its linear regions over a 2D domain.

    Parameters
    ----------
    model : torch.nn.Module or Network
        A ``torch.fx``-traceable model of supported modules (see :mod:`regions.tracing`), with
        eval semantics (dropout off, BatchNorm running statistics) whatever its mode.
    domain : (xmin, xmax, ymin, ymax) or shapely.Polygon, optional
        Where to decompose, in plane coordinates. Default the box [-2, 2]^2. Non-convex
        polygons and polygons with holes are allowed: regions are clipped to them.
    plane : (origin, (d1, d2)), (p0, p1, p2) or Plane, optional
        For models with more than 2 inputs: the 2D affine slice ``origin + u d1 + v d2`` (or
        through three points, placed at (u, v) = (0, 0), (1, 0), (0, 1); or another
        partition's ``part.plane``).
    max_regions : int
        Raise :class:`TooManyRegionsError` as soon as more regions appear, before memory runs out
        (on a non-convex domain, more convex cells of its hull: the pass's work, which bounds
        the regions from above).
    tol : float
        0 (the default): exact, every sign decided exactly for the float64 model. A positive
        ``tol`` merges near-coincident lines on purpose: a vertex whose value for a breakpoint
        is within ``tol`` times that unit's largest ``|z - threshold|`` over the domain counts
        as on its line (a warning counts the vertices this moved). Below 1e-3.
    n_inputs : int, optional
        Input width when the model does not start with ``nn.Linear``.
    progress : bool
        Show a progress bar over breakpoints.

    Returns
    -------
    Partition
        The regions, their activation patterns and affine maps.

    Examples
    --------
    >>> import torch, regions
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    ...     _ = net[0].bias.zero_()
    >>> len(regions.decompose(net))  # three lines through the origin
    6
    """
    return _decompose(model, domain, plane, max_regions, tol, n_inputs, progress)


def _decompose(
    model: nn.Module | Network,
    domain: object,
    plane: object,
    max_regions: int,
    tol: float,
    n_inputs: int | None,
    progress: bool,
    bar: _Bar | None = None,
) -> Partition:
    """:func:`decompose`, its cuts reporting to ``bar`` where one is given (instead of a
    progress bar): between calls of the compiled loop, so that raising there stops the pass
    (:func:`regions.count`'s strips stop so when the count is called off)."""
    max_regions = check_max_regions(max_regions, "decompose")
    tol = check_real(tol, "tol", "decompose", below=1e-3)
    net = model if isinstance(model, Network) else trace(model, n_inputs=n_inputs)
    dom = as_domain(domain)
    pl = as_plane(plane, net.n_inputs)
    check_finite_on(net, pl, dom.hull)
    # BLAS in one thread: the pass's products are many and small, where waking BLAS's threads
    # costs more than they gain (2-32x3-1 took 2.6 times as long at the median, 2-128x4-1 1.4
    # times), and where loops are long, the pass's own threads share the cores (over_chunks).
    with one_blas_thread(), _interrupts_as_such():
        mesh, levels, breakpoints, state = _cut_layers(
            net, dom, pl, max_regions, tol, progress, bar
        )
    return Partition(
        network=net,
        domain=dom,
        plane=pl,
        vertices=mesh.xy.copy(),
        ring=mesh.ring,
        start=mesh.start,
        edge_label=mesh.label,
        cell_bits=stack_levels(tuple(levels)),
        breakpoints=breakpoints,
        levels=tuple(levels),
        depth=net.n_layers,
        cut_state=state,
    )


@contextmanager
def _interrupts_as_such() -> Iterator[None]:
    """Re-raise a Ctrl-C as itself where it fired while numba boxed a compiled loop's result:
    numba reports it as a ``SystemError`` ("returned a result with an exception set") with
    the ``KeyboardInterrupt`` in its context, which ``except KeyboardInterrupt`` misses."""
    try:
        yield
    except SystemError as err:
        cause = err.__cause__ or err.__context__
        if isinstance(cause, KeyboardInterrupt):
            raise cause from None
        raise


def _cut_layers(
    net: Network,
    dom: Domain,
    pl: Plane,
    max_regions: int,
    tol: float,
    progress: bool,
    bar: _Bar | None = None,
) -> tuple[Mesh, list[Level], Breakpoints, CutState]:
    mesh = Mesh(dom.hull)
    levels: list[Level] = []
    last_use = net.last_use()
    breakpoints = Breakpoints.of(net)
    exact = ExactVertices(net, pl, breakpoints.layer, breakpoints.unit, breakpoints.threshold)
    exact.mesh, exact.levels = mesh, levels
    exact.hull = dom.hull if tol == 0 else None  # snapped patterns are not the exact ones
    mesh.exact_vertex = exact.place
    compensated = region_maps.compensate(net, pl, dom.hull)
    n_slices = region_maps.slices(net)
    maps: dict[int, region_maps.Maps] = {0: region_maps.input_maps(pl.map, mesh.box, compensated)}
    # A disabled tqdm bar still costs about 0.3 ms to make: a tenth of a small net's time.
    if bar is None:
        bar = (
            tqdm(total=len(breakpoints.layer), desc="regions: cutting", unit="breakpoint")
            if progress
            else _NoBar()
        )
    try:  # the bar is closed however the pass ends (Ctrl-C, too many regions)
        first_column = 0
        for i, node in enumerate(net.nodes[1:], 1):
            if isinstance(node, (Affine, Sum, Concat)):
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    maps[i] = _propagated(node, maps, n_slices[i], _last_reader(node, i, last_use))
                if not maps[i].check_finite():
                    raise InvalidModelError(
                        f"node '{node.name}' overflows float64 on the domain (non-finite affine "
                        "maps or error bounds): rescale the weights or shrink the domain"
                    )
            else:  # an activation's maps are its (checked) input's times finite slopes
                maps[node.src] = region_maps.built(maps[node.src])
                cut = _LayerCut(mesh, node, maps[node.src], tol, exact, first_column)
                cut.run(max_regions, bar)
                level = cut.level()
                del cut  # and with it the layer's maps, before the next layer's are built
                levels.append(level)
                first_column += node.thresholds.size
                pieces = level.pieces(node.width)
                maps[i] = region_maps.activation(node, maps[node.src], pieces, level.parent)
                # What later nodes still read moves to the new level's regions.
                maps = {
                    j: m if j == i else m.take(level.parent)
                    for j, m in maps.items()
                    if last_use[j] > i or j == i
                }
            for j in [j for j in maps if last_use[j] <= i and j != i]:
                del maps[j]
    finally:
        bar.close()
    # No cycle (mesh -> exact -> mesh) left behind: the partition's arrays go as soon as it
    # does, not at the next garbage collection (cutting in partition methods sets it anew).
    mesh.exact_vertex = None
    if mesh.n_snapped:
        warnings.warn(
            f"tol={tol} put {mesh.n_snapped} vertices on breakpoint lines they are provably off; "
            "regions thinner than that are merged into their neighbours. Use tol=0 (the "
            "default) for the exact partition.",
            stacklevel=4,  # the caller of decompose
        )
    state = CutState(
        output=region_maps.built(maps[net.output]),
        r=mesh.r.copy(),
        provenance=mesh.provenance.copy(),
        lines=mesh.lines.copy(),
        line_errors=mesh.line_errors.copy(),
        box=mesh.box,
        exact=exact,
        n_filtered=mesh.n_filtered,
        n_exact=mesh.n_exact,
        n_snapped=mesh.n_snapped,
    )
    return mesh, levels, breakpoints, state


class _Bar(Protocol):
    """What the cut uses of a progress bar: ``update`` between calls of the compiled loop, and
    ``close``."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


class _NoBar:
    """What the cut uses of a progress bar, doing nothing."""

    def update(self, n: int = 1) -> None:
        """Nothing."""

    def close(self) -> None:
        """Nothing."""


def _propagated(
    node: Affine | Sum | Concat,
    maps: dict[int, region_maps.Maps],
    n_slices: int,
    reuse: bool = False,
) -> region_maps.Maps:
    """The maps of an affine, sum or concatenation node from its sources' maps (double-float
    affine maps from ``n_slices`` slices; ``reuse``: an affine node may take its source's
    memory, see :func:`regions.region_maps.affine`)."""
    if isinstance(node, Affine):
        return region_maps.affine(node, maps[node.src], n_slices, reuse)
    if isinstance(node, Sum):
        return region_maps.summed(node, [maps[j] for j in node.srcs])
    return region_maps.joined([maps[j] for j in node.srcs])


def _last_reader(node: object, i: int, last_use: list[int]) -> bool:
    """Whether node ``i`` is an affine node and the last to read its source's maps, which may
    then give it their memory. No other entry of the maps shares them: an activation's maps
    hold their input's, whose own entry, if kept across the layer, is a copy (``take``)."""
    return isinstance(node, Affine) and last_use[node.src] == i


class _LayerCut:
    """Cutting the mesh by every breakpoint of one activation layer, unit by unit.

    The preactivation is affine on every region the layer starts from; its maps (with error
    bounds) give the values at every vertex and the cut lines' equations. Each breakpoint only
    visits the polygons whose ancestor at the last refresh it may cross (found for all
    remaining breakpoints at once with a bit-packed reduction over the certified sides), so a
    cut costs in proportion to what it touches. The ancestors are refreshed whenever the
    polygons have quadrupled since, which keeps wide first layers (one region to start from)
    from scanning every polygon at every cut (refreshing at every doubling cost 1x600 about
    10% more in refreshes than it saved in scans).

    The units already cut are read no more: new vertices get values for the units still to
    cut only (``Mesh.first_row``).
    """

    def __init__(
        self,
        mesh: Mesh,
        node: Activation,
        maps: region_maps.NodeMaps,
        tol: float,
        exact: ExactVertices,
        first_column: int,
    ) -> None:
        self.mesh, self.node, self.maps, self.exact = mesh, node, maps, exact
        self.first_column = first_column
        # Room for a small layer's cuts from the start: stopping the compiled loop to grow
        # the pools cost a 2-16x3-1 net 7% of its time.
        n_vertices, n_polygons = mesh.n_vertices + 2 * _AHEAD, mesh.n_polygons + _AHEAD
        mesh.reserve_vertices(n_vertices)
        mesh.reserve_polygons(n_polygons)
        mesh.ring_room(8 * _AHEAD)
        # Whose maps give each vertex's values: one polygon around it (any: the node is
        # continuous), a layer-start region; each polygon is its own parent and region.
        self.source = np.empty(max(2 * mesh.n_vertices + 16, n_vertices), dtype=np.int64)
        self.origin = np.arange(mesh.n_polygons)
        z = mesh.new_values(node.width, self.vertex_values)
        table = (mesh.first, mesh.length, mesh.ring_store, mesh.parent, self.source)
        if not layer_kernels.started(*table, maps.m, mesh.xy, z):
            region_maps.evaluate(maps, self.source[: mesh.n_vertices], mesh.xy, out=z)
        self.fixed, self.slope = maps.bounds(mesh.box)
        # Polygon-major, so a split copies its polygon's bits as one contiguous row.
        rows = max(2 * mesh.n_polygons, n_polygons)
        self.bits = np.zeros((rows, node.thresholds.size), dtype=bool)
        self.band = np.zeros(node.thresholds.shape)
        self.fused = kernels.COMPILED and tol == 0  # compiled cuts (regions.fused), no band
        # The candidates at the last refresh (none yet): see refresh.
        self.crossed = np.empty((0, 0, 0), dtype=bool)
        self.first_unit = self.refreshed_at = 0
        self.moved: set[tuple[int, int]] = set()  # (breakpoint, vertex) pairs counted
        if tol > 0 and mesh.n_vertices:
            t = node.thresholds
            self.band = tol * np.maximum(z.max(axis=1)[:, None] - t, t - z.min(axis=1)[:, None])

    def regions(self, polygons: np.ndarray) -> np.ndarray:
        """The layer-start region of each polygon."""
        return self.origin[self.mesh.parent[polygons]]

    def reserve(self, n_vertices: int, n_polygons: int) -> None:
        """Room for this many vertices in ``source`` and polygons in ``bits`` (doubling).

        A polygon's row of bits is written whole when it appears (a split copies its
        polygon's row), so the new rows need no value."""
        if n_vertices > len(self.source):
            keep = min(self.mesh.n_vertices, len(self.source))
            self.source = with_room(self.source, max(n_vertices, 2 * len(self.source)), keep)
        if n_polygons > len(self.bits):
            keep = min(self.mesh.n_polygons, len(self.bits))
            self.bits = with_room(self.bits, max(n_polygons, 2 * len(self.bits)), keep)

    def vertex_values(self, xy: np.ndarray, polygons: np.ndarray) -> np.ndarray:
        """Preactivations (width - first_row, n) at new vertices of the units still to cut,
        from the maps of the polygon cut (recorded as their source)."""
        regions, n = self.regions(polygons), self.mesh.n_vertices
        self.reserve(n + len(xy), 0)
        self.source[n : n + len(xy)] = regions
        return region_maps.evaluate(self.maps, regions, xy, self.mesh.first_row)

    def source_of(self, vertices: np.ndarray) -> np.ndarray:
        """The layer-start region whose maps gave each vertex's values."""
        return self.source[vertices]

    def line(self, unit: int, k: int) -> MapLine:
        """The breakpoint line of one unit."""
        return MapLine(
            mesh=self.mesh,
            maps=self.maps,
            unit=unit,
            threshold=float(self.node.thresholds[unit, k]),
            fn=self.first_column + unit * self.node.thresholds.shape[1] + k,
            region_of=self.regions,
            source_of=self.source_of,
            exact_values=self.exact.values,
            band=float(self.band[unit, k]),
        )

    def run(self, max_regions: int, bar: _Bar) -> None:
        mesh, node = self.mesh, self.node
        n_thresholds = node.thresholds.shape[1]
        # Without a bar (a progress bar, or a strip's watch) the compiled loop takes the whole
        # layer in one call.
        per_call = node.width if isinstance(bar, _NoBar) else _UNITS_PER_CALL
        unit = 0
        while unit < node.width:
            mesh.first_row = unit  # the units before are cut: their values are read no more
            if self.fused:  # refreshes in the compiled loop, as below
                stop = min(node.width, unit + per_call)
                status, done = fused.run(mesh, self, unit, stop, max_regions)
            else:
                if (
                    not self.crossed.size
                    or mesh.n_polygons > fused.REFRESH_GROWTH * self.refreshed_at
                ):
                    self.refresh(unit)
                crossed = self.crossed[:, unit - self.first_unit]
                status, done = self._cut_unit(unit, crossed, max_regions)
            bar.update((done - unit) * n_thresholds)
            if status == fused.TOO_MANY:
                bar.close()
                raise TooManyRegionsError(
                    f"more than max_regions={max_regions} regions after unit {done} of "
                    f"activation layer {node.layer} ('{node.name}'); raise max_regions, "
                    "shrink the domain or decompose fewer layers"
                )
            unit = done
        # Each polygon's layer-start region, the rings in polygon order, the packed bits.
        self.origin, self.start, self.packed = mesh.snapshot(self.origin, self.bits)
        # The layer's values (and, through this method, its maps) are read no more: free them
        # before the next layer's maps are built.
        mesh.set_values(np.empty((0, mesh.n_vertices)), no_values)

    def _cut_unit(self, unit: int, crossed: np.ndarray, max_regions: int) -> tuple[int, int]:
        """Cut a unit's breakpoints the general way (:meth:`Mesh.cut`), on the polygons
        ``crossed`` (one row per breakpoint, by ancestor) says each may cross; returns the
        status (as :func:`regions.fused.run`) and the next unit to cut."""
        mesh, n_thresholds = self.mesh, self.node.thresholds.shape[1]
        for k in range(n_thresholds):
            candidates = np.flatnonzero(crossed[k][mesh.parent])
            column, n_before = unit * n_thresholds + k, mesh.n_polygons
            mesh.cut(self.line(unit, k), self.first_column + column, candidates)
            if mesh.moved.size:
                self.count(self.first_column + column, mesh.moved)
            self.record(column, candidates, n_before)
            if mesh.n_polygons > max_regions:
                return fused.TOO_MANY, unit
        return fused.DONE, unit + 1

    def record(self, column: int, candidates: np.ndarray, n_before: int) -> None:
        """Bits after a cut: the pieces of split polygons inherit every bit so far, and each
        candidate's bit for this breakpoint is whether it has a vertex strictly above."""
        mesh, n = self.mesh, self.mesh.n_polygons
        self.reserve(0, n)
        self.bits[n_before:n] = self.bits[mesh.split]
        touched = np.concatenate([candidates, np.arange(n_before, n)])
        self.bits[touched, column] = mesh.positive[touched]

    def refresh(self, unit: int) -> None:
        """Candidates anew from ``unit`` on: every polygon its own ancestor (``origin`` follows),
        and per threshold column which polygons (``crossed``: columns, units from ``unit`` on,
        polygons) each remaining breakpoint may cross: not certainly on one side at every
        vertex.

        The polygons it cannot cross lie on one side of it, and so do all their pieces: their
        bits are set here, from a vertex certainly on either side, or, where there is none,
        from the exact values at their vertices (:meth:`settle`).
        """
        mesh, node, out = self.mesh, self.node, []
        self.origin = self.origin[mesh.parent]
        mesh.reset_parents()
        self.first_unit, self.refreshed_at = unit, mesh.n_polygons
        ring, first, length = mesh.ring_store, mesh.first, mesh.length  # no compaction
        n_thresholds = node.thresholds.shape[1]
        units = slice(unit, node.width)
        z, r, slope = mesh.values[units], mesh.r, self.slope[units]
        # The margin is the value's bound (NodeMaps.bounds at the vertex's distance r from its
        # exact point) with the rounding of z - t (at most 2 EPS |s|) folded in by dividing by
        # 1 - 4 EPS.
        scale = SAFE / (1 - 4 * EPS)
        for k, t in enumerate(node.thresholds[units].T):
            fixed = self.fixed[units] + gamma(4) * np.abs(t)
            band = self.band[units, k]
            flags = (z, t, slope, fixed, r, ring, first, length, scale, band)
            crossed, above, unsettled = side_flags(*flags)
            columns = self.bits[: mesh.n_polygons, unit * n_thresholds + k :: n_thresholds]
            columns[:] = above
            # Usually none: any() takes a tenth of nonzero()'s time on a wide layer.
            if unsettled.any():
                self.settle(unit, k, unsettled)
            if band.any():  # the polygons the band left uncrossed: what it moved there
                self.overruled(unit, k, *band_overruled(*flags, ~crossed, columns))
            out.append(crossed.T)
        self.crossed = np.stack(out)  # a unit's polygons, contiguous

    def overruled(
        self,
        unit: int,
        k: int,
        units: np.ndarray,
        vertices: np.ndarray,
        side: np.ndarray,
        low: np.ndarray,
        high: np.ndarray,
    ) -> None:
        """Count the vertices a refresh's band settled against their side of threshold
        column ``k`` (:func:`~regions.crossings.band_overruled`'s pairs, units from ``unit``
        on), the sides the floats cannot tell settled exactly."""
        n_thresholds = self.node.thresholds.shape[1]
        fn = self.first_column + (unit + units) * n_thresholds + k
        if (unsure := np.flatnonzero(side == 0)).size:
            values = self.exact.values(vertices[unsure], fn[unsure])
            side[unsure] = [(v > 0) - (v < 0) for v in values]
        moved = ((side > 0) & low) | ((side < 0) & high)
        self.count(fn[moved], vertices[moved])

    def count(self, fn: int | np.ndarray, vertices: np.ndarray) -> None:
        """Count the vertices a band settled against their side of breakpoint ``fn`` (one, or
        one each) (in ``mesh.n_snapped``), each once however many polygons and refreshes saw
        it."""
        fn = np.broadcast_to(fn, vertices.shape)
        new = set(zip(fn.tolist(), vertices.tolist(), strict=True)) - self.moved
        self.moved |= new
        self.mesh.n_snapped += len(new)

    def settle(self, unit: int, k: int, cells: np.ndarray) -> None:
        """The bits of the ``cells`` (polygons, units from ``unit`` on) of threshold column
        ``k`` that no vertex settles in floats: a vertex exactly above (a unit constant at its
        breakpoint on the polygon gets 0, as a forward pass at an interior point would)."""
        mesh, n_thresholds = self.mesh, self.node.thresholds.shape[1]
        ring, first, length = mesh.ring_store, mesh.first, mesh.length
        for poly, u in zip(*np.nonzero(cells), strict=True):
            column = (unit + u) * n_thresholds + k
            verts = ring[first[poly] : first[poly] + length[poly]]
            values = self.exact.values(verts, self.first_column + column)
            self.bits[poly, column] = any(v > 0 for v in values)

    def level(self) -> Level:
        """Snapshot of the mesh after the layer, with each region's side of its breakpoints."""
        mesh = self.mesh
        return Level(
            ring=mesh.ring,
            start=self.start,
            edge_label=mesh.label,
            parent=self.origin,
            bits=self.packed,  # unit-major columns, as the breakpoints
            n_bits=self.bits.shape[1],
        )
