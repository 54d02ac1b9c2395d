"""An independent, after-the-fact certificate of a decomposition: :func:`certify`.

It re-derives, without the decomposition's own bookkeeping, that

- every cell's activation pattern is the exact sign pattern of the model at an interior point
  (a float forward pass with a rigorous error bound settles each sign; exact rational
  arithmetic settles the rest),
- every cell's output map agrees with the exact output there within the error bound the
  decomposition carried with it (the worst deviation is reported too),
- the cells form a conforming cover of the domain's hull: every interior edge is shared by
  exactly two cells with opposite orientations, the hull's edges by one, every cell has
  positive area, and the cells on either side of an edge drawn by a breakpoint differ in that
  breakpoint's bit; and the edges labelled the domain's run counter-clockwise along the
  hull's boundary and enclose its area once, exactly (with ``complete=True``, or where the
  float vertices are the exact ones: the boundary vertices' exact positions took 4.9 s of
  He+bias 2-64x8-1's certificate, which is 1.4 s without them).

Positive orientation plus conformity is what makes a tiling: a point off the edges is wound
once by the hull's boundary, so exactly one positively oriented cell contains it.

With ``complete=True`` it also proves that no breakpoint crosses a cell (that every cell lies
in one linear region, so that the count is right): from the exact values at every vertex, in
rationals, which take far longer than the rest (2-32x3-1's 1,255 vertices: 1.1 s, against
0.015 s; 2-64x3-1's 6,832: 15 s; hours for millions).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .bounded import settled_signs
from .errors import RegionsError
from .floats import SAFE, gamma
from .mesh import DOMAIN_EDGE
from .oracle import exact_eval
from .partition import Partition
from .ragged import segment_sum
from .threads import one_blas_thread, over_chunks

__all__ = ["CHUNK_POINTS", "CertificationError", "CertificationReport", "certify"]

CHUNK_POINTS = 1 << 13
"""Interior points checked at a time: every node's values and bounds exist only for a chunk
(He+bias 2-64x14-1 on [-3, 3]^2, 159,484 cells: 2.3 s and 2.1 GB peak in chunks on two
cores, against 5.9 s and 6.1 GB for all points at once)."""


class CertificationError(RegionsError, AssertionError):
    """A decomposition failed :func:`regions.certify`; the message names the first failure."""


@dataclass(frozen=True)
class CertificationReport:
    """What :func:`certify` checked.

    Attributes
    ----------
    n_cells : int
        Convex cells checked (the regions, before clipping to a non-convex domain).
    n_signs : int
        Breakpoint signs checked at the cells' interior points.
    n_exact_points : int
        Interior points where some sign needed exact rational arithmetic.
    n_edges : int
        Edges checked for conformity.
    worst_map_error : float
        Largest deviation of a cell's output map from the exact output at its interior
        point, relative to ``max(1, |output|)`` (an upper bound).
    seconds : float
        Time taken.
    """

    n_cells: int
    n_signs: int
    n_exact_points: int
    n_edges: int
    worst_map_error: float
    seconds: float


def certify(part: Partition, *, complete: bool = False) -> CertificationReport:
    """Check a partition in exact arithmetic; raise :class:`CertificationError` if it is wrong.

    Parameters
    ----------
    part : Partition
        From :func:`regions.decompose` (at full depth).
    complete : bool
        Also prove that no breakpoint crosses a cell, so that the count is the model's (the
        exact values at every vertex, in rationals: 15 s for 2-64x3-1's 6,832 vertices), and
        that the domain's edges run along the hull's boundary once.

    Returns
    -------
    CertificationReport

    Raises
    ------
    CertificationError
        Naming the first cell whose pattern or map is wrong, or the first edge that breaks
        the tiling; with ``complete``, the first cell a breakpoint crosses.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> report = regions.certify(regions.decompose(sawtooth(3), (0, 1, 0, 1)))
    >>> report.n_cells, report.n_signs, report.worst_map_error < 1e-12
    (8, 48, True)
    """
    if part.depth != part.network.n_layers:
        raise ValueError(f"certify needs a full-depth partition, got depth {part.depth}")
    started = time.perf_counter()
    n_edges = _check_tiling(part, complete)
    points = segment_sum(part.vertices[part.ring], part.start) / np.diff(part.start)[:, None]
    signs, undecided, logits, errors = _settled(part, points)
    patterns = part.cell_patterns
    exact_rows = np.flatnonzero(undecided.any(axis=1))
    A, c = part._output_maps
    mapped = np.einsum("rij,rj->ri", A, points) + c
    deviation = np.abs(mapped - logits) + errors
    exact = exact_eval(part.network, part.plane, points[exact_rows]) if exact_rows.size else []
    for r, point in zip(exact_rows.tolist(), exact, strict=True):
        signs[r] = point.pattern
        deviation[r] = [
            abs(Fraction(float(v)) - e) for v, e in zip(mapped[r], point.logits, strict=True)
        ]
    # A cell too thin for float64 has no float point inside: judge it at the mean of its
    # exact vertices (rebuilt from their provenance), strictly inside the exact cell.
    thin = np.flatnonzero((signs != patterns).any(axis=1)) if part.cut_state is not None else []
    if len(thin):
        inside = [part.exact_point(int(r)) for r in thin]
        for r, point in zip(thin, exact_eval(part.network, part.plane, inside), strict=True):
            signs[r] = point.pattern
    wrong = np.flatnonzero((signs != patterns).any(axis=1))
    if wrong.size:
        r = int(wrong[0])
        col = int(np.flatnonzero(signs[r] != patterns[r])[0])
        raise CertificationError(
            f"cell {r}: breakpoint {col} (layer {part.breakpoints.layer[col]}, unit "
            f"{part.breakpoints.unit[col]}) is {'on' if signs[r, col] else 'off'} at the interior "
            f"point {points[r].tolist()}, but the pattern says "
            f"{'on' if patterns[r, col] else 'off'}"
        )
    if part.cut_state is not None:
        _check_maps(part, points, np.asarray(deviation, dtype=np.float64), thin)
    if complete:
        _check_complete(part)
    scale = np.maximum(np.abs(logits), 1.0)
    worst = float((np.asarray(deviation, dtype=np.float64) / scale).max(initial=0.0))
    return CertificationReport(
        n_cells=part.n_cells,
        n_signs=int(patterns.size),
        n_exact_points=int(exact_rows.size) + len(thin),
        n_edges=n_edges,
        worst_map_error=worst,
        seconds=time.perf_counter() - started,
    )


def _check_complete(part: Partition) -> None:
    """No breakpoint crosses a cell: at every exact corner each unit lies on its pattern's side
    of each breakpoint, or on it.

    With the pattern right at an interior point, that is enough, layer by layer: the first
    layer's preactivations are affine, so on the cell they keep the corners' weak signs, and
    strictly inside it the interior point's strict ones (an affine function at least ``t`` on
    a convex cell that reaches ``t`` inside it is ``t`` throughout); so the pattern holds
    inside the cell, the next layer is affine there, and its values at the corners (the
    model is continuous) are its affine map's."""
    points = [part._exact_vertex(v) for v in range(len(part.vertices))]
    signs = np.array(
        [p.signs for p in exact_eval(part.network, part.plane, points)], dtype=np.int8
    ).reshape(len(part.vertices), -1)
    owner, corner = part._owner, signs[part.ring]
    on = part.cell_patterns[owner]
    wrong = (on & (corner < 0)) | (~on & (corner > 0))  # (incidences, breakpoints)
    crossed = np.flatnonzero(wrong.any(axis=1))
    if crossed.size:
        i = int(crossed[0])
        col = int(np.flatnonzero(wrong[i])[0])
        raise CertificationError(
            f"cell {int(owner[i])}: breakpoint {col} (layer {part.breakpoints.layer[col]}, unit "
            f"{part.breakpoints.unit[col]}) crosses it: its pattern says "
            f"{'on' if on[i, col] else 'off'}, but at its vertex {int(part.ring[i])} the unit "
            f"is {'below' if corner[i, col] < 0 else 'above'} the breakpoint"
        )


