"""The layer-by-layer pass behind :func:`regions.decompose_line` and
:func:`regions.decompose_lines`.

Pieces of the segments are kept as their breaks; every live node's maps ``alpha + beta s`` on
each piece are carried in float64 together with a rigorous bound on their error. Many segments
walk together: their pieces are the rows of the same arrays (each segment's contiguous, in
order), so a layer's passes are shared by all of them; every row's values come from its own
rows alone (BLAS may round a product differently with the batch's shape: a few ulps, within
the bounds, so a segment's maps alone and in a batch may differ that much). At each
activation layer every unit's sign at every break is decided by the float value against its
bound (or exactly, in :mod:`regions.line_exact`, where the bound does not settle it), each
strict sign change within a piece gives one root, and the roots of a piece are ordered (and
equal ones merged) the same way. See :mod:`regions.line` for the guarantees.
"""

from __future__ import annotations

import weakref
from fractions import Fraction

import numpy as np

from . import line_compensated
from .breakpoints import Breakpoints
from .domain import Plane
from .errors import InvalidModelError, TooManyRegionsError, UnsupportedModelError
from .line_exact import ExactLine
from .network import Activation, Affine, Concat, Network, Sum

__all__ = ["LineWalk", "input_map"]

COMPENSATE_FROM = 14
"""Nets of this many activation layers or more are walked in double floats
(:mod:`regions.line_compensated`)."""

_U = 2.0**-53  # unit roundoff of float64
# Bounds are sums of non-negative rounded terms; this factor and the absolute floor (which
# covers underflow) make each computed bound an upper bound of the true one (widths < 2^20).
_INFLATE = 1.0 + 2.0**-29
_FLOOR = 2.0**-1000


def _gamma(n: int) -> float:
    """Higham's gamma_n = n u / (1 - n u): relative error of an n-term dot product."""
    return n * _U / (1.0 - n * _U)


def _up(bound: np.ndarray) -> np.ndarray:
    return bound * _INFLATE + _FLOOR


