"""Hypothesis strategies and the exact oracle, for property tests of code built on regions.

``regions`` tests itself with these: small torch MLPs drawn to be hard (weights spanning
1e-8 to 1e8, duplicated units, integer weights whose lines meet in common points, lines
through the domain's corners), domains at every scale and place, and planes through wider
input spaces. The judge is :mod:`regions.oracle`, which evaluates a model in exact rational
arithmetic; it and the exact polygon predicates of :mod:`regions.exact_geometry` are
re-exported here.

hypothesis is an optional dependency: ``pip install relu-regions[testing]``.
``import regions`` never imports this module.

Examples
--------
A property test of your own: whatever the net, the regions' areas add up to the domain's
and every region's pattern is the model's exact pattern at its interior point.

>>> import numpy as np
>>> from hypothesis import given, settings
>>> import regions
>>> from regions import testing
>>> boxes = testing.boxes(scales=(1.0, 4.0), centres=(0.0, 1.0))
>>> @settings(max_examples=10, deadline=None, derandomize=True)
... @given(model=testing.nets(adversarial=False), domain=boxes)
... def test_patterns_are_exact(model, domain):
...     part = regions.decompose(model, domain)
...     exact = testing.exact_patterns(part.network, part.plane, part.points)
...     assert np.array_equal(exact, part.patterns)
...     assert np.isclose(part.areas.sum(), part.domain.area, rtol=1e-12)
>>> test_patterns_are_exact()
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import torch
from torch import nn

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised by a test that hides hypothesis
    raise ImportError(
        "regions.testing needs hypothesis, an optional dependency of relu-regions: "
        "pip install relu-regions[testing]"
    ) from exc

from .decompose import decompose
from .exact_geometry import is_simple, point_side, polygon_area, rational_grid
from .oracle import (
    ExactPoint,
    as_fractions,
    exact_affine,
    exact_eval,
    exact_patterns,
    exact_signs,
    n_columns,
)
from .partition import Partition

__all__ = [
    "ACTIVATIONS",
    "Case",
    "ExactPoint",
    "as_fractions",
    "boxes",
    "cases",
    "domains",
    "exact_affine",
    "exact_eval",
    "exact_patterns",
    "exact_signs",
    "is_simple",
    "mlp",
    "n_columns",
    "nets",
    "planes",
    "point_side",
    "polygon_area",
    "polygons",
    "rational_grid",
]

ACTIVATIONS = ("relu", "leaky", "hardtanh")
"""Activation kinds :func:`nets` mixes: ReLU, LeakyReLU and Hardtanh (ReLU6 among its bounds)."""

_LEAKY_SLOPES = (0.01, 0.2, 0.5)
_HARDTANH_BOUNDS = ((-1.0, 1.0), (-0.5, 0.7), (0.0, 6.0), (0.25, 0.5))
_STYLES = ("normal", "integer", "half")
_FACTORS = (1.0, 2.0, 0.5, 3.0, 1e-3, 1e5)  # duplicated units: rows times a positive factor
_SHIFTS = (0.0, 0.0, 1e-4, -1e-7, 1e-10)  # and their biases shifted: thin parallel strips
_SCALES = (1e-7, 1e-3, 1.0, 4.0, 1e3, 1e6)
_CENTRES = (0.0, 0.5, -3.0, 1e4, 1e7)


def mlp(
    width: int, depth: int, init: str = "default", seed: int = 0, negative_slope: float = 0.0
) -> nn.Sequential:
    """A seeded 2-[width]x depth-1 ReLU net, the benchmarks' and deep tests' nets.

    Parameters
    ----------
    width, depth : int
        Hidden units per layer and hidden layers.
    init : {"default", "he", "he+bias", "he+default-bias"}
        PyTorch's default init; He-normal weights with zero biases; He-normal weights with
        standard-normal biases (values stay of order one through many layers, and the
        partition keeps growing with depth); or He-normal weights with PyTorch's default
        (uniform) biases, issue 12's "He" nets as near as a seed gives them (2-64x32-1 on
        [-3, 3]^2: 1,732,894 regions).
    seed : int
        ``torch.manual_seed`` before the layers are built.
    negative_slope : float
        LeakyReLU's slope below 0 instead of ReLU (0, the default: ReLU).

    Examples
    --------
    >>> from regions.testing import mlp
    >>> net = mlp(16, 3, "he+bias", seed=0)
    >>> [m.out_features for m in net if hasattr(m, "out_features")]
    [16, 16, 16, 1]
    """
    if init not in ("default", "he", "he+bias", "he+default-bias"):
        raise ValueError(
            "regions.testing.mlp: init must be 'default', 'he', 'he+bias' or "
            f"'he+default-bias', got {init!r}"
        )
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    n = 2
    for _ in range(depth):
        act = nn.LeakyReLU(negative_slope) if negative_slope else nn.ReLU()
        layers += [nn.Linear(n, width), act]
        n = width
    model = nn.Sequential(*layers, nn.Linear(n, 1))
    if init != "default":
        for m in model:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if init == "he":
                    nn.init.zeros_(m.bias)
                elif init == "he+bias":
                    nn.init.normal_(m.bias)
    return model.eval()


def _activation(kind: str, draw: st.DrawFn) -> nn.Module:
    if kind == "relu":
        return nn.ReLU()
    if kind == "leaky":
        return nn.LeakyReLU(draw(st.sampled_from(_LEAKY_SLOPES)))
    if kind == "hardtanh":
        return nn.Hardtanh(*draw(st.sampled_from(_HARDTANH_BOUNDS)))
    raise ValueError(f"regions.testing.nets: unknown activation {kind!r}; use {ACTIVATIONS}")


def _weights(rng: np.random.Generator, style: str, rows: int, cols: int) -> tuple:
    """Weights (rows, cols) and biases (rows,): normal floats, integers or half-integers."""
    if style == "normal":
        return rng.standard_normal((rows, cols)), 0.5 * rng.standard_normal(rows)
    if style == "integer":
        return rng.integers(-3, 4, (rows, cols)).astype(float), rng.integers(-2, 3, rows) * 1.0
    return rng.integers(-6, 7, (rows, cols)) / 2.0, rng.integers(-4, 5, rows) / 2.0


def _linear(W: np.ndarray, b: np.ndarray) -> nn.Linear:
    lin = nn.Linear(W.shape[1], W.shape[0]).double()
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(W))
        lin.bias.copy_(torch.as_tensor(b))
    return lin


def _adversarial_layer(
    draw: st.DrawFn, W: np.ndarray, b: np.ndarray, first: bool, anchors: np.ndarray | None
) -> None:
    """Make one layer's weights hard, in place: zero biases, lines through anchors,
    duplicated units (some shifted a little: parallel lines 1e-4 to 1e-10 apart), units and
    input columns scaled by powers of ten."""
    rows, cols = W.shape
    if draw(st.booleans()):
        b[:] = 0.0
    if first and anchors is not None and len(anchors):
        through = draw(st.lists(st.integers(-1, len(anchors) - 1), min_size=rows, max_size=rows))
        for i, k in enumerate(through):
            if k >= 0:
                b[i] = -(W[i] @ anchors[k])  # the unit's line through anchor k
    for _ in range(draw(st.integers(0, 2)) if rows > 1 else 0):
        src, dst = draw(st.integers(0, rows - 1)), draw(st.integers(0, rows - 1))
        factor, shift = draw(st.sampled_from(_FACTORS)), draw(st.sampled_from(_SHIFTS))
        W[dst], b[dst] = factor * W[src], factor * b[src] + shift
    for _ in range(draw(st.integers(0, 2))):
        i, e = draw(st.integers(0, rows - 1)), draw(st.integers(-8, 8))
        W[i], b[i] = W[i] * 10.0**e, b[i] * 10.0**e
    if not first:
        for _ in range(draw(st.integers(0, 2))):
            j, e = draw(st.integers(0, cols - 1)), draw(st.integers(-8, 8))
            W[:, j] *= 10.0**e


@st.composite
def nets(
    draw: st.DrawFn,
    *,
    n_inputs: int = 2,
    n_outputs: int | None = None,
    max_layers: int = 3,
    max_width: int = 6,
    activations: tuple[str, ...] = ACTIVATIONS,
    adversarial: bool = True,
    anchors: object = None,
) -> nn.Sequential:
    """Small float64 torch MLPs: Linear layers with ReLU, LeakyReLU and Hardtanh between.

    Weights come from a drawn seed; the structure (depth, widths, activations, weight styles)
    and every adversarial change are drawn by hypothesis, so failures shrink to small nets.

    Parameters
    ----------
    n_inputs : int
        Input width (use :func:`planes` to decompose a wider model).
    n_outputs : int, optional
        Output width; drawn from 1..3 by default.
    max_layers, max_width : int
        At most this many activation layers, each at most this wide.
    activations : tuple of str
        Kinds to mix, among :data:`ACTIVATIONS`; each layer draws one.
    adversarial : bool
        Draw hard nets: per layer, normal, integer or half-integer weights (integer ones put
        many lines through common points and existing vertices), zero biases, duplicated units
        (identical rows and rows times a positive factor, some with the bias shifted by 1e-4 to
        1e-10: thin parallel strips), a few units scaled by 10^-8..10^8,
        and input columns of later layers scaled the same way. False: normal weights only.
    anchors : array_like, shape (k, n_inputs), optional
        Input points that some first-layer units' lines are drawn through (domain corners,
        say); only with ``adversarial``.

    Returns
    -------
    SearchStrategy of torch.nn.Sequential
        In eval mode, float64.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import regions
    >>> from regions import testing
    >>> @settings(max_examples=5, deadline=None, derandomize=True)
    ... @given(model=testing.nets(max_layers=2, activations=("relu",)))
    ... def test_one_region_at_least(model):
    ...     assert regions.count(model) >= 1
    >>> test_one_region_at_least()
    """
    unknown = set(activations) - set(ACTIVATIONS)
    if unknown or not activations:
        raise ValueError(
            f"regions.testing.nets: activations must be a non-empty subset of {ACTIVATIONS}, "
            f"got {activations!r}"
        )
    points = None if anchors is None else np.asarray(anchors, dtype=np.float64)
    if points is not None and (points.ndim != 2 or points.shape[1] != n_inputs):
        raise ValueError(
            f"regions.testing.nets: anchors must have shape (k, {n_inputs}), got {points.shape}"
        )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    widths = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers))
    layers: list[nn.Module] = []
    n = n_inputs
    for k, width in enumerate(widths):
        style = draw(st.sampled_from(_STYLES)) if adversarial else "normal"
        W, b = _weights(rng, style, width, n)
        if adversarial:
            _adversarial_layer(draw, W, b, k == 0, points)
        layers += [_linear(W, b), _activation(draw(st.sampled_from(activations)), draw)]
        n = width
    out = draw(st.integers(1, 3)) if n_outputs is None else n_outputs
    style = draw(st.sampled_from(_STYLES)) if adversarial else "normal"
    layers.append(_linear(*_weights(rng, style, out, n)))
    return nn.Sequential(*layers).double().eval()


@st.composite
def boxes(
    draw: st.DrawFn,
    *,
    scales: tuple[float, ...] = _SCALES,
    centres: tuple[float, ...] = _CENTRES,
) -> tuple[float, float, float, float]:
    """Boxes ``(xmin, xmax, ymin, ymax)`` of drawn size and centre.

    By default from 1e-7 wide (tiny) to 1e6 (huge), centred at the origin or as far as
    (1e7, 1e7), with aspect ratios 1, 2, 1/2 and 0.3.

    Parameters
    ----------
    scales : tuple of float
        Widths to draw from.
    centres : tuple of float
        Coordinates of the centre to draw from (x and y separately).

    Returns
    -------
    SearchStrategy of (xmin, xmax, ymin, ymax)

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from regions import testing
    >>> @settings(max_examples=20, deadline=None, derandomize=True)
    ... @given(box=testing.boxes(scales=(1e-7,), centres=(1e7,)))
    ... def test_far_tiny_boxes(box):
    ...     assert box[0] < box[1] and box[2] < box[3] and box[0] > 9e6
    >>> test_far_tiny_boxes()
    """
    width = draw(st.sampled_from(scales))
    height = width * draw(st.sampled_from((1.0, 2.0, 0.5, 0.3)))
    cx, cy = draw(st.sampled_from(centres)), draw(st.sampled_from(centres))
    return (cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2)


@st.composite
def polygons(
    draw: st.DrawFn,
    *,
    convex: bool = True,
    scales: tuple[float, ...] = _SCALES,
    centres: tuple[float, ...] = _CENTRES,
) -> shapely.Polygon:
    """Convex polygons (hulls of random points), or non-convex star-shaped ones.

    Parameters
    ----------
    convex : bool
        Convex hulls of 5 to 9 points; False for star-shaped polygons of 5 to 9 vertices at
        random radii (usually non-convex).
    scales, centres : tuple of float
        Size and centre coordinates to draw from, as for :func:`boxes`.

    Returns
    -------
    SearchStrategy of shapely.Polygon
        Valid, counter-clockwise, of positive area.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from regions import testing
    >>> @settings(max_examples=10, deadline=None, derandomize=True)
    ... @given(poly=testing.polygons(centres=(1e6,)))
    ... def test_pentagons_and_more_near_a_million(poly):
    ...     assert poly.is_valid and len(poly.exterior.coords) >= 4
    ...     assert 9e5 < poly.centroid.x < 1.1e6
    >>> test_pentagons_and_more_near_a_million()
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(5, 9))
    scale = draw(st.sampled_from(scales))
    centre = np.array([draw(st.sampled_from(centres)), draw(st.sampled_from(centres))])
    if convex:
        pts = rng.uniform(-0.5, 0.5, (k, 2))
        while shapely.MultiPoint(pts).convex_hull.area < 0.05:  # not (nearly) flat
            pts = rng.uniform(-0.5, 0.5, (k, 2))
        poly = shapely.MultiPoint(centre + scale * pts).convex_hull
    else:
        angles = np.linspace(0, 2 * np.pi, k, endpoint=False) + 0.3 * rng.uniform(0, 1, k)
        radii = 0.5 * rng.uniform(0.2, 1.0, k)
        ring = centre + scale * radii[:, None] * np.stack([np.cos(angles), np.sin(angles)], 1)
        poly = shapely.Polygon(ring)
    if not poly.is_valid or poly.area <= 0:  # rounding far from the origin can flatten it
        poly = shapely.box(*(centre - scale / 2), *(centre + scale / 2))
    return shapely.orient_polygons(poly)


