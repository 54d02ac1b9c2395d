"""The explorer's arrays: every one checked against the partition it came from."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import shapely
import torch
from torch import nn

import regions
from analysis.explorer import Checkpoint, explore
from analysis.explorer.export import DTYPES, frame, pack
from analysis.explorer.page import page_html

L_WITH_HOLE = shapely.Polygon(
    [(-1, -1), (1, -1), (1, 0), (0, 0), (0, 1), (-1, 1)],
    [[(-0.8, -0.8), (-0.4, -0.8), (-0.4, -0.4), (-0.8, -0.4)]],
)


def small_net(seed: int, widths: tuple[int, ...] = (8, 8, 8), outputs: int = 2) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    n = 2
    for w in widths:
        layers += [nn.Linear(n, w), nn.ReLU()]
        n = w
    return nn.Sequential(*layers, nn.Linear(n, outputs))


@pytest.fixture(scope="module", params=["box", "L with a hole"])
def part(request: pytest.FixtureRequest) -> regions.Partition:
    domain = (-1, 1, -1, 1) if request.param == "box" else L_WITH_HOLE
    return regions.decompose(small_net(1), domain)


def test_rings_are_the_polygons_exactly(part: regions.Partition) -> None:
    a = frame(part).arrays
    starts = a["start"]
    assert len(starts) == len(part) + 1 and starts[-1] == len(a["ring"])
    for r, poly in enumerate(part.polygons):
        assert np.array_equal(a["xy"][a["ring"][starts[r] : starts[r + 1]]], poly)
    assert np.array_equal(np.unpackbits(a["bits"], axis=1, count=part.n_breakpoints), part.patterns)


def test_ancestors_are_the_coarse_regions(part: regions.Partition) -> None:
    f = frame(part)
    assert f.meta["counts"] == part.counts_by_depth().tolist()
    for k in range(part.depth):
        coarse = part.at_depth(k)
        assert np.array_equal(f.arrays["anc"][k], coarse.locate(part.points))
        assert len(np.unique(f.arrays["anc"][k])) == len(coarse)


def test_segments_neighbours_and_maps(part: regions.Partition) -> None:
    a = frame(part).arrays
    b = part.boundaries()
    assert np.array_equal(a["xy"][a["seg"]], b.segments)
    assert np.array_equal(a["switch_layer"][a["seg_switch"]], b.layer)
    assert np.array_equal(a["switch_unit"][a["seg_switch"]], b.unit)
    adj = part.adjacency()
    assert np.array_equal(a["adj"], adj.pairs) and np.array_equal(a["adj_switch"], adj.switch)
    A, c = part.affine()
    assert np.array_equal(a["A"], A) and np.array_equal(a["c"], c)
    assert np.array_equal(a["db"], part.decision_boundary().segments)


def test_pack_round_trips_every_array(part: regions.Partition) -> None:
    arrays = frame(part).arrays
    blob, table = pack(arrays)
    raw = gzip.decompress(blob)
    for name, (kind, offset, shape) in table.items():
        assert offset % 8 == 0
        dtype = {js: numpy for numpy, js in DTYPES.items()}[kind]
        back = np.frombuffer(raw, dtype, count=int(np.prod(shape)), offset=offset)
        assert np.array_equal(back.reshape(shape), arrays[name]), name


def test_a_partition_below_full_depth_is_refused() -> None:
    part = regions.decompose(small_net(2), (-1, 1, -1, 1))
    with pytest.raises(ValueError, match="depth 1 of 3"):
        frame(part.at_depth(1))


def test_explore_writes_one_self_contained_page(tmp_path: Path) -> None:
    net = small_net(3)
    X = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    y = (X[:, 1] > X[:, 0]).astype(int)
    history = [Checkpoint(0, small_net(4)), (10, small_net(5), 0.75)]
    page = explore(net, tmp_path / "a" / "net.html", domain=(-1, 1, -1, 1), data=(X, y),
                   checkpoints=history)  # fmt: skip
    text = page.read_text(encoding="utf-8")
    assert page.parent.is_dir() and text.startswith("<!DOCTYPE html>")
    for absent in ("http://", "https://", "<link", "src="):  # nothing is fetched
        assert absent not in text
    assert text.count('"step":') == 3 and '"step":10' in text and '"accuracy":0.75' in text


def test_explore_names_each_bad_argument(tmp_path: Path) -> None:
    part = regions.decompose(small_net(6), (-1, 1, -1, 1))
    page = tmp_path / "p.html"
    with pytest.raises(ValueError, match="is a Partition, which has its domain"):
        explore(part, page, domain=(-1, 1, -1, 1))
    with pytest.raises(TypeError, match="must be a torch.nn.Module.*got str"):
        explore("net.pt", page)
    with pytest.raises(ValueError, match=r"X of shape \(N, 2\)"):
        explore(part, page, data=(np.zeros((3, 3)), np.zeros(3, dtype=int)))
    with pytest.raises(ValueError, match="integers in 0..255"):
        explore(part, page, data=(np.zeros((3, 2)), np.array([0.5, 1, 0])))
    other = regions.decompose(small_net(7), (-2, 2, -2, 2))
    with pytest.raises(ValueError, match=r"checkpoints\[0\] is on another domain"):
        explore(part, page, checkpoints=[(0, other)])
    with pytest.raises(ValueError, match="frames is empty"):
        page_html([], part.domain.polygon)
    assert not page.exists()


def test_widths_count_units_not_breakpoints() -> None:
    """Hardtanh has two breakpoints a unit: the page's layers have 5 and 3 units."""
    torch.manual_seed(8)
    net = nn.Sequential(
        nn.Linear(2, 5), nn.Hardtanh(), nn.Linear(5, 3), nn.ReLU6(), nn.Linear(3, 2)
    )
    f = frame(regions.decompose(net, (-2, 2, -2, 2)))
    assert f.meta["widths"] == [5, 3]
    assert f.arrays["switch_unit"][f.arrays["switch_layer"] == 1].max() == 4


def test_accuracies_are_numbers_the_page_can_read(tmp_path: Path) -> None:
    """No points: no accuracy (the mean of none was NaN, which JSON.parse refuses, and the
    page never loaded); a checkpoint's accuracy must be a number in [0, 1]."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    empty = (np.zeros((0, 2)), np.zeros(0, dtype=int))
    page = explore(net, tmp_path / "empty.html", domain=(-1, 1, -1, 1), data=empty)
    assert '"accuracy":null' in page.read_text() and "NaN" not in page.read_text()
    page = explore(
        net, tmp_path / "f32.html", domain=(-1, 1, -1, 1), checkpoints=[(0, net, np.float32(0.5))]
    )
    assert '"accuracy":0.5' in page.read_text()
    for bad in (float("nan"), float("inf"), 1.5):
        with pytest.raises(ValueError, match=r"checkpoints\[0\]\.accuracy must be in \[0, 1\]"):
            explore(net, tmp_path / "bad.html", domain=(-1, 1, -1, 1), checkpoints=[(0, net, bad)])


def test_module_checkpoints_of_a_partition_are_on_its_domain(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    part = regions.decompose(net, (-1, 1, -1, 1))
    page = explore(part, tmp_path / "cp.html", checkpoints=[(0, net)])
    assert page.read_text().count(f'"count":{len(part)},') == 2
