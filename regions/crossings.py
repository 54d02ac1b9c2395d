"""Which polygons each remaining breakpoint of a layer may cross, from certified vertex signs.

At the start of a layer (and whenever its polygons have quadrupled) :class:`regions.decompose`
asks, for every polygon and every breakpoint still to cut, whether the breakpoint's line may
cross it: whether some vertex may lie above it and some may lie below, given each vertex
value's rigorous bound. :func:`side_flags` answers for all of them at once, as numpy (flags
per vertex packed into words and or-reduced over the rings) or, with numba
(:data:`regions.kernels.COMPILED`), as one compiled pass over the rings doing the same float
operations; both give the same flags.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernels
from .floats import EPS, SAFE, gamma
from .ragged import offsets, positions

__all__ = ["band_overruled", "overruled", "side_flags"]

Flags = tuple[np.ndarray, np.ndarray, np.ndarray]

_GAMMA4 = gamma(4)


def side_flags(
    z: np.ndarray,
    t: np.ndarray,
    slope: np.ndarray,
    fixed: np.ndarray,
    r: np.ndarray,
    ring: np.ndarray,
    first: np.ndarray,
    length: np.ndarray,
    scale: float,
    band: np.ndarray,
) -> Flags:
    """Per polygon and unit: whether the unit's breakpoint ``t`` may cross it (a vertex maybe
    above and one maybe below), whether it certainly lies above it somewhere, and whether
    neither the float bounds nor that settle its side (left to exact arithmetic).

    The sign of ``s = z - t`` at a vertex is certain beyond the margin
    ``(slope * r + fixed) * scale``: the value's bound at the vertex's distance ``r`` from its
    exact point, with the rounding of ``z - t`` folded into ``scale``. Where a unit has a
    positive ``band`` (``tol > 0``), values within it snap onto the line: they are neither
    maybe-above nor maybe-below, and certainty starts beyond the band too.

    Parameters
    ----------
    z : ndarray, shape (U, V)
        Values of the U units at the V vertices.
    t, slope, fixed, band : ndarray, shape (U,)
        Each unit's breakpoint, the bound on its gradient, its bound at an exact point
        (breakpoint's rounding included) and its band (0: exact).
    r : ndarray, shape (V,)
        Each vertex's distance bound (inf: unknown).
    ring, first, length : ndarray of int64
        The polygons: polygon ``p``'s vertex ids are ``ring[first[p] : first[p] + length[p]]``
        (a mesh's ring store, compacted or not).
    scale : float
        The margin's factor.

    Returns
    -------
    crossed, above, unsettled : ndarray of bool, shape (P, U)

    Examples
    --------
    A unit ``z = x`` on two triangles of the square, breakpoint 0.5, exact values:

    >>> import numpy as np
    >>> from regions.crossings import side_flags
    >>> z = np.array([[0.0, 1.0, 1.0, 0.0]])  # at (0, 0), (1, 0), (1, 1), (0, 1)
    >>> one, zero = np.ones(1), np.zeros(1)
    >>> ring, first, length = np.array([0, 1, 2, 0, 2, 3]), np.array([0, 3]), np.array([3, 3])
    >>> polygons = (ring, first, length)
    >>> flags = side_flags(z, 0.5 * one, one, zero, np.zeros(4), *polygons, 1.0, zero)
    >>> [f[:, 0].tolist() for f in flags]  # both cross x = 1/2
    [[True, True], [True, True], [False, False]]
    >>> flags = side_flags(z, 1.5 * one, one, zero, np.zeros(4), *polygons, 1.0, zero)
    >>> [f[:, 0].tolist() for f in flags]  # both certainly below x = 3/2
    [[False, False], [False, False], [False, False]]
    >>> flags = side_flags(0 * z, 0 * one, one, zero, np.zeros(4), *polygons, 1.0, zero)
    >>> [f[:, 0].tolist() for f in flags]  # z = 0 at its breakpoint 0 everywhere, exactly
    [[False, False], [False, False], [True, True]]
    """
    if kernels.COMPILED and not np.any(band > 0):
        return _side_flags_compiled(z, t, slope, fixed, r, ring, first, length, scale)
    index = positions(first, length)
    return _side_flags_numpy(z, t, slope, fixed, r, ring[index], offsets(length), scale, band)


def _side_flags_numpy(
    z: np.ndarray,
    t: np.ndarray,
    slope: np.ndarray,
    fixed: np.ndarray,
    r: np.ndarray,
    ring: np.ndarray,
    start: np.ndarray,
    scale: float,
    band: np.ndarray,
) -> Flags:
    margin = _margin(slope, fixed, r, scale)
    s = z - t[:, None]
    if np.any(band > 0):
        band = band[:, None]
        off = (np.abs(s) > band) | (band <= 0)  # a band snaps what it holds onto the line
        certain = np.maximum(margin, band)
        flags = [off & (s > -margin), off & (s < margin), s > certain, s < -certain]
    else:  # exact (tol = 0): nothing snaps
        flags = [s > -margin, s < margin, s > margin, s < -margin]
    maybe_above, maybe_below, above, below = _reduce_sides(flags, ring, start)
    crossed = maybe_above & maybe_below
    return crossed, above, ~(crossed | above | below)


def _margin(slope: np.ndarray, fixed: np.ndarray, r: np.ndarray, scale: float) -> np.ndarray:
    """Beyond what distance from its breakpoint each unit's value at each vertex has a certain
    sign (U, V): as :func:`side_flags` says."""
    with np.errstate(invalid="ignore"):
        spread = np.multiply.outer(slope, r)
    if not np.all(np.isfinite(r)):
        spread[:, ~np.isfinite(r)] = np.inf
    return (spread + fixed[:, None]) * scale


def _reduce_sides(flags: list[np.ndarray], ring: np.ndarray, start: np.ndarray) -> list:
    """Which polygons have a vertex flagged, per flag array (U, V) and unit: (P, U) each."""
    width = flags[0].shape[0]
    # Pack each vertex's flags into machine words, so one or-reduction over the ring
    # answers every unit at once.
    packed = np.concatenate([pack_rows(f) for f in flags]).T
    step = packed.shape[1] // len(flags)
    pad = -packed.shape[1] % 8
    packed = np.ascontiguousarray(np.pad(packed, ((0, 0), (0, pad)))).view(np.uint64)
    words = np.bitwise_or.reduceat(packed[ring], start[:-1], axis=0)
    bits = np.unpackbits(words.view(np.uint8), axis=1).view(bool)
    return [bits[:, 8 * i * step : 8 * i * step + width] for i in range(len(flags))]


def pack_rows(flags: np.ndarray) -> np.ndarray:
    """``np.packbits(flags, axis=0)`` for bool (n, V): eight rows per byte, the first in the
    highest bit; shifts of whole rows, several times faster than packing along axis 0."""
    pad = -flags.shape[0] % 8
    if pad:
        flags = np.concatenate([flags, np.zeros((pad, flags.shape[1]), dtype=bool)])
    rows = flags.reshape(flags.shape[0] // 8, 8, flags.shape[1]).view(np.uint8)
    packed = rows[:, 0] << 7
    for i in range(1, 8):
        packed |= rows[:, i] << (7 - i)
    return packed


def overruled(off: np.ndarray, owner: np.ndarray, p: kernels.Plan) -> np.ndarray:
    """Which vertices a cut with a band settled against the side the float filter proved
    (``decompose(tol=)``'s warning counts them): positions of the cut's incidences (polygon
    ``owner``, one of the candidates ``p`` plans) whose vertex ``off`` says is provably above
    (below) the line though its polygon is left whole below (above) it, or, of a split polygon,
    lies in the piece below though provably above, or ends the cut edge (is in both pieces)
    though provably below. ``off`` is :meth:`regions.mesh.Mesh.sides`'s."""
    split, above = p.split[owner], p.above[owner]
    bad = ((off > 0) & (split | ~above)) | ((off < 0) & ~split & above)
    if p.run.size:
        at = np.flatnonzero(split)  # the split polygons' incidences, as the plan lays them
        ends = at[np.concatenate([p.pa[~p.cross_before], p.nb[~p.cross_after]])]
        bad[ends] |= off[ends] < 0
    return np.flatnonzero(bad)


def band_overruled(
    z: np.ndarray,
    t: np.ndarray,
    slope: np.ndarray,
    fixed: np.ndarray,
    r: np.ndarray,
    ring: np.ndarray,
    first: np.ndarray,
    length: np.ndarray,
    scale: float,
    band: np.ndarray,
    settled: np.ndarray,
    above: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The vertices a refresh's band may have settled against their side of a breakpoint: on a
    polygon whose side it ``settled`` (P, U: not crossed) as ``above`` says (P, U: its bit),
    within the unit's ``band`` of the breakpoint (as :func:`side_flags` takes its arguments).

    Returns
    -------
    units, vertices : ndarray of int64, shape (n,)
        Such pairs, where the vertex may lie on the other side of such a polygon's.
    side : ndarray of int8, shape (n,)
        The vertex's certain side (0 where the floats cannot tell, for exact arithmetic).
    low, high : ndarray of bool, shape (n,)
        Whether it lies on a polygon settled below (above) the line: it was moved if it lies
        above (below) it.
    """
    margin = _margin(slope, fixed, r, scale)
    s = z - t[:, None]
    within = np.abs(s) <= band[:, None]
    near = within.any(axis=0)
    index = positions(first, length)
    at = np.flatnonzero(near[ring[index]])
    # The incidences of those vertices by vertex, then whether each vertex lies on a settled
    # polygon below (above) the line, per unit.
    at = at[np.argsort(ring[index[at]], kind="stable")]
    polygons = np.repeat(np.arange(len(first)), length)[at]
    vertices, starts = np.unique(ring[index[at]], return_index=True)
    if not vertices.size:
        none = np.empty(0, dtype=np.int64)
        return none, none, none.astype(np.int8), none > 0, none > 0
    bit, open_ = above[polygons].T, settled[polygons].T  # (U, incidences)
    low = np.logical_or.reduceat(open_ & ~bit, starts, axis=1)
    high = np.logical_or.reduceat(open_ & bit, starts, axis=1)
    sv, mv = s[:, vertices], margin[:, vertices]
    side = (sv > mv).view(np.int8) - (sv < -mv).view(np.int8)
    units, j = np.nonzero(within[:, vertices] & (((side >= 0) & low) | ((side <= 0) & high)))
    return units, vertices[j], side[units, j], low[units, j], high[units, j]


def _side_flags_loops(
    z: np.ndarray,
    t: np.ndarray,
    slope: np.ndarray,
    fixed: np.ndarray,
    r: np.ndarray,
    ring: np.ndarray,
    first: np.ndarray,
    length: np.ndarray,
    scale: float,
) -> Flags:
    """:func:`_side_flags_numpy` without a band: every vertex's four flags of all units packed
    into 64-bit words, or-reduced over every ring, then read per unit."""
    n_units, n_vertices = z.shape
    n_poly, n_words = first.size, (n_units + 63) // 64
    packed = np.zeros((n_vertices, 4, n_words), dtype=np.uint64)
    one = np.uint64(1)
    for v in range(n_vertices):
        finite = math.isfinite(r[v])
        for w in range(n_words):
            maybe_above = maybe_below = above = below = np.uint64(0)
            for u in range(64 * w, min(64 * w + 64, n_units)):
                spread = slope[u] * r[v] if finite else np.inf
                margin = (spread + fixed[u]) * scale
                s = z[u, v] - t[u]
                bit = one << np.uint64(u - 64 * w)
                if s > -margin:
                    maybe_above |= bit
                if s < margin:
                    maybe_below |= bit
                if s > margin:
                    above |= bit
                if s < -margin:
                    below |= bit
            packed[v, 0, w], packed[v, 1, w] = maybe_above, maybe_below
            packed[v, 2, w], packed[v, 3, w] = above, below
    crossed = np.empty((n_poly, n_units), dtype=np.bool_)
    certain = np.empty((n_poly, n_units), dtype=np.bool_)
    unsettled = np.empty((n_poly, n_units), dtype=np.bool_)
    seen = np.empty((4, n_words), dtype=np.uint64)
    for p in range(n_poly):
        seen[:] = 0
        for j in range(first[p], first[p] + length[p]):
            seen |= packed[ring[j]]
        for u in range(n_units):
            w, bit = u // 64, one << np.uint64(u % 64)
            cross = (seen[0, w] & bit) != 0 and (seen[1, w] & bit) != 0
            up = (seen[2, w] & bit) != 0
            crossed[p, u], certain[p, u] = cross, up
            unsettled[p, u] = not (cross or up or (seen[3, w] & bit) != 0)
    return crossed, certain, unsettled


def _refresh_loops(
    unit: int,
    thresholds: np.ndarray,
    fixed: np.ndarray,
    slope: np.ndarray,
    table: tuple,
    pool: tuple,
    ring: np.ndarray,
    origin: np.ndarray,
    counts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``decompose._LayerCut.refresh`` in one compiled call: each polygon's layer-start region
    (``origin`` through ``parent``) and parents reset; per threshold column, the polygons each
    remaining breakpoint may cross (columns, units from ``unit`` on, polygons), the bits of
    those it certainly lies above, and the cells neither floats settle (for exact arithmetic)
    and how many. The same float operations as the numpy method."""
    first, length, parent, bits = table
    r, values = pool[1], pool[3]
    n_vertices, n_polygons = counts[0], counts[1]
    new_origin = np.empty(n_polygons, np.int64)
    for p in range(n_polygons):
        new_origin[p] = origin[parent[p]]
        parent[p] = p
    n_units, n_thresholds = thresholds.shape[0] - unit, thresholds.shape[1]
    crossed = np.empty((n_thresholds, n_units, n_polygons), np.bool_)
    open_cells = np.empty((n_thresholds, n_units, n_polygons), np.bool_)
    z, scale = values[unit:, :n_vertices], SAFE / (1 - 4 * EPS)
    spare = np.empty(n_units)
    n_open = 0
    for k in range(n_thresholds):
        t = thresholds[unit:, k].copy()
        for u in range(n_units):
            spare[u] = fixed[unit + u] + _GAMMA4 * abs(t[u])
        c, above, unsettled = _side_flags_compiled(
            z,
            t,
            slope[unit:],
            spare,
            r[:n_vertices],
            ring,
            first[:n_polygons],
            length[:n_polygons],
            scale,
        )
        for p in range(n_polygons):
            for u in range(n_units):
                crossed[k, u, p] = c[p, u]
                bits[p, (unit + u) * n_thresholds + k] = above[p, u]
                open_cells[k, u, p] = unsettled[p, u]
                n_open += unsettled[p, u]
    return crossed, new_origin, open_cells, n_open


if kernels.numba is not None:
    _side_flags_compiled = kernels.numba.njit(cache=True, nogil=True)(_side_flags_loops)
    refreshed = kernels.numba.njit(cache=True, nogil=True)(_refresh_loops)
