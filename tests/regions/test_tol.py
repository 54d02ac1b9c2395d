"""``decompose(tol > 0)``: near-coincident lines merged on purpose, into a partition that still
tiles the domain (rings simple and counter-clockwise, judged in exact arithmetic of their float
vertices), with every region on the merged side of each line, and a warning that counts what
the merging moved."""

from __future__ import annotations

import re
import warnings
from fractions import Fraction

import numpy as np
import pytest
from test_certified import sequential
from torch import nn

import regions
from regions.constructions import line_arrangement


def merged(model: nn.Module, tol: float) -> tuple[regions.Partition, int]:
    """The partition with ``tol`` and the number of vertices its warning says it moved."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        part = regions.decompose(model, tol=tol)
    said = [re.search(r"put (\d+) vertices", str(w.message)) for w in caught]
    return part, sum(int(m.group(1)) for m in said if m)


def _cross(o: tuple, a: tuple, b: tuple) -> Fraction:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def check_merged_tiling(part: regions.Partition) -> None:
    """In exact arithmetic of the float vertices: every ring is convex, simple (each vertex on
    or left of every edge, no point twice) and counter-clockwise with positive area; every
    directed edge is used once and every edge a breakpoint drew once each way, by cells on
    either side of that breakpoint; and the areas add up to the box's exactly (its edges are
    axis-parallel, so vertices on them are exact). Together: the cells tile the box."""
    xy = [(Fraction(x), Fraction(y)) for x, y in part.vertices.tolist()]
    ring, start, label = part.ring.tolist(), part.start.tolist(), part.edge_label.tolist()
    total, owner = Fraction(0), {}
    for r in range(len(part)):
        ids = ring[start[r] : start[r + 1]]
        pts = [xy[v] for v in ids]
        k = len(pts)
        twice = sum(_cross((0, 0), pts[i], pts[(i + 1) % k]) for i in range(k))
        assert twice > 0, f"region {r}: ring of area {float(twice) / 2} (inside out)"
        assert len(set(pts)) == k, f"region {r}: a point twice on its ring"
        for i in range(k):
            a, b = pts[i], pts[(i + 1) % k]
            assert all(_cross(a, b, c) >= 0 for c in pts), f"region {r}: not convex at {i}"
            edge = (ids[i], ids[(i + 1) % k])
            assert edge not in owner, f"edge {edge} of regions {owner.get(edge)} and {r}"
            owner[edge] = (r, label[start[r] + i])
        total += twice
    patterns = part.patterns
    for (u, v), (r, drawn) in owner.items():
        if drawn >= 0:
            assert (v, u) in owner, f"edge {(u, v)} of region {r} has no neighbour"
            other = owner[(v, u)][0]
            assert patterns[r, drawn] != patterns[other, drawn], f"regions {r}, {other}"
    xmin, xmax, ymin, ymax = regions.DEFAULT_BOX
    assert total == 2 * (xmax - xmin) * (ymax - ymin), f"areas sum to {float(total) / 2}"


def check_merged_sides(part: regions.Partition, W: np.ndarray, b: np.ndarray, tol: float):
    """Each region lies on its bit's side of every first-layer line (``W x + b = 0``), but for
    the band that ``tol`` merges: within ``tol`` times the unit's largest ``|z|`` on the box."""
    corners = np.array([[x, y] for x in regions.DEFAULT_BOX[:2] for y in regions.DEFAULT_BOX[2:]])
    band = tol * np.abs(corners @ W.T + b).max(axis=0)
    z = part.points @ W.T + b  # a point inside each region
    slack = band * (1 + 1e-9) + 1e-12
    bits = part.patterns[:, : len(b)]
    assert np.all(np.where(bits, z >= -slack, z <= slack)), "a region off its side"


def test_a_merge_leaves_no_ring_inside_out():
    """x = 0 cuts the box; x = 2e-4 + 5e-4 y then snaps the corner (0, -2), 8e-4 off it with
    a band of 1e-3, and its edge from there to (1.2e-3, 2) kept that line's equation; the third
    line crossed that equation, not the edge, at x = -3.3e-5 < 0: a clockwise triangle, and
    areas summing to 16.000025."""
    W = [[1.0, 0.0], [1.0, -5e-4], [1.0, 1e-3]]
    b = [0.0, -2e-4, 5e-4]
    model = sequential((W, b), ([[1.0, 1.0, 1.0]], [0.0]))
    part, moved = merged(model, 5e-4)
    assert len(part) == 6 and moved == 1
    check_merged_tiling(part)
    check_merged_sides(part, np.array(W), np.array(b), 5e-4)


