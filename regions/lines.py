"""Lines that cut a mesh, and the error bounds that make their signs exact.

A cut line is the zero set of a function ``s`` affine on every polygon of a
:class:`~regions.mesh.Mesh`. The mesh decides on which side of the line each vertex lies from
float values of ``s``, and needs each value's rigorous error bound (against the exact value at
the exact vertex) to know when the float sign is the exact one. New vertices are
intersections of two line equations (:func:`regions.intersections.intersect`), each known up
to a bound on the
error of ``a x + b y + c`` anywhere in the domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import numpy as np

from .floats import EPS, SAFE, gamma
from .rationals import line_through
from .region_maps import NodeMaps

__all__ = [
    "ArgmaxLine",
    "AxisLine",
    "Line",
    "MapLine",
    "VertexPool",
    "chords",
    "hull_lines",
    "through",
]

Coefficients = tuple[np.ndarray, np.ndarray]
"""Line equations ``(a, b, c)`` (n, 3) and bounds (n,) on the error of ``a x + b y + c`` at any
point of the domain."""


class VertexPool(Protocol):
    """What a line reads of a mesh: float vertices, their distance bounds, the float values
    of the functions being cut there, and the domain's extent."""

    xy: np.ndarray
    r: np.ndarray
    values: np.ndarray
    box: float


