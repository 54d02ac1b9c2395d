"""The maps' passes over chunks of regions, as compiled loops (numba) with numpy twins.

:func:`regions.region_maps.affine` builds a layer's maps a chunk of regions at a time, so that
each chunk is still in cache for the passes that follow its matrix product: :func:`masked`
gathers a ReLU layer's maps for the chunk, and :func:`finish` adds the bias, rounds the
magnitude bounds up and takes the extremes that :meth:`regions.node_maps.NodeMaps.bounds`
reads, and :func:`value_bounds` turns them into per-unit bounds at a layer's start.
:func:`evaluate` gives a layer's values at the vertices from their regions' maps.
Each compiled loop does the same float operations as its numpy twin, in the same order (max
and min are exact), so the two give identical arrays; the switch is
:data:`regions.kernels.COMPILED`.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

from . import kernels
from .floats import SAFE, gamma
from .threads import over_chunks

__all__ = [
    "EVALUATE_CHUNK",
    "Extremes",
    "bounds_of",
    "evaluate",
    "extremes",
    "extremes_of",
    "finish",
    "fold",
    "folded",
    "folded_row",
    "masked",
    "merged",
    "value_bounds",
]

_GAMMA3, _ROOT2 = gamma(3), math.sqrt(2)
_NO_ROWS = np.zeros((0, 0))


def extremes_of(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The largest (3, width) and smallest (3, width) entries of maps ``a`` (R, 3, width) over
    the regions, each with 0 among them; NaN where any entry is."""
    return a.max(axis=0, initial=0.0), a.min(axis=0, initial=0.0)


def extremes(m: np.ndarray, nu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`extremes_of` the maps ``m`` (R, 3, width), and the largest of their bounds ``nu``
    (R, width) (width,), with 0 among them; NaN where any entry is."""
    return (*extremes_of(m), nu.max(axis=0, initial=0.0))


def fold(top: np.ndarray, bottom: np.ndarray, a: np.ndarray) -> None:
    """Fold a chunk of maps ``a`` (c, 3, width), c > 0, into running extremes ``top`` and
    ``bottom`` (3, width), in place (NaN sticks): the numpy twins' step."""
    np.maximum(top, a.max(axis=0), out=top)
    np.minimum(bottom, a.min(axis=0), out=bottom)


def folded(x: float, top: float, bottom: float) -> tuple[float, float]:
    """The extremes ``top`` and ``bottom`` with ``x`` among them (NaN sticks): the compiled
    loops' step, entry by entry, as :func:`fold`."""
    if x > top or x != x:
        top = x
    if x < bottom or x != x:
        bottom = x
    return top, bottom


def folded_row(x: np.ndarray, top: np.ndarray, bottom: np.ndarray) -> None:
    """:func:`folded` for a whole row ``x`` into running extremes ``top`` and ``bottom``, in
    place, with selects that vectorise (the compiled loops' step, row by row)."""
    for j in range(x.size):
        v = x[j]
        nan = v != v
        top[j] = v if (v > top[j]) | nan else top[j]
        bottom[j] = v if (v < bottom[j]) | nan else bottom[j]


def value_bounds(
    ext: tuple[np.ndarray, np.ndarray, np.ndarray],
    kappa: float,
    lo_ext: tuple[np.ndarray, np.ndarray] | None,
    maps_box: float,
    box: float,
) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`regions.node_maps.NodeMaps.bounds` from the maps' extremes ``ext`` (the largest
    and smallest rows (3, width) and the largest ``nu`` (width,)), ``kappa``, the extremes of
    ``lo`` (compensated maps; else None) over the maps' box ``maps_box``, for points within
    ``box``: the own error ``kappa nu`` plus ``|lo|`` over the box, then :func:`bounds_of` the
    rows' magnitudes; compiled, in one call (a dozen small array calls in numpy: 5% of a
    2-16x3-1 net's time)."""
    top, bottom, largest = ext
    if kernels.COMPILED:
        lo_top, lo_bottom = _NO_ROWS, _NO_ROWS
        if lo_ext is not None:
            lo_top, lo_bottom = lo_ext
        return _value_bounds_compiled(top, bottom, largest, kappa, lo_top, lo_bottom, maps_box, box)
    own = kappa * largest
    if lo_ext is not None:  # |m + lo| <= |m| + |lo|: lo's largest over the box adds
        lo = np.maximum(lo_ext[0], -lo_ext[1])
        own += maps_box * (lo[0] + lo[1]) + lo[2]
    return bounds_of(np.maximum(top, -bottom), own, box)