def test_a_band_places_vertices_between_their_edges_ends_in_a_deeper_layer():
    """Six near-coincident lines, then a second layer: the maps of regions merged across a
    snapped edge differ on it, so the second layer's line on a polygon need not cross an edge
    whose ends' values (from a neighbour's maps) have opposite signs: its intersection was
    beyond the box, and the exact fallback's placement too (found by a randomised sweep)."""
    W1 = [
        [-0.9663366879607854, 0.25728079116206787],
        [-0.9662331928387058, 0.25766920083067824],
        [-0.9672024915887945, 0.2540065752385714],
        [-0.9647911295901347, 0.26301725468910175],
        [-0.9671688782501305, 0.25413453315986817],
        [-0.9662910018629547, 0.2574523251374657],
    ]
    b1 = [
        -1.9026947552344469,
        -1.9034514946397385,
        -1.8980307696867258,
        -1.9110924611902533,
        -1.8982407249919817,
        -1.90320372528708,
    ]
    W2 = [
        [0.8199921369300918, 1.2225724828937452, 0.2958826749995388, 2.045693692396466]
        + [-1.4248138153962147, -0.5779477359777697],
        [0.5515552257626547, -0.14690401569404837, -1.3012060302260584, 0.37698476745153153]
        + [0.5415336595503661, -0.2412023386901599],
        [-0.25566716101217024, -0.3207886657706618, -1.5034968788763228, 0.5840511398362157]
        + [-0.5235797231339356, 0.5811381157826889],
    ]
    b2 = [0.1019198048206478, -0.05173716243088092, -0.0007583839544688793]
    model = sequential((W1, b1), (W2, b2), ([[1.0, 1.0, 1.0]], [0.0]))
    part, moved = merged(model, 0.0003529032003422171)
    assert 0 < len(part) < len(regions.decompose(model)) and moved > 0
    check_merged_tiling(part)


def test_a_line_the_band_drops_whole_is_counted():
    """x + y = 3.9995 cuts a triangle off the corner (2, 2) of the box; with tol=1e-4 the
    corner, 5e-4 above it, lies within the band (8e-4): the line is dropped, one region, and
    the warning counts the corner (nothing did: the band left the box uncrossed)."""
    model = line_arrangement(np.array([[1.0, 1.0]]), np.array([-3.9995]))
    assert len(regions.decompose(model)) == 2
    with pytest.warns(UserWarning, match=r"tol=0.0001 put 1 vertices on breakpoint lines"):
        part = regions.decompose(model, tol=1e-4)
    assert len(part) == 1 and not part.patterns.any()


def test_what_a_refresh_settles_is_counted():
    """Two families of near-coincident lines: 15 regions, 10 merged, and the polygons the band
    merged lay on one side of their lines at the layer's start, so no cut counted anything."""
    W = [
        [-1.8742499486376814, -0.4973088531177],
        [0.41614602215560587, -1.5575934622975327],
        [-1.8742602644788557, -0.49734291221606414],
        [-1.874267634836809, -0.49734075111330295],
        [0.4161385358423735, -1.5575730057088752],
    ]
    b = [
        1.3531572337096047,
        0.264939237730424,
        1.3531479149688685,
        1.3531487288053488,
        0.26484700175190007,
    ]
    model = line_arrangement(np.array(W), np.array(b))
    part, moved = merged(model, 3.4573367801761942e-06)
    assert len(regions.decompose(model)) == 15 and len(part) == 10
    assert moved > 0
    check_merged_tiling(part)
    check_merged_sides(part, np.array(W), np.array(b), 3.4573367801761942e-06)


def near_lines(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """3 to 6 lines nearly through one point, or in one or two near-coincident families, or
    all near x = 0 (as the first test's), by turns."""
    n, kind = int(rng.integers(3, 7)), int(rng.integers(0, 3))
    jitter = 10 ** rng.uniform(-6, -2.5)
    if kind == 0:
        centre = rng.uniform(-2.5, 2.5, 2)
        if rng.random() < 0.5:
            angle = rng.uniform(0, np.pi, n)
        else:
            angle = rng.uniform(0, 0.01, n) + rng.uniform(0, np.pi)
        W = np.stack([np.cos(angle), np.sin(angle)], 1)
        return W, -W @ centre + rng.normal(size=n) * jitter
    if kind == 1:
        family = rng.integers(0, 2, n)
        W = rng.normal(size=(2, 2))[family] + rng.normal(size=(n, 2)) * jitter
        return W, rng.normal(size=2)[family] + rng.normal(size=n) * jitter
    return np.stack([np.ones(n), rng.normal(size=n) * jitter], 1), rng.normal(size=n) * jitter


def test_random_merges_tile_the_box():
    """Small nets of near-concurrent lines (some with a second layer) and tol from 1e-6 to 5e-4:
    before the fix about 2% of them left a ring inside out or areas off the box's."""
    rng = np.random.default_rng(20240611)
    n_merged = 0
    for _ in range(400):
        W, b = near_lines(rng)
        tol = float(10 ** rng.uniform(-6, np.log10(5e-4)))
        layers = [(W, b)]
        if rng.random() < 0.3:
            layers.append((rng.normal(size=(3, len(b))), rng.normal(size=3) * 0.1))
        model = sequential(*layers, (np.ones((1, len(layers[-1][1]))), [0.0]))
        part, moved = merged(model, tol)
        n_merged += moved > 0
        check_merged_tiling(part)
        check_merged_sides(part, W, b, tol)
    assert n_merged > 100  # the merging happened