class LineWalk:
    """One decomposition along N segments: the state of the pass (see the module docstring).

    The pieces (P in all) of segment 0 come first, then those of segment 1, and so on
    (``seg`` (P,) says whose each is). Each segment's breaks include its ends 0 and 1, so the
    breaks (P + N,) of piece p are ``p + seg[p]`` and the one after; each break has an error
    bound ``err``, an id (key of the exact-value cache) and the pattern column that drew it
    (``drawn``, -1 at the ends), and ``owner`` (P + N,) is the piece whose maps evaluate it
    (the piece after it, or at a segment's end the piece before). Every live node's maps are
    kept as ``(m, e)``: values (P, 2, width), rows alpha and beta, and their bounds. After
    :meth:`run`: ``breaks``, ``patterns`` (P, S), ``columns`` (a :class:`Breakpoints`),
    ``drawn``, ``merged`` (N,) and ``output`` (slopes and values at s = 0, each (P,
    n_outputs)); :meth:`pieces` gives a segment's rows.

    Parameters
    ----------
    net : Network
        The traced model.
    points : ndarray, shape (N, 2, k)
        The segments' endpoints, in input coordinates or (k = 2) in ``plane``'s.
    plane : Plane or None
        The plane of the endpoints, if any.
    tol : float
        0, or the merging distance of :func:`regions.decompose_line`.
    max_pieces : int
        Raise :class:`TooManyRegionsError` beyond this many pieces of a segment.
    first : int, optional
        For :func:`regions.decompose_lines`, the index of the first segment in all it was
        given (error messages name the segment); None for :func:`regions.decompose_line`.

    Examples
    --------
    >>> import numpy as np
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.line_walk import LineWalk
    >>> points = np.array([[[0.0, 0.0], [1.0, 0.0]], [[0.0, 0.0], [0.5, 0.0]]])
    >>> walk = LineWalk(regions.trace(sawtooth(2)), points, None, 0, 9)
    >>> walk.run()
    >>> walk.breaks.tolist()  # each segment's with its ends 0 and 1
    [0.0, 0.25, 0.5, 0.75, 1.0, 0.0, 0.5, 1.0]
    >>> walk.drawn.tolist(), walk.seg.tolist()
    ([-1, 3, 1, 3, -1, -1, 3, -1], [0, 0, 0, 0, 1, 1])
    """

    def __init__(
        self,
        net: Network,
        points: np.ndarray,
        plane: Plane | None,
        tol: float,
        max_pieces: int,
        first: int | None = None,
    ) -> None:
        n = len(points)
        self.net = net
        self.tol = tol
        self.max_pieces = max_pieces
        self.first, self.n_segments = first, n
        self.where = "regions.decompose_line" if first is None else "regions.decompose_lines"
        self.exact = [ExactLine(net, p, plane) for p in points]
        self.seg = np.arange(n)
        self.breaks = np.tile([0.0, 1.0], n)
        self.err = np.zeros(2 * n)
        self.ids = np.tile([0, 1], n)  # every segment's ends are s = 0 and s = 1
        self.drawn = np.full(2 * n, -1)
        self.owner = np.repeat(self.seg, 2)
        self.cache: dict[int, Fraction] = {0: Fraction(0), 1: Fraction(1)}
        self.next_id = 2
        self.patterns = np.zeros((n, 0), dtype=bool)
        self.merged = np.zeros(n, dtype=np.int64)
        self.columns, self.sizes = _network_info(net)
        self.maps_cache: dict[tuple[int, int], tuple[list[Fraction], list[Fraction]]] = {}
        self.points, self.plane = points, plane

    def _which(self, i: int) -> str:
        """Segment ``i`` as error messages name it (not at all for one segment)."""
        return "" if self.first is None else f" {self.first + i}"

    def pieces(self, i: int) -> tuple[slice, slice]:
        """Segment ``i``'s rows of the pieces' arrays, and of the breaks' (its ends included)."""
        first, stop = np.searchsorted(self.seg, [i, i + 1])
        return slice(first, stop), slice(first + i, stop + i + 1)

    def run(self) -> None:
        """Walk the network, cutting the pieces at every activation layer."""
        net = self.net
        last_use = net.last_use()
        double = len(net.activations) >= COMPENSATE_FROM
        # One piece per segment to start: states (m, e) or, in double floats, (m, e, lo).
        start = line_compensated.input_map if double else input_map
        maps = [start(p, self.plane) for p in self.points]
        values = {0: tuple(np.concatenate(parts) for parts in zip(*maps, strict=True))}
        for i, node in enumerate(net.nodes[1:], 1):
            if isinstance(node, Activation):
                self.maps_cache.clear()  # keyed by layer-start piece
                z = values[node.src]
                parent = self._cut(node, line_compensated.float_view(z) if double else z)
                values = {j: tuple(a[parent] for a in v) for j, v in values.items()}
                activate = line_compensated.activate if double else _activate
                values[i] = activate(node, values[node.src], self._pieces(node))
            else:
                if double:
                    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                        values[i] = line_compensated.linear(node, values)
                else:
                    values[i] = _linear(node, values, self.sizes.get(i))
                bad = ~np.logical_and.reduce([np.isfinite(a).all(axis=(1, 2)) for a in values[i]])
                if bad.any():
                    which = self._which(self.seg[bad][0])
                    raise InvalidModelError(
                        f"{self.where}: the values of '{getattr(node, 'name', i)}' "
                        f"overflow float64 along the segment{which}"
                    )
            for j in [j for j in values if last_use[j] <= i and j != i]:
                del values[j]
        m = values[net.output][0]
        self.output = (m[:, 1, :], m[:, 0, :])

    def _pieces(self, node: Activation) -> np.ndarray:
        """Piece index (P, width) of every unit of ``node`` from the newest pattern columns."""
        k = node.thresholds.shape[1]
        bits = self.patterns[:, self.patterns.shape[1] - node.width * k :]
        return bits.reshape(len(bits), node.width, k).sum(axis=2)

    # ------------------------------------------------------------------ one layer's cuts
    def _cut(self, node: Activation, z: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Cut every piece by every breakpoint of ``node``; return each new piece's parent."""
        m, e = z
        n = len(self.patterns)
        n_thresholds = node.thresholds.shape[1]
        left, right = self._signs(node, m, e)
        piece, unit, k = np.nonzero(left * right < 0)  # a strict sign change: a root inside
        roots, bound = self._roots(node, m, e, piece, unit, k)
        order = np.lexsort((unit * n_thresholds + k, roots, piece))
        piece, unit, k, roots, bound = (a[order] for a in (piece, unit, k, roots, bound))
        dup, known = self._settle_order(node, piece, unit, k, roots, bound)
        column = unit * n_thresholds + k
        leader = np.flatnonzero(~dup)
        group = np.cumsum(~dup) - 1  # every root's leader (equal roots share one)
        near_left, near_right = self._near(piece, roots, leader)
        kept = ~(near_left | near_right)
        self.merged += np.bincount(self.seg[piece[leader[~kept]]], minlength=self.n_segments)
        # Kept leaders before each leader in its piece: its new break's rank there.
        kept_before = np.cumsum(kept) - kept
        first_of_piece = np.searchsorted(piece[leader], piece[leader], side="left")
        rank = kept_before - kept_before[first_of_piece]
        counts = np.bincount(piece[leader[kept]], minlength=n) + 1
        total = int(counts.sum())
        per_segment = np.bincount(self.seg, counts, minlength=self.n_segments)
        if per_segment.max() > self.max_pieces:
            which = self._which(per_segment.argmax())
            raise TooManyRegionsError(
                f"{self.where}: more than max_pieces={self.max_pieces} pieces along the "
                f"segment{which} after "
                f"activation layer {node.layer} ('{node.name}'); raise max_pieces"
            )
        parent = np.repeat(np.arange(n), counts)
        offset = np.cumsum(counts) - counts
        # A unit's side on a child: where it does not change sign in the parent, the side at
        # the parent's ends; where it does, the side at the parent's start on the children
        # before its root (those up to the root's rank) and the other side after.
        bits = ((left > 0) | (right > 0))[parent]
        switch_at = (rank + (kept | near_right))[group]
        span = counts[piece]
        item = np.repeat(np.arange(len(piece)), span)
        child = np.arange(len(item)) - np.repeat(np.cumsum(span) - span, span)
        starts_on = left[piece, unit, k][item] > 0
        bits[offset[piece[item]] + child, unit[item], k[item]] = starts_on == (
            child < switch_at[item]
        )
        bits = bits.reshape(total, -1)
        new = leader[kept]
        position = offset[piece[new]] + 1 + rank[kept]  # the new piece the break starts
        self._insert(offset, parent, position, roots[new], bound[new], column[new], new, known)
        self.patterns = np.concatenate([self.patterns[parent], bits], axis=1)
        return parent

    def _signs(self, node: Activation, m: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, ...]:
        """Exact sign (-1, 0, 1) of every ``z - t`` (P, width, K) at each piece's two ends.

        Each break is evaluated once, with the map of its ``owner`` (the piece after it, a
        segment's end with the piece before): the model is continuous, so both neighbours'
        maps agree there.
        """
        own, own_e = m[self.owner], e[self.owner]
        alpha, beta = own[:, 0, :, None], own[:, 1, :, None]
        s = self.breaks[:, None, None]
        t = node.thresholds[None]
        g = alpha + beta * s - t
        # |g - g_true| <= e_alpha + |beta| e_s + e_beta (|s| + e_s) + gamma_3 (|alpha| + |t| +
        # |beta s|), with 0 <= s <= 1 and e_s tiny: bounded by the simpler expression below.
        scale = own_e[:, 0] + own_e[:, 1] + _gamma(3) * (np.abs(own[:, 0]) + np.abs(own[:, 1]))
        spread = (np.abs(own[:, 1]) + own_e[:, 1]) * self.err[:, None]
        bound = _up((scale + spread)[:, :, None] + _gamma(3) * np.abs(t))
        above, below = g > bound, g < -bound
        sign = above.astype(np.int8) - below
        for q, j, k in np.argwhere(~(above | below)):
            sign[q, j, k] = self._exact_sign(node, self.owner[q], j, k, q)
        first = np.arange(len(m)) + self.seg  # each piece's first break
        return sign[first], sign[first + 1]

    def _roots(
        self,
        node: Activation,
        m: np.ndarray,
        e: np.ndarray,
        piece: np.ndarray,
        unit: np.ndarray,
        k: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Roots ``(t - alpha) / beta`` inside their pieces, in float64, with error bounds."""
        alpha, beta = m[piece, 0, unit], m[piece, 1, unit]
        e_alpha, e_beta = e[piece, 0, unit], e[piece, 1, unit]
        num = node.thresholds[unit, k] - alpha
        first = piece + self.seg[piece]  # each piece's first break
        lo, hi = self.breaks[first], self.breaks[first + 1]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r = num / beta
            e_num = e_alpha + _gamma(1) * np.abs(num)
            bound = (e_num + np.abs(r) * e_beta) / (np.abs(beta) - e_beta) + _gamma(1) * np.abs(r)
        usable = (np.abs(beta) > e_beta) & np.isfinite(r) & np.isfinite(bound)
        r = np.where(usable, r, (lo + hi) / 2)
        clipped = np.clip(r, lo, hi)  # the root is inside its piece
        bound = np.where(usable, _up(bound + np.abs(clipped - r)), np.inf)
        # ... so never further from the estimate than the piece's far end.
        e_lo, e_hi = self.err[first], self.err[first + 1]
        span = _up(np.maximum((clipped - lo) + e_lo, (hi - clipped) + e_hi))
        return clipped, np.minimum(bound, span)

    def _settle_order(
        self,
        node: Activation,
        piece: np.ndarray,
        unit: np.ndarray,
        k: np.ndarray,
        roots: np.ndarray,
        bound: np.ndarray,
    ) -> tuple[np.ndarray, dict]:
        """Certify the order of the sorted roots; reorder in exact arithmetic where the float
        bounds overlap. Returns which roots equal the one before (in place of a new break)
        and the exact values computed (index -> Fraction).

        The order between two neighbours is certain where every root's interval before them
        ends below every one's after them, in their piece: a loose root (a slope that cancels
        is placed mid-piece with a bound as wide as the piece) can overlap roots it is not
        next to, and comparing neighbours alone left it out of order with them.
        """
        dup = np.zeros(len(roots), dtype=bool)
        known: dict[int, Fraction] = {}
        if len(roots) < 2:
            return dup, known
        slack = 2.0**-50 * (np.abs(roots) + bound)  # covers the rounding of the ends
        ends = _ranks(roots - bound - slack, roots + bound + slack)
        first = np.concatenate([[True], piece[1:] != piece[:-1]])
        start = np.cumsum(first) - 1  # each root's piece, numbered 0, 1, ... in order
        n = 2 * len(roots) + 1
        # Within a piece, by ranks offset per piece (earlier pieces rank lower throughout).
        below = np.maximum.accumulate(start * n + ends[1]) - start * n
        above = np.minimum.accumulate((start * n + ends[0])[::-1])[::-1] - start * n
        sure = first[1:] | (below[:-1] < above[1:])
        unsure = np.flatnonzero(~sure)
        if not unsure.size:
            return dup, known
        # Maximal runs of roots linked by unsure pairs.
        starts = unsure[np.concatenate([[True], np.diff(unsure) > 1])]
        ends = unsure[np.concatenate([np.diff(unsure) > 1, [True]])] + 1
        arrays = (piece, unit, k, roots, bound)
        for a, b in zip(starts, ends, strict=True):
            idx = np.arange(a, b + 1)
            values = [self._exact_root(node, piece[i], unit[i], k[i], roots[i]) for i in idx]
            order = sorted(range(len(idx)), key=lambda i: (values[i], unit[idx[i]], k[idx[i]]))
            for arr in arrays:
                arr[idx] = arr[idx[order]]
            values = [values[i] for i in order]
            for n, v in enumerate(values):
                known[int(idx[n])] = v
                dup[idx[n]] = n > 0 and v == values[n - 1]
            # Exactly ordered now; a running maximum keeps the estimates in order, and each
            # stays within the largest bound so far (the true roots increase).
            roots[idx] = np.maximum.accumulate(roots[idx])
            bound[idx] = np.maximum.accumulate(bound[idx])
        return dup, known

    def _near(self, piece: np.ndarray, roots: np.ndarray, leader: np.ndarray) -> tuple:
        """Which distinct roots lie within ``tol`` of the break before them (existing or new),
        and which within ``tol`` of the existing break after them."""
        if self.tol == 0:
            return np.zeros(len(leader), dtype=bool), np.zeros(len(leader), dtype=bool)
        p, r = piece[leader], roots[leader]
        first = p + self.seg[p]  # each piece's first break
        before = self.breaks[first]
        same = np.zeros(len(p), dtype=bool)  # a root after another of its piece
        same[1:] = p[1:] == p[:-1]
        before[same] = r[:-1][same[1:]]
        return r - before < self.tol, self.breaks[first + 1] - r < self.tol

    def _insert(
        self,
        offset: np.ndarray,
        parent: np.ndarray,
        position: np.ndarray,
        roots: np.ndarray,
        bound: np.ndarray,
        column: np.ndarray,
        items: np.ndarray,
        known: dict,
    ) -> None:
        """Merge the new breaks (starting the new pieces ``position``) with the old ones: the
        first break of every old piece starts its first child (at ``offset``), and each
        segment's end stays its end."""
        seg, n_segments = self.seg[parent], self.n_segments
        ends = np.searchsorted(seg, np.arange(n_segments), side="right")  # pieces through each
        old_ends = np.searchsorted(self.seg, np.arange(n_segments), side="right")
        old = (self.breaks, self.err, self.ids, self.drawn)
        new_ids = np.arange(self.next_id, self.next_id + len(items))
        self.next_id += len(items)
        first = self.patterns.shape[1]  # this layer's first pattern column
        starts = np.arange(len(self.seg)) + self.seg  # the old pieces' first breaks
        merged = []
        for a, fresh in zip(old, (roots, bound, new_ids, first + column), strict=True):
            out = np.empty(len(seg) + n_segments, dtype=a.dtype)
            out[offset + self.seg] = a[starts]
            out[ends + np.arange(n_segments)] = a[old_ends + np.arange(n_segments)]
            out[position + seg[position]] = fresh
            merged.append(out)
        self.breaks, self.err, self.ids, self.drawn = merged
        self.seg, self.owner = seg, np.empty(len(seg) + n_segments, dtype=np.int64)
        self.owner[np.arange(len(seg)) + seg] = np.arange(len(seg))
        self.owner[ends + np.arange(n_segments)] = ends - 1
        for item, i in zip(items.tolist(), new_ids.tolist(), strict=True):
            if item in known:
                self.cache[i] = known[item]

    # ------------------------------------------------------------- exact fallbacks
    def _exact_maps(self, layer: int, i: int) -> tuple[list[Fraction], list[Fraction]]:
        """Exact maps of activation ``layer``'s preactivations on layer-start piece ``i``."""
        key = (layer, i)
        if key not in self.maps_cache:
            row = self.patterns[i : i + 1]
            line = self.exact[self.seg[i]]
            self.maps_cache[key] = line.preactivation(self.columns, layer, row)
        return self.maps_cache[key]

    def _exact_sign(self, node: Activation, i: int, j: int, k: int, q: int) -> int:
        """Sign of unit j's ``z - t_k`` at break q, from piece i's exact map."""
        alpha, beta = self._exact_maps(node.layer, i)
        g = alpha[j] + beta[j] * self._exact_break(q) - Fraction(float(node.thresholds[j, k]))
        return (g > 0) - (g < 0)

    def _exact_root(self, node: Activation, i: int, j: int, k: int, estimate: float) -> Fraction:
        """Unit j's root on piece i, exactly. A unit constant on the piece has none; with
        ``tol > 0`` a merge can still show it changing sign there (its ends were judged by
        their own pieces' maps, which a merge leaves apart): the estimate stands."""
        alpha, beta = self._exact_maps(node.layer, i)
        if beta[j] == 0:
            return Fraction(float(estimate))
        return (Fraction(float(node.thresholds[j, k])) - alpha[j]) / beta[j]

    def _exact_break(self, q: int) -> Fraction:
        key = int(self.ids[q])
        if key not in self.cache:  # not an end: its owner is the piece after it
            i = self.owner[q]
            line, row = self.exact[self.seg[i]], self.patterns[i : i + 1]
            self.cache[key] = line.break_value(self.columns, int(self.drawn[q]), row)
        return self.cache[key]


def input_map(points: np.ndarray, plane: Plane | None) -> tuple[np.ndarray, np.ndarray]:
    """The segment's input map in float64 on its one piece, rows x(0) and x(1) - x(0) (1, 2,
    n_inputs), and a bound on the error of each entry."""
    direction = points[1] - points[0]  # correctly rounded: within u of the exact difference
    if plane is None:
        m, e = np.stack([points[0], direction]), np.stack([0 * direction, _U * np.abs(direction)])
    else:
        basis, origin = plane.basis, plane.origin
        m = np.stack([origin + basis @ points[0], basis @ direction])
        err_start = _gamma(3) * (np.abs(origin) + np.abs(basis) @ np.abs(points[0]))
        err_along = (_gamma(2) + _gamma(1)) * (np.abs(basis) @ np.abs(direction))
        e = np.stack([err_start, err_along])
    return m[None], _up(e)[None]


_INFO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _network_info(net: Network) -> tuple[Breakpoints, dict[int, np.ndarray]]:
    """The pattern columns and every Affine node's ``|W|.T``, once per network."""
    if net not in _INFO:
        sizes = {i: np.abs(n.W).T.copy() for i, n in enumerate(net.nodes) if isinstance(n, Affine)}
        _INFO[net] = (Breakpoints.of(net), sizes)
    return _INFO[net]


def _linear(node: object, values: dict, size: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Maps (P, 2, width) and their error bounds of an Affine, Sum or Concat node."""
    if isinstance(node, Affine):
        m, e = values[node.src]
        n, width = m.shape[0], node.W.shape[0]
        g = _gamma(node.W.shape[1] + 1)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by the caller
            # One BLAS product over all pieces and both rows (a stacked matmul would loop).
            out = (m.reshape(2 * n, -1) @ node.W.T).reshape(n, 2, width)
            out[:, 0] += node.b
            # sum_i |W_ji| (e_i + g |m_i|), as a second product: through each piece's live
            # units only (dead ones carry no error), it grows far more slowly with depth than
            # the row norm times the largest term (about 10^4 times tighter 12 He-init layers
            # deep), and every factor lost there sends signs to exact arithmetic.
            terms = (e + g * np.abs(m)).reshape(2 * n, -1)
            err = (terms @ size).reshape(n, 2, width)
            err[:, 0] += g * np.abs(node.b)
            return out, _up(err)
    if isinstance(node, Sum):
        terms = [(s, *values[j]) for j, s in zip(node.srcs, node.signs, strict=True)]
        g = _gamma(len(terms))
        out = sum(s * m for s, m, _ in terms)
        err = sum(e + g * np.abs(m) for _, m, e in terms)
        return out, _up(err)
    if isinstance(node, Concat):
        return (
            np.concatenate([values[j][0] for j in node.srcs], axis=2),
            np.concatenate([values[j][1] for j in node.srcs], axis=2),
        )
    raise UnsupportedModelError(
        f"regions.decompose_line: network node {type(node).__name__} is not supported"
    )


def _activate(
    node: Activation, z: tuple[np.ndarray, np.ndarray], pieces: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Maps of the activation on every piece: ``slope * z + offset`` of each unit's piece."""
    m, e = z
    if node.is_relu:
        on = (pieces > 0)[:, None, :]
        return m * on, e * on
    units = np.arange(node.width)
    slope, offset = node.slopes[units, pieces], node.offsets[units, pieces]
    scaled = m * slope[:, None, :]
    err = e * np.abs(slope)[:, None, :] + _gamma(2) * np.abs(scaled)
    err[:, 0] += _gamma(2) * np.abs(offset)
    scaled[:, 0] += offset
    return scaled, _up(err)


def _ranks(*arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays' values replaced by their ranks among all of them (equal values equal
    ranks), which compare as the values do."""
    _, inverse = np.unique(np.concatenate(arrays), return_inverse=True)
    return np.split(inverse, np.cumsum([len(a) for a in arrays[:-1]]))
