"""decompose_line's float maps and their error bounds (:mod:`regions.line_walk`), judged in
exact arithmetic while walking adversarial and deep nets: every bound must hold, and on deep
He-init nets the bounds must be tight enough to leave no sign to rational arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import pytest
from exact_model import check_line
from hypothesis import given, settings
from test_line import adversarial_nets, segment_ends, sequential
from torch import nn

import regions
from regions import line_walk, testing
from regions.line import LOOSE_BREAK


@contextmanager
def checked_maps() -> Iterator[list[tuple[float, Fraction]]]:
    """Wrap ``LineWalk._cut``: for a few pieces and units of every layer, assert each float
    map row (value at s = 0, slope) is within its bound of the exact one; yields the list of
    (bound, |error|) pairs seen."""
    seen: list[tuple[float, Fraction]] = []
    cut = line_walk.LineWalk._cut

    def checked(self, node, z):
        m, e = z
        for i in sorted({0, len(m) // 2, len(m) - 1}):
            exact = self._exact_maps(node.layer, i)  # alpha and beta, per unit
            for j in range(0, node.width, max(1, node.width // 8)):
                for row in (0, 1):
                    error = abs(Fraction(float(m[i, row, j])) - exact[row][j])
                    assert error <= Fraction(float(e[i, row, j])), (node.layer, i, row, j)
                    seen.append((float(e[i, row, j]), error))
        return cut(self, node, z)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(line_walk.LineWalk, "_cut", checked)
        yield seen


@pytest.mark.parametrize("double", [False, True])
@settings(max_examples=15, deadline=None, derandomize=True)
@given(model=adversarial_nets(), ends=segment_ends)
def test_bounds_hold_on_adversarial_nets(double, model, ends):
    start, end = ends
    with checked_maps() as seen, pytest.MonkeyPatch.context() as patch:
        patch.setattr(line_walk, "COMPENSATE_FROM", 0 if double else 10**6)
        line = regions.decompose_line(model, start, end)
    assert seen
    check_line(model, line, start, end)


def walked(model: object, start: tuple, end: tuple) -> tuple[object, list, list]:
    """``decompose_line`` with its maps checked (:func:`checked_maps`) and its exact signs
    counted: the pieces, the (bound, error) pairs seen and the exact signs' arguments."""
    exact_signs: list = []
    sign = line_walk.LineWalk._exact_sign
    with checked_maps() as seen, pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            line_walk.LineWalk,
            "_exact_sign",
            lambda self, *args: exact_signs.append(args) or sign(self, *args),
        )
        line = regions.decompose_line(regions.trace(model), start, end)
    return line, seen, exact_signs


@pytest.mark.parametrize("depth", [6, 12, 20])
def test_bounds_hold_and_settle_every_sign_on_deep_he_nets(depth):
    """Through each piece's live units, ``|W| (e + gamma |m|)`` stays tight with depth: no sign
    of a He-init 2-64x12-1 net along the diagonal of [-3, 3]^2 needs rational arithmetic (the
    row norm times the largest term left 346 signs to it); 20 layers are walked in double
    floats (float64 left 2,258 signs)."""
    model = testing.mlp(64, depth, "he+bias", 0)
    line, seen, exact_signs = walked(model, (-3.0, -3.0), (3.0, 3.0))
    assert len(line) > 200 and seen and not exact_signs


def test_double_floats_through_a_deep_leaky_net():
    """LeakyReLU's slopes apply by exact TwoProds: the maps stay within their bounds and no
    sign of a 16-layer net needs rational arithmetic."""
    model = testing.mlp(64, 16, "he+bias", 0, negative_slope=0.1)
    line, seen, exact_signs = walked(model, (-3.0, 2.0), (3.0, -1.0))
    assert len(line) > 100 and seen and not exact_signs


