"""The float forward pass with rigorous error bounds (:mod:`regions.bounded`) that certify and
locate settle signs with, in float64 and in double floats: every bound holds in exact
arithmetic, and it stays tight on deep nets (a loose bound sends signs to the slow exact
walk)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import regions
from regions import bounded, testing
from regions.bounded import certified_signs, forward_with_bounds, settled_signs
from regions.domain import as_plane
from regions.network import Activation
from regions.oracle import exact_eval_raw, exact_signs


def _check_bounds(
    net: regions.Network, points: np.ndarray, compensated: bool = False, plane: object = None
) -> list[float]:
    """Assert every activation layer's preactivation and every logit is within its bound of
    the exact value; return the largest bound of the last activation layer per point."""
    plane = as_plane(plane, net.n_inputs)
    values, errors = forward_with_bounds(net, plane, points, compensated)
    exact = exact_eval_raw(net, plane, points)
    layers = [node.src for node in net.nodes if isinstance(node, Activation)]
    for i, point in enumerate(exact):
        for layer, node in enumerate(layers):
            for unit in range(values[node].shape[1]):
                got = Fraction(float(values[node][i, unit]))
                assert abs(got - point.pre(layer, unit)) <= Fraction(float(errors[node][i, unit]))
        for k in range(values[net.output].shape[1]):
            got = Fraction(float(values[net.output][i, k]))
            assert abs(got - point.logit(k)) <= Fraction(float(errors[net.output][i, k]))
    return errors[layers[-1]].max(axis=1).tolist()


@pytest.mark.parametrize("compensated", [False, True])
@settings(max_examples=20, deadline=None, derandomize=True)
@given(model=testing.nets(), data=st.data())
def test_bounds_hold_exactly_on_adversarial_nets(compensated, model, data):
    net = regions.trace(model)
    coordinate = st.floats(-3, 3, allow_nan=False)
    points = np.array(
        data.draw(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=4))
    )
    _check_bounds(net, points, compensated)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(model=testing.nets(n_inputs=3), plane=testing.planes(3, integer=False), data=st.data())
def test_double_float_bounds_hold_on_planes_through_wider_inputs(model, plane, data):
    """The plane map itself is applied by exact TwoProds and TwoSums."""
    coordinate = st.floats(-3, 3, allow_nan=False)
    points = np.array(
        data.draw(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=3))
    )
    _check_bounds(regions.trace(model), points, True, plane)


def test_bounds_stay_tight_through_a_deep_he_net():
    # He-normal 2-32x10-1 with normal biases: values stay of order 1 through the layers. The
    # bound through |W| and the live units reaches about 8e-10 at the last layer; a row
    # norm times the largest term, with dead units' errors flowing on (the bound before),
    # reached 7e-6.
    model = testing.mlp(32, 10, "he+bias", 0)
    points = np.random.default_rng(0).uniform(-3, 3, size=(8, 2))
    assert max(_check_bounds(regions.trace(model), points)) < 1e-8
    # Double floats: about 2^17 times tighter a layer.
    assert max(_check_bounds(regions.trace(model), points, compensated=True)) < 1e-13


def test_settled_signs_reopen_only_what_double_floats_cannot_settle():
    """On a He-init 2-64x14-1 net float64 bounds leave points open; the double-float pass
    settles them all, to the exact signs."""
    net = regions.trace(testing.mlp(64, 14, "he+bias", 0))
    plane = as_plane(None, 2)
    points = np.random.default_rng(1).uniform(-3, 3, size=(3000, 2))
    _, float_open = certified_signs(net, *forward_with_bounds(net, plane, points))
    bits, undecided, _, _ = settled_signs(net, plane, points)
    rows = np.flatnonzero(float_open.any(axis=1))
    assert rows.size > 0 and not undecided.any()
    assert np.array_equal(bits[rows], exact_signs(net, plane, points[rows]) > 0)


@pytest.mark.parametrize("activation", [torch.nn.ReLU(), torch.nn.LeakyReLU(0.1)])
def test_double_floats_near_a_breakpoint_bound_the_piece_they_cannot_tell(activation):
    """``hi`` and ``hi + lo`` on either side of 0: the unit is undecided, its output read off
    ``hi``'s piece, and the bound must cover the other piece's value."""
    net = regions.trace(torch.nn.Sequential(torch.nn.Linear(2, 1), activation).double())
    node = net.nodes[-1]
    hi, lo, err = np.array([[1e-20]]), np.array([[-2e-20]]), np.array([[0.0]])
    out_hi, out_lo, bound = bounded._compensated_activation(node, hi, lo, err)
    z = Fraction(1e-20) + Fraction(-2e-20)  # the exact input, below the breakpoint
    truth = z * Fraction(float(node.slopes[0, 0]))
    got = Fraction(float(out_hi[0, 0])) + Fraction(float(out_lo[0, 0]))
    assert got != truth and abs(got - truth) <= Fraction(float(bound[0, 0]))
