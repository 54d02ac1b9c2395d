"""The cut's bookkeeping as compiled loops (numba, optional), with numpy twins.

:meth:`regions.mesh.Mesh.cut` decides, for every polygon a line may cross, whether it splits and
where its ring's run of vertices beyond the line starts and ends (:func:`plan`), finds the
edges the line crosses, each once (:func:`crossed_edges`), records where each new vertex comes
from (:func:`provenance`), and lays out and stores the two new rings of every split polygon
(:func:`ring_sources`, :func:`assemble`). In numpy that is some sixty array calls per cut,
each a few microseconds whatever its size: most of a small net's time. With numba installed
(the ``fast`` extra) they run as compiled loops over the polygons; without it, or with the
environment variable ``REGIONS_KERNELS=numpy``, as numpy. Both twins are integer bookkeeping
plus copies and comparisons of the same floats, so they give identical results
(``tests/regions/test_kernels.py`` compares whole partitions bit for bit). The same switch
serves the intersections (:mod:`regions.intersections`), the layer's crossing flags
(:mod:`regions.crossings`) and the maps' passes over chunks of regions
(:mod:`regions.map_kernels`, :mod:`regions.compensated_kernels`).

Compiled code is cached on disk beside each module (numba's ``cache=True``): the first call in
a fresh environment compiles it (13 s for a decomposition's loops on a 2-core AMD EPYC, most
of it the fused cut loop of :mod:`regions.fused`), later processes load it; any change to the
package's sources drops it (:mod:`regions.kernel_cache`). Compiled twins take plain tuples,
never named ones: numba types a named tuple by its class, and two copies of the package in one
process (as ``benchmarks/bench_against.py`` loads them) would re-type every call.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from .kernel_cache import keep_fresh
from .ragged import offsets, segment_any, segment_max, segment_min

try:
    import numba
except ImportError:  # the numpy twins below serve
    numba = None

__all__ = ["COMPILED", "Plan", "assemble", "crossed_edges", "plan", "provenance", "ring_sources"]

COMPILED = numba is not None and os.environ.get("REGIONS_KERNELS", "") != "numpy"
"""Whether the kernels run compiled (numba) or as their numpy twins; tests switch it."""


class Plan(NamedTuple):
    """What :func:`plan` finds (see there for each field)."""

    above: np.ndarray
    split: np.ndarray
    run: np.ndarray
    shift: np.ndarray
    a: np.ndarray
    b: np.ndarray
    nb: np.ndarray
    pa: np.ndarray
    cross_after: np.ndarray
    cross_before: np.ndarray


def plan(sign: np.ndarray, s: np.ndarray, lengths: np.ndarray) -> Plan:
    """Which polygons a line splits, and each split ring's run of vertices beyond it.

    Parameters
    ----------
    sign : ndarray of int8, shape (n,)
        Exact side of the line (-1, 0, 1) of every vertex of every candidate polygon, polygon
        after polygon, each ring counter-clockwise.
    s : ndarray, shape (n,)
        The line's float values there (the positive run starts after its largest one).
    lengths : ndarray of int64, shape (C,)
        Ring length of every candidate polygon.

    Returns
    -------
    Plan
        The fields below.
    above, split : ndarray of bool, shape (C,)
        A vertex strictly beyond the line; vertices strictly on both sides (split).
    run, shift : ndarray of int64, shape (c,)
        Per split polygon: the number of vertices strictly beyond the line, and the ring
        position it starts at (modulo the ring's length).
    a, b, nb, pa : ndarray of int64, shape (c,)
        Positions, in the split polygons' incidences laid end to end, of the run's first and
        last vertex, the one after it and the one before it.
    cross_after, cross_before : ndarray of bool, shape (c,)
        Whether the vertex after (before) the run lies strictly below the line: then the edge
        to it crosses the line, else the vertex is on it.

    Examples
    --------
    A square whose corners 1 and 2 lie beyond the line, 0 on it and 3 below:

    >>> import numpy as np
    >>> from regions.kernels import plan
    >>> p = plan(np.array([0, 1, 1, -1], np.int8), np.array([0, 1.0, 2.0, -1.0]), np.array([4]))
    >>> [a.tolist() for a in p]
    [[True], [True], [2], [5], [1], [2], [3], [0], [True], [False]]
    """
    return Plan(*(_plan_compiled if COMPILED else _plan_numpy)(sign, s, lengths))


def ring_sources(k: np.ndarray, p: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where every vertex and edge of the split polygons' new rings comes from.

    With ``m = k.sum()`` incidences of the c split polygons laid end to end, sources index
    ``[incidences, crossing before the run (c), crossing after the run (c)]`` for vertices
    and ``[incidences, the cut line on each split polygon (c)]`` for edges. Positive rings
    come first: [line point before the run] + run + [line point after the run]; then the
    negative ones: [crossing after the run] + the rest + [crossing before the run], closed by
    an edge along the line.

    Parameters
    ----------
    k : ndarray of int64, shape (c,)
        Ring lengths of the split polygons.
    p : Plan
        From :func:`plan`.

    Returns
    -------
    start : ndarray of int64, shape (2 c + 1,)
        Ragged offsets of the new rings, positive ones first.
    vertex, edge : ndarray of int64, shape (start[-1],)
        Vertex and edge source of every position of the new rings.

    Examples
    --------
    The square of :func:`plan`'s example: the positive ring is [corner 0 (on the line),
    1, 2, the crossing after], the negative one [that crossing, 3, corner 0]:

    >>> import numpy as np
    >>> from regions.kernels import ring_sources
    >>> from regions.kernels import plan
    >>> p = plan(np.array([0, 1, 1, -1], np.int8), np.array([0, 1.0, 2.0, -1.0]), np.array([4]))
    >>> start, vertex, edge = ring_sources(np.array([4]), p)
    >>> start.tolist(), vertex.tolist(), edge.tolist()
    ([0, 4, 7], [0, 1, 2, 5, 5, 3, 0], [0, 1, 2, 4, 2, 3, 4])
    """
    if COMPILED:  # a plain tuple: numba types it by its fields, not by the class
        return _ring_sources_compiled(k, tuple(p))
    return _ring_sources_numpy(k, p)


def crossed_edges(
    rv: np.ndarray, k: np.ndarray, p: Plan, n_vertices: int
) -> tuple[np.ndarray, ...]:
    """The edges the line crosses, each once though two split neighbours share it.

    Parameters
    ----------
    rv : ndarray of int64, shape (m,)
        Vertex id of every incidence of the split polygons, laid end to end.
    k : ndarray of int64, shape (c,)
        Their ring lengths.
    p : Plan
        From :func:`plan`.
    n_vertices : int
        More than any vertex id (keys are ``low * n_vertices + high``).

    Returns
    -------
    edge : ndarray of int64, shape (e,)
        Incidence position of each distinct crossed edge's first occurrence, in ascending
        order of its (smaller, larger) vertex ids; the edge runs from there to the next vertex
        of its ring (or the one before).
    low, high : ndarray of int64, shape (e,)
        Its two vertex ids, smaller first.
    polygon : ndarray of int64, shape (e,)
        The split polygon (index into the c) it was found in.
    rank : ndarray of int64, shape (2 c',)
        For every crossing (after the run, then before it, of the polygons that have one), its
        edge's index among the e.
    """
    if COMPILED:
        return _crossed_edges_compiled(rv, k, tuple(p), n_vertices)
    return _crossed_edges_numpy(rv, k, p, n_vertices)


def assemble(
    vertex: np.ndarray,
    edge: np.ndarray,
    inc: np.ndarray,
    rv: np.ndarray,
    crossing: np.ndarray,
    own_line: np.ndarray,
    own_error: np.ndarray,
    label: int,
    store: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    base: int,
) -> None:
    """Write the new rings into the ring store from their sources (:func:`ring_sources`).

    Parameters
    ----------
    vertex, edge : ndarray of int64, shape (q,)
        Sources of every new ring position.
    inc, rv : ndarray of int64, shape (m,)
        Store position and vertex id of every incidence of the split polygons.
    crossing : ndarray of int64, shape (2, c)
        New vertex before and after each split polygon's run.
    own_line, own_error : ndarray, shape (c, 3) and (c,)
        The cut line's equation and its error bound on each split polygon.
    label : int
        Label of the new edges along the cut.
    store : (ring, label, lines, errors)
        The mesh's ring store: vertex ids (Q,), edge labels (Q,), line equations (Q, 3) and
        their error bounds (Q,), with room from ``base`` on for the q new positions.
    base : int
        Where the new rings start in the store.
    """
    twin = _assemble_compiled if COMPILED else _assemble_numpy
    twin(vertex, edge, inc, rv, crossing, own_line, own_error, label, store, base)


def provenance(
    low: np.ndarray,
    high: np.ndarray,
    fn: np.ndarray,
    origin: np.ndarray,
    rows: np.ndarray,
    store: tuple[np.ndarray, np.ndarray],
    hull_lines: np.ndarray,
) -> np.ndarray:
    """Where each new vertex comes from (see :attr:`regions.mesh.Mesh.provenance`).

    Parameters
    ----------
    low, high : ndarray of int64, shape (e,)
        The crossed edge's two vertex ids.
    fn, origin : ndarray of int64, shape (e,)
        The cut line's function id and the cut polygon's region at the layer's start.
    rows : ndarray of int64, shape (e,)
        The crossed edge's position in the ring store.
    store : (label, lines)
        The store's edge labels (Q,) and line equations (Q, 3).
    hull_lines : ndarray, shape (k, 3)
        The hull's edge equations: a crossed domain edge (label < 0) is hull edge ``j``
        (recorded as ``-2 - j``) when its equation is exactly that one alone, else -1.

    Returns
    -------
    ndarray of int64, shape (e, 5)
        ``(low, high, fn, edge label, origin)`` per new vertex.
    """
    twin = _provenance_compiled if COMPILED else _provenance_numpy
    return twin(low, high, fn, origin, rows, store, hull_lines)


# --------------------------------------------------------------------- the numpy twins
def _plan_numpy(sign: np.ndarray, s: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
    sub_start = offsets(lengths)
    owner_all = np.repeat(np.arange(len(lengths)), lengths)
    pos_all = sign > 0
    above = segment_any(pos_all, sub_start)
    split = above & segment_any(sign < 0, sub_start)
    if not split.any():
        none = np.zeros(0, dtype=np.int64)
        return above, split, none, none, none, none, none, none, none > 0, none > 0
    keep = split[owner_all]
    k = lengths[split]
    local = (np.arange(sub_start[-1]) - sub_start[owner_all])[keep]
    owner = (np.cumsum(split) - 1)[owner_all[keep]]
    pos, neg, sv = pos_all[keep], sign[keep] < 0, s[keep]
    sub = offsets(k)
    first, k_own = sub[:-1], k[owner]
    # Rotate each ring so that it starts with its run of strictly positive vertices around
    # the positive vertex of largest value: the run and the rest are the two sides (the
    # exact polygon is convex, so its vertices beyond the line form one run).
    key = np.where(pos, sv, -np.inf)
    top = segment_max(key, sub)
    i_top = segment_min(np.where(pos & (key == top[owner]), local, k_own), sub)
    q = (local - i_top[owner]) % k_own
    f = segment_min(np.where(pos, k_own, q), sub)
    g = segment_max(np.where(pos, -1, q), sub)
    run = k - 1 - g + f  # strictly positive vertices, starting at rotated position 0
    shift = i_top + g + 1
    # Positions of rotated positions 0, run - 1, run and k - 1.
    rotated = np.empty((4, len(k)), dtype=np.int64)
    rotated[0], rotated[1], rotated[2], rotated[3] = 0, run - 1, run, k - 1
    a, b, nb, pa = first + (rotated + shift) % k
    return above, split, run, shift, a, b, nb, pa, neg[nb], neg[pa]


def _ring_sources_numpy(k: np.ndarray, p: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _, _, run, shift, _, b, nb, pa, cross_after, cross_before = p
    c, m, ids = len(k), int(k.sum()), np.arange(len(k))
    owner = np.repeat(ids, k)
    first = offsets(k)[:-1]
    local = np.arange(m) - first[owner]  # rotated position of every source slot
    start = offsets(np.concatenate([run + 2, k - run + cross_after + cross_before]))
    p_first, p_last = start[:c], start[1 : c + 1] - 1
    n_first, n_last = start[c:-1], start[c + 1 :] - 1
    vertex = np.empty(start[-1], dtype=np.int64)
    edge = np.empty(start[-1], dtype=np.int64)
    run_own = run[owner]
    dst = np.where(
        local < run_own,
        p_first[owner] + 1 + local,
        n_first[owner] + cross_after[owner] + local - run_own,
    )
    vertex[dst] = edge[dst] = first[owner] + (local + shift[owner]) % k[owner]
    vertex[p_first], edge[p_first] = np.where(cross_before, m + ids, pa), pa
    vertex[p_last], edge[p_last] = np.where(cross_after, m + c + ids, nb), m + ids
    head = n_first[cross_after]
    vertex[head], edge[head] = m + c + ids[cross_after], b[cross_after]
    vertex[n_last[cross_before]] = m + ids[cross_before]
    edge[n_last] = m + ids
    return start, vertex, edge


def _crossed_edges_numpy(
    rv: np.ndarray, k: np.ndarray, p: Plan, n_vertices: int
) -> tuple[np.ndarray, ...]:
    _, _, _, _, a, b, nb, pa, cross_after, cross_before = p
    owner = np.repeat(np.arange(len(k)), k)
    edge = np.concatenate([b[cross_after], pa[cross_before]])  # position of the edge
    other = np.concatenate([nb[cross_after], a[cross_before]])  # its far end
    low, high = np.minimum(rv[edge], rv[other]), np.maximum(rv[edge], rv[other])
    keys = low * n_vertices + high
    # The first position of each distinct key (keys ascending) and each key's rank.
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=new[1:])
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.cumsum(new) - 1
    pick = order[new]
    return edge[pick], low[pick], high[pick], owner[edge[pick]], rank


def _assemble_numpy(
    vertex: np.ndarray,
    edge: np.ndarray,
    inc: np.ndarray,
    rv: np.ndarray,
    crossing: np.ndarray,
    own_line: np.ndarray,
    own_error: np.ndarray,
    label: int,
    store: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    base: int,
) -> None:
    ring, labels, lines, errors = store
    m, stop = len(inc), base + len(vertex)
    edges = np.concatenate([inc, np.full(len(own_line), -1)])[edge]
    along = edges < 0  # along the cut: the cut line's equation on the split polygon
    new_lines, new_errors = lines[edges], errors[edges]
    new_lines[along], new_errors[along] = own_line[edge[along] - m], own_error[edge[along] - m]
    new_labels = labels[edges]
    new_labels[along] = label
    ring[base:stop] = np.concatenate([rv, crossing.ravel()])[vertex]
    labels[base:stop], lines[base:stop], errors[base:stop] = new_labels, new_lines, new_errors


def _provenance_numpy(
    low: np.ndarray,
    high: np.ndarray,
    fn: np.ndarray,
    origin: np.ndarray,
    rows: np.ndarray,
    store: tuple[np.ndarray, np.ndarray],
    hull_lines: np.ndarray,
) -> np.ndarray:
    labels, lines = store
    out = np.empty((len(low), 5), dtype=np.int64)
    out[:, 0], out[:, 1], out[:, 2], out[:, 4] = low, high, fn, origin
    out[:, 3] = labels[rows]
    outer = np.flatnonzero(out[:, 3] < 0)
    on_hull = (lines[rows[outer], None] == hull_lines).all(axis=2)
    out[outer, 3] = np.where(on_hull.sum(axis=1) == 1, -2 - on_hull.argmax(axis=1), -1)
    return out


# ----------------------------------------------------------------- the compiled twins
def _plan_loops(sign: np.ndarray, s: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
    n_poly = lengths.size
    flags = np.zeros((2, n_poly), dtype=np.bool_)
    above, split = flags[0], flags[1]
    c, at = 0, 0
    for i in range(n_poly):
        for j in range(at, at + lengths[i]):
            above[i] |= sign[j] > 0
            split[i] |= sign[j] < 0
        split[i] &= above[i]
        c += split[i]
        at += lengths[i]
    # One array per type, its rows the fields: each allocation costs more than these loops.
    ints, crosses = np.empty((6, c), dtype=np.int64), np.empty((2, c), dtype=np.bool_)
    run, shift, a, b, nb, pa = ints[0], ints[1], ints[2], ints[3], ints[4], ints[5]
    cross_after, cross_before = crosses[0], crosses[1]
    at, ci, kept = 0, 0, 0
    for i in range(n_poly):
        k = lengths[i]
        if split[i]:
            top, i_top = -np.inf, k  # the first positive vertex of largest value
            for j in range(k):
                if sign[at + j] > 0 and s[at + j] > top:
                    top, i_top = s[at + j], j
            f, g = k, -1  # first and last rotated position not beyond the line
            for j in range(k):
                if sign[at + j] <= 0:
                    q = (j - i_top) % k
                    f, g = min(f, q), max(g, q)
            r, sh = k - 1 - g + f, i_top + g + 1
            run[ci], shift[ci] = r, sh
            a[ci], b[ci] = kept + sh % k, kept + (r - 1 + sh) % k
            nb[ci], pa[ci] = kept + (r + sh) % k, kept + (k - 1 + sh) % k
            cross_after[ci] = sign[at + (r + sh) % k] < 0
            cross_before[ci] = sign[at + (k - 1 + sh) % k] < 0
            kept += k
            ci += 1
        at += k
    return above, split, run, shift, a, b, nb, pa, cross_after, cross_before


def _ring_sources_loops(k: np.ndarray, p: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _, _, run, shift, _, b, nb, pa, cross_after, cross_before = p
    c = k.size
    m = 0
    for i in range(c):
        m += k[i]
    start = np.empty(2 * c + 1, dtype=np.int64)
    start[0] = 0
    for i in range(c):
        start[i + 1] = start[i] + run[i] + 2
    for i in range(c):
        start[c + i + 1] = start[c + i] + k[i] - run[i] + cross_after[i] + cross_before[i]
    sources = np.empty((2, start[2 * c]), dtype=np.int64)  # one allocation
    vertex, edge = sources[0], sources[1]
    first = 0
    for i in range(c):
        p_first, p_last = start[i], start[i + 1] - 1
        n_first, n_last = start[c + i], start[c + i + 1] - 1
        for j in range(k[i]):
            if j < run[i]:
                d = p_first + 1 + j
            else:
                d = n_first + cross_after[i] + j - run[i]
            vertex[d] = edge[d] = first + (j + shift[i]) % k[i]
        vertex[p_first] = m + i if cross_before[i] else pa[i]
        edge[p_first] = pa[i]
        vertex[p_last] = m + c + i if cross_after[i] else nb[i]
        edge[p_last] = m + i
        if cross_after[i]:
            vertex[n_first], edge[n_first] = m + c + i, b[i]
        if cross_before[i]:
            vertex[n_last] = m + i
        edge[n_last] = m + i
        first += k[i]
    return start, vertex, edge


_RUN = 32
"""Runs of this many keys are sorted by insertion before :func:`_stable_order` merges them (a
small net's cuts cross fewer edges than that: one run, no merge)."""


def _stable_order(keys: np.ndarray, order: np.ndarray, scratch: np.ndarray) -> None:
    """The indices that sort ``keys`` (n,) into ``order`` (n,), equal keys in index order (as
    ``np.argsort(keys, kind="stable")``), using ``scratch`` (n,): insertion-sorted runs of
    :data:`_RUN`, merged bottom-up. Compiled, in place of numba's mergesort, whose work arrays
    are allocated at every cut and whose compiling took two seconds."""
    n = keys.size
    for lo in range(0, n, _RUN):
        for j in range(lo, min(lo + _RUN, n)):
            i = j
            while i > lo and keys[order[i - 1]] > keys[j]:  # strictly: stable
                order[i] = order[i - 1]
                i -= 1
            order[i] = j
    src, dst, width, in_scratch = order, scratch, _RUN, False
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            i, j = lo, mid
            for at in range(lo, hi):
                if i < mid and (j >= hi or keys[src[i]] <= keys[src[j]]):  # the left first
                    dst[at] = src[i]
                    i += 1
                else:
                    dst[at] = src[j]
                    j += 1
        src, dst, width, in_scratch = dst, src, 2 * width, not in_scratch
    if in_scratch:  # an odd number of merge passes
        for at in range(n):
            order[at] = scratch[at]


def _crossed_edges_loops(
    rv: np.ndarray, k: np.ndarray, p: tuple, n_vertices: int
) -> tuple[np.ndarray, ...]:
    _, _, _, _, a, b, nb, pa, cross_after, cross_before = p
    c = k.size
    n_after, n_before = 0, 0
    for i in range(c):
        n_after += cross_after[i]
        n_before += cross_before[i]
    e = n_after + n_before
    found = np.empty((8, e), dtype=np.int64)  # one allocation, as in _plan_loops
    edge, owner, low, high = found[0], found[1], found[2], found[3]
    keys, order, rank, scratch = found[4], found[5], found[6], found[7]
    j, jb = 0, n_after
    for i in range(c):
        if cross_after[i]:
            edge[j], owner[j] = b[i], i
            low[j], high[j] = min(rv[b[i]], rv[nb[i]]), max(rv[b[i]], rv[nb[i]])
            j += 1
        if cross_before[i]:
            edge[jb], owner[jb] = pa[i], i
            low[jb], high[jb] = min(rv[pa[i]], rv[a[i]]), max(rv[pa[i]], rv[a[i]])
            jb += 1
    for j in range(e):
        keys[j] = low[j] * n_vertices + high[j]
    _stable_order(keys, order, scratch)
    distinct = 0
    for j in range(e):  # the first of each key; the sort is done with scratch, which holds them
        if j == 0 or keys[order[j]] != keys[order[j - 1]]:
            scratch[distinct] = order[j]
            distinct += 1
        rank[order[j]] = distinct - 1
    picked = np.empty((4, distinct), dtype=np.int64)  # edge, low, high, owner of each
    for at in range(distinct):
        i = scratch[at]
        picked[0, at], picked[1, at] = edge[i], low[i]
        picked[2, at], picked[3, at] = high[i], owner[i]
    return picked[0], picked[1], picked[2], picked[3], rank


def _assemble_loops(
    vertex: np.ndarray,
    edge: np.ndarray,
    inc: np.ndarray,
    rv: np.ndarray,
    crossing: np.ndarray,
    own_line: np.ndarray,
    own_error: np.ndarray,
    label: int,
    store: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    base: int,
) -> None:
    ring, labels, lines, errors = store
    m, c = inc.size, own_line.shape[0]
    for d in range(vertex.size):
        v, source, at = vertex[d], edge[d], base + d
        ring[at] = rv[v] if v < m else crossing[(v - m) // c, (v - m) % c]
        if source < m:  # the incidences' own edges (their store rows lie before base)
            row = inc[source]
            for j in range(3):
                lines[at, j] = lines[row, j]
            errors[at], labels[at] = errors[row], labels[row]
        else:  # along the cut
            for j in range(3):
                lines[at, j] = own_line[source - m, j]
            errors[at], labels[at] = own_error[source - m], label


def _provenance_loops(
    low: np.ndarray,
    high: np.ndarray,
    fn: np.ndarray,
    origin: np.ndarray,
    rows: np.ndarray,
    store: tuple[np.ndarray, np.ndarray],
    hull_lines: np.ndarray,
) -> np.ndarray:
    labels, lines = store
    out = np.empty((low.size, 5), dtype=np.int64)
    for i in range(low.size):
        out[i, 0], out[i, 1], out[i, 2], out[i, 4] = low[i], high[i], fn[i], origin[i]
        label, row = labels[rows[i]], rows[i]
        if label < 0:
            matches, first = 0, -1
            for j in range(hull_lines.shape[0]):
                same = lines[row, 0] == hull_lines[j, 0] and lines[row, 1] == hull_lines[j, 1]
                if same and lines[row, 2] == hull_lines[j, 2]:
                    matches += 1
                    first = j if first < 0 else first
            label = -2 - first if matches == 1 else -1
        out[i, 3] = label
    return out


if numba is not None:
    # Before any kernel of the package loads its cached code (at its first call).
    keep_fresh(_plan_loops)
    _stable_order = numba.njit(cache=True, nogil=True)(_stable_order)
    _plan_compiled = numba.njit(cache=True, nogil=True)(_plan_loops)
    _ring_sources_compiled = numba.njit(cache=True, nogil=True)(_ring_sources_loops)
    _crossed_edges_compiled = numba.njit(cache=True, nogil=True)(_crossed_edges_loops)
    _assemble_compiled = numba.njit(cache=True, nogil=True)(_assemble_loops)
    _provenance_compiled = numba.njit(cache=True, nogil=True)(_provenance_loops)