def domains(
    *, scales: tuple[float, ...] = _SCALES, centres: tuple[float, ...] = _CENTRES
) -> st.SearchStrategy:
    """Boxes, convex polygons and non-convex polygons at the given scales and centres.

    Returns
    -------
    SearchStrategy of (xmin, xmax, ymin, ymax) or shapely.Polygon
        Anything :func:`regions.decompose` takes as ``domain``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import regions
    >>> from regions import testing
    >>> @settings(max_examples=10, deadline=None, derandomize=True)
    ... @given(domain=testing.domains(scales=(1.0,), centres=(0.0,)))
    ... def test_any_domain_is_accepted(domain):
    ...     assert regions.decompose(testing_net, domain).domain.area > 0
    >>> from regions.constructions import line_arrangement
    >>> testing_net = line_arrangement([[1.0, 2.0]], [0.1])
    >>> test_any_domain_is_accepted()
    """
    return st.one_of(
        boxes(scales=scales, centres=centres),
        polygons(convex=True, scales=scales, centres=centres),
        polygons(convex=False, scales=scales, centres=centres),
    )


@st.composite
def planes(draw: st.DrawFn, n_inputs: int, *, integer: bool | None = None) -> tuple:
    """Planes ``(origin, (d1, d2))`` through an ``n_inputs``-dimensional input space.

    Parameters
    ----------
    n_inputs : int
        The model's input width, >= 2.
    integer : bool, optional
        Integer entries (exact, many degenerate slices), or normal floats; drawn by default.

    Returns
    -------
    SearchStrategy of (origin, (d1, d2))
        Lists of floats; the two directions are linearly independent (exactly).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import regions
    >>> from regions import testing
    >>> @settings(max_examples=10, deadline=None, derandomize=True)
    ... @given(model=testing.nets(n_inputs=4, max_layers=1), plane=testing.planes(4))
    ... def test_slices_of_a_4_input_net(model, plane):
    ...     assert regions.count(model, (-1, 1, -1, 1), plane=plane) >= 1
    >>> test_slices_of_a_4_input_net()
    """
    if n_inputs < 2:
        raise ValueError(f"regions.testing.planes: n_inputs must be >= 2, got {n_inputs}")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ints = draw(st.booleans()) if integer is None else integer
    while True:
        if ints:
            origin, d = (
                rng.integers(-2, 3, n_inputs) * 1.0,
                rng.integers(-2, 3, (2, n_inputs)) * 1.0,
            )
        else:
            origin, d = rng.standard_normal(n_inputs), rng.standard_normal((2, n_inputs))
        # Independent iff some 2 x 2 minor is nonzero, decided exactly.
        rows = as_fractions(d.T)
        if any(a[0] * b[1] != a[1] * b[0] for a in rows for b in rows):
            return origin.tolist(), (d[0].tolist(), d[1].tolist())