def bounds_of(size: np.ndarray, own: np.ndarray, box: float) -> tuple[np.ndarray, np.ndarray]:
    """Evaluation error and gradient bound (see :meth:`regions.node_maps.NodeMaps.bounds`)
    from the maps' rows' magnitudes ``size`` (3, ...) (d/du, d/dv, value at the origin) and
    their own error."""
    du, dv, at_origin = size
    gradient = du + dv
    # own + gamma(3) (gradient box + at_origin) and gradient + sqrt(2) own / box, each times
    # SAFE: in place, the same roundings.
    with np.errstate(over="ignore"):  # an infinite bound leaves the sign to exact arithmetic
        fixed = gradient * box
        fixed += at_origin
        fixed *= _GAMMA3
        fixed += own
        fixed *= SAFE
        slope = own * _ROOT2
        slope /= box
        slope += gradient
        slope *= SAFE
    return fixed, slope


def _larger(a: float, b: float) -> float:
    """``np.maximum`` of two floats: NaN if either is."""
    return a if a >= b or a != a else b


def _value_bounds_loops(top, bottom, largest, kappa, lo_top, lo_bottom, maps_box, box):
    """:func:`value_bounds` unit by unit, the same float operations."""
    fixed, slope = np.empty(largest.size), np.empty(largest.size)
    for j in range(largest.size):
        own = kappa * largest[j]
        if lo_top.size:
            lo = (_larger(lo_top[0, j], -lo_bottom[0, j]), _larger(lo_top[1, j], -lo_bottom[1, j]))
            own += maps_box * (lo[0] + lo[1]) + _larger(lo_top[2, j], -lo_bottom[2, j])
        gradient = _larger(top[0, j], -bottom[0, j]) + _larger(top[1, j], -bottom[1, j])
        f = gradient * box
        f += _larger(top[2, j], -bottom[2, j])
        f *= _GAMMA3
        f += own
        fixed[j] = f * SAFE
        g = own * _ROOT2
        g /= box
        g += gradient
        slope[j] = g * SAFE
    return fixed, slope


EVALUATE_CHUNK = 1 << 15
"""Values a chunk of points holds in :func:`evaluate` (its points times the units)."""


