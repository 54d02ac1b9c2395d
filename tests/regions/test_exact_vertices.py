"""Exact vertices placed where their two exact lines cross (:mod:`regions.fallback`): the same
points as rebuilding each vertex from its edge's exact ends, generation after generation."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from checks import ResidualConcat, seeded
from hypothesis import given, settings

import regions
from regions import testing


def check_lines_place_like_ends(part: regions.Partition, most: int = 300) -> int:
    """Assert every cut vertex placed by lines equals its placement from its edge's ends (the
    fallback with lines switched off); return how many were compared."""
    exact = part.cut_state.exact
    by_ends = copy.copy(exact)
    by_ends.hull, by_ends._points, by_ends._lines = None, {}, {}
    provenance = exact.mesh.provenance
    crossed = [w for w in range(len(provenance)) if exact._by_lines(provenance[w])][:most]
    for w, point in zip(crossed, exact._cross(provenance[crossed]), strict=True):
        assert point == by_ends.place(provenance[w]), f"vertex {w}"
    return len(crossed)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(case=testing.cases(n_inputs=(2, 3)))
def test_lines_place_every_vertex_where_its_edge_ends_do(case):
    part = case.decompose()
    n_cut = int(np.count_nonzero(part.cut_state.exact.mesh.provenance[:, 0] >= 0))
    assert check_lines_place_like_ends(part) == min(n_cut, 300)


@pytest.mark.parametrize("depth", [4, 6])
def test_deep_vertices_on_hull_edges_and_earlier_layers(depth):
    model = testing.mlp(8, depth, "he+bias", depth)
    part = regions.decompose(model, (-3.0, 3.0, -3.0, 3.0))
    provenance = part.cut_state.exact.mesh.provenance
    assert np.any(provenance[:, 3] <= -2)  # cut on a hull edge
    layer = part.cut_state.exact.layer
    cut = provenance[:, 0] >= 0
    assert np.any(layer[provenance[cut, 3].clip(0)] < layer[provenance[cut, 2]])  # older edge
    assert check_lines_place_like_ends(part, most=400) == min(int(np.count_nonzero(cut)), 400)


@pytest.mark.parametrize("seed", [0, 3])
def test_lines_of_residual_sums_and_concatenations(seed):
    # Sums and a concatenation between layers: the forced walk reads every activation's
    # pieces in the network's order, as the levels record them.
    part = regions.decompose(seeded(ResidualConcat(), seed), (-2.0, 2.0, -1.0, 3.0))
    n_cut = int(np.count_nonzero(part.cut_state.exact.mesh.provenance[:, 0] >= 0))
    assert n_cut > 50
    assert check_lines_place_like_ends(part, most=200) == min(n_cut, 200)