@dataclass(frozen=True)
class Case:
    """A model with where to decompose it: what :func:`cases` draws.

    Attributes
    ----------
    model : torch.nn.Sequential
    domain : (xmin, xmax, ymin, ymax) or shapely.Polygon
    plane : (origin, (d1, d2)) or None
        None for a 2-input model.

    Examples
    --------
    >>> from regions.constructions import line_arrangement
    >>> from regions.testing import Case
    >>> case = Case(line_arrangement([[1.0, 0.0]], [0.0]), (-1, 1, -1, 1), None)
    >>> len(case.decompose())  # the line x = 0
    2
    """

    model: nn.Sequential
    domain: object
    plane: tuple | None

    def decompose(self, **kwargs: object) -> Partition:
        """``regions.decompose(model, domain, plane=plane, **kwargs)``."""
        return decompose(self.model, self.domain, plane=self.plane, **kwargs)


@st.composite
def cases(
    draw: st.DrawFn,
    *,
    domain: st.SearchStrategy | None = None,
    n_inputs: tuple[int, ...] = (2,),
    **net_options: object,
) -> Case:
    """A domain, a plane for wider inputs, and a net whose first-layer lines may pass through
    the domain's corners and centre (so far-off and tiny domains are cut too).

    Parameters
    ----------
    domain : SearchStrategy, optional
        Where to decompose; default :func:`domains` with all its scales and centres.
    n_inputs : tuple of int
        Input widths to draw from; above 2, a plane is drawn too.
    **net_options
        Passed to :func:`nets` (``adversarial``, ``max_layers``, ...); ``anchors`` is set here.

    Returns
    -------
    SearchStrategy of Case

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from regions import testing
    >>> boxes = testing.boxes(scales=(4.0,), centres=(0.0,))
    >>> @settings(max_examples=10, deadline=None, derandomize=True)
    ... @given(case=testing.cases(domain=boxes, max_layers=1))
    ... def test_areas_add_up(case):
    ...     part = case.decompose()
    ...     assert abs(part.areas.sum() - part.domain.area) <= 1e-9 * part.domain.area
    >>> test_areas_add_up()
    """
    domain = draw(domains() if domain is None else domain)
    width = draw(st.sampled_from(n_inputs))
    plane = draw(planes(width)) if width != 2 else None
    poly = shapely.box(*np.asarray(domain)[[0, 2, 1, 3]]) if isinstance(domain, tuple) else domain
    corners = np.asarray(poly.exterior.coords)[:-1]
    anchors_2d = np.concatenate([corners, np.asarray(poly.centroid.coords)])
    if plane is None:
        anchors = anchors_2d
    else:
        origin, (d1, d2) = (np.asarray(v, dtype=float) for v in (plane[0], plane[1]))
        anchors = origin + anchors_2d[:, :1] * d1 + anchors_2d[:, 1:] * d2
    model = draw(nets(n_inputs=width, anchors=anchors, **net_options))
    return Case(model, domain, plane)
