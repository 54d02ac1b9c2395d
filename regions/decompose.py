"""The front door: :func:`decompose` and :func:`count`.

Layerwise hyperplane intersection. Walking the traced network in order, the values of every live
node are kept at the vertices of the current partition. At an activation layer each unit's
breakpoint is a line on every current region (the unit's input is affine there), so each
(unit, breakpoint) "switch" cuts the mesh once; new vertices get their node values by linear
interpolation along the cut edge, which is exact because every node is affine on the edge.
After the layer the activation is applied at the vertices and the walk continues.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from torch import nn
from tqdm.auto import tqdm

from .domain import Domain, Plane, as_domain, as_plane
from .errors import InvalidModelError, TooManyRegionsError
from .mesh import Mesh
from .network import Activation, Affine, Concat, Network, Sum
from .partition import Level, Partition, Switches, stack_levels
from .ragged import expand, offsets, segment_sum
from .tracing import trace
from .validate import check_finite_on, check_max_regions, check_real

__all__ = ["decompose", "count", "DEFAULT_MAX_REGIONS", "DEFAULT_TOL"]

DEFAULT_MAX_REGIONS = 2_000_000
DEFAULT_TOL = 1e-10


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
    plane : (origin, (d1, d2)) or (p0, p1, p2), optional
        For models with more than 2 inputs: the 2D affine slice ``origin + u d1 + v d2`` (or
        through three points, placed at (u, v) = (0, 0), (1, 0), (0, 1)).
    max_regions : int
        Raise :class:`TooManyRegionsError` as soon as more regions appear, before memory runs out.
    tol : float
        Relative tolerance: a vertex whose value for a breakpoint is within ``tol`` times the
        breakpoint's largest absolute value over the domain counts as lying on it. Regions
        with any vertex beyond that are found and counted, however thin (see :mod:`regions.mesh`).
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
    max_regions = check_max_regions(max_regions, "decompose")
    tol = check_real(tol, "tol", "decompose", below=1e-3)
    net = model if isinstance(model, Network) else trace(model, n_inputs=n_inputs)
    dom = as_domain(domain)
    pl = as_plane(plane, net.n_inputs)
    check_finite_on(net, pl, dom.hull)
    mesh, levels, switches = _cut_layers(net, dom, pl, max_regions, tol, progress)
    return Partition(
        network=net,
        domain=dom,
        plane=pl,
        vertices=mesh.xy.copy(),
        ring=mesh.ring,
        start=mesh.start,
        edge_label=mesh.label,
        cell_bits=stack_levels(tuple(levels)),
        switches=switches,
        levels=tuple(levels),
        depth=net.n_layers,
    )


def count(model: nn.Module | Network, domain: object = None, **kwargs: object) -> int:
    """Number of linear (activation) regions of ``model`` on ``domain``.

    Takes the same arguments as :func:`decompose`.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> regions.count(sawtooth(4), (0, 1, 0, 1))  # Telgarsky's sawtooth: 2^4 strips
    16
    """
    return len(decompose(model, domain, **kwargs))


def _cut_layers(
    net: Network, dom: Domain, pl: Plane, max_regions: int, tol: float, progress: bool
) -> tuple[Mesh, list[Level], Switches]:
    mesh = Mesh(dom.hull)
    last_use = net.last_use()
    values: dict[int, np.ndarray] = {0: pl.to_input(mesh.xy).T}
    levels: list[Level] = []
    layer_of, unit_of, threshold_of = [], [], []
    n_cuts = sum(a.thresholds.size for a in net.activations)
    bar = tqdm(total=n_cuts, desc="regions: cutting", unit="breakpoint", disable=not progress)
    for i, node in enumerate(net.nodes[1:], 1):
        if isinstance(node, Affine):
            values[i] = node.W @ values[node.src] + node.b[:, None]
        elif isinstance(node, Sum):
            values[i] = sum(s * values[j] for j, s in zip(node.srcs, node.signs, strict=True))
        elif isinstance(node, Concat):
            values[i] = np.concatenate([values[j] for j in node.srcs], axis=0)
        else:
            live = sorted(values)
            rows = np.cumsum([0] + [values[j].shape[0] for j in live])
            mesh.set_values(np.concatenate([values[j] for j in live], axis=0))
            src_row = int(rows[live.index(node.src)])
            first_switch = len(layer_of)
            for unit in range(node.width):
                for t in node.thresholds[unit]:
                    layer_of.append(node.layer)
                    unit_of.append(unit)
                    threshold_of.append(t)
            tols = _cut_layer(mesh, node, src_row, tol, max_regions, bar, first_switch)
            values = {j: mesh.values[rows[n] : rows[n + 1]] for n, j in enumerate(live)}
            z = values[node.src]
            preactivation = partial(_preactivation, net, pl, node.layer)
            levels.append(_level(mesh, z, node, tols, preactivation))
            values[i] = node.apply(z.T).T
        for j in [j for j in values if last_use[j] <= i and j != i]:
            del values[j]
    bar.close()
    if not np.all(np.isfinite(mesh.xy)):
        raise InvalidModelError("the decomposition produced non-finite vertices (weights overflow)")
    switches = Switches(
        layer=np.asarray(layer_of, dtype=np.int64),
        unit=np.asarray(unit_of, dtype=np.int64),
        threshold=np.asarray(threshold_of, dtype=np.float64),
    )
    return mesh, levels, switches


def _preactivation(net: Network, pl: Plane, layer: int, points: np.ndarray) -> np.ndarray:
    """The model's preactivations (N, width) of activation ``layer`` at plane points."""
    return net.forward(pl.to_input(points))[1][layer - 1]