class Extremes:
    """:func:`extremes` gathered chunk by chunk, by :func:`finish`."""

    def __init__(self, width: int) -> None:
        self.top, self.bottom = np.zeros((3, width)), np.zeros((3, width))
        self.largest = np.zeros(width)

    def get(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The extremes so far, as :func:`extremes`."""
        return self.top, self.bottom, self.largest


E = TypeVar("E", bound=Extremes)


def merged(parts: list[E]) -> E:
    """The extremes of several runs of chunks (each an :class:`Extremes` or a subclass) as
    one, into the first: maxima and minima are exact, so in any order the same floats."""
    out = parts[0]
    for part in parts[1:]:
        for name, value in vars(part).items():  # top, bottom, largest, and lo_ of them
            fold = np.minimum if name.endswith("bottom") else np.maximum
            fold(getattr(out, name), value, out=getattr(out, name))
    return out


def masked(
    m: np.ndarray,
    nu: np.ndarray,
    parent: np.ndarray,
    slope: np.ndarray,
    out: np.ndarray,
    out_nu: np.ndarray,
) -> None:
    """Maps ``m[parent]`` (n, 3, width) and bounds ``nu[parent]`` (n, width) times each
    region's 0/1 slopes (n, width), into ``out`` and ``out_nu``: a ReLU layer's maps on the
    regions of the next level. Callers reuse the outputs from chunk to chunk: fresh arrays
    cost page faults, half the time of a 2-128x4-1 net's masking."""
    run = _masked_compiled if kernels.COMPILED else _masked_numpy
    run(m, nu, parent, slope, out, out_nu)


def finish(m: np.ndarray, nu: np.ndarray, b: np.ndarray, factor: float, ext: Extremes) -> None:
    """Add the bias ``b`` (width,) to a chunk of products ``W m`` (c, 3, width), add ``|b|`` to
    their bounds ``|W| nu`` (c, width) and multiply those by ``factor``, in place; and fold
    the chunk into the extremes ``ext``."""
    run = _finish_compiled if kernels.COMPILED else _finish_numpy
    run(m, nu, b, factor, ext.top, ext.bottom, ext.largest)


def evaluate(
    m: np.ndarray, regions: np.ndarray, xy: np.ndarray, first: int, out: np.ndarray
) -> None:
    """Values ``out`` (width - first, n) of units ``first`` on of maps ``m`` (R, 3, width) at
    float points ``xy`` (n, 2), each on its region of ``regions`` (n,): ``(m[r, 0] u +
    m[r, 1] v) + m[r, 2]``, as the cut's compiled loop evaluates new vertices; compiled, in
    threads for many points (:func:`regions.threads.over_chunks`: each value is its own)."""
    if not kernels.COMPILED:
        _evaluate_numpy(m, regions, xy, first, out)
        return

    def run(lo: int, hi: int) -> None:
        _evaluate_compiled(m, regions[lo:hi], xy[lo:hi], first, out[:, lo:hi])

    over_chunks(len(xy), max(1, EVALUATE_CHUNK // max(m.shape[2], 1)), run)


def _evaluate_numpy(m, regions, xy, first, out):
    """:func:`evaluate` in numpy, the products and sums in the loops' order (an einsum sums
    the three rows in an order of its own, which shows where they cancel), a chunk of points
    at a time: the gathered maps and the transposed write stay in cache."""
    step = max(1, EVALUATE_CHUNK // max(m.shape[2], 1))
    room = np.empty((min(step, len(xy)), *m.shape[1:]))  # one array: fresh ones fault
    for lo in range(0, len(xy), step):
        chunk = room[: len(regions[lo : lo + step])]
        # Whole rows of the (contiguous) maps: take copies a strided source whole first.
        # The regions are in range: "clip" skips the buffered copy of out "raise" makes.
        np.take(m, regions[lo : lo + step], axis=0, out=chunk, mode="clip")
        x, y = xy[lo : lo + step, :1], xy[lo : lo + step, 1:]
        values = chunk[:, 0, first:] * x
        values += chunk[:, 1, first:] * y
        values += chunk[:, 2, first:]
        out[:, lo : lo + step] = values.T


def _evaluate_loops(m, regions, xy, first, out):
    """:func:`_evaluate_numpy` point by point, the same products and sums."""
    for v in range(regions.size):
        r, x, y = regions[v], xy[v, 0], xy[v, 1]
        for w in range(first, m.shape[2]):
            out[w - first, v] = (m[r, 0, w] * x + m[r, 1, w] * y) + m[r, 2, w]


def _masked_numpy(m, nu, parent, slope, out, out_nu):
    """:func:`masked` in numpy."""
    # parent is in range: "clip" skips the buffered copy of out that "raise" makes
    np.take(m, parent, axis=0, out=out, mode="clip")
    np.multiply(out, slope[:, None, :], out=out)
    np.take(nu, parent, axis=0, out=out_nu, mode="clip")
    np.multiply(out_nu, slope, out=out_nu)


def _masked_loops(m, nu, parent, slope, out, out_nu):
    """:func:`_masked_numpy` in one pass, the same products."""
    for i in range(parent.size):
        p = parent[i]
        for k in range(m.shape[1]):
            for w in range(m.shape[2]):
                out[i, k, w] = m[p, k, w] * slope[i, w]
        for w in range(m.shape[2]):
            out_nu[i, w] = nu[p, w] * slope[i, w]


def _finish_numpy(m, nu, b, factor, top, bottom, largest):
    """:func:`finish` in numpy."""
    m[:, 2, :] += b
    nu += np.abs(b)
    nu *= factor
    if len(m):
        fold(top, bottom, m)
        np.maximum(largest, nu.max(axis=0), out=largest)


def _finish_loops(m, nu, b, factor, top, bottom, largest):
    """:func:`_finish_numpy` in one pass, region by region: the same sums and products, and
    numpy's NaN-propagating maximum and minimum."""
    for i in range(m.shape[0]):
        for w in range(m.shape[2]):
            m[i, 2, w] += b[w]
        for k in range(3):
            for w in range(m.shape[2]):
                top[k, w], bottom[k, w] = folded(m[i, k, w], top[k, w], bottom[k, w])
        for w in range(m.shape[2]):
            x = (nu[i, w] + abs(b[w])) * factor
            nu[i, w] = x
            if x > largest[w] or x != x:
                largest[w] = x


if kernels.numba is not None:
    folded = kernels.numba.njit(cache=True, nogil=True, inline="always")(folded)
    folded_row = kernels.numba.njit(cache=True, nogil=True, inline="always")(folded_row)
    _larger = kernels.numba.njit(cache=True, nogil=True, inline="always")(_larger)
    # numpy's division: a zero box gives infinite bounds, as in numpy, not an exception
    _value_bounds_compiled = kernels.numba.njit(cache=True, nogil=True, error_model="numpy")(
        _value_bounds_loops
    )
    _masked_compiled = kernels.numba.njit(cache=True, nogil=True)(_masked_loops)
    _finish_compiled = kernels.numba.njit(cache=True, nogil=True)(_finish_loops)
    _evaluate_compiled = kernels.numba.njit(cache=True, nogil=True)(_evaluate_loops)
