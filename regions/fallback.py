"""The exact fallback: mesh vertices as exact rational points, and exact values there.

A hull corner is exactly its float64 coordinates. A cut vertex lies where the breakpoint
that cut it crosses an edge: the intersection of two exact lines, the breakpoint's affine map
on the cut polygon's region and the edge's own (a breakpoint's map on its region, or a hull
edge). Each map is exact under the region's certified pattern (:func:`regions.oracle.exact_lines`),
so an exact vertex stays as small as the maps are, however many cuts made it. Where a line
is not known (a positive ``tol``, class boundaries), the vertex is ``lo + tau (hi - lo)`` with
``tau = s(lo) / (s(lo) - s(hi))`` from the exact values at the edge's exact ends, which
need their own ends first, and so on (1,728 exact signs of a deep net walked 12,041 points
that way, 1,716 by lines), with rationals growing at every generation.
:class:`ExactVertices` rebuilds exact vertices from the mesh's provenance on demand (only
where the float filter cannot decide a sign), memoised, and evaluates functions there with
:mod:`regions.oracle`.

Function ids (the third provenance column): ``f >= 0`` is breakpoint ``f`` of the partition
(a unit's preactivation minus its threshold); ``f < 0`` encodes ``-(1 + k * m + j)``, the
logit difference ``l_k - l_j`` of an ``m``-output model (``l_k`` alone when ``k == j``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .domain import Plane
from .network import Network
from .oracle import RawPoint, exact_eval_raw, exact_lines
from .rationals import line_through
from .region_maps import NodeMaps

__all__ = ["CutState", "ExactVertices", "class_function"]


def class_function(k: np.ndarray | int, j: np.ndarray | int, m: int) -> np.ndarray:
    """Function id of the logit difference ``l_k - l_j`` (``l_k`` when ``k == j``).

    Examples
    --------
    >>> int(class_function(2, 0, 3))
    -7
    """
    return -(1 + np.asarray(k, dtype=np.int64) * m + np.asarray(j, dtype=np.int64))


class ExactVertices:
    """Exact vertices of a mesh and exact function values there, memoised.

    Parameters
    ----------
    net : Network
        The traced model.
    plane : Plane
        Plane coordinates to model inputs.
    breakpoint_layer, breakpoint_unit : ndarray of int, shape (S,)
        1-based activation layer and unit of every breakpoint.
    breakpoint_threshold : ndarray, shape (S,)
        The breakpoints' thresholds.

    Attributes
    ----------
    mesh : Mesh
        Where ``xy`` and ``provenance`` are read (set by the owner; vertex ids persist when a
        mesh continues as another one, so the memo stays valid).
    levels : list of Level
        The levels drawn so far, whose patterns give the exact lines (set by the owner).
    hull : ndarray, shape (k, 2) or None
        The domain's hull, whose edges are lines too; None (with a positive ``tol``, whose
        snapped patterns are not the exact ones): every vertex is placed from its edge's ends.
    n_points : int
        Exact vertices computed so far.
    """

    def __init__(
        self,
        net: Network,
        plane: Plane,
        breakpoint_layer: np.ndarray,
        breakpoint_unit: np.ndarray,
        breakpoint_threshold: np.ndarray,
    ) -> None:
        self.net = net
        self.plane = plane
        self.layer = breakpoint_layer
        self.unit = breakpoint_unit
        self.threshold = breakpoint_threshold
        self.mesh = None
        self.levels: list = []
        self.hull: np.ndarray | None = None
        self._points: dict[int, RawPoint] = {}
        self._lines: dict[tuple[int, int, int], tuple[int, int, int]] = {}

    def _threshold(self, fn: int) -> Fraction:
        """Breakpoint ``fn``'s threshold, exactly."""
        return Fraction(float(self.threshold[fn]))

    @property
    def n_points(self) -> int:
        """Number of exact vertices computed so far."""
        return len(self._points)

    def value(self, point: RawPoint, fn: int) -> Fraction:
        """Exact value of function ``fn`` at an exactly evaluated point."""
        if fn >= 0:
            z = point.pre(int(self.layer[fn]) - 1, int(self.unit[fn]))
            return z - self._threshold(fn)
        k, j = divmod(-fn - 1, self.net.n_outputs)
        return point.logit(k) if k == j else point.logit(k) - point.logit(j)

    def place(self, provenance: np.ndarray) -> tuple[Fraction, Fraction]:
        """The exact position of a vertex made as ``provenance`` says (see ``Mesh``): where
        its two lines cross, or where ``fn``, affine along the edge, vanishes between the
        edge's exact ends."""
        if self._by_lines(provenance):
            return self._cross([provenance])[0]
        return self._between_ends(*np.asarray(provenance[:3]).tolist())

    def _between_ends(self, lo: int, hi: int, fn: int) -> tuple[Fraction, Fraction]:
        """Where ``fn``, affine along the edge, vanishes between the edge's exact ends."""
        p, q = self.point(lo, fn), self.point(hi, fn)
        a, b = self.value(p, fn), self.value(q, fn)
        tau = a / (a - b)
        return p.point[0] + tau * (q.point[0] - p.point[0]), p.point[1] + tau * (
            q.point[1] - p.point[1]
        )

    def _depth(self, fn: int | None) -> int:
        """How deep a walk reads function ``fn`` (None: everything, outputs included)."""
        if fn is None or fn < 0:
            return self.net.n_layers + 1
        return int(self.layer[fn])

    def point(self, v: int, fn: int | None = None) -> RawPoint:
        """The network evaluated exactly at vertex ``v``'s exact position, at least as deep as
        function ``fn`` needs (default: to the outputs)."""
        depth = self._depth(fn)
        have = self._points.get(v)
        if have is None or have.depth < depth:
            self._evaluate([(v, depth)])
        return self._points[v]

    def position(self, v: int) -> tuple[Fraction, Fraction]:
        """Vertex ``v``'s exact position, with the network evaluated only as far as placing
        it needs (its lines, or its edge's ends up to the function that cut it)."""
        if v not in self._points:
            self._evaluate([(v, 0)])
        return self._points[v].point

    def values(self, vertices: np.ndarray, fn: np.ndarray | int) -> list[Fraction]:
        """Exact values of function(s) ``fn`` at the exact vertices."""
        fns = np.broadcast_to(np.asarray(fn, dtype=np.int64), np.shape(vertices))
        pairs = list(zip(np.asarray(vertices).tolist(), fns.tolist(), strict=True))
        self._evaluate([(v, self._depth(f)) for v, f in pairs])
        return [self.value(self._points[v], f) for v, f in pairs]

    def _evaluate(self, requests: list[tuple[int, int]]) -> None:
        """Evaluate vertices exactly, each at least ``depth`` deep (see :meth:`_depth`).

        A vertex placed by its lines (:meth:`_cross`, batched per level) is ready at once; one
        placed from its edge's ends needs them evaluated first, as deep as the function that
        cut it: those are found first (a stack, no recursion limit). The vertices are walked a
        generation at a time, every generation in one batched exact walk (one walk per vertex
        cost most of the fallback's time on small nets). A walk stops at the deepest layer its
        generation needs; a point is walked again only if a deeper value is asked for later.
        """
        need: dict[int, int] = {}
        ends: set[int] = set()  # vertices placed from their edge's ends
        stack = list(requests)
        while stack:
            w, depth = stack.pop()
            have = self._points.get(w)
            if (have is not None and have.depth >= depth) or need.get(w, -1) >= depth:
                continue
            need[w] = depth
            lo, hi, f = self.mesh.provenance[w, :3].tolist()
            if have is None and lo >= 0 and self._from_ends(w):
                ends.add(w)
                stack += [(lo, self._depth(f)), (hi, self._depth(f))]
        while need:
            # The smallest id waiting is always ready: a vertex's ends are older than it.
            ready = [w for w in need if w not in ends or self._ends_ready(w, need)]
            provenance = self.mesh.provenance
            crossed = [
                w
                for w in ready
                if w not in self._points and w not in ends and provenance[w, 0] >= 0
            ]
            xy = dict(zip(crossed, self._cross(provenance[crossed]), strict=True))
            for w in ready:
                if w in self._points:
                    xy[w] = self._points[w].point
                elif w not in xy:
                    xy[w] = (
                        self.mesh.xy[w]
                        if provenance[w, 0] < 0
                        else self._between_ends(*provenance[w, :3].tolist())
                    )
            xy = [xy[w] for w in ready]
            depth = max(need[w] for w in ready)  # the outputs too where it exceeds the layers
            if depth == 0:  # positions only: nothing to walk (hull corners are floats)
                exact = [
                    tuple(Fraction(float(c)) if isinstance(c, float) else c for c in p) for p in xy
                ]
                points = [RawPoint(point=p, _pre=(), _logits=None, _den=1) for p in exact]
            else:
                points = exact_eval_raw(self.net, self.plane, xy, depth)
            for w, point in zip(ready, points, strict=True):
                self._points[w] = point
                del need[w]

    def _ends_ready(self, w: int, need: dict[int, int]) -> bool:
        """Whether vertex ``w``, placed from its edge's ends, can be walked now: placed
        already, or its ends evaluated as deep as its function needs."""
        if w in self._points:
            return True
        lo, hi, f = self.mesh.provenance[w, :3].tolist()
        d = self._depth(f)
        return all(u not in need and self._points[u].depth >= d for u in (lo, hi))

    def _from_ends(self, w: int) -> bool:
        """Whether to place vertex ``w`` from its edge's ends rather than its lines: where no
        line is known, or where both ends are evaluated already at short rationals (vertices
        of constructions like ``sawtooth_2d`` are short dyadic numbers). Ends still to be
        evaluated are not asked for: rationals from ends grow with every generation, lines'
        do not."""
        if not self._by_lines(self.mesh.provenance[w]):
            return True
        lo, hi, _ = self.mesh.provenance[w, :3].tolist()
        for u in (lo, hi):
            p = self._points.get(u)
            if p is None or any(
                c.numerator.bit_length() + c.denominator.bit_length() > 128 for c in p.point
            ):
                return False
        return True

    def _by_lines(self, provenance: np.ndarray) -> bool:
        """Whether a vertex is placed where its two exact lines cross (both are known)."""
        _, _, fn, edge, region = np.asarray(provenance).tolist()
        return self.hull is not None and fn >= 0 and region >= 0 and (edge >= 0 or edge <= -2)

    def _cross(self, rows: object) -> list[tuple[Fraction, Fraction]]:
        """Exact intersections of the two lines of vertices made as ``rows`` (n, 5) say."""
        pairs = []
        for _, _, fn, edge, region in np.asarray(rows, dtype=np.int64).tolist():
            level = int(self.layer[fn]) - 2  # where fn is one affine map
            cut = (fn, level, region)
            if edge >= 0:
                up = int(self.layer[edge]) - 2
                pairs.append((cut, (edge, up, self._ancestor(region, level, up))))
            else:
                pairs.append((cut, (edge, -1, 0)))
        self._fill_lines({key for pair in pairs for key in pair})
        out = []
        for cut, other in pairs:
            (a1, b1, c1), (a2, b2, c2) = self._lines[cut], self._lines[other]
            det = a1 * b2 - a2 * b1  # nonzero: the cut's ends lie strictly on either side
            out.append((Fraction(b1 * c2 - b2 * c1, det), Fraction(a2 * c1 - a1 * c2, det)))
        return out

    def _ancestor(self, region: int, level: int, up: int) -> int:
        """The region at level ``up`` that holds ``region`` of ``level``."""
        while level > up:
            region, level = int(self.levels[level].parent[region]), level - 1
        return region if up >= 0 else 0

    def _hull_line(self, code: int) -> tuple[int, int, int]:
        """The exact line through hull edge ``-2 - code``'s float corners, in integers."""
        k = -2 - code
        line = line_through(self.hull[k], self.hull[(k + 1) % len(self.hull)])
        scale = math.lcm(*(f.denominator for f in line))
        return tuple(int(f * scale) for f in line)

    def _fill_lines(self, keys: set[tuple[int, int, int]]) -> None:
        """Exact lines of breakpoints on regions, keyed (fn, level, region), and of hull
        edges, keyed (code, -1, 0), as integers ``(a, b, c)`` (a line's scale is free): one
        forced walk per level for all the regions it needs."""
        missing = sorted(key for key in keys if key not in self._lines)
        for key in [key for key in missing if key[0] < 0]:  # hull edges, keyed (code, -1, 0)
            self._lines[key] = self._hull_line(key[0])
        missing = [key for key in missing if key[0] >= 0]
        for level in sorted({key[1] for key in missing}):
            todo = [key for key in missing if key[1] == level]
            regions = sorted({key[2] for key in todo})
            at = {region: i for i, region in enumerate(regions)}
            pieces, q = [], np.array(regions, dtype=np.int64)
            for lev in range(level, -1, -1):  # the pattern, level by level up the parents
                pieces.insert(0, self.levels[lev].pieces(self.net.activations[lev].width, q))
                q = self.levels[lev].parent[q]
            num, exp = exact_lines(self.net, self.plane, level + 2, pieces)
            up, down = max(exp, 0), max(-exp, 0)  # (a, b, c) 2**exp - t, times den 2**down
            for fn, _, region in todo:
                a, b, c = ((int(n) << up) for n in num[at[region], self.unit[fn]])
                t = self._threshold(fn)
                den = t.denominator
                self._lines[(fn, level, region)] = (
                    a * den,
                    b * den,
                    c * den - (t.numerator << down),
                )


@dataclass(frozen=True, eq=False)
class CutState:
    """What the decomposition leaves for later exact cuts of the same mesh (class cells).

    Attributes
    ----------
    output : NodeMaps
        The logits' affine maps on every region, with error bounds.
    r : ndarray, shape (V,)
        Distance bounds of the float vertices from the exact ones.
    provenance : ndarray of int, shape (V, 5)
        How each vertex was made (:class:`regions.mesh.Mesh`).
    lines, line_errors : ndarray, shape (I, 3) and (I,)
        Every edge's line equation and its error bound (ring order).
    box : float
        Largest ``|x|`` or ``|y|`` in the domain (where line error bounds hold).
    exact : ExactVertices
        The memoised exact fallback.
    n_filtered, n_exact, n_snapped : int
        Side-of-line decisions settled by the float filter, in exact arithmetic, and by
        ``tol`` against what the filter proved.
    """

    output: NodeMaps
    r: np.ndarray
    provenance: np.ndarray
    lines: np.ndarray
    line_errors: np.ndarray
    box: float
    exact: ExactVertices
    n_filtered: int
    n_exact: int
    n_snapped: int
