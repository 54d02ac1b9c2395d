"""Space folding, computed exactly from a decomposition.

Lewandowski et al.'s folding measure of a straight segment ``[p, q]`` in input space: walk along
the segment through the linear regions it crosses, with activation patterns ``pi_1 .. pi_m`` in
order, and compare how far the walk gets in Hamming distance with how far it travels::

    chi = 1 - max_i d_H(pi_1, pi_i) / sum_i d_H(pi_i, pi_{i+1})

``chi = 0`` when the walk only moves away from its start (a one-hidden-layer net: every
boundary is a line, crossed at most once), and approaches 1 when the walk keeps coming back to
patterns near the first one (the space is folded onto itself). A segment inside one region has
``chi = 0`` by definition.

Nothing here samples points: the regions a segment crosses come from clipping it against the
exact region polygons, and the images of regions under the first ``k`` layers come from the
exact affine maps of :meth:`regions.Partition.affine`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely

from analysis.lab.data import Box
from regions import Partition

__all__ = [
    "Crossing",
    "chi_by_layer",
    "crossed_regions",
    "folding_distribution",
    "folding_measure",
    "pattern_walk",
    "random_segments",
]

#: Pieces shorter than this fraction of the segment are touches (corners), not crossings.
TOUCH_RTOL = 1e-12


@dataclass(frozen=True)
class Crossing:
    """The regions a segment ``p + t (q - p)``, ``t in [0, 1]``, crosses, in order.

    Attributes
    ----------
    indices : ndarray of int, shape (m,)
        Region index (into the partition's per-region arrays) of each piece.
    t_enter, t_exit : ndarray of float, shape (m,)
        Segment parameter where each piece starts and ends (a fraction of the segment, so
        unitless); consecutive pieces share their endpoints, ``t_enter[0] = 0`` and
        ``t_exit[-1] = 1`` when the segment lies in the domain.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.studies.folding.measures import Crossing
    >>> c = Crossing(np.array([3, 2, 0]), np.array([0.0, 0.25, 0.5]), np.array([0.25, 0.5, 1.0]))
    >>> len(c)  # pieces
    3
    >>> indices, t_enter, t_exit = c  # unpacks like a tuple
    >>> (t_exit - t_enter).tolist()  # piece lengths, as fractions of the segment
    [0.25, 0.25, 0.5]
    """

    indices: np.ndarray
    t_enter: np.ndarray
    t_exit: np.ndarray

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.indices, self.t_enter, self.t_exit))


def _as_segment(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != (2,) or q.shape != (2,):
        raise ValueError(f"p and q must be points of shape (2,), got {p.shape} and {q.shape}")
    if not np.all(np.isfinite(p)) or not np.all(np.isfinite(q)):
        raise ValueError("p and q must be finite")
    return p, q


def _edges(part: Partition) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ring position: edge start (I, 2), edge vector (I, 2) and its length (I,)."""
    a = part.vertices[part.ring]
    nxt = np.arange(1, len(part.ring) + 1)
    nxt[part.start[1:] - 1] = part.start[:-1]
    e = part.vertices[part.ring[nxt]] - a
    return a, e, np.linalg.norm(e, axis=1)


def _clip_convex(
    part: Partition,
    p: np.ndarray,
    d: np.ndarray,
    tol: float,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, ...]:
    """Parameter interval of the segment inside every convex cell, by half-plane clipping.

    Each counter-clockwise edge ``a -> a + e`` keeps ``cross(e, x - a) >= 0``; along
    ``x = p + t d`` that is ``num + t den >= 0``, a lower bound on t where ``den > 0`` and an
    upper bound where ``den < 0``. Edges parallel to the segment keep all or nothing; ``tol``
    (a length) lets a segment lying on a shared edge count as inside both cells, which the
    caller resolves.
    """
    a, e, norm = edges
    num = e[:, 0] * (p[1] - a[:, 1]) - e[:, 1] * (p[0] - a[:, 0])
    den = e[:, 0] * d[1] - e[:, 1] * d[0]
    parallel = np.abs(den) <= 1e-14 * norm * np.linalg.norm(d)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # parallel: masked
        bound = -num / den
    lower = np.where(parallel | (den < 0), -np.inf, bound)
    upper = np.where(parallel | (den > 0), np.inf, bound)
    # A parallel edge with the segment on its outer side empties the cell.
    empty = parallel & (num < -tol * norm)
    lower = np.where(empty, np.inf, lower)
    lo = np.maximum.reduceat(lower, part.start[:-1])
    hi = np.minimum.reduceat(upper, part.start[:-1])
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


def _clip_shapely(part: Partition, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pieces of the segment inside every region polygon (non-convex domains), via shapely."""
    line = shapely.LineString([p, q])
    geoms = part.to_shapely()
    cand = shapely.STRtree(geoms).query(line, predicate="intersects")
    pieces, owner = shapely.get_parts(shapely.intersection(line, geoms[cand]), return_index=True)
    keep = shapely.get_type_id(pieces) == 1
    pieces, owner = pieces[keep], cand[owner[keep]]
    ends = np.stack(
        [
            shapely.line_locate_point(line, shapely.get_point(pieces, 0), normalized=True),
            shapely.line_locate_point(line, shapely.get_point(pieces, -1), normalized=True),
        ]
    )
    return owner, ends.min(axis=0), ends.max(axis=0)


def crossed_regions(part: Partition, p: np.ndarray, q: np.ndarray) -> Crossing:
    """The exact sequence of regions the segment ``[p, q]`` crosses, in order from ``p``.

    Parameters
    ----------
    part : Partition
        Any partition (``part.at_depth(k)`` for the regions of the first k layers).
    p, q : array_like, shape (2,)
        Segment endpoints in plane coordinates.

    Returns
    -------
    Crossing
        ``(indices (m,), t_enter (m,), t_exit (m,))``, unpackable as a tuple. Pieces shorter
        than ``TOUCH_RTOL`` of the segment (corner touches) are dropped. A segment that runs
        exactly along a boundary is assigned to one of the two regions there. Parts of the
        segment outside the domain are absent (gaps in the parameters).

    Notes
    -----
    On a convex domain the cells are clipped in numpy, all at once (one pass over every edge
    of the partition); on a non-convex domain shapely intersects the segment with the clipped
    regions, and a non-convex region may appear more than once.

    Examples
    --------
    Units ``relu(x)`` and ``relu(y)`` cut the square into its four quadrants:

    >>> import torch, regions
    >>> from analysis.studies.folding.measures import crossed_regions
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.eye(2)); _ = net[0].bias.zero_()
    >>> part = regions.decompose(net, (-1, 1, -1, 1))
    >>> c = crossed_regions(part, [-0.5, -1.0], [1.0, 0.5])  # x = 0 at t = 1/3, y = 0 at t = 2/3
    >>> part.patterns[c.indices].astype(int).tolist()  # (x > 0, y > 0) of each piece
    [[0, 0], [1, 0], [1, 1]]
    >>> (3 * c.t_exit).round(12).tolist()
    [1.0, 2.0, 3.0]

    A segment leaving the domain: it enters the square at x = -1, i.e. t = 0.4.

    >>> c = crossed_regions(part, [-2.0, 0.5], [0.5, 0.5])
    >>> c.t_enter.tolist(), c.t_exit.tolist()
    ([0.4, 0.8], [0.8, 1.0])
    """
    return _crossed(part, p, q, _edges(part) if part.domain.convex else None)


def _crossed(
    part: Partition,
    p: np.ndarray,
    q: np.ndarray,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> Crossing:
    """:func:`crossed_regions` with the partition's edges (convex domains) precomputed."""
    p, q = _as_segment(p, q)
    d = q - p
    length = float(np.linalg.norm(d))
    if length == 0:
        raise ValueError("the segment has zero length")
    tol = TOUCH_RTOL * max(length, part.domain.diameter)
    if edges is not None:
        lo, hi = _clip_convex(part, p, d, tol, edges)
        idx = np.flatnonzero(hi - lo > TOUCH_RTOL)
        lo, hi = lo[idx], hi[idx]
    else:
        idx, lo, hi = _clip_shapely(part, p, q)
        keep = hi - lo > TOUCH_RTOL
        idx, lo, hi = idx[keep], lo[keep], hi[keep]
    order = np.lexsort((idx, lo))
    idx, lo, hi = idx[order], lo[order], hi[order]
    # Along a shared boundary both neighbours hold the piece: keep only pieces that reach past
    # everything before them, then close the rounding gaps so the pieces tile exactly.
    reach = np.maximum.accumulate(hi)
    prev = np.concatenate([[-np.inf], reach[:-1]])
    keep = hi > prev + TOUCH_RTOL
    idx, lo, hi, prev = idx[keep], lo[keep], hi[keep], prev[keep]
    lo = np.where(lo - prev <= 1e-9, prev, lo)
    return Crossing(idx.astype(np.int64), lo, hi)


def _patterns(part: Partition, layer: int | None, cumulative: bool) -> np.ndarray:
    """Pattern columns (R, S') used for Hamming distances."""
    if layer is None:
        return part.patterns
    if not 1 <= layer <= part.depth:
        raise ValueError(f"layer must be in 1..{part.depth}, got {layer}")
    if not cumulative:
        return part.layer_patterns(layer)
    # Pattern columns are ordered by layer, so layers 1..layer are consecutive blocks.
    return np.hstack([part.layer_patterns(k) for k in range(1, layer + 1)])


def pattern_walk(
    part: Partition,
    p: np.ndarray,
    q: np.ndarray,
    layer: int | None = None,
    *,
    cumulative: bool = True,
) -> np.ndarray:
    """Activation patterns (m', S') met along ``[p, q]``, consecutive repeats merged.

    Parameters
    ----------
    part : Partition
        Decomposition whose regions the segment crosses.
    p, q : array_like, shape (2,)
        Segment endpoints in plane coordinates.
    layer : int, optional
        Restrict patterns to the breakpoints of layers ``1..layer`` (``cumulative``) or of layer
        ``layer`` alone; None for every layer of ``part``.
    cumulative : bool
        See ``layer``.

    Returns
    -------
    ndarray of bool, shape (m', S')
        Restricted patterns, so two neighbouring regions that differ only in deeper layers give
        equal consecutive rows; those are merged into one step of length 0 (they would add
        nothing to the path length, and merging makes ``m'`` the number of distinct steps).
        ``S'`` is the number of breakpoints kept (columns of ``part.patterns``).

    Examples
    --------
    The sawtooth's 8 vertical strips, crossed by a horizontal segment:

    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from analysis.studies.folding.measures import pattern_walk
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> p, q = [0.0, 0.5], [1.0, 0.5]
    >>> pattern_walk(part, p, q).shape  # 8 strips, 3 layers of 2 units
    (8, 6)
    >>> pattern_walk(part, p, q, layer=1).astype(int).tolist()  # layer 1 splits [0, 1] once
    [[1, 0], [1, 1]]
    >>> pattern_walk(part, p, q, layer=2, cumulative=False).astype(int).tolist()  # and back
    [[1, 0], [1, 1], [1, 0]]
    """
    return _merge(_patterns(part, layer, cumulative)[crossed_regions(part, p, q).indices])


def _chi(pats: np.ndarray) -> float:
    if len(pats) < 2:
        return 0.0
    steps = np.count_nonzero(pats[1:] != pats[:-1], axis=1).sum()
    reach = np.count_nonzero(pats != pats[0], axis=1).max()
    return float(1.0 - reach / steps)


def folding_measure(
    part: Partition,
    p: np.ndarray,
    q: np.ndarray,
    layer: int | None = None,
    *,
    cumulative: bool = True,
) -> float:
    """Lewandowski et al.'s space-folding measure chi of the segment ``[p, q]``, exactly.

    ``chi = 1 - max_i d_H(pi_1, pi_i) / sum_i d_H(pi_i, pi_{i+1})`` over the (merged) patterns
    of :func:`pattern_walk`; 0 when the segment stays in one region (or one pattern).

    Parameters
    ----------
    part : Partition
        Decomposition whose regions the segment crosses.
    p, q : array_like, shape (2,)
        Segment endpoints (plane coordinates).
    layer : int, optional
        Per-layer measure: patterns of layers ``1..layer`` (or of layer ``layer`` alone when
        ``cumulative`` is False); None for the whole network.
    cumulative : bool
        See ``layer``.

    Returns
    -------
    float
        chi in [0, 1) (unitless: a ratio of Hamming distances).

    Examples
    --------
    Across the sawtooth's strips the walk after ``k`` layers takes ``2^k - 1`` single-unit
    steps but never gets more than ``k`` units away from its start:

    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from analysis.studies.folding.measures import folding_measure
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> p, q = [0.0, 0.5], [1.0, 0.5]
    >>> [round(folding_measure(part, p, q, k), 6) for k in (1, 2, 3)]  # 1 - k / (2^k - 1)
    [0.0, 0.333333, 0.571429]
    >>> folding_measure(part, [0.3, 0.0], [0.3, 1.0])  # inside one strip
    0.0
    """
    return _chi(pattern_walk(part, p, q, layer, cumulative=cumulative))


def random_segments(n: int, box: Box, seed: int) -> np.ndarray:
    """``n`` segments (n, 2, 2) with both endpoints uniform in ``box = (xmin, xmax, ymin, ymax)``.

    Deterministic in ``seed``; zero-length segments (probability 0) are redrawn.

    Parameters
    ----------
    n : int
        Number of segments.
    box : (xmin, xmax, ymin, ymax)
        Rectangle the endpoints are drawn in (plane coordinates).
    seed : int
        Seed of a private ``numpy.random.default_rng``.

    Returns
    -------
    ndarray of float, shape (n, 2, 2)
        ``out[i] = [p, q]``: the two endpoints of segment i, each ``(x, y)``.

    Raises
    ------
    ValueError
        If ``box`` is empty.

    Examples
    --------
    >>> from analysis.studies.folding.measures import random_segments
    >>> s = random_segments(4, (-2, 2, 0, 1), seed=0)
    >>> s.shape
    (4, 2, 2)
    >>> bool((-2 <= s[..., 0]).all() and (s[..., 0] <= 2).all())  # x in [-2, 2]
    True
    >>> bool((0 <= s[..., 1]).all() and (s[..., 1] <= 1).all())  # y in [0, 1]
    True
    >>> bool((random_segments(4, (-2, 2, 0, 1), seed=0) == s).all())  # same seed, same draw
    True
    """
    xmin, xmax, ymin, ymax = map(float, box)
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"box must have xmin < xmax and ymin < ymax, got {box}")
    rng = np.random.default_rng(seed)
    lo, hi = np.array([xmin, ymin]), np.array([xmax, ymax])
    out = lo + (hi - lo) * rng.random((n, 2, 2))
    while True:
        bad = np.all(out[:, 0] == out[:, 1], axis=1)
        if not bad.any():
            return out
        out[bad, 1] = lo + (hi - lo) * rng.random((int(bad.sum()), 2))