@pytest.mark.parametrize("double", [False, True])
def test_a_break_whose_value_cancels_is_the_exact_break_rounded(double):
    """z = (x + 1) - 1 along x from -1e-20 to 3e-20: the float map's value cancels to 0, and
    its root bound spans the piece; the break is at 1/4, exactly as rounded."""
    model = sequential(
        ([[1.0, 0.0]], [1.0]), nn.ReLU(), ([[1.0]], [-1.0]), nn.ReLU(), ([[1.0]], [0])
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(line_walk, "COMPENSATE_FROM", 0 if double else 10**6)
        line = regions.decompose_line(model, [-1e-20, 0.0], [3e-20, 0.0])
    (exact,) = line.exact_breaks()
    assert abs(exact - Fraction(1, 4)) < Fraction(1, 10**15)
    assert line.breaks.tolist() == [float(exact)]
    assert line.locate([0.1, 0.3]).tolist() == [0, 1]
    assert 0 < line.midpoints[0] < line.breaks[0] < line.midpoints[1] < 1


@settings(max_examples=25, deadline=None, derandomize=True)
@given(model=adversarial_nets(), ends=segment_ends)
def test_every_float_break_is_near_its_exact_break(model, ends):
    start, end = ends
    line = regions.decompose_line(model, start, end)
    for b, exact in zip(line.breaks.tolist(), line.exact_breaks(), strict=True):
        assert b == float(exact) or abs(Fraction(b) - exact) <= LOOSE_BREAK * abs(Fraction(b))


def test_layer_maps_along_a_plane_segment_are_the_walks():
    """A segment one ulp of 0.25 long in plane coordinates: its input ends round to points
    two ulps of 0.35 apart, so the layer maps must come through the plane, as the walk's."""
    model = sequential(
        ([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]], [0.0, 0.0]), nn.ReLU(), ([[1.0, 1.0]], [0])
    )
    plane = ([0.1, 0.2, 0.3], ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]))
    line = regions.decompose_line(model, [0.25, 1.0], [0.25 + 2**-54, 1.0], plane=plane)
    a1, _ = line.affine(layer=1)
    a, _ = line.affine()
    assert a1[0].tolist() == [2.0**-54, 0.0]  # x0 = 0.35 + s 2^-54 exactly; unit 1 constant
    assert a[0, 0] == a1[0].sum()  # the output is their sum


def test_a_merge_that_leaves_a_unit_constant_on_its_piece():
    """With tol > 0 the merged pieces' maps disagree at their breaks: a unit constant on a
    piece may seem to change sign there, and has no exact root (it raised ZeroDivisionError)."""
    model = sequential(
        ([[-1e4, -1e4], [1e4, 1e4]], [2e4, -2e4]),
        nn.Hardtanh(),  # kinks at x + y = 2 +- 1e-4
        ([[-2.0, 1.0], [-2.0, 1.0]], [-1.5, -1.5]),
        nn.Hardtanh(-1.0, 0.5),
        ([[2.0, 3.0]], [0.25]),
    )
    exact = regions.decompose_line(model, [3.0, -3.0], [2.0, 1.5])
    merged = regions.decompose_line(model, [3.0, -3.0], [2.0, 1.5], tol=1e-3)
    assert len(exact) == 5 and len(merged) < len(exact) and merged.merged >= 1


def test_a_loose_root_is_ordered_against_roots_it_is_not_next_to() -> None:
    """Along the diagonal, unit 1's slope cancels (1 - (1 + 2^-52)): its root, exactly 1/10,
    is placed mid-piece with a bound as wide as the piece, after the tight roots 3/10 and
    2/5 in float order. Only neighbours were compared exactly, so it was put between them
    (breaks 0.3, 0.1, 0.4) and the pieces got wrong patterns."""
    e = 2.0**-52
    model = sequential(
        ([[1.0, 0.0], [1.0, -(1 + e)], [1.0, 0.0]], [-0.3, 0.1 * e, -0.4]),
        nn.ReLU(),
        ([[1.0, 1.0, 1.0]], [0.0]),
    )
    one = regions.decompose_line(model, [0.0, 0.0], [1.0, 1.0])
    (batched,) = regions.decompose_lines(model, [[0.0, 0.0]], [[1.0, 1.0]])
    for pieces in (one, batched):
        check_line(model, pieces, [0.0, 0.0], [1.0, 1.0])  # breaks in order, patterns right
        assert pieces.patterns.astype(int).tolist() == [[0, 1, 0], [0, 0, 0], [1, 0, 0], [1, 0, 1]]