def _cut_layer(
    mesh: Mesh,
    node: Activation,
    src_row: int,
    rtol: float,
    max_regions: int,
    bar: tqdm,
    first_switch: int,
) -> list[np.ndarray]:
    """Cut the mesh by every breakpoint of one activation layer, unit by unit.

    Each breakpoint only visits the regions whose ancestor at the last refresh it crosses
    (found for all remaining breakpoints at once with a bit-packed reduction), so a cut costs
    in proportion to what it touches. The ancestors are refreshed whenever the regions have
    doubled since, which keeps wide first layers (one region to start from) from scanning
    every region at every cut.

    Returns
    -------
    list of ndarray
        Per threshold column k, the tolerance (width,) of each unit's breakpoint.
    """
    z = mesh.values[src_row : src_row + node.width]
    tols = [rtol * np.maximum(z.max(axis=1) - t, t - z.min(axis=1)) for t in node.thresholds.T]
    n_thresholds = node.thresholds.shape[1]
    mesh.reset_parents()
    origin = mesh.parent  # each polygon's region at the layer's start
    crossed: list[np.ndarray] = []
    first = refreshed_at = 0
    for unit in range(node.width):
        if not crossed or mesh.n_polygons > 2 * refreshed_at:
            origin = origin[mesh.parent]
            mesh.reset_parents()
            first, refreshed_at = unit, mesh.n_polygons
            crossed = _crossings(mesh, src_row + unit, node, tols, unit)
        for k in range(n_thresholds):
            tol = tols[k][unit]
            if tol > 0:
                s = mesh.values[src_row + unit] - node.thresholds[unit, k]
                candidates = np.flatnonzero(crossed[k][unit - first][mesh.parent])
                mesh.cut(s, tol, first_switch + unit * n_thresholds + k, candidates)
            bar.update()
            if mesh.n_polygons > max_regions:
                bar.close()
                raise TooManyRegionsError(
                    f"more than max_regions={max_regions} regions after unit {unit} of "
                    f"activation layer {node.layer} ('{node.name}'); raise max_regions, "
                    "shrink the domain or decompose fewer layers"
                )
    mesh.parent = origin[mesh.parent]
    return tols


def _crossings(
    mesh: Mesh, row: int, node: Activation, tols: list[np.ndarray], unit: int
) -> list[np.ndarray]:
    """Per threshold column, which polygons (units from ``unit`` on, polygons) each remaining
    breakpoint crosses: a vertex beyond it on both sides."""
    z = mesh.values[row : row - unit + node.width]
    ring, start = mesh.ring, mesh.start
    out = []
    for k, t in enumerate(node.thresholds[unit:].T):
        above, below = _sides(z, t, tols[k][unit:], ring, start)
        out.append(above & below)
    return out


def _sides(
    z: np.ndarray, t: np.ndarray, tol: np.ndarray, ring: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which regions have a vertex strictly above / below each unit's breakpoint.

    Parameters
    ----------
    z : ndarray, shape (width, n_vertices)
        Preactivations at the vertices.
    t, tol : ndarray, shape (width,)
        Breakpoints and their tolerances.
    ring, start : ndarray
        The regions, ragged.

    Returns
    -------
    above, below : ndarray of bool, shape (width, n_regions)
    """
    width = z.shape[0]
    # Pack each vertex's sides into machine words, so one or-reduction over the ring
    # answers every unit at once.
    packed = np.concatenate(
        [
            np.packbits(z > (t + tol)[:, None], axis=0),
            np.packbits(z < (t - tol)[:, None], axis=0),
        ]
    ).T
    pad = -packed.shape[1] % 8
    packed = np.ascontiguousarray(np.pad(packed, ((0, 0), (0, pad)))).view(np.uint64)
    words = np.bitwise_or.reduceat(packed[ring], start[:-1], axis=0)
    bits = np.unpackbits(words.view(np.uint8), axis=1)
    half = (bits.shape[1] - 8 * pad) // 2
    return bits[:, :width].T, bits[:, half : half + width].T


def _level(
    mesh: Mesh,
    z: np.ndarray,
    node: Activation,
    tols: list[np.ndarray],
    preactivation: Callable[[np.ndarray], np.ndarray],
) -> Level:
    """Snapshot of the mesh after an activation layer, with each region's side of its breakpoints.

    A region the cuts left whole lies on one side of each breakpoint: the side its vertices
    reach beyond the tolerance. Where that does not decide (every vertex within tolerance, as
    for a unit that is constant at its breakpoint on the region, or rounding on both sides),
    the model's own forward pass at the region's vertex mean, an interior point, decides,
    so patterns agree with what a forward pass (and :meth:`Partition.locate`) sees there.
    """
    ring, start = mesh.ring, mesh.start
    lengths = np.diff(start)
    columns, undecided = [], []
    for k, t in enumerate(node.thresholds.T):
        above, below = _sides(z, t, tols[k], ring, start)
        columns.append((above & ~below).T)
        undecided.append((above == below).T)
    regions_left = np.flatnonzero(np.any(undecided, axis=(0, 2)))
    if regions_left.size:
        inc, owner, _ = expand(start[regions_left], lengths[regions_left])
        inside = segment_sum(mesh.xy[ring[inc]], offsets(lengths[regions_left]))
        pre = preactivation(inside / lengths[regions_left][:, None])
        for k, t in enumerate(node.thresholds.T):
            rows = undecided[k][regions_left]
            columns[k][regions_left] = np.where(rows, pre > t, columns[k][regions_left])
    bits = np.stack(columns, axis=2).reshape(mesh.n_polygons, -1)  # unit-major, as switches
    return Level(
        ring=ring,
        start=start,
        edge_label=mesh.label,
        parent=mesh.parent,
        bits=np.packbits(bits, axis=1),
        n_bits=bits.shape[1],
    )
