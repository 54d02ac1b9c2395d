"""``regions.decompose_lines``: many segments walked together give each segment exactly the
pieces ``decompose_line`` gives it alone (judged in exact arithmetic), and bad input names the
segment at fault."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from exact_model import check_line
from hypothesis import given, settings
from hypothesis import strategies as st
from test_line import adversarial_nets, sequential, small
from torch import nn

import regions
from regions import line
from regions.constructions import sawtooth
from regions.testing import mlp


def same_pieces(many: regions.LinePieces, one: regions.LinePieces, exact: bool = True) -> None:
    """Two decompositions of one segment are the same: pieces, patterns, the columns that drew
    each break, merges and (``exact``) exact breaks, which those determine; float breaks and
    maps within rounding of each other (BLAS may sum a product's rows differently by how many
    rows it has)."""
    assert len(many) == len(one)
    assert np.array_equal(many.patterns, one.patterns)
    assert np.array_equal(many.break_switch, one.break_switch)
    assert many.merged == one.merged
    assert not exact or many.exact_breaks() == one.exact_breaks()
    assert np.array_equal(many.segment, one.segment)
    np.testing.assert_allclose(many.breaks, one.breaks, rtol=1e-12, atol=1e-15)
    for a, b in zip(many.affine(), one.affine(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


segments = st.lists(
    st.lists(small.map(lambda v: v / 2), min_size=4, max_size=4), min_size=1, max_size=7
)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(model=adversarial_nets(), ends=segments, batch=st.integers(1, 4))
def test_adversarial_nets_batched_are_exact_and_as_one_by_one(model, ends, batch):
    """Weights over 1e-8..1e8, duplicated units and segments through vertices (integer and
    half-integer ends), walked ``batch`` at a time: every segment's pieces pass the exact judge
    and equal its own walk's."""
    ends = np.array(ends)
    ends[(ends[:, :2] == ends[:, 2:]).all(axis=1), 2] += 1.0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(line, "MAX_BATCH", batch)
        many = regions.decompose_lines(model, ends[:, :2], ends[:, 2:])
    assert len(many) == len(ends)
    for pieces, row in zip(many, ends, strict=True):
        check_line(model, pieces, row[:2], row[2:])
        same_pieces(pieces, regions.decompose_line(model, row[:2], row[2:]))


@pytest.mark.parametrize(
    ("width", "depth", "init", "h"), [(16, 3, "default", 1.0), (64, 14, "he+bias", 3.0)]
)
def test_random_nets_batched_as_one_by_one(width, depth, init, h):
    """A small net in float64 (40 segments) and a deep one in double floats (6 segments)."""
    net = regions.trace(mlp(width, depth, init, 0))
    rng = np.random.default_rng(0)
    starts, ends = rng.uniform(-h, h, (2, 40 if depth < 10 else 6, 2))
    many = regions.decompose_lines(net, starts, ends, progress=True)
    for pieces, p, q in zip(many, starts, ends, strict=True):
        same_pieces(pieces, regions.decompose_line(net, p, q), exact=depth < 10)


def test_plane_coordinates_and_tol_batched_as_one_by_one():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(3, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 2)
    )
    plane = ([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0])
    rng = np.random.default_rng(1)
    starts, ends = rng.uniform(-1, 1, (2, 25, 2))
    for tol in (0.0, 1e-2):
        many = regions.decompose_lines(model, starts, ends, plane=plane, tol=tol)
        for pieces, p, q in zip(many, starts, ends, strict=True):
            same_pieces(pieces, regions.decompose_line(model, p, q, plane=plane, tol=tol))
    assert sum(pieces.merged for pieces in many) > 0  # tol did merge somewhere


def test_tol_with_a_layer_that_draws_no_break():
    """A positive ``tol`` where a layer has no root on the segment (it raised IndexError)."""
    model = sequential(([[1.0, 0.0]], [0.0]), nn.ReLU(), ([[1.0]], [0.0]))
    pieces = regions.decompose_line(model, [1.0, 0.0], [2.0, 0.0], tol=1e-3)
    assert (len(pieces), pieces.merged, pieces.patterns.tolist()) == (1, 0, [[True]])
    crossing = regions.decompose_lines(
        model, [[1.0, 0.0], [-1.0, 0.0]], [[2.0, 0.0], [1.0, 0.0]], tol=1e-3
    )
    assert [len(p) for p in crossing] == [1, 2]


def test_segments_of_different_lengths_keep_their_own_ends():
    """Each segment's breaks are fractions of itself: sawtooth(3) along x over [0, 1] and
    [0, 1/2] has 8 and 4 pieces, breaks at multiples of 1/8 and 1/4."""
    many = regions.decompose_lines(sawtooth(3), [[0.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.5, 0.0]])
    assert [str(b) for b in many[0].exact_breaks()] == "1/8 1/4 3/8 1/2 5/8 3/4 7/8".split()
    assert many[0].breaks.tolist() == [k / 8 for k in range(1, 8)]
    assert many[1].breaks.tolist() == [0.25, 0.5, 0.75]
    assert regions.decompose_lines(sawtooth(3), np.zeros((0, 2)), np.zeros((0, 2))) == []


@pytest.mark.parametrize(
    ("starts", "ends", "kwargs", "error", "match"),
    [
        ([[0.0, 0.0]], [[1.0, 0.0], [2.0, 0.0]], {}, regions.DomainError, "as many rows"),
        ([[0.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]], {}, regions.DomainError, r"shape \(N, 2\)"),
        (
            [[0.0, 0.0], [1.0, 1.0]],
            [[1.0, 0.0], [1.0, 1.0]],
            {},
            regions.DomainError,
            "segment 1 has equal",
        ),
        (
            [[0.0, 0.0], [0.0, np.nan]],
            [[1.0, 0.0], [1.0, 1.0]],
            {},
            regions.DomainError,
            r"starts has non-finite .*row 1",
        ),
        ("ab", [[1.0, 0.0]], {}, regions.DomainError, "starts must be an array"),
        (
            [[0.0, 0.0], [-1e308, 0.0]],
            [[1.0, 0.0], [1e308, 0.0]],
            {},
            regions.DomainError,
            "segment 1 is too long for float64",
        ),
        (
            [[0.0, 0.0], [-1e154, 0.0]],
            [[1.0, 0.0], [1e154, 0.0]],
            {"plane": ([0.0, 0.0], ([1e154, 0.0], [0.0, 1e154]))},
            regions.DomainError,
            "segment 1 is too long for float64",  # in input coordinates
        ),
        ([[0.0, 0.0]], [[1.0, 0.0]], {"tol": 2.0}, ValueError, r"decompose_lines: tol must be in"),
        (
            [[0.0, 0.5]] * 3,
            [[0.1, 0.5], [0.2, 0.5], [1.0, 0.5]],
            {"max_pieces": 3},
            regions.TooManyRegionsError,
            "segment 2 after",
        ),
    ],
)
def test_bad_input_names_the_segment(starts, ends, kwargs, error, match):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(line, "MAX_BATCH", 2)  # the third segment in the second batch
        with pytest.raises(error, match=match):
            regions.decompose_lines(sawtooth(3), starts, ends, **kwargs)


def test_overflow_names_the_segment():
    model = sequential(([[1e200, 0.0]], [0.0]), nn.ReLU(), ([[1e200]], [0.0]))
    with pytest.raises(regions.InvalidModelError, match="overflow float64 along the segment 1"):
        regions.decompose_lines(model, [[-1.0, 0.0], [0.5, 0.0]], [[-0.5, 0.0], [1.0, 0.0]])
