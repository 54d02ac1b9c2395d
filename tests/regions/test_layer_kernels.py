"""The compiled layer's bookkeeping (:mod:`regions.layer_kernels`): pools grown inside the cut
loop and levels laid out in one call give the numpy path's partitions and levels bit for
bit."""

from __future__ import annotations

import numba  # noqa: F401  (the dev extra installs it: these tests compare both paths)
import numpy as np
import pytest
from hypothesis import given, settings
from test_kernels import same_partition

import regions
from regions import fused, kernels, layer_kernels, testing


def both_ways(decompose):
    """``decompose()`` with the kernels compiled and as numpy."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "COMPILED", True)
        compiled = decompose()
        patch.setattr(kernels, "COMPILED", False)
        return compiled, decompose()


def same_levels(a: regions.Partition, b: regions.Partition) -> None:
    assert len(a.levels) == len(b.levels)
    for x, y in zip(a.levels, b.levels, strict=True):
        for name in ("ring", "start", "edge_label", "parent", "bits"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), strict=True)
        assert x.n_bits == y.n_bits
        assert x.start[-1] == len(x.ring)


@settings(max_examples=30, deadline=None)
@given(case=testing.cases(n_inputs=(2, 3)))
def test_adversarial_levels_are_the_same_either_way(case):
    compiled, numpy = both_ways(case.decompose)
    same_partition(compiled, numpy)
    same_levels(compiled, numpy)


def test_the_pools_grow_inside_the_loop():
    """The cut loop run as Python (the same code, its callees compiled), counting the pools
    it grows: a 2-32x3-1 net starts from one polygon and outgrows every pool's first room
    over and over, without leaving the loop."""
    calls, grown_pools = [], layer_kernels.grown_pools

    def counted(table, pool, store, counts, n_cand, n_inc, row):
        calls.append(row)
        return grown_pools(table, pool, store, counts, n_cand, n_inc, row)

    net, box = testing.mlp(32, 3, "default", 0), (-1.0, 1.0, -1.0, 1.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fused, "_run", fused._run_loops)
        patch.setattr(layer_kernels, "grown_pools", counted)
        patch.setattr(kernels, "COMPILED", True)
        in_python = regions.decompose(net, box)
    assert len(calls) >= 3 and max(calls) > 0  # values kept from a later unit on, too
    compiled, numpy = both_ways(lambda: regions.decompose(net, box))
    for part in (in_python, compiled):
        same_partition(part, numpy)
        same_levels(part, numpy)
    np.testing.assert_array_equal(compiled.affine()[0], numpy.affine()[0], strict=True)


def test_a_laid_out_store_is_kept():
    # A first layer whose breakpoints miss the box cuts nothing: the one ring stays in place.
    net = testing.mlp(4, 2, "default", 0)
    with np.errstate(all="ignore"):
        net[0].bias.data[:] = 100.0
    compiled, numpy = both_ways(lambda: regions.decompose(net, (-1, 1, -1, 1)))
    assert compiled.levels[0].n_regions == 1
    same_levels(compiled, numpy)
    same_partition(compiled, numpy)
