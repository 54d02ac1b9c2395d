"""Domains (where to decompose) and planes (which 2D slice of a wider input space).

A domain is a box ``(xmin, xmax, ymin, ymax)`` or any shapely Polygon, in plane coordinates.
The decomposition runs on the domain's convex hull; a non-convex domain (or one with holes) is
clipped afterwards, see :mod:`regions.partition`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import shapely
from shapely.geometry import Polygon, box

from .errors import DomainError

__all__ = ["DEFAULT_BOX", "Domain", "Plane", "as_domain", "as_plane", "check_plane_basis"]

DEFAULT_BOX = (-2.0, 2.0, -2.0, 2.0)


@dataclass(frozen=True, eq=False)
class Domain:
    """A validated 2D domain.

    Attributes
    ----------
    polygon : shapely.Polygon
        The domain itself.
    hull : ndarray, shape (k, 2)
        Counter-clockwise vertices of its convex hull (where the decomposition runs).
    convex : bool
        Whether the domain equals its hull (then no clipping is needed).

    Build one with :func:`as_domain`; :func:`regions.decompose` does so from its ``domain``
    argument and keeps it as ``Partition.domain``.

    Examples
    --------
    >>> from regions.domain import as_domain
    >>> dom = as_domain((0, 2, 0, 1))  # the box [0, 2] x [0, 1]
    >>> dom.area, dom.convex
    (2.0, True)
    >>> dom.hull.tolist()  # counter-clockwise
    [[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0]]
    >>> round(dom.diameter, 6)  # sqrt(5)
    2.236068
    """

    polygon: Polygon
    hull: np.ndarray
    convex: bool

    @property
    def area(self) -> float:
        """Area of the domain itself (not its hull), in squared plane units."""
        return float(self.polygon.area)

    @property
    def hull_area(self) -> float:
        """Area of the domain's convex hull, in squared plane units."""
        return float(Polygon(self.hull).area)

    @property
    def diameter(self) -> float:
        """Diagonal of the hull's bounding box, in plane units (the scale of geometric
        tolerances)."""
        lo, hi = self.hull.min(axis=0), self.hull.max(axis=0)
        return float(np.hypot(*(hi - lo)))

    def clip(self, geoms: object, grid_size: float | None = None) -> object:
        """``shapely.intersection(geoms, polygon, grid_size)``, computed near the origin.

        GEOS's overlays lose small features far from the origin: the cells of a domain 7e-8
        across at (0, 1e7), 36 float64 steps tall, each met the domain in an empty polygon.
        On an axis where the domain's centre is farther from 0 than its extent, both sides are
        moved by that centre first and the result is moved back: every coordinate within the
        domain is then between half and twice the centre, so it moves exactly (Sterbenz), and
        only the overlay's new points round. Elsewhere the overlay is shapely's own.

        Examples
        --------
        >>> import shapely
        >>> from regions.domain import as_domain
        >>> dom = as_domain(shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]))
        >>> dom.clip(shapely.box(0.5, 0.5, 1.5, 1.5)).area  # the L's corner square
        0.75
        """
        lo, hi = self.hull.min(axis=0), self.hull.max(axis=0)
        centre = (lo + hi) / 2
        shift = np.where(np.abs(centre) > hi - lo, centre, 0.0)
        if not shift.any():
            return shapely.intersection(geoms, self.polygon, grid_size=grid_size)
        moved = [shapely.transform(g, lambda c: c - shift) for g in (geoms, self.polygon)]
        met = shapely.intersection(*moved, grid_size=grid_size)
        return shapely.transform(met, lambda c: c + shift)


@functools.lru_cache(maxsize=256)
def _box(xmin: float, xmax: float, ymin: float, ymax: float) -> Domain | Polygon:
    """The domain of a box (its polygon when its area is 0 in float64), made once per box:
    sweeps decompose thousands of small nets on one box. The hull is read-only, as it is
    shared."""
    poly = box(xmin, ymin, xmax, ymax)
    if not poly.area > 0:
        return poly
    # A box: its own hull, counter-clockwise from (xmin, ymin).
    hull = np.array([[xmin, ymin], [xmax, ymin], [xmax, ymax], [xmin, ymax]])
    hull.flags.writeable = False
    return Domain(polygon=shapely.orient_polygons(poly), hull=hull, convex=True)


