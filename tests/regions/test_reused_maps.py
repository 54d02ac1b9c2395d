"""A ReLU layer's double-float maps giving their memory to the next layer's
(``region_maps.affine(..., reuse=True)``): the same maps bit for bit, the source left empty,
and nothing touched where the arrays are held elsewhere."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from test_compensated import maps_in
from test_kernels import same_partition

import regions
from regions import region_maps, testing, threads
from regions.network import Affine


@pytest.fixture(autouse=True)
def _any_size(monkeypatch):
    """Small maps reused too (by default only arrays of 32 MiB and more are)."""
    monkeypatch.setattr(region_maps, "REUSE_FROM", 0)


def _layers(
    seed: int, width: int = 6
) -> tuple[region_maps.NodeMaps, Affine, tuple[np.ndarray, np.ndarray]]:
    """Double-float maps of a second layer on 40 regions (each its own pieces of the first),
    the next layer, and the parents and 0/1 pieces of 55 regions that refine them: 0..39 keep
    their rows, 15 new ones are appended (the last a piece of region 39)."""
    rng = np.random.default_rng(seed)

    def layer(n_in: int, name: str) -> Affine:
        return Affine(src=0, W=rng.normal(size=(width, n_in)), b=rng.normal(size=width), name=name)

    first = region_maps.affine(layer(2, "fc1"), region_maps.input_maps(np.eye(2, 3), 2.0, True))
    pieces = rng.integers(0, 2, size=(40, width))
    start = region_maps.affine(layer(width, "fc2"), _activated(first, (np.zeros(40, int), pieces)))
    parent = np.concatenate([np.arange(40), rng.integers(0, 40, size=14), [39]])
    return start, layer(width, "fc3"), (parent, rng.integers(0, 2, size=(55, width)))


def _activated(start: region_maps.NodeMaps, pieces) -> region_maps.ActivatedMaps:
    parent, slopes = pieces
    return region_maps.ActivatedMaps(start, parent, slopes, None, start.kappa)


def _copy(maps: region_maps.NodeMaps) -> region_maps.NodeMaps:
    return region_maps.NodeMaps(maps.m.copy(), maps.nu.copy(), maps.kappa, maps.lo.copy(), maps.box)


def _same_maps(a: region_maps.NodeMaps, b: region_maps.NodeMaps) -> None:
    for name in ("m", "lo", "nu"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), strict=True)
    for x, y in zip((*a._extremes, *a._lo_extremes), (*b._extremes, *b._lo_extremes), strict=True):
        np.testing.assert_array_equal(x, y, strict=True)


def _intact(start: region_maps.NodeMaps, ids: list[int], before: list[np.ndarray]) -> None:
    """The source's arrays are the same objects as before, with the same values (checked in a
    function of its own, whose locals hold no reference once it returns)."""
    arrays = (start.m, start.lo, start.nu)
    assert [id(a) for a in arrays] == ids
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b, strict=True)


@pytest.mark.parametrize("n_threads", [1, 3])
def test_reused_maps_are_the_maps_and_leave_the_source_empty(monkeypatch, n_threads):
    # Chunks of 3 regions: the kept rows end inside the chunk of rows 39 to 41, whose row 39
    # the last new region reads.
    monkeypatch.setattr(region_maps, "COMPENSATED_CHUNK", 6 * 3)
    monkeypatch.setattr(threads, "MIN_CHUNKS", 1)
    monkeypatch.setattr(threads, "THREADS", n_threads)
    start, nxt, pieces = _layers(0)
    fresh = region_maps.affine(nxt, _activated(_copy(start), pieces), 2)
    reused = region_maps.affine(nxt, _activated(start, pieces), 2, reuse=True)
    _same_maps(reused, fresh)
    assert start.m is None and start.lo is None and start.nu is None  # a late read fails


def test_maps_held_elsewhere_are_not_reused():
    start, nxt, pieces = _layers(1)
    fresh = region_maps.affine(nxt, _activated(_copy(start), pieces), 2)
    held = start.nu[:5]  # a view: nu cannot grow, so m and lo, grown first, shrink back
    ids = [id(a) for a in (start.m, start.lo, start.nu)]  # no reference to hold them
    before = [a.copy() for a in (start.m, start.lo, start.nu)]
    maps = region_maps.affine(nxt, _activated(start, pieces), 2, reuse=True)
    _same_maps(maps, fresh)
    assert held.base is start.nu
    _intact(start, ids, before)
    del held
    # Rows that do not keep their place, or a change of width, are computed beside them.
    parent, slopes = pieces
    swapped = parent.copy()
    swapped[[0, 1]] = [1, 0]
    maps = region_maps.affine(nxt, _activated(start, (swapped, slopes)), 2, reuse=True)
    assert id(start.m) == ids[0] and len(start.m) == 40 and len(maps.m) == 55
    narrower = Affine(src=1, W=nxt.W[:5], b=nxt.b[:5], name="fc2")
    maps = region_maps.affine(narrower, _activated(start, pieces), 2, reuse=True)
    assert id(start.m) == ids[0] and len(start.m) == 40 and maps.m.shape == (55, 3, 5)
    with pytest.MonkeyPatch.context() as patch:  # nor are maps below REUSE_FROM
        patch.setattr(region_maps, "REUSE_FROM", start.m.nbytes + 1)
        maps = region_maps.affine(nxt, _activated(start, pieces), 2, reuse=True)
    assert id(start.m) == ids[0] and len(start.m) == 40 and len(maps.m) == 55


@settings(max_examples=25, deadline=None)
@given(case=testing.cases(n_inputs=(2, 3), max_layers=4, max_width=8))
def test_partitions_are_the_same_with_or_without_reused_maps(case):
    with maps_in(double=True), pytest.MonkeyPatch.context() as patch:
        patch.setattr(region_maps, "COMPENSATED_CHUNK", 16)  # in place over several chunks
        reused = case.decompose()
        patch.setattr(region_maps, "_reused", lambda node, src: (0, []))
        fresh = case.decompose()
    same_partition(reused, fresh)


class _Residual(torch.nn.Module):
    """``h = relu(fc1(x))`` read by fc2 and again by the sum after it: fc2 is not its last
    reader, so its maps must stay."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(5)
        self.fc1, self.fc2, self.out = (torch.nn.Linear(*s) for s in ((2, 6), (6, 6), (6, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.fc1(x))
        return self.out(torch.relu(self.fc2(h) + h))


def test_maps_read_again_later_are_not_reused():
    with maps_in(double=True), pytest.MonkeyPatch.context() as patch:
        reused = regions.decompose(_Residual(), (-2, 2, -2, 2))
        patch.setattr(region_maps, "_reused", lambda node, src: (0, []))
        fresh = regions.decompose(_Residual(), (-2, 2, -2, 2))
    assert reused.cut_state.output.lo is not None and len(reused) > 6
    same_partition(reused, fresh)
