"""``regions.certify`` a chunk of points at a time, in threads: the same report as all points
at once, and a wrong pattern or output map is caught in any chunk."""

from __future__ import annotations

import dataclasses
import importlib

import pytest
from hypothesis import given, settings

import regions
from regions import testing, threads

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


def test_a_wrong_output_map_shows_in_the_worst_error(monkeypatch):
    monkeypatch.setattr(certify_module, "CHUNK_POINTS", 2)
    monkeypatch.setattr(threads, "MIN_CHUNKS", 1)
    part = regions.decompose(testing.mlp(8, 3, "he+bias", seed=2), (-2, 2, -2, 2))
    assert regions.certify(part).worst_map_error < 1e-12
    A, c = part._output_maps
    c = c.copy()
    c[len(c) - 1] += 0.5  # the last cell's constant term off by a half
    monkeypatch.setitem(part.__dict__, "_output_maps", (A, c))
    assert regions.certify(part).worst_map_error > 0.1