def folding_distribution(
    part: Partition,
    segments: np.ndarray,
    layer: int | None = None,
    *,
    cumulative: bool = True,
) -> np.ndarray:
    """chi (n,) of every segment (n, 2, 2), as :func:`folding_measure`.

    Parameters
    ----------
    part : Partition
        Decomposition whose regions the segments cross.
    segments : array_like, shape (n, 2, 2)
        Endpoints ``[p, q]`` of each segment (plane coordinates), e.g. from
        :func:`random_segments`.
    layer : int, optional
        Per-layer measure, as in :func:`folding_measure`; None for the whole network.
    cumulative : bool
        Patterns of layers ``1..layer`` (True) or of layer ``layer`` alone.

    Returns
    -------
    ndarray of float, shape (n,)
        chi of each segment, in [0, 1).

    Raises
    ------
    ValueError
        If ``segments`` does not have shape (n, 2, 2).

    Examples
    --------
    >>> import numpy as np, regions, torch
    >>> from regions.constructions import sawtooth
    >>> from analysis.studies.folding.measures import folding_distribution, random_segments
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> horizontal = [[[0.0, y], [1.0, y]] for y in (0.1, 0.5, 0.9)]
    >>> segments = np.array(horizontal + [[[0.3, 0.0], [0.3, 1.0]]])  # and one inside a strip
    >>> folding_distribution(part, segments).round(6).tolist()  # 1 - 3 / 7
    [0.571429, 0.571429, 0.571429, 0.0]
    >>> folding_distribution(part, segments, layer=2).round(6).tolist()  # 1 - 2 / 3
    [0.333333, 0.333333, 0.333333, 0.0]

    One hidden layer never folds: every boundary is a line, crossed at most once.

    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    >>> one = regions.decompose(net, (-1, 1, -1, 1))
    >>> float(folding_distribution(one, random_segments(50, (-1, 1, -1, 1), seed=0)).max())
    0.0
    """
    segments = np.asarray(segments, dtype=np.float64)
    if segments.ndim != 3 or segments.shape[1:] != (2, 2):
        raise ValueError(f"segments must have shape (n, 2, 2), got {segments.shape}")
    # Patterns and edges are computed once, not per segment.
    pats = _patterns(part, layer, cumulative)
    edges = _edges(part) if part.domain.convex else None
    out = np.empty(len(segments))
    for i, (p, q) in enumerate(segments):
        out[i] = _chi(_merge(pats[_crossed(part, p, q, edges).indices]))
    return out


