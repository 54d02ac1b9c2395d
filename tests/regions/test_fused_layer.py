"""A whole layer in one compiled call (:mod:`regions.fused_layer`): the same partitions bit for
bit as the numpy path, where it runs to the end and where it hands the layer over to Python
(a sign or a vertex for exact arithmetic, a refresh's open sides, too many regions)."""

from __future__ import annotations

import importlib

import numba  # noqa: F401  (the dev extra installs it: these tests compare both paths)
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from test_kernels import same_partition

import regions
from regions import fused, fused_layer, kernels, testing
from regions.constructions import sawtooth

decompose_module = importlib.import_module("regions.decompose")


def decomposed_both_ways(net, box, handed=None, **kwargs):
    """The partition with the kernels compiled (whole layers) and as numpy, and the statuses
    the whole-layer calls handed over with (appended to ``handed`` as they come)."""
    handed = [] if handed is None else handed
    handed_over = decompose_module._LayerCut.handed_over.__func__

    def spy(cls, mesh, node, maps, exact, first_column, state):
        handed.append(state.status)
        return handed_over(cls, mesh, node, maps, exact, first_column, state)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decompose_module._LayerCut, "handed_over", classmethod(spy))
        patch.setattr(kernels, "COMPILED", True)
        compiled = regions.decompose(net, box, **kwargs)
        patch.setattr(kernels, "COMPILED", False)
        numpy = regions.decompose(net, box, **kwargs)
    return compiled, numpy, handed


@settings(max_examples=40, deadline=None)
@given(case=testing.cases(n_inputs=(2, 3)))
def test_adversarial_partitions_are_the_same_in_whole_layers(case):
    compiled, numpy, _ = decomposed_both_ways(case.model, case.domain, plane=case.plane)
    same_partition(compiled, numpy)


def test_a_sign_for_exact_arithmetic_hands_the_layer_over():
    # The sawtooth's second layer breaks exactly at the first one's vertices.
    compiled, numpy, handed = decomposed_both_ways(sawtooth(4), (0.0, 1.0, 0.0, 1.0))
    assert fused.IN_PYTHON in handed
    same_partition(compiled, numpy)
    assert len(compiled) == 16


def test_open_sides_at_a_refresh_hand_the_layer_over():
    # The second layer's unit is 0 * relu(x) + 0 * relu(y) + 0, exactly on its breakpoint
    # with a zero error bound: no vertex settles its side at the refresh, and exact
    # arithmetic gives every region bit 0.
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1), torch.nn.ReLU()
    ).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        net[0].bias.zero_()
        net[2].weight.zero_()
        net[2].bias.zero_()
    compiled, numpy, handed = decomposed_both_ways(net, (-1.0, 1.0, -1.0, 1.0))
    assert handed == [fused.UNSETTLED]
    same_partition(compiled, numpy)
    assert len(compiled) == 4 and not compiled.patterns[:, 2].any()


def test_too_many_regions_are_refused_alike():
    net, messages, handed = testing.mlp(16, 3, "default", 0), [], []
    with pytest.raises(regions.TooManyRegionsError) as raised:
        decomposed_both_ways(net, (-1, 1, -1, 1), handed, max_regions=50)
    assert handed == [fused.TOO_MANY]
    messages.append(str(raised.value))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "COMPILED", False)
        with pytest.raises(regions.TooManyRegionsError) as raised:
            regions.decompose(net, (-1, 1, -1, 1), max_regions=50)
    messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert "max_regions=50 regions after unit" in messages[0]


def test_the_pools_grow_inside_the_call():
    """The whole-layer loop run as Python (the same code), counting the pools it grows: a
    2-32x3-1 net starts from one polygon and outgrows every pool's first room."""
    grown = []
    one, two = fused_layer._grown, fused_layer._grown2

    def counted(f):
        def g(a, cap, keep):
            grown.append(a.ndim)
            return f(a, cap, keep)

        return g

    net, box = testing.mlp(32, 3, "default", 0), (-1.0, 1.0, -1.0, 1.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fused_layer, "_layer", fused_layer._layer_loops)
        patch.setattr(fused_layer, "_grown", counted(one))
        patch.setattr(fused_layer, "_grown2", counted(two))
        in_python = regions.decompose(net, box)
    assert grown.count(1) >= 6 and grown.count(2) >= 4
    compiled, numpy, handed = decomposed_both_ways(net, box)
    assert not handed
    same_partition(in_python, numpy)
    same_partition(compiled, numpy)
    np.testing.assert_array_equal(compiled.affine()[0], numpy.affine()[0], strict=True)


def test_levels_are_laid_out_and_packed_as_before():
    compiled, numpy, _ = decomposed_both_ways(testing.mlp(12, 3, "default", 1), (-1, 1, -1, 1))
    assert len(compiled.levels) == 3
    for a, b in zip(compiled.levels, numpy.levels, strict=True):
        for name in ("ring", "start", "edge_label", "parent", "bits"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), strict=True)
        assert a.n_bits == b.n_bits == 12
        assert a.start[-1] == len(a.ring)
