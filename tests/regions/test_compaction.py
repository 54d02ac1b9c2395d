"""The ring store laid out in polygon order (:mod:`regions.compaction`): compiled and in numpy,
the same levels and partitions bit for bit, whether the store needs laying out or not."""

from __future__ import annotations

import numba  # noqa: F401  (the dev extra installs it: these tests compare both paths)
import numpy as np
import pytest
from hypothesis import given, settings
from test_compensated_kernels import both
from test_kernels import same_partition

import regions
from regions import compaction, kernels, testing


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
    compiled, numpy = both(case.decompose)
    same_partition(compiled, numpy)
    same_levels(compiled, numpy)


@pytest.mark.parametrize("seed", range(3))
def test_laid_out_twins_agree(seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 9, size=50)
    first = rng.permutation(np.arange(0, 50 * 10, 10))  # slots of 10, out of order
    ring = rng.integers(0, 1000, size=600)
    store = (ring, ring + 7, rng.normal(size=(600, 3)), rng.random(600))
    laid = []
    for compiled in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kernels, "COMPILED", compiled)
            f = first.copy()
            out, used = compaction.laid_out(f, lengths, tuple(a.copy() for a in store), 600)
        laid.append((f, out, used))
    (f1, out1, used1), (f2, out2, used2) = laid
    assert used1 == used2 == lengths.sum()
    np.testing.assert_array_equal(f1, f2, strict=True)
    for a, b, source in zip(out1, out2, store, strict=True):
        assert a.shape == b.shape == source.shape  # the room is kept
        np.testing.assert_array_equal(a[:used1], b[:used1], strict=True)
    rows = np.concatenate([np.arange(f, f + n) for f, n in zip(first, lengths, strict=True)])
    np.testing.assert_array_equal(out1[2][:used1], store[2][rows], strict=True)
    # Laid out already: nothing to do, either way.
    for compiled in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kernels, "COMPILED", compiled)
            assert compaction.laid_out(f1.copy(), lengths, out1, used1) is None
            # In order, but a replaced ring left at the end: the store shrinks to the rings.
            out, used = compaction.laid_out(f1.copy(), lengths, out1, used1 + 5)
            assert used == used1
            np.testing.assert_array_equal(out[0][:used], out1[0][:used1], strict=True)


def test_a_laid_out_store_is_kept():
    # A first layer whose breakpoints miss the box cuts nothing: the one ring stays in place.
    net = testing.mlp(4, 2, "default", 0)
    with np.errstate(all="ignore"):
        net[0].bias.data[:] = 100.0
    compiled, numpy = both(lambda: regions.decompose(net, (-1, 1, -1, 1)))
    assert compiled.levels[0].n_regions == 1
    same_levels(compiled, numpy)
    same_partition(compiled, numpy)
