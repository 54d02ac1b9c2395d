"""Synthetic 2D classification datasets whose true decision boundary is known exactly.

Every dataset is defined by a scalar function ``f(x, y)``; the label of a point is 1 where
``f > 0`` and 0 elsewhere (``f == 0`` counts as negative). Inputs are drawn uniformly from an
axis-aligned box, by default ``[-2, 2]^2``.

Four *classic* boundaries (:data:`BOUNDARY_NAMES`):

``line``     ``f = y - x``                      (positive region exactly polygonal)
``abs``      ``f = y - |x|``                    (positive region exactly polygonal)
``ellipse``  ``f = 1 - x^2/4 - y^2``            (interior of an ellipse with semi-axes 2 and 1)
``sine``     ``f = y - sin(pi x)``              (above a sine wave)

Four *playground* datasets:

``ring``     ``f = R0 - sqrt(x^2 + y^2)`` with ``R0 = sqrt(8 / pi) ~ 1.596``: a disc holding half
             the area of the default box, surrounded by the negative class. The positive class is
             bounded and enclosed by negatives inside the box, so no ReLU net whose layers all
             have width <= 2 (the input dimension) can separate it: such nets only have unbounded
             decision regions (Johnson 2019; Beise, Da Cruz & Schroder 2021).
``xor``      ``f = x * y``: positive in the first and third quadrants (exactly polygonal).
``spirals``  ``f = sin(theta - K r)`` with polar coordinates ``(r, theta)`` and
             ``K = SPIRAL_RATE = pi``: two interleaved Archimedean spiral bands; along a ray the
             label flips every ``pi / K = 1`` unit of radius.
``moons``    two half-moons (sklearn's ``make_moons`` geometry, centred and scaled by 1.25): arc A
             is the upper half circle of radius 1.25 about ``(-0.625, -0.3125)``, arc B the lower
             half circle of radius 1.25 about ``(0.625, 0.3125)``. ``f = d_A - d_B`` with ``d_*``
             the Euclidean distance to each arc, so a point is positive when it is closer to arc B
             (sklearn's class 1). The classes are balanced on any box symmetric about the origin.

Curved boundaries only admit a polygonal *approximation* of the positive region; the
``resolution`` argument of :meth:`Boundary.positive_region` controls it and each geometry's
docstring states how.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import contourpy
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from regions import DEFAULT_BOX

__all__ = [
    "BOUNDARY_NAMES",
    "DATASET_NAMES",
    "DEFAULT_BOX",
    "MOON_CENTRE_A",
    "MOON_CENTRE_B",
    "MOON_RADIUS",
    "RING_RADIUS",
    "SPIRAL_RATE",
    "Boundary",
    "Box",
    "Dataset",
    "RegionBuilder",
    "SignFunction",
    "get_boundary",
    "make_dataset",
    "validate_box",
]

Box = tuple[float, float, float, float]
"""``(xmin, xmax, ymin, ymax)`` in input units: the lab's one name for a 4-tuple box (a
:class:`regions.Domain` is a ``domain``). The default, ``[-2, 2]^2``, is
:data:`regions.DEFAULT_BOX`."""

RING_RADIUS = math.sqrt(8.0 / math.pi)
SPIRAL_RATE = math.pi
MOON_RADIUS = 1.25
MOON_CENTRE_A = (-0.625, -0.3125)
MOON_CENTRE_B = (0.625, 0.3125)

BOUNDARY_NAMES: tuple[str, ...] = ("line", "abs", "ellipse", "sine")
DATASET_NAMES: tuple[str, ...] = (*BOUNDARY_NAMES, "ring", "xor", "spirals", "moons")

SignFunction = Callable[[np.ndarray], np.ndarray]
RegionBuilder = Callable[[Box, int], BaseGeometry]


def validate_box(box: Box) -> Box:
    """Return ``box`` as floats; ``ValueError`` unless ``xmin < xmax`` and ``ymin < ymax``.

    Parameters
    ----------
    box : (xmin, xmax, ymin, ymax)
        Four finite numbers in input units.

    Returns
    -------
    tuple of 4 float
        The same box as Python floats.

    Raises
    ------
    ValueError
        If ``box`` does not have four entries, an entry is not finite, or an interval is empty.

    Examples
    --------
    >>> from analysis.lab.data import validate_box
    >>> validate_box((-2, 2, 0, 1))
    (-2.0, 2.0, 0.0, 1.0)
    >>> try:
    ...     validate_box((1.0, 0.0, -1.0, 1.0))
    ... except ValueError as err:
    ...     print(err)
    box must satisfy xmin < xmax and ymin < ymax, got (1.0, 0.0, -1.0, 1.0)
    """
    if len(box) != 4:
        raise ValueError(f"box must be (xmin, xmax, ymin, ymax), got {box!r}")
    xmin, xmax, ymin, ymax = (float(v) for v in box)
    if not (np.isfinite([xmin, xmax, ymin, ymax]).all() and xmin < xmax and ymin < ymax):
        raise ValueError(f"box must satisfy xmin < xmax and ymin < ymax, got {box!r}")
    return xmin, xmax, ymin, ymax


def _xy(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {p.shape}")
    return p[:, 0], p[:, 1]


def _box_polygon(box: Box) -> Polygon:
    xmin, xmax, ymin, ymax = box
    return shapely.box(xmin, ymin, xmax, ymax)


def _far(box: Box) -> float:
    """A coordinate magnitude comfortably outside ``box`` (used for clipped half-planes)."""
    return 2.0 * max(abs(v) for v in box) + 1.0


def _clip(region: BaseGeometry, box: Box) -> Polygon | MultiPolygon:
    clipped = shapely.make_valid(region).intersection(_box_polygon(box))
    polygons = [g for g in getattr(clipped, "geoms", [clipped]) if isinstance(g, Polygon)]
    polygons = [p for p in polygons if not p.is_empty]
    if len(polygons) == 1:
        return polygons[0]
    return MultiPolygon(polygons)


# ---------------------------------------------------------------------------------------------
# Sign functions, shape (N, 2) -> (N,), float64.


def _f_line(points: np.ndarray) -> np.ndarray:
    x, y = _xy(points)
    return y - x


def _f_abs(points: np.ndarray) -> np.ndarray:
    x, y = _xy(points)
    return y - np.abs(x)


def _f_ellipse(points: np.ndarray) -> np.ndarray:
    x, y = _xy(points)
    return 1.0 - x**2 / 4.0 - y**2


def _f_sine(points: np.ndarray) -> np.ndarray:
    x, y = _xy(points)
    return y - np.sin(np.pi * x)


def _f_ring(points: np.ndarray) -> np.ndarray:
    x, y = _xy(points)
    return RING_RADIUS - np.hypot(x, y)


def _f_xor(points: np.ndarray) -> np.ndarray:
    x, y = _xy(points)
    return x * y


def _f_spirals(points: np.ndarray) -> np.ndarray:
    x, y = _xy(points)
    return np.sin(np.arctan2(y, x) - SPIRAL_RATE * np.hypot(x, y))


def _half_arc_distance(x: np.ndarray, y: np.ndarray, centre: tuple[float, float], upper: bool):
    """Distance to the upper (or lower) half of the circle of radius ``MOON_RADIUS``."""
    vx, vy = x - centre[0], y - centre[1]
    on_arc_side = vy >= 0 if upper else vy <= 0
    to_circle = np.abs(np.hypot(vx, vy) - MOON_RADIUS)
    # Off the arc's half-plane the nearest arc point is one of its two endpoints.
    to_ends = np.minimum(np.hypot(vx - MOON_RADIUS, vy), np.hypot(vx + MOON_RADIUS, vy))
    return np.where(on_arc_side, to_circle, to_ends)


def _f_moons(points: np.ndarray) -> np.ndarray:
    x, y = _xy(points)
    d_a = _half_arc_distance(x, y, MOON_CENTRE_A, upper=True)
    d_b = _half_arc_distance(x, y, MOON_CENTRE_B, upper=False)
    return d_a - d_b


# ---------------------------------------------------------------------------------------------
# Positive regions. Each builder takes (box, resolution) and returns an unclipped geometry.


def _region_line(box: Box, resolution: int) -> BaseGeometry:
    """Exact: the half-plane ``y > x`` as a triangle reaching beyond the box."""
    m = _far(box)
    return Polygon([(-m, -m), (m, m), (-m, m)])


def _region_abs(box: Box, resolution: int) -> BaseGeometry:
    """Exact: the wedge ``y > |x|`` as a triangle reaching beyond the box."""
    m = _far(box)
    return Polygon([(0.0, 0.0), (m, m), (-m, m)])


def _region_xor(box: Box, resolution: int) -> BaseGeometry:
    """Exact: first and third quadrants."""
    m = _far(box)
    return MultiPolygon([shapely.box(0.0, 0.0, m, m), shapely.box(-m, -m, 0.0, 0.0)])


def _inscribed_ellipse(a: float, b: float, resolution: int) -> Polygon:
    t = np.linspace(0.0, 2.0 * np.pi, resolution, endpoint=False)
    return Polygon(np.column_stack([a * np.cos(t), b * np.sin(t)]))


def _region_ellipse(box: Box, resolution: int) -> BaseGeometry:
    """Approximate: inscribed ``resolution``-gon of the ellipse (a subset of the true region)."""
    return _inscribed_ellipse(2.0, 1.0, resolution)


def _region_ring(box: Box, resolution: int) -> BaseGeometry:
    """Approximate: inscribed ``resolution``-gon of the disc (a subset of the true region)."""
    return _inscribed_ellipse(RING_RADIUS, RING_RADIUS, resolution)


def _region_sine(box: Box, resolution: int) -> BaseGeometry:
    """Approximate: ``y = sin(pi x)`` sampled at ``resolution`` evenly spaced x across the box."""
    xmin, xmax, _, ymax = box
    top = max(ymax, 1.0) + 1.0
    x = np.linspace(xmin, xmax, resolution)
    curve = np.column_stack([x, np.sin(np.pi * x)])
    return Polygon([*map(tuple, curve), (xmax, top), (xmin, top)])


def _region_spirals(box: Box, resolution: int) -> BaseGeometry:
    """Approximate: the band between the arms ``theta = K r`` and ``theta = K r + pi``.

    Both arms are sampled at ``resolution`` evenly spaced radii from 0 to beyond the box corners
    and closed by an arc outside the box, so only the arms' chords approximate the boundary.
    """
    xmin, xmax, ymin, ymax = box
    r_max = 1.1 * max(math.hypot(x, y) for x in (xmin, xmax) for y in (ymin, ymax))
    r = np.linspace(0.0, r_max, resolution)
    arm = np.column_stack([r * np.cos(SPIRAL_RATE * r), r * np.sin(SPIRAL_RATE * r)])
    # Going counter-clockwise from arm A at the outer radius sweeps the positive half-turn.
    t = SPIRAL_RATE * r_max + np.linspace(0.0, np.pi, 257)[1:-1]
    outer_arc = np.column_stack([r_max * np.cos(t), r_max * np.sin(t)])
    # Arm B is arm A rotated by pi, i.e. point-reflected.
    ring = np.concatenate([arm, outer_arc, -arm[::-1][:-1]])
    return Polygon(ring)


def _region_moons(box: Box, resolution: int) -> BaseGeometry:
    """Approximate: filled contour ``f > 0`` by marching squares on a ``resolution``^2 grid.

    The boundary is linearly interpolated between grid nodes, so it deviates from the true
    bisector by a small fraction of the grid spacing ``(box width) / (resolution - 1)``.
    """
    xmin, xmax, ymin, ymax = box
    xs, ys = np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution)
    gx, gy = np.meshgrid(xs, ys)
    z = _f_moons(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    generator = contourpy.contour_generator(
        xs, ys, z, fill_type=contourpy.FillType.OuterOffset, name="serial"
    )
    points_list, offsets_list = generator.filled(0.0, np.inf)
    polygons = []
    for pts, offsets in zip(points_list, offsets_list, strict=True):
        rings = [pts[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
        polygons.append(Polygon(rings[0], rings[1:]))
    return MultiPolygon(polygons)


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    """A true decision boundary: the sign of ``f`` decides the class.

    Attributes
    ----------
    name : str
        Dataset name, one of :data:`DATASET_NAMES`.
    formula : str
        Human-readable rule for plot titles, e.g. ``'sign(y - x)'``.
    f : callable
        ``f(points) -> values``: points of shape (N, 2), values of shape (N,), float64.
        Class 1 where ``f > 0``.
    exact_region : bool
        True when :meth:`positive_region` is exact (up to floating point), False when it is a
        polygonal approximation of a curved boundary.
    default_resolution : int
        ``resolution`` used by :meth:`positive_region` when none is given.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.lab.data import get_boundary
    >>> line = get_boundary("line")
    >>> line.formula, line.exact_region
    ('sign(y - x)', True)
    >>> points = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])  # shape (3, 2)
    >>> line.f(points).tolist()  # y - x
    [1.0, -1.0, 0.0]
    >>> line.labels(points).tolist()  # f == 0 counts as negative
    [1, 0, 0]
    >>> line.positive_region().area  # half of the default box [-2, 2]^2, squared input units
    8.0
    """

    name: str
    formula: str
    f: SignFunction
    exact_region: bool
    default_resolution: int
    _region: RegionBuilder

    def labels(self, points: np.ndarray) -> np.ndarray:
        """Class labels of ``points`` (N, 2): int64 array (N,), 1 where ``f > 0`` else 0."""
        return (self.f(points) > 0).astype(np.int64)

    def positive_region(
        self, box: Box = DEFAULT_BOX, resolution: int | None = None
    ) -> Polygon | MultiPolygon:
        """Region of class 1 inside ``box``, as shapely geometry.

        Parameters
        ----------
        box : (xmin, xmax, ymin, ymax)
            Clipping box in input units.
        resolution : int, optional
            Sampling density of curved boundaries (default :attr:`default_resolution`),
            ignored where :attr:`exact_region` is True:
            number of polygon vertices for ``ellipse`` and ``ring`` (an inscribed polygon);
            number of samples across the box width for ``sine``; number of samples per spiral arm
            for ``spirals``; grid nodes per axis for ``moons`` (marching squares).

        Returns
        -------
        Polygon or MultiPolygon
            The positive class intersected with the box. For curved boundaries the result is an
            approximation whose error vanishes as ``resolution`` grows.

        Examples
        --------
        >>> from analysis.lab.data import get_boundary
        >>> get_boundary("abs").positive_region().area  # the wedge y > |x| in [-2, 2]^2
        4.0
        >>> get_boundary("xor").positive_region((-1, 2, -1, 1)).area  # 2 x 1 + 1 x 1
        3.0
        >>> ring = get_boundary("ring")  # a disc of area 8, inscribed polygons approach it
        >>> round(ring.positive_region(resolution=8).area, 3), round(ring.positive_region().area, 3)
        (7.203, 8.0)
        """
        box = validate_box(box)
        resolution = self.default_resolution if resolution is None else resolution
        if not self.exact_region and resolution < 8:
            raise ValueError(f"resolution must be >= 8, got {resolution}")
        return _clip(self._region(box, int(resolution)), box)


_BOUNDARIES: dict[str, Boundary] = {
    b.name: b
    for b in (
        Boundary("line", "sign(y - x)", _f_line, True, 0, _region_line),
        Boundary("abs", "sign(y - |x|)", _f_abs, True, 0, _region_abs),
        Boundary("ellipse", "sign(1 - x²/4 - y²)", _f_ellipse, False, 2048, _region_ellipse),
        Boundary("sine", "sign(y - sin(πx))", _f_sine, False, 2048, _region_sine),
        Boundary("ring", "sign(1.596 - √(x² + y²))", _f_ring, False, 2048, _region_ring),
        Boundary("xor", "sign(xy)", _f_xor, True, 0, _region_xor),
        Boundary("spirals", "sign(sin(θ - πr))", _f_spirals, False, 2048, _region_spirals),
        Boundary("moons", "sign(d(moon A) - d(moon B))", _f_moons, False, 1024, _region_moons),
    )
}


def get_boundary(name: str) -> Boundary:
    """Return the :class:`Boundary` called ``name``; ``ValueError`` lists the valid names.

    Parameters
    ----------
    name : str
        One of :data:`DATASET_NAMES`.

    Returns
    -------
    Boundary

    Examples
    --------
    >>> from analysis.lab.data import DATASET_NAMES, get_boundary
    >>> get_boundary("ellipse").formula
    'sign(1 - x²/4 - y²)'
    >>> [get_boundary(n).exact_region for n in DATASET_NAMES]
    [True, True, False, False, False, True, False, False]
    >>> try:
    ...     get_boundary("circle")
    ... except ValueError as err:
    ...     print(err)
    unknown dataset 'circle'; valid names: line, abs, ellipse, sine, ring, xor, spirals, moons
    """
    try:
        return _BOUNDARIES[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r}; valid names: {', '.join(DATASET_NAMES)}"
        ) from None


@dataclass(frozen=True, eq=False)
class Dataset:
    """A sampled train/test split.

    Attributes
    ----------
    name : str
        Dataset name.
    boundary : Boundary
        The true boundary the clean labels come from.
    box : (xmin, xmax, ymin, ymax)
        Sampling box in input units.
    X_train : ndarray, shape (n_train, 2), float32
    y_train : ndarray, shape (n_train,), int64
        Training labels, each flipped with probability ``noise``.
    X_test : ndarray, shape (n_test, 2), float32
    y_test : ndarray, shape (n_test,), int64
        Clean test labels (never flipped), so test accuracy measures the true boundary.
    noise : float
        Label-flip probability applied to the training labels.

    Examples
    --------
    >>> from analysis.lab.data import make_dataset
    >>> data = make_dataset("xor", n_train=100, n_test=20, seed=1)
    >>> data.X_train.shape, data.X_train.dtype, data.y_train.shape, data.y_train.dtype
    ((100, 2), dtype('float32'), (100,), dtype('int64'))
    >>> data.X_test.shape, data.box, data.noise
    ((20, 2), (-2.0, 2.0, -2.0, 2.0), 0.0)
    >>> bool((data.y_train == data.boundary.labels(data.X_train)).all())  # no noise
    True
    """

    name: str
    boundary: Boundary
    box: Box
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    noise: float


def make_dataset(
    name: str,
    n_train: int = 10_000,
    n_test: int = 2_000,
    *,
    noise: float = 0.0,
    seed: int = 0,
    box: Box = DEFAULT_BOX,
) -> Dataset:
    """Sample a dataset uniformly in ``box`` and label it by the sign of its boundary function.

    Parameters
    ----------
    name : str
        One of :data:`DATASET_NAMES`.
    n_train, n_test : int
        Number of training (>= 1) and test (>= 0) points.
    noise : float
        Probability in [0, 1] of flipping each *training* label; test labels stay clean.
    seed : int
        Seed of everything random. Train points, test points and label flips use independent
        streams, so changing ``noise`` or ``n_test`` leaves the training points unchanged.
    box : (xmin, xmax, ymin, ymax)
        Sampling box in input units.

    Returns
    -------
    Dataset
        Labels are computed from the float32 points actually stored.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.lab.data import make_dataset
    >>> data = make_dataset("ellipse", n_train=200, n_test=50, noise=0.1, seed=0)
    >>> data.X_train.shape, data.y_train.shape, data.X_test.shape, data.y_test.shape
    ((200, 2), (200,), (50, 2), (50,))
    >>> bool(np.all(np.abs(data.X_train) <= 2.0))  # inside the default box [-2, 2]^2
    True
    >>> flipped = int((data.y_train != data.boundary.labels(data.X_train)).sum())
    >>> 0 < flipped < 40  # about noise * n_train = 20 training labels flipped
    True
    >>> bool((data.y_test == data.boundary.labels(data.X_test)).all())  # test labels are clean
    True

    The same seed gives the same points; other noise levels keep the training points:

    >>> again = make_dataset("ellipse", n_train=200, n_test=50, noise=0.0, seed=0)
    >>> bool((again.X_train == data.X_train).all())
    True
    """
    boundary = get_boundary(name)
    box = validate_box(box)
    if n_train < 1 or n_test < 0:
        raise ValueError(f"need n_train >= 1 and n_test >= 0, got {n_train}, {n_test}")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be a probability in [0, 1], got {noise}")
    train_rng, test_rng, noise_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    X_train = _uniform(train_rng, n_train, box)
    X_test = _uniform(test_rng, n_test, box)
    flips = noise_rng.random(n_train) < noise
    y_train = boundary.labels(X_train) ^ flips.astype(np.int64)
    return Dataset(
        name=name,
        boundary=boundary,
        box=box,
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=boundary.labels(X_test),
        noise=float(noise),
    )


def _uniform(rng: np.random.Generator, n: int, box: Box) -> np.ndarray:
    xmin, xmax, ymin, ymax = box
    low, high = np.array([xmin, ymin]), np.array([xmax, ymax])
    return rng.uniform(low, high, size=(n, 2)).astype(np.float32)