def _check_maps(
    part: Partition, points: np.ndarray, deviation: np.ndarray, thin: np.ndarray
) -> None:
    """Every cell's output map (the decomposition's, carried through the pass with its error
    bound) within that bound of the exact output at an interior point of the cell.

    ``deviation`` (C, n_out) bounds each map's float value at its point from above; where it
    exceeds the map's own bound plus the value's rounding, the map is judged exactly there.
    The ``thin`` cells, whose float points lie outside them, are judged exactly at their exact
    interior points."""
    A, c = part._output_maps
    own = part.cut_state.output.own()  # at any point of the box, m alone
    rounding = gamma(3) * (np.abs(A[:, :, 0] * points[:, :1]) + np.abs(A[:, :, 1] * points[:, 1:]))
    allowed = (own + rounding + gamma(3) * np.abs(c)) * SAFE
    suspect = ~(deviation <= allowed).all(axis=1)  # NaN too
    suspect[thin] = False
    rows = np.flatnonzero(suspect)
    inside = [tuple(Fraction(float(x)) for x in points[r]) for r in rows.tolist()]
    inside += [part.exact_point(int(r)) for r in thin]
    rows = np.concatenate([rows, np.asarray(thin, dtype=np.int64)])
    if not rows.size:
        return
    exact = exact_eval(part.network, part.plane, inside)
    for r, (u, v), point in zip(rows.tolist(), inside, exact, strict=True):
        for o, logit in enumerate(point.logits):
            value = Fraction(float(A[r, o, 0])) * u + Fraction(float(A[r, o, 1])) * v
            off = abs(value + Fraction(float(c[r, o])) - logit)
            if not off <= Fraction(float(own[r, o])):
                raise CertificationError(
                    f"cell {r}: output {o} of its map is off by {float(off):.3g} at the interior "
                    f"point ({float(u)!r}, {float(v)!r}), more than its error bound "
                    f"{own[r, o]:.3g}"
                )