def as_domain(domain: object = None) -> Domain:
    """Validate ``domain`` (None, a 4-tuple box or a shapely Polygon) into a :class:`Domain`.

    Parameters
    ----------
    domain : None, (xmin, xmax, ymin, ymax) or shapely.Polygon
        Plane coordinates. None means :data:`DEFAULT_BOX`, the box [-2, 2]^2. A box needs four
        finite numbers with ``xmin < xmax`` and ``ymin < ymax``; a polygon must be valid, of
        positive area and finite, and may be non-convex or have holes.

    Returns
    -------
    Domain
        The domain, its counter-clockwise convex hull (k, 2) without collinear vertices, and
        whether it is convex.

    Raises
    ------
    DomainError
        For an empty, degenerate, invalid or non-finite domain, or an unsupported type.

    Examples
    --------
    >>> from regions.domain import as_domain
    >>> as_domain().hull.tolist()  # the default box [-2, 2]^2
    [[-2.0, -2.0], [2.0, -2.0], [2.0, 2.0], [-2.0, 2.0]]

    An L-shaped polygon is not convex; the decomposition runs on its hull and is clipped:

    >>> from shapely import Polygon
    >>> dom = as_domain(Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]))
    >>> dom.area, dom.convex, len(dom.hull)
    (3.0, False, 5)

    >>> as_domain((0, 0, 0, 1))
    Traceback (most recent call last):
        ...
    regions.errors.DomainError: domain box (xmin, xmax, ymin, ymax) = (0, 0, 0, 1) is empty: ...
    """
    if domain is None:
        domain = DEFAULT_BOX
    if isinstance(domain, Polygon):
        poly = domain
    elif isinstance(domain, Sequence) and len(domain) == 4 and not isinstance(domain, str):
        try:
            xmin, xmax, ymin, ymax = (float(v) for v in domain)
        except (TypeError, ValueError) as exc:
            raise DomainError(f"domain box {domain!r} must hold four numbers") from exc
        if not np.all(np.isfinite([xmin, xmax, ymin, ymax])):
            raise DomainError(f"domain box {domain!r} has non-finite bounds")
        if not (xmin < xmax and ymin < ymax):
            raise DomainError(
                f"domain box (xmin, xmax, ymin, ymax) = {domain!r} is empty: "
                "need xmin < xmax and ymin < ymax"
            )
        poly = _box(xmin + 0.0, xmax + 0.0, ymin + 0.0, ymax + 0.0)  # -0.0 is 0.0 as a key
        if isinstance(poly, Domain):
            return poly
    else:
        raise DomainError(
            "domain must be None, a box (xmin, xmax, ymin, ymax) or a shapely Polygon, "
            f"got {type(domain).__name__}"
        )
    if poly.is_empty or not poly.is_valid or poly.area <= 0:
        reason = shapely.is_valid_reason(poly) if not poly.is_empty else "empty"
        if reason == "Valid Geometry":
            reason = "its area is 0 in float64"
        raise DomainError(f"domain polygon is empty, degenerate or invalid ({reason})")
    if not np.all(np.isfinite(shapely.get_coordinates(poly))):
        raise DomainError("domain polygon has non-finite coordinates")
    hull_poly = shapely.orient_polygons(poly.convex_hull)
    hull = np.asarray(hull_poly.exterior.coords)[:-1]
    hull = _drop_collinear(hull)
    convex = bool(abs(hull_poly.area - poly.area) <= 1e-12 * hull_poly.area)
    return Domain(polygon=shapely.orient_polygons(poly), hull=hull, convex=convex)


def _drop_collinear(ring: np.ndarray) -> np.ndarray:
    """Remove vertices of a CCW ring that lie exactly on the line through their neighbours.

    Decided in exact rational arithmetic, so the test means the same at any scale and
    distance from the origin (the ring is a hull: a handful of vertices).
    """
    pts = [(Fraction(float(x)), Fraction(float(y))) for x, y in ring]
    keep = []
    for i, (x, y) in enumerate(pts):
        (px, py), (nx, ny) = pts[i - 1], pts[(i + 1) % len(pts)]
        keep.append((x - px) * (ny - py) - (y - py) * (nx - px) != 0)
    return ring[np.array(keep, dtype=bool)]