def _merge(pats: np.ndarray) -> np.ndarray:
    """Rows (m', S') of ``pats`` (m, S) with consecutive repeats dropped."""
    if len(pats) < 2:
        return pats
    return pats[np.concatenate([[True], np.any(pats[1:] != pats[:-1], axis=1)])]


def chi_by_layer(part: Partition, segments: np.ndarray) -> np.ndarray:
    """chi (L, n) of every segment for the net truncated after each layer ``k = 1..L``.

    Parameters
    ----------
    part : Partition
        Full decomposition of an L-layer net (convex domain).
    segments : ndarray, shape (n, 2, 2)
        Segment endpoints in plane coordinates.

    Returns
    -------
    ndarray, shape (L, n)
        Row ``k - 1`` uses the patterns of layers ``1..k``; the last row is the whole net.

    Examples
    --------
    >>> from analysis.studies.folding.measures import chi_by_layer
    >>> import numpy as np, regions
    >>> from regions.constructions import sawtooth
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> chi = chi_by_layer(part, np.array([[[0.0, 0.5], [1.0, 0.5]]]))
    >>> [round(float(c), 6) for c in chi[:, 0]]  # 1 - k / (2^k - 1)
    [0.0, 0.333333, 0.571429]
    """
    return np.stack([folding_distribution(part, segments, k) for k in range(1, part.depth + 1)])
