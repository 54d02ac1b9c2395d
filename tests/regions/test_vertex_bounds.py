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
from regions import lines, testing


@contextmanager
def checked_bounds() -> Iterator[list[tuple[float, Fraction]]]:
    """Wrap ``MapLine.at``: for a few vertices of every call, assert the float value is
    within its bound of the exact value; yields the list of (bound, |error|) pairs seen."""
    seen: list[tuple[float, Fraction]] = []
    at = lines.MapLine.at

    def checked(self, vertices, polygons):
        s, err = at(self, vertices, polygons)
        pick = np.unique(np.linspace(0, len(vertices) - 1, min(len(vertices), 4)).astype(int))
        exact = self.exact(vertices[pick], polygons[pick])
        for value, bound, truth in zip(s[pick].tolist(), err[pick].tolist(), exact, strict=True):
            error = abs(Fraction(value) - truth)
            assert error <= Fraction(bound), (value, bound, truth)
            seen.append((bound, error))
        return s, err

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lines.MapLine, "at", checked)
        yield seen


@settings(max_examples=10, deadline=None, derandomize=True)
@given(case=testing.cases())
def test_bounds_hold_at_vertices_of_adversarial_nets(case):
    with checked_bounds() as seen:
        case.decompose()
    assert seen or len(case.decompose()) == 1  # every net with a cut was checked


def test_bounds_hold_through_a_deep_he_net():
    model = testing.mlp(8, 6, "he+bias", 1)
    with checked_bounds() as seen:
        regions.decompose(model, (-3.0, 3.0, -3.0, 3.0))
    assert len(seen) > 100
