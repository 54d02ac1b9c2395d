"""The small kernels of a cut, judged exactly: line intersections (axis-parallel lines
included) and flag rows packed into bytes (the crossed edges' keys: test_kernels.py)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from regions.crossings import pack_rows as _pack_rows
from regions.intersections import intersect

# Coefficients: zero (axis-parallel lines), small integers and floats across scales.
COEFFICIENT = st.one_of(
    st.just(0.0),
    st.integers(-4, 4).map(float),
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False).filter(lambda v: abs(v) > 1e-3),
)
LINE = st.tuples(COEFFICIENT, COEFFICIENT, COEFFICIENT).filter(lambda abc: abc[0] or abc[1])


def exact_meet(l1: tuple, l2: tuple) -> tuple[Fraction, Fraction] | None:
    """Where two lines ``a x + b y + c = 0`` (floats taken as rationals) meet; None if parallel."""
    (a1, b1, c1), (a2, b2, c2) = ([Fraction(v) for v in line] for line in (l1, l2))
    det = a1 * b2 - a2 * b1
    if det == 0:
        return None
    return (b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(LINE, LINE), min_size=1, max_size=12))
def test_intersections_lie_within_their_bound_of_the_exact_point(pairs):
    """Exact lines: every finite bound ``r`` holds (checked in rationals, squared), and where
    one line is axis-parallel its coordinate is the float nearest the exact one."""
    line1 = np.array([p[0] for p in pairs])
    line2 = np.array([p[1] for p in pairs])
    zero = np.zeros(len(pairs))
    xy, r = intersect(line1, zero, line2, zero, box=1e9)
    for (l1, l2), point, bound in zip(pairs, xy.tolist(), r.tolist(), strict=True):
        exact = exact_meet(l1, l2)
        if exact is None:
            assert bound == np.inf
            continue
        if bound != np.inf:
            dx, dy = (Fraction(v) - e for v, e in zip(point, exact, strict=True))
            assert dx * dx + dy * dy <= Fraction(bound) ** 2
        for a, b, _ in (l1, l2):
            if a == 0:  # y = -c / b: one division, the float nearest the exact y
                assert point[1] == float(exact[1])
            if b == 0:
                assert point[0] == float(exact[0])


def test_intersections_with_both_lines_axis_parallel_are_exact():
    """x = 1/3 (rounded) and y = -2/7 (rounded): each coordinate is one division."""
    xy, r = intersect(
        np.array([[3.0, 0.0, -1.0], [0.0, 7.0, 2.0]]),
        np.zeros(2),
        np.array([[0.0, 7.0, 2.0], [3.0, 0.0, -1.0]]),
        np.zeros(2),
        box=1.0,
    )
    assert xy.tolist() == [[1 / 3, -2 / 7], [1 / 3, -2 / 7]]
    assert np.all(r < 1e-15)


@given(
    shape=st.tuples(st.integers(1, 40), st.integers(0, 30)),
    seed=st.integers(0, 2**32 - 1),
)
def test_pack_rows_matches_packbits(shape, seed):
    flags = np.random.default_rng(seed).random(shape) > 0.5
    packed = _pack_rows(flags)
    assert packed.dtype == np.uint8
    assert np.array_equal(packed, np.packbits(flags, axis=0))
