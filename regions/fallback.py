"""The exact fallback: mesh vertices as exact rational points, and exact values there.

A hull corner is exactly its float64 coordinates. A cut vertex lies where the function that
cut it vanishes on the edge between two earlier vertices; that function is affine along the
edge, so the exact vertex is ``lo + tau (hi - lo)`` with ``tau = s(lo) / (s(lo) - s(hi))``
from the exact values at the edge's exact ends. :class:`ExactVertices` rebuilds exact
vertices from the mesh's provenance on demand (only where the float filter cannot decide a
sign), memoised, and evaluates functions there with :mod:`regions.oracle`.

Function ids (the third provenance column): ``f >= 0`` is breakpoint ``f`` of the partition
(a unit's preactivation minus its threshold); ``f < 0`` encodes ``-(1 + k * m + j)``, the
logit difference ``l_k - l_j`` of an ``m``-output model (``l_k`` alone when ``k == j``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .domain import Plane
from .network import Network
from .oracle import ExactPoint, exact_eval
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
        self._points: dict[int, ExactPoint] = {}

    @property
    def n_points(self) -> int:
        """Number of exact vertices computed so far."""
        return len(self._points)

    def value(self, point: ExactPoint, fn: int) -> Fraction:
        """Exact value of function ``fn`` at an exactly evaluated point."""
        if fn >= 0:
            z = point.pre[int(self.layer[fn]) - 1][int(self.unit[fn])]
            return z - Fraction(float(self.threshold[fn]))
        k, j = divmod(-fn - 1, self.net.n_outputs)
        return point.logits[k] if k == j else point.logits[k] - point.logits[j]

    def values(self, vertices: np.ndarray, fn: np.ndarray | int) -> list[Fraction]:
        """Exact values of function(s) ``fn`` at the exact vertices."""
        fns = np.broadcast_to(np.asarray(fn, dtype=np.int64), np.shape(vertices))
        return [
            self.value(self.point(int(v)), int(f))
            for v, f in zip(np.asarray(vertices).tolist(), fns.tolist(), strict=True)
        ]

    def place(self, provenance: np.ndarray) -> tuple[Fraction, Fraction]:
        """The exact position of a vertex made from (lo, hi, fn): where ``fn``, affine along
        the edge, vanishes between the edge's exact ends."""
        lo, hi, fn = (int(i) for i in provenance)
        p, q = self.point(lo), self.point(hi)
        a, b = self.value(p, fn), self.value(q, fn)
        tau = a / (a - b)
        return p.point[0] + tau * (q.point[0] - p.point[0]), p.point[1] + tau * (
            q.point[1] - p.point[1]
        )

    def point(self, v: int) -> ExactPoint:
        """The network evaluated exactly at vertex ``v``'s exact position."""
        stack = [v]
        while stack:  # a vertex needs its edge's ends first: no recursion depth limit
            w = stack[-1]
            lo, hi, _ = (int(i) for i in self.mesh.provenance[w])
            missing = [u for u in (lo, hi) if u >= 0 and u not in self._points]
            if w in self._points:
                stack.pop()
            elif missing:
                stack.extend(missing)
            else:
                xy = self.mesh.xy[w] if lo < 0 else self.place(self.mesh.provenance[w])
                self._points[w] = exact_eval(self.net, self.plane, [xy])[0]
                stack.pop()
        return self._points[v]


@dataclass(frozen=True, eq=False)
class CutState:
    """What the decomposition leaves for later exact cuts of the same mesh (class cells).

    Attributes
    ----------
    output : NodeMaps
        The logits' affine maps on every region, with error bounds.
    r : ndarray, shape (V,)
        Distance bounds of the float vertices from the exact ones.
    provenance : ndarray of int, shape (V, 3)
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