@dataclass(frozen=True, eq=False)
class Plane:
    """The affine map from plane coordinates (u, v) to the model's input space.

    ``x = origin + u * basis[:, 0] + v * basis[:, 1]``; origin (d,), basis (d, 2), both in
    the model's input units. Build one with :func:`as_plane`; a :class:`regions.Partition`
    keeps its own as ``Partition.plane``.

    Attributes
    ----------
    origin : ndarray, shape (d,)
        Input point at plane coordinates (0, 0).
    basis : ndarray, shape (d, 2)
        Input-space directions of the u and v axes (columns).

    Examples
    --------
    The slice z = 1 of a 3-input model's input space:

    >>> from regions.domain import as_plane
    >>> plane = as_plane(([0, 0, 1], ([1, 0, 0], [0, 1, 0])), n_inputs=3)
    >>> plane.to_input([[2.0, 3.0]]).tolist()
    [[2.0, 3.0, 1.0]]
    >>> plane.map.tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """

    origin: np.ndarray
    basis: np.ndarray

    @property
    def map(self) -> np.ndarray:
        """The map as one (d, 3) array ``[basis | origin]``: ``x = map @ (u, v, 1)``.

        Examples
        --------
        >>> from regions.domain import as_plane
        >>> as_plane(None, 2).map.tolist()  # the identity plane of a 2-input model
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
        """
        return np.concatenate([self.basis, self.origin[:, None]], axis=1)

    def to_input(self, points: np.ndarray) -> np.ndarray:
        """Plane points to input points.

        Parameters
        ----------
        points : array_like, shape (N, 2)
            Plane coordinates (u, v).

        Returns
        -------
        ndarray, shape (N, d)
            The model inputs ``origin + u * basis[:, 0] + v * basis[:, 1]``, float64.

        Examples
        --------
        >>> from regions.domain import as_plane
        >>> plane = as_plane(([1, 1, 1], [2, 2, 2], [1, 1, 3]), n_inputs=3)  # three points
        >>> plane.to_input([[0, 0], [1, 0], [0, 1], [0.5, 0.5]]).tolist()
        [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [1.0, 1.0, 3.0], [1.5, 1.5, 2.5]]
        """
        return self.origin + np.asarray(points, dtype=np.float64) @ self.basis.T


def as_plane(plane: object, n_inputs: int) -> Plane:
    """Validate ``plane`` for a model with ``n_inputs`` inputs.

    ``plane`` is None (for 2 inputs the identity, for 1 input x = u), a :class:`Plane` (a
    partition's ``part.plane``), ``(origin, (d1, d2))`` with an origin and two direction
    vectors, or three input points ``(p0, p1, p2)`` (then p0 sits at plane coordinates (0, 0),
    and p1, p2 at (1, 0), (0, 1) to rounding: the directions are the float64 differences
    ``p1 - p0`` and ``p2 - p0``, exact only where the subtraction is; the decomposition is
    exact for the plane so defined, ``part.plane``). The directions must span a plane, except
    for a 1-input model, whose input space is a line: any direction along it will do, as long as
    one is nonzero.

    Parameters
    ----------
    plane : None, Plane, (origin, (d1, d2)) or (p0, p1, p2)
        Vectors of length ``n_inputs`` (input units).
    n_inputs : int
        The model's input width d.

    Returns
    -------
    Plane
        ``origin`` (d,) and ``basis`` (d, 2), float64.

    Raises
    ------
    DomainError
        For a missing plane with ``n_inputs > 2``, malformed or non-finite vectors, a width
        other than ``n_inputs``, or parallel directions (collinear points; for 1 input, two
        zero directions).

    Examples
    --------
    >>> from regions.domain import as_plane
    >>> plane = as_plane(([0, 0, 0], ([1, 0, 0], [0, 1, 1])), n_inputs=3)
    >>> plane.origin.tolist(), plane.basis.tolist()
    ([0.0, 0.0, 0.0], [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> as_plane(([0, 0, 0], [1, 1, 1], [2, 2, 2]), n_inputs=3)
    Traceback (most recent call last):
        ...
    regions.errors.DomainError: plane directions are parallel (or the three points collinear)
    >>> as_plane(None, n_inputs=1).to_input([[0.5, 2.0]]).tolist()  # x = u
    [[0.5]]

    With :func:`regions.decompose`, the slice of a 3-input model through three points:

    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> with torch.no_grad():
    ...     _ = model[0].weight.copy_(torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    ...     _ = model[0].bias.zero_()
    >>> part = regions.decompose(model, (-1, 1, -1, 1), plane=([0, 0, 0], [1, 0, 0], [0, 1, 1]))
    >>> len(part)  # x = 0 and z = 0 cross the plane along u = 0 and v = 0
    4
    """
    if plane is None:
        if n_inputs == 1:  # a line: x = u, the v axis a dummy
            return Plane(np.zeros(1), np.array([[1.0, 0.0]]))
        if n_inputs != 2:
            raise DomainError(
                f"the model has {n_inputs} inputs, not 2: pass plane=(origin, (d1, d2)) or "
                "plane=(p0, p1, p2) to decompose a 2D slice of its input space"
            )
        return Plane(np.zeros(2), np.eye(2))
    if isinstance(plane, Plane):  # e.g. a partition's own ``part.plane``
        origin, basis = plane.origin, plane.basis
    else:
        origin, basis = _plane_vectors(plane)
    if origin.shape != (n_inputs,) or basis.shape != (n_inputs, 2):
        raise DomainError(
            f"plane vectors must have the model's input width {n_inputs}; got origin "
            f"{origin.shape} and directions {basis.T.shape}"
        )
    if not (np.all(np.isfinite(origin)) and np.all(np.isfinite(basis))):
        raise DomainError("plane has non-finite entries")
    check_plane_basis(basis)
    return Plane(origin, basis)


