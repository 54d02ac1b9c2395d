"""Cells against a non-convex domain (regions.clipping): whole, crossed or outside."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import shapely

from regions.clipping import cell_sides, clipped_cells
from regions.domain import as_domain

ELL = as_domain(shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]))


def exactly(cells: np.ndarray):
    """Exact corners that are the float ones."""
    return lambda c: [tuple(map(Fraction, p)) for p in np.asarray(cells[c].exterior.coords)[:-1]]


def test_cells_of_the_l_shape():
    # A square on the L's edges, one in its arm, one that the reflex corner enters, and a
    # triangle beyond the L with an edge on the L's.
    rings = [
        [(0, 0), (1, 0), (1, 1), (0, 1)],
        [(0, 1), (1, 1), (1, 2), (0, 2)],
        [(1, 0), (2, 0), (2, 1), (1.5, 1.5), (0.5, 1.5)],
        [(1, 1.5), (2, 1), (1, 2)],
    ]
    cells = np.array([shapely.Polygon(r) for r in rings])
    whole, crossed = cell_sides(cells, np.zeros(4), ELL, exactly(cells))
    assert whole.tolist() == [True, True, False, False]
    assert crossed.tolist() == [False, False, True, False]  # the last lies outside
    region_cell, geoms = clipped_cells(cells, ELL, (np.zeros(4), exactly(cells)))
    assert region_cell.tolist() == [0, 1, 2]
    assert shapely.area(geoms) == pytest.approx([1.0, 1.0, 33 / 24])  # 7/6 below y = 1


def test_a_cell_within_its_reach_of_the_boundary_is_judged_exactly():
    # The float square stops 1e-6 short of the L's reflex edge x = 1 (for y > 1); its exact
    # cell (within its reach, 1e-5) goes 1e-6 past it. Floats alone would call it whole.
    cells = shapely.polygons([[(0, 1.2), (1 - 1e-6, 1.2), (1 - 1e-6, 1.8), (0, 1.8)]])
    beyond = [(Fraction(0), Fraction(1.2)), (1 + Fraction(1, 10**6), Fraction(1.2))]
    beyond += [(1 + Fraction(1, 10**6), Fraction(1.8)), (Fraction(0), Fraction(1.8))]
    whole, crossed = cell_sides(cells, np.array([1e-5]), ELL, lambda c: beyond)
    assert crossed.tolist() == [True] and whole.tolist() == [False]
    # Within the reach but exactly where the floats are: whole, decided exactly.
    whole, crossed = cell_sides(cells, np.array([1e-5]), ELL, exactly(cells))
    assert whole.tolist() == [True] and crossed.tolist() == [False]
