"""The float forward pass with rigorous error bounds (:mod:`regions.bounded`) that certify and
locate settle signs with: every bound holds in exact arithmetic, and it stays tight on deep
nets (a loose bound sends signs to the slow exact walk)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import regions
from regions import testing
from regions.bounded import forward_with_bounds
from regions.domain import as_plane
from regions.network import Activation
from regions.oracle import exact_eval_raw


def _check_bounds(net: regions.Network, points: np.ndarray) -> list[float]:
    """Assert every activation layer's preactivation and every logit is within its bound of
    the exact value; return the largest bound of the last activation layer per point."""
    plane = as_plane(None, net.n_inputs)
    values, errors = forward_with_bounds(net, plane, points)
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


@settings(max_examples=20, deadline=None, derandomize=True)
@given(model=testing.nets(), data=st.data())
def test_bounds_hold_exactly_on_adversarial_nets(model, data):
    net = regions.trace(model)
    coordinate = st.floats(-3, 3, allow_nan=False)
    points = np.array(
        data.draw(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=4))
    )
    _check_bounds(net, points)


def test_bounds_stay_tight_through_a_deep_he_net():
    # He-normal 2-32x10-1 with normal biases: values stay of order 1 through the layers. The
    # bound through |W| and the live units reaches about 8e-10 at the last layer; a row
    # norm times the largest term, with dead units' errors flowing on (the bound before),
    # reached 7e-6.
    model = testing.mlp(32, 10, "he+bias", 0)
    points = np.random.default_rng(0).uniform(-3, 3, size=(8, 2))
    assert max(_check_bounds(regions.trace(model), points)) < 1e-8
