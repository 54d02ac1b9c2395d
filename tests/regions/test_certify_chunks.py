"""``regions.certify`` a chunk of points at a time, in threads: the same report as all points
at once, and a wrong pattern or output map is caught in any chunk."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest
from hypothesis import given, settings

import regions
from regions import testing, threads
from regions.constructions import line_arrangement, sawtooth
from regions.mesh import DOMAIN_EDGE

certify_module = importlib.import_module("regions.certify")


@settings(max_examples=25, deadline=None)
@given(case=testing.cases(n_inputs=(2, 3)))
def test_chunks_in_threads_check_what_all_points_at_once_check(case):
    part = case.decompose()
    whole = regions.certify(part)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(certify_module, "CHUNK_POINTS", 3)
        patch.setattr(threads, "MIN_CHUNKS", 1)
        patch.setattr(threads, "THREADS", 3)
        chunked = regions.certify(part)
    assert (chunked.n_cells, chunked.n_signs, chunked.n_edges) == (
        whole.n_cells,
        whole.n_signs,
        whole.n_edges,
    )
    # The worst map error is a bound from the float pass, whose matrix products round as
    # BLAS's kernel for each chunk's shape does: the same to within a few roundings.
    assert abs(chunked.worst_map_error - whole.worst_map_error) <= 0.5 * whole.worst_map_error


@pytest.mark.parametrize("chunk", [2, 1 << 13])
def test_a_wrong_pattern_is_caught_in_any_chunk(monkeypatch, chunk):
    monkeypatch.setattr(certify_module, "CHUNK_POINTS", chunk)
    monkeypatch.setattr(threads, "MIN_CHUNKS", 1)
    part = regions.decompose(testing.mlp(8, 3, "he+bias", seed=2), (-2, 2, -2, 2))
    assert len(part) > 20
    cell = len(part) - 3  # in the last chunks
    bits = part.cell_bits.copy()
    bits[cell, 0] ^= 0x80  # the first breakpoint flipped
    wrong = dataclasses.replace(part, cell_bits=bits)
    with pytest.raises(regions.CertificationError, match=f"^cell {cell}: breakpoint 0 "):
        regions.certify(wrong)
    regions.certify(part)  # and the partition itself passes


@pytest.mark.parametrize("off", [0.5, 1e-9])
def test_a_wrong_output_map_is_caught_in_any_chunk(monkeypatch, off):
    monkeypatch.setattr(certify_module, "CHUNK_POINTS", 2)
    monkeypatch.setattr(threads, "MIN_CHUNKS", 1)
    part = regions.decompose(testing.mlp(8, 3, "he+bias", seed=2), (-2, 2, -2, 2))
    assert regions.certify(part).worst_map_error < 1e-12
    A, c = part._output_maps
    c = c.copy()
    c[len(c) - 1] += off  # the last cell's constant term off, far beyond its error bound
    monkeypatch.setitem(part.__dict__, "_output_maps", (A, c))
    with pytest.raises(regions.CertificationError, match=f"^cell {len(c) - 1}: output 0 of its"):
        regions.certify(part)


# ----------------------------------------------------------------- the hull's boundary
def square_halves() -> regions.Partition:
    """x = 1/2 halves the unit square: two cells, taken as they are (their float vertices
    exact, as a partition without its decomposition's bookkeeping)."""
    part = regions.decompose(sawtooth(1), (0, 1, 0, 1))
    return dataclasses.replace(part, cut_state=None)


def test_a_domain_edge_off_the_hull_is_caught():
    part = square_halves()
    assert regions.certify(part).n_cells == 2
    vertices = part.vertices.copy()
    corner = int(((vertices == 0).all(axis=1)).nonzero()[0][0])
    vertices[corner] = (-1.0, -1.0)  # the corner (0, 0) moved off the square
    with pytest.raises(regions.CertificationError, match="along the hull's boundary"):
        regions.certify(dataclasses.replace(part, vertices=vertices))


def test_cells_that_cover_the_hull_twice_are_caught():
    part = square_halves()
    n = len(part.vertices)
    twice = dataclasses.replace(
        part,  # a second copy of both cells on vertices of their own: conforming, but double
        vertices=np.concatenate([part.vertices, part.vertices]),
        ring=np.concatenate([part.ring, part.ring + n]),
        start=np.concatenate([part.start, part.start[1:] + part.start[-1]]),
        edge_label=np.concatenate([part.edge_label, part.edge_label]),
        cell_bits=np.concatenate([part.cell_bits, part.cell_bits]),
    )
    with pytest.raises(regions.CertificationError, match="do not cover the hull once"):
        regions.certify(twice)


# ----------------------------------------------------------------- completeness
def test_a_cell_a_breakpoint_crosses_is_caught_by_a_complete_check():
    """relu(x) + relu(y) on [-1, 1]^2 with the cells x > 0, y > 0 and x < 0, y > 0 merged:
    three cells for four regions. The merged cell's vertex mean lies on x = 0, where the
    unit is off, as its pattern says: only its corners show the line crossing it."""
    model = line_arrangement([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    part = dataclasses.replace(regions.decompose(model, (-1, 1, -1, 1)), cut_state=None)

    def vertex(x: float, y: float) -> int:
        return int(np.flatnonzero((part.vertices == (x, y)).all(axis=1))[0])

    # The upper half, counter-clockwise from (-1, 0): along y = 0 (drawn by unit 1), then
    # the domain's edges.
    top = [vertex(*p) for p in [(-1, 0), (0, 0), (1, 0), (1, 1), (0, 1), (-1, 1)]]
    lower = np.flatnonzero(~part.cell_patterns[:, 1])
    rings = [np.array(top)] + [part.ring[part.start[c] : part.start[c + 1]] for c in lower]
    labels = [np.array([1, 1, DOMAIN_EDGE, DOMAIN_EDGE, DOMAIN_EDGE, DOMAIN_EDGE])]
    labels += [part.edge_label[part.start[c] : part.start[c + 1]] for c in lower]
    bits = np.concatenate([[[False, True]], part.cell_patterns[lower]])
    merged = dataclasses.replace(
        part,
        ring=np.concatenate(rings),
        start=np.concatenate([[0], np.cumsum([len(r) for r in rings])]),
        edge_label=np.concatenate(labels),
        cell_bits=np.packbits(bits, axis=1),
    )
    assert regions.certify(merged).n_cells == 3  # every other check passes
    with pytest.raises(regions.CertificationError, match="^cell 0: breakpoint 0 .* crosses it"):
        regions.certify(merged, complete=True)


@settings(max_examples=20, deadline=None)
@given(case=testing.cases(n_inputs=(2, 3)))
def test_decompositions_are_complete(case):
    part = case.decompose()
    assert regions.certify(part, complete=True).n_cells == part.n_cells