def _settled(
    part: Partition, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`regions.bounded.settled_signs` at the cells' interior points (R, 2), a chunk of
    points at a time in as many threads as pay (:func:`regions.threads.over_chunks`), keeping
    of every node's values only the output's: signs and undecided (R, S), logits and their
    error bounds (R, n_out). Each point is judged on its own, within its bounds; its floats
    may round differently with the chunk's shape (BLAS picks its kernel by shape)."""
    net, out = part.network, part.network.output

    def run(first: int, last: int) -> list[tuple[np.ndarray, ...]]:
        done = []
        for lo in range(first, last, CHUNK_POINTS):
            chunk = points[lo : min(lo + CHUNK_POINTS, last)]
            signs, undecided, values, errors = settled_signs(net, part.plane, chunk)
            done.append((signs, undecided, values[out], errors[out]))
        return done

    with one_blas_thread():  # small products, chunk by chunk, as decompose's
        runs = over_chunks(len(points), CHUNK_POINTS, run)
    chunks = [chunk for done in runs for chunk in done]
    signs, undecided, logits, errors = (np.concatenate(a) for a in zip(*chunks, strict=True))
    return signs, undecided, logits, errors


def _exact_corners(part: Partition, cell: int) -> list[tuple[Fraction, Fraction]]:
    """A cell's corners as exact points: rebuilt from their provenance where the partition
    keeps it, else its float vertices taken as exact."""
    verts = part.ring[part.start[cell] : part.start[cell + 1]].tolist()
    return [part._exact_vertex(v) for v in verts]


def _check_boundary(part: Partition, at: np.ndarray) -> None:
    """The edges at ring positions ``at``, labelled the domain's, run counter-clockwise along
    the hull's edges (exactly) and enclose the hull's area once: then they are its boundary,
    each stretch of it once (a cycle on the hull's boundary that runs one way is a whole number
    of turns, and the area counts them)."""
    hull = part.domain.hull
    corners = [(Fraction(x), Fraction(y)) for x, y in hull.tolist()]
    sides = list(zip(corners, corners[1:] + corners[:1], strict=True))
    # The hull side each edge's float midpoint lies nearest to is the one to try first.
    u, v = part.ring[at], part.ring[part._next[at]]
    mid = (part.vertices[u] + part.vertices[v]) / 2
    d = np.roll(hull, -1, axis=0) - hull
    off = np.abs(d[:, 0] * (mid[:, 1:] - hull[:, 1]) - d[:, 1] * (mid[:, :1] - hull[:, 0]))
    nearest = np.argsort(off / np.hypot(d[:, 0], d[:, 1]), axis=1)
    twice = Fraction(0)
    for i, (p, q) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        a, b = part._exact_vertex(p), part._exact_vertex(q)
        if not any(_along(a, b, *sides[k]) for k in nearest[i].tolist()):
            raise CertificationError(
                f"edge ({p}, {q}) of cell {int(part._owner[at[i]])} is labelled the domain's "
                "but does not run counter-clockwise along the hull's boundary"
            )
        twice += a[0] * b[1] - b[0] * a[1]
    hull_twice = sum(p[0] * q[1] - q[0] * p[1] for p, q in sides)
    if twice != hull_twice:
        raise CertificationError(
            f"the domain's edges enclose an area of {float(twice) / 2:.6g}, the hull "
            f"{float(hull_twice) / 2:.6g}: the cells do not cover the hull once"
        )


def _along(a: tuple, b: tuple, h0: tuple, h1: tuple) -> bool:
    """Whether the segment from ``a`` to ``b`` lies on the hull side from ``h0`` to ``h1`` and
    runs the same way (exact points)."""
    dx, dy = h1[0] - h0[0], h1[1] - h0[1]
    length = dx * dx + dy * dy
    for x, y in (a, b):
        if dx * (y - h0[1]) != dy * (x - h0[0]):
            return False
        if not 0 <= dx * (x - h0[0]) + dy * (y - h0[1]) <= length:
            return False
    return dx * (b[0] - a[0]) + dy * (b[1] - a[1]) > 0


def _check_tiling(part: Partition, boundary_too: bool) -> int:
    """Conformity, orientation and edge labels of the convex cells, and with ``boundary_too``
    (or where the float vertices are the exact ones) the hull's boundary; returns the edge
    count."""
    ring, start, label = part.ring, part.start, part.edge_label
    nxt = part._next
    a, b = ring, ring[nxt]
    n = len(part.vertices)
    key = np.minimum(a, b) * n + np.maximum(a, b)
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    first = np.r_[True, key_sorted[1:] != key_sorted[:-1]]
    counts = np.diff(np.r_[np.flatnonzero(first), len(key)])
    group = np.cumsum(first) - 1
    count = counts[group][np.argsort(order)]
    boundary = label == DOMAIN_EDGE
    bad = np.flatnonzero((boundary & (count != 1)) | (~boundary & (count != 2)))
    if bad.size:
        i = int(bad[0])
        raise CertificationError(
            f"edge ({a[i]}, {b[i]}) of cell {int(part._owner[i])} is shared by {count[i]} "
            f"cells; a {'domain' if boundary[i] else 'interior'} edge needs "
            f"{1 if boundary[i] else 2}"
        )
    if boundary_too or part.cut_state is None:  # exact positions: 1 to 6 ms a vertex
        _check_boundary(part, np.flatnonzero(boundary))
    twin_a, twin_b = part._twins
    if np.any(a[twin_a] != b[twin_b]) or np.any(b[twin_a] != a[twin_b]):
        raise CertificationError("two cells traverse a shared edge in the same direction")
    patterns = part.cell_patterns
    drawn = label[twin_a]
    split = drawn >= 0
    owners = part._owner
    same = (
        patterns[owners[twin_a[split]], drawn[split]]
        == patterns[owners[twin_b[split]], drawn[split]]
    )
    if same.any():
        i = int(np.flatnonzero(split)[np.flatnonzero(same)[0]])
        raise CertificationError(
            f"cells {int(owners[twin_a[i]])} and {int(owners[twin_b[i]])} share an edge drawn by "
            f"breakpoint {int(drawn[i])} but agree on its bit"
        )
    xy = part.vertices[ring]
    q = part.vertices[ring[nxt]]
    cross = xy[:, 0] * q[:, 1] - q[:, 0] * xy[:, 1]
    area2 = segment_sum(cross, start)
    bound = gamma(int(np.diff(start).max(initial=0)) + 2) * segment_sum(
        np.abs(xy[:, 0] * q[:, 1]) + np.abs(q[:, 0] * xy[:, 1]), start
    )
    for r in np.flatnonzero(area2 <= bound).tolist():
        pts = _exact_corners(part, r)
        exact = sum(
            p[0] * q_[1] - q_[0] * p[1] for p, q_ in zip(pts, pts[1:] + pts[:1], strict=True)
        )
        if exact <= 0:
            raise CertificationError(f"cell {r} has non-positive area ({float(exact) / 2:.3g})")
    return int(len(ring) - twin_a.size)
