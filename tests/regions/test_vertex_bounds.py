"""The float filter's error bounds at mesh vertices (:meth:`regions.lines.MapLine.at`), judged
against exact values at the exact vertices while decomposing adversarial nets: each bound is
the one of the region whose maps gave the value, and it must hold."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings

import regions
from regions import fused, kernels, lines, testing


def _check(seen, s, err, exact) -> None:
    """Assert each float value is within its bound of the exact value; record the pairs."""
    for value, bound, truth in zip(s.tolist(), err.tolist(), exact, strict=True):
        error = abs(Fraction(value) - truth)
        assert error <= Fraction(bound), (value, bound, truth)
        seen.append((bound, error))


def _spread(n: int) -> np.ndarray:
    """Up to four positions spread over n."""
    return np.unique(np.linspace(0, n - 1, min(n, 4)).astype(int))


@contextmanager
def checked_bounds(compiled: bool) -> Iterator[list[tuple[float, Fraction]]]:
    """Decompose with numpy's ``MapLine.at`` or the compiled cut's sides
    (:func:`regions.fused._sides_loops`, every cut through :func:`regions.fused.cut`),
    asserting for a few vertices of every call that the float value is within its bound of
    the exact value; yields the (bound, |error|) pairs."""
    seen: list[tuple[float, Fraction]] = []
    at, cut, sides, run_loop = lines.MapLine.at, fused.cut, fused._sides, fused._run

    def checked_at(self, vertices, polygons):
        s, err = at(self, vertices, polygons)
        pick = _spread(len(vertices))
        _check(seen, s[pick], err[pick], self.exact(vertices[pick], polygons[pick]))
        return s, err

    def checked_cut(mesh, layer, unit, k, *args):
        def spy(*sides_args):
            result = sides(*sides_args)
            inc, _, s, err, _ = result
            pick = _spread(len(inc))
            vertices = sides_args[3][0][inc[pick]]  # the ring store's vertex ids
            exact = layer.line(unit, k).exact(vertices, np.zeros_like(vertices))
            _check(seen, s[pick], err[pick], exact)
            return result

        with pytest.MonkeyPatch.context() as inner:
            inner.setattr(fused, "_sides", spy)
            cut(mesh, layer, unit, k, *args)

    def in_python(unit, k, stop, *args):  # the compiled loop hands every cut to fused.cut
        status, *rest = run_loop(unit, k, unit, *args)  # stopping at once: a refresh if due
        return (fused.IN_PYTHON if status == fused.DONE else status, *rest)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "COMPILED", compiled)
        patch.setattr(lines.MapLine, "at", checked_at)
        patch.setattr(fused, "cut", checked_cut)
        patch.setattr(fused, "_run", in_python)
        yield seen


MODES = [pytest.param(True, id="compiled"), pytest.param(False, id="numpy")]


@pytest.mark.parametrize("compiled", MODES)
@settings(max_examples=10, deadline=None, derandomize=True)
@given(case=testing.cases())
def test_bounds_hold_at_vertices_of_adversarial_nets(compiled, case):
    with checked_bounds(compiled) as seen:
        part = case.decompose()
    assert seen or len(part) == 1  # every net with a cut was checked


@pytest.mark.parametrize("compiled", MODES)
def test_bounds_hold_through_a_deep_he_net(compiled):
    model = testing.mlp(8, 6, "he+bias", 1)
    with checked_bounds(compiled) as seen:
        regions.decompose(model, (-3.0, 3.0, -3.0, 3.0))
    assert len(seen) > 100