def _plane_vectors(plane: object) -> tuple[np.ndarray, np.ndarray]:
    """Origin (d,) and directions (d, 2) of ``(origin, (d1, d2))`` or ``(p0, p1, p2)``."""
    try:
        parts = list(plane)
        if len(parts) == 2:
            return np.asarray(parts[0], dtype=np.float64), np.asarray(parts[1], np.float64).T
        if len(parts) == 3:
            points = [np.asarray(p, dtype=np.float64) for p in parts]
            with np.errstate(over="ignore", invalid="ignore"):
                basis = np.stack([points[1] - points[0], points[2] - points[0]], axis=1)
    except (TypeError, ValueError) as exc:
        raise DomainError(_PLANE_FORMS) from exc
    if len(parts) != 3:
        raise DomainError(_PLANE_FORMS)
    if all(np.isfinite(p).all() for p in points) and not np.isfinite(basis).all():
        raise DomainError(
            "the plane's directions p1 - p0 and p2 - p0 overflow float64: choose points nearer "
            "each other"
        )
    return points[0], basis


_PLANE_FORMS = (
    "plane must be a Plane, (origin, (d1, d2)) or three points (p0, p1, p2) of the input space"
)


def check_plane_basis(basis: np.ndarray) -> None:
    """The plane's directions (d, 2) must span 2 dimensions, or 1 for a 1-input model.

    A 1-input model's input space is a line, so every plane onto it is degenerate: one
    direction (or both) moves along the line; both zero would map the whole domain to one
    input.

    Raises
    ------
    DomainError
        For parallel directions (d >= 2) or zero directions (d = 1), or directions so nearly
        parallel, or so different in size, that float64 cannot keep the plane two-dimensional
        (the smaller singular value below 1e-12 of the larger), said apart.

    Examples
    --------
    >>> import numpy as np
    >>> from regions.domain import check_plane_basis
    >>> check_plane_basis(np.array([[1.0, 0.0]]))  # x = u for a 1-input model: fine
    >>> check_plane_basis(np.array([[1.0, 2.0], [1.0, 2.0]]))
    Traceback (most recent call last):
        ...
    regions.errors.DomainError: plane directions are parallel (or the three points collinear)
    """
    if basis.shape[0] == 1:
        if not basis.any():
            raise DomainError(
                "plane directions are both zero, so every (u, v) maps to one input; a 1-input "
                "model needs a nonzero direction, e.g. plane=([0.0], ([1.0], [0.0])) for x = u"
            )
        return
    if 0 < np.abs(basis).max() < np.finfo(np.float64).tiny:
        raise DomainError(
            "plane directions are below float64's normal range (2.2e-308), where they lose "
            "precision: scale them up (and the domain down)"
        )
    if np.linalg.matrix_rank(basis, tol=1e-12 * max(np.abs(basis).max(), 1e-300)) < 2:
        if _parallel(basis[:, 0], basis[:, 1]):
            raise DomainError("plane directions are parallel (or the three points collinear)")
        raise DomainError(
            "plane directions are nearly parallel, or of sizes more than 1e12 apart (the "
            "basis's smaller singular value is below 1e-12 of its larger): the plane is "
            "degenerate in float64; choose directions of similar size at a wider angle"
        )


def _parallel(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether directions ``a`` and ``b`` (d,) are exactly parallel (either zero counts)."""
    i = int(np.argmax(np.abs(a)))
    if a[i] == 0:
        return True
    ai, bi = Fraction(float(a[i])), Fraction(float(b[i]))
    return all(
        ai * Fraction(float(y)) == bi * Fraction(float(x)) for x, y in zip(a, b, strict=True)
    )
