"""``regions.count(..., pieces=k)``: the box decomposed strip by strip gives the same exact
count as in one piece, with the regions that reach across strips counted once."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import regions
from regions import testing
from regions.constructions import sawtooth


def across(depth: int) -> nn.Sequential:
    """The sawtooth of ``depth`` layers in y: 2^depth horizontal strips of [0, 1]^2, each
    crossing every vertical piece."""
    swap = nn.Linear(2, 2, bias=False, dtype=torch.float64)
    with torch.no_grad():
        swap.weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64))
    return nn.Sequential(swap, *sawtooth(depth))


@pytest.mark.parametrize("pieces", [1, 2, 3, 7])
def test_regions_across_strips_are_counted_once(pieces):
    assert regions.count(across(4), (0, 1, 0, 1), pieces=pieces) == 16
    # In x the sawtooth's strips meet the pieces' sides (x = 1/2 for two pieces): counted apart.
    assert regions.count(sawtooth(4), (0, 1, 0, 1), pieces=pieces) == 16


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    case=testing.cases(domain=testing.boxes(), n_inputs=(2, 3)),
    pieces=st.integers(2, 6),
    workers=st.integers(1, 2),
)
def test_count_in_pieces_is_the_count(case, pieces, workers):
    # Lines through the box's corners and centre, hence through the middle strip's sides.
    n = len(case.decompose())
    got = regions.count(case.model, case.domain, plane=case.plane, pieces=pieces, workers=workers)
    assert got == n


def test_pieces_need_a_box_exact_counting_and_a_count():
    model = sawtooth(2)
    triangle = shapely.Polygon([(0, 0), (1, 0), (0, 1)])
    with pytest.raises(regions.InvalidArgumentError, match="box domain"):
        regions.count(model, triangle, pieces=2)
    with pytest.raises(regions.InvalidArgumentError, match="tol=0"):
        regions.count(model, (0, 1, 0, 1), pieces=2, tol=1e-6)
    for bad in (0, 1.5, "2", None):
        with pytest.raises(regions.InvalidArgumentError, match="count: pieces must be in"):
            regions.count(model, (0, 1, 0, 1), pieces=bad)
    with pytest.raises(regions.TooManyRegionsError):
        regions.count(across(4), (0, 1, 0, 1), pieces=3, max_regions=15)


@pytest.mark.parametrize(("left", "pieces", "workers"), [(1.0, 3, 1), (1e7, 8, 2)])
def test_more_pieces_than_a_narrow_box_has_floats(left, pieces, workers):
    """A box two ulps wide has only three floats to cut it at: the strips are as many as
    there are, not empty ones the count refused."""
    right = float(np.nextafter(np.nextafter(left, 2 * left), 2 * left))
    net = testing.mlp(4, 2, "he+bias", seed=3)
    box = (left, right, 0.0, 1.0)
    counted = regions.count(net, box, pieces=pieces, workers=workers)
    assert counted == regions.count(net, box) == len(regions.decompose(net, box))