class Line(Protocol):
    """A function ``s``, affine on every polygon of a mesh, whose zero set cuts it."""

    band: float
    """Values with ``|s| <= band`` count as on the line (0: exact; see ``decompose(tol=)``)."""

    def at(self, vertices: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Float values of ``s`` at vertices seen from polygons (n,) and their error bounds."""
        ...

    def exact(self, vertices: np.ndarray, polygons: np.ndarray) -> list:
        """Exact values (Fractions) of ``s`` at the exact vertices, seen from polygons."""
        ...

    def function(self, polygons: np.ndarray) -> np.ndarray:
        """Function id (n,) of ``s`` on each polygon, recorded as new vertices' provenance."""
        ...

    def origin(self, polygons: np.ndarray) -> np.ndarray:
        """Each polygon's region (n,) at the start of the layer whose breakpoint ``s`` is, at
        the level before it (where ``s`` is one exact affine map); -1 where not known."""
        ...

    def coefficients(self, polygons: np.ndarray) -> Coefficients:
        """The equation of ``s = 0`` on each polygon, with its error bound."""
        ...


@dataclass(frozen=True, eq=False)
class MapLine:
    """The breakpoint ``z_unit = threshold`` of a node ``z`` known by its maps on regions.

    Values at a vertex are row ``unit`` of the mesh's values, computed from the maps of a
    region around it (every such region gives the same exact value, the node being
    continuous); where the unit's bound over all regions cannot settle a sign, the bound of
    that region (``source_of``) is used (about three times fewer signs left to exact
    arithmetic on deep nets). The line's equation on a polygon comes from the maps of the
    polygon's region.

    Attributes
    ----------
    mesh : VertexPool
        The mesh being cut.
    maps : NodeMaps
        The node's maps on the regions that tags and ``region_of`` name.
    unit : int
        Which unit of the node.
    threshold : float
        The breakpoint.
    fn : int
        Function id recorded as the provenance of the vertices the line creates.
    region_of : callable
        ``polygons -> regions``.
    source_of : callable
        ``vertices -> regions``: whose maps gave each vertex's value.
    exact_values : callable
        ``(vertex ids, fn) -> list of Fraction``: the exact ``z_unit - threshold`` at exact
        vertices, for signs the float filter cannot settle.
    band : float
        Values within ``band`` of the threshold count as on the line (0: exact).
    """

    mesh: VertexPool
    maps: NodeMaps
    unit: int
    threshold: float
    fn: int
    region_of: Callable[[np.ndarray], np.ndarray]
    source_of: Callable[[np.ndarray], np.ndarray]
    exact_values: Callable[[np.ndarray, int], list]
    band: float = 0.0

    def at(self, vertices: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Float values (n,) and error bounds (n,); one function, so ``polygons`` is unused.

        A value computed at a float point ``p`` from a map errs by the map's bound and the
        rounding of evaluating it (:meth:`NodeMaps.bounds`), plus the exact gradient's length
        times the distance ``r`` to the exact vertex. The unit's bound over all regions
        settles almost every sign; the values it leaves open get their source region's.
        """
        s = self.mesh.values[self.unit, vertices] - self.threshold
        fixed, slope = self.maps.bounds(self.mesh.box)
        err = self._error(fixed[self.unit], slope[self.unit], vertices, s)
        open_ = np.flatnonzero(~(np.abs(s) > err))
        if open_.size:
            at = vertices[open_]
            fixed, slope = self.maps.bounds_on(self.source_of(at), self.unit, self.mesh.box)
            err[open_] = np.minimum(err[open_], self._error(fixed, slope, at, s[open_]))
        return s, err

    def _error(
        self, fixed: np.ndarray, slope: np.ndarray, vertices: np.ndarray, s: np.ndarray
    ) -> np.ndarray:
        """Error bounds of values ``s`` at vertices, from a map's bounds (a NaN: none)."""
        with np.errstate(invalid="ignore"):
            moved = slope * self.mesh.r[vertices]
        err = fixed + moved + gamma(4) * abs(self.threshold) + (2 * EPS) * np.abs(s)
        return np.where(np.isnan(err), np.inf, err) * SAFE

    def exact(self, vertices: np.ndarray, polygons: np.ndarray) -> list:
        """Exact values at the exact vertices."""
        return self.exact_values(vertices, self.fn)

    def function(self, polygons: np.ndarray) -> np.ndarray:
        """The line's function id on each polygon."""
        return np.full(len(polygons), self.fn, dtype=np.int64)

    def origin(self, polygons: np.ndarray) -> np.ndarray:
        """Each polygon's region at the layer's start."""
        return self.region_of(polygons)

    def coefficients(self, polygons: np.ndarray) -> Coefficients:
        """The line's equation on each polygon, from its region's maps."""
        reg = self.region_of(polygons)
        eq = self.maps.m[reg, :, self.unit].copy()
        eq[:, 2] -= self.threshold
        own = self.maps.own(reg, self.unit)
        return eq, (own + (2 * EPS) * np.abs(eq[:, 2])) * SAFE


@dataclass(frozen=True, eq=False)
class AxisLine:
    """The line ``x = t`` (``axis`` 0) or ``y = t`` (1), for examples and tests: its exact
    fallback knows only vertices whose float coordinates are exact.

    Examples
    --------
    See :class:`regions.mesh.Mesh`.
    """

    mesh: VertexPool
    axis: int
    t: float
    band: float = 0.0

    def at(self, vertices: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``coordinate - t`` at the float vertices, off by at most ``r`` and one rounding."""
        s = self.mesh.xy[vertices, self.axis] - self.t
        return s, (self.mesh.r[vertices] + (2 * EPS) * np.abs(s)) * SAFE

    def exact(self, vertices: np.ndarray, polygons: np.ndarray) -> list:
        """Exact values where the float vertices are exact (``r == 0``)."""
        if np.any(self.mesh.r[vertices] != 0):
            raise ValueError("AxisLine met a vertex its float coordinates cannot place")
        return [Fraction(float(x)) - Fraction(self.t) for x in self.mesh.xy[vertices, self.axis]]

    def function(self, polygons: np.ndarray) -> np.ndarray:
        """The axis, as function id."""
        return np.full(len(polygons), self.axis, dtype=np.int64)

    def origin(self, polygons: np.ndarray) -> np.ndarray:
        """Not a layer's breakpoint: -1."""
        return np.full(len(polygons), -1, dtype=np.int64)

    def coefficients(self, polygons: np.ndarray) -> Coefficients:
        """``(1, 0, -t)`` or ``(0, 1, -t)``, exact."""
        row = np.zeros(3)
        row[self.axis], row[2] = 1.0, -self.t
        return np.tile(row, (len(polygons), 1)), np.zeros(len(polygons))


@dataclass(frozen=True, eq=False)
class ArgmaxLine:
    """The line ``l_k = l_cur`` between logit ``k`` and each polygon's current winner.

    Cutting by ``k = 1, 2, ...`` in turn, with each piece's winner among the logits seen so
    far, draws the argmax's cells in ``m - 1`` cuts. Where two neighbouring pieces have
    different winners, those are equal along their common edge, so both pieces see the same
    exact line there and the mesh stays conforming. With one logit (``k == 0``) the line is
    ``l_0 = 0``.

    Attributes
    ----------
    mesh : VertexPool
        The mesh being cut.
    maps : NodeMaps
        The logits' maps on the regions that tags and ``region_of`` name.
    k : int
        The challenging logit.
    current : ndarray of int, shape (n_polygons,)
        Each polygon's winner so far (a logit index below ``k``).
    region_of : callable
        ``polygons -> regions``.
    exact_values : callable
        ``(vertex ids, function ids) -> list of Fraction``.
    function_ids : callable
        ``(k, current) -> function ids`` (see :func:`regions.fallback.class_function`).
    """

    mesh: VertexPool
    maps: NodeMaps
    k: int
    current: np.ndarray
    region_of: Callable[[np.ndarray], np.ndarray]
    exact_values: Callable[[np.ndarray, np.ndarray], list]
    function_ids: Callable[[int, np.ndarray], np.ndarray]
    band: float = 0.0

    def at(self, vertices: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``l_k - l_current`` at vertices seen from polygons, with error bounds."""
        fixed, slope = self.maps.bounds(self.mesh.box)
        values, r = self.mesh.values, self.mesh.r[vertices]
        if self.k == 0:
            s, f, g = values[0, vertices], fixed[0], slope[0]
        else:
            j = self.current[polygons]
            s = values[self.k, vertices] - values[j, vertices]
            f, g = fixed[self.k] + fixed[j], slope[self.k] + slope[j]
        with np.errstate(invalid="ignore"):
            err = f + g * r + (2 * EPS) * np.abs(s)
        return s, np.where(np.isnan(err), np.inf, err) * SAFE

    def exact(self, vertices: np.ndarray, polygons: np.ndarray) -> list:
        """Exact ``l_k - l_current`` at the exact vertices."""
        return self.exact_values(vertices, self.function(polygons))

    def function(self, polygons: np.ndarray) -> np.ndarray:
        """Function ids of ``l_k - l_current`` per polygon (``l_0`` alone when ``k == 0``)."""
        current = self.current[polygons] if self.k else np.zeros(len(polygons), dtype=np.int64)
        return self.function_ids(self.k, current)

    def origin(self, polygons: np.ndarray) -> np.ndarray:
        """Not a layer's breakpoint: -1."""
        return np.full(len(polygons), -1, dtype=np.int64)

    def coefficients(self, polygons: np.ndarray) -> Coefficients:
        """Equation of ``l_k - l_current = 0`` on each polygon."""
        regions = self.region_of(polygons)
        own = self.maps.own
        if self.k == 0:
            return self.maps.m[regions, :, 0], own(regions, 0) * SAFE
        j = self.current[polygons]
        m = self.maps.m[regions, :, self.k] - self.maps.m[regions, :, j]
        reach = (np.abs(m[:, 0]) + np.abs(m[:, 1])) * self.mesh.box + np.abs(m[:, 2])
        return m, (own(regions, self.k) + own(regions, j) + (2 * EPS) * reach) * SAFE


def chords(
    mesh: VertexPool,
    own_line: np.ndarray,
    own_error: np.ndarray,
    rv: np.ndarray,
    crossing: np.ndarray,
    p: tuple,
    snapped: np.ndarray,
) -> Coefficients:
    """The equations to store for the new edges of a cut with a band (``decompose(tol=)``),
    one per split polygon: the cut line's (``own_line``, ``own_error``), but for an edge with an
    end the band put on the line (``snapped``, per incidence ``rv`` of the split polygons), the
    line through its two ends (:func:`through`). ``crossing`` and the
    :class:`~regions.kernels.Plan` ``p`` are :meth:`Mesh.cut`'s.

    Such an end may lie off the line by up to the band, and the edge with it: every edge stores
    the line it lies on, and a later cut's vertex on it is where that line crosses the cut's
    (with a band, a bound on its distance from there; beyond the class cells' cuts too).
    """
    _, _, _, _, _, _, nb, pa, cross_after, cross_before = p
    need = np.flatnonzero((~cross_before & snapped[pa]) | (~cross_after & snapped[nb]))
    if need.size == 0:
        return own_line, own_error
    start = np.where(cross_before, crossing[0], rv[pa])[need]
    stop = np.where(cross_after, crossing[1], rv[nb])[need]
    xy, r = mesh.xy, mesh.r
    own_line, own_error = own_line.copy(), own_error.copy()
    own_line[need], own_error[need] = through(xy[start], xy[stop], r[start], r[stop], mesh.box)
    return own_line, own_error


def through(
    p: np.ndarray, q: np.ndarray, rp: np.ndarray, rq: np.ndarray, box: float
) -> Coefficients:
    """The line through float points ``p`` and ``q`` (n, 2), and a bound on the error of its
    ``a x + b y + c`` against the line through the exact points within ``rp`` and ``rq`` of
    them, at any point ``X`` with ``|x|, |y| <= box``.

    With ``(a, b) = (q_y - p_y, p_x - q_x)`` and ``c = -(a p_x + b p_y)`` in floats, the exact
    line is ``A (x - P_x) + B (y - P_y)`` with ``(A, B)`` within ``rp + rq`` of the exact
    ``(a, b)`` in each coordinate: the error is at most ``|a - A| |x - p_x| + |b - B| |y - p_y|
    + |(A, B)| rp`` plus the rounding of ``a``, ``b`` and ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> line, err = through(np.array([[0.0, 0.5]]), np.array([[1.0, 1.5]]), np.zeros(1),
    ...                     np.zeros(1), box=2.0)
    >>> line.tolist(), bool(err[0] < 1e-14)
    ([[1.0, -1.0, 0.5]], True)
    """
    a, b = q[:, 1] - p[:, 1], p[:, 0] - q[:, 0]
    ax, by = a * p[:, 0], b * p[:, 1]
    line = np.stack([a, b, -(ax + by)], axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        reach = rp + rq
        tilt = 2 * box * (EPS * (1 + 2 * EPS) * (np.abs(a) + np.abs(b)) + 2 * reach)
        shift = (np.hypot(a, b) * (1 + 4 * EPS) + reach) * rp
        err = (tilt + shift + gamma(2) * (np.abs(ax) + np.abs(by))) * SAFE
    return line, np.where(np.isnan(err), np.inf, err)


def hull_lines(hull: np.ndarray, box: float) -> tuple[np.ndarray, np.ndarray]:
    """Equations (k, 3) of the hull's edges through its float corners, and their error bounds.

    Each coefficient of :func:`~regions.rationals.line_through` is computed exactly and rounded
    once. A box's edges have exact equations: y - y0 (flat) or x - x0 (upright). In Python
    floats, corner by corner: a hull has few corners, and numpy's calls cost a small net's
    decomposition about 2% here (:class:`~regions.mesh.Mesh` starts from them).
    """
    corners = hull.tolist()
    rows = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        if y0 == y1:
            rows.append((0.0, 1.0, -y0))
        elif x0 == x1:
            rows.append((1.0, 0.0, -x0))
        else:
            rows.append(tuple(float(c) for c in line_through((x0, y0), (x1, y1))))
    lines = np.array(rows)
    err = (2 * EPS) * (np.abs(lines[:, :2]).sum(axis=1) * box + np.abs(lines[:, 2])) * SAFE
    return lines, err
