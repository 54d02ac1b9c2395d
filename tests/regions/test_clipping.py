"""Cells against a non-convex domain (regions.clipping): whole, crossed or outside."""

from __future__ import annotations

from fractions import Fraction
from functools import partial

import numpy as np
import pytest
import shapely

from regions.clipping import (
    CellBounds,
    _exact_pieces,
    _fragile,
    _snap_clipped,
    cell_sides,
    clipped_cells,
)
from regions.domain import as_domain
from regions.edge_clipping import edges_meet_interior
from regions.overlays import union_of_cells

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
    out = clipped_cells(cells, ELL, CellBounds(np.zeros(4), exactly(cells)))
    assert out.region_cell.tolist() == [0, 1, 2] and out.whole.tolist() == [True, True, False]
    assert out.piece.tolist() == [-1, -1, 0]  # counted exactly: (2, 1) is not known exact
    assert shapely.area(out.geometries) == pytest.approx([1.0, 1.0, 33 / 24])  # 7/6 below y = 1


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


def test_a_sliver_on_a_shared_hull_edge_is_whole():
    # A sliver cell (float area 1e-16) whose long side lies on a hull edge that is also the
    # domain's, far from the rest of the boundary: whole. GEOS put its hull's centroid at
    # (3.03, -9.25), outside the domain, and the cell was dropped.
    domain = as_domain(
        shapely.Polygon(
            [
                (0.6198100405854762, 0.5018776491601488),
                (0.5536410185859969, 1.2351667239061492),
                (-0.021988329224261787, 1.0296032754473874),
                (-1.394406833461411, 1.8308285031157758),
                (-1.0000857272435209, 0.30996816172157005),
                (-0.9377791884530399, -0.6606453316586527),
                (0.18615556983634468, -1.2106370593026003),
                (1.3937174523340259, -0.39283455523219657),
            ]
        )
    )
    sliver = shapely.Polygon(
        [
            (-0.29316859197645945, 0.7130382287045829),
            (-0.29316881832405917, 0.7130389077473821),
            (0.31823928913051264, -1.1211854146694649),
            (0.3182392891305127, -1.1211854146694646),
        ]
    )
    cells = np.array([sliver])
    assert not shapely.intersects(domain.polygon, shapely.centroid(shapely.convex_hull(sliver)))
    whole, crossed = cell_sides(cells, np.array([2.76e-14]), domain, exactly(cells))
    assert whole.tolist() == [True] and crossed.tolist() == [False]


def test_a_cell_with_corners_an_ulp_apart_is_clipped_whole():
    # A triangle of area 2e8 inside the domain, two of its corners rounded to several floats
    # an ulp apart (its exact cell has them distinct). GEOS intersected it with the domain as
    # two points, and the cell, which the boundary crosses next to a corner, lost its area.
    domain = as_domain(
        shapely.Polygon(
            [
                (245007.62467186677, 58150.26803132774),
                (56744.13424546231, 120610.29835336971),
                (-57354.160392006495, 251274.47095312676),
                (-224254.46739527004, 103611.44674670661),
                (-159933.14469618737, -104380.42364691163),
                (-6947.361263110019, -107464.11793151822),
                (342428.84309213766, -302370.76771626715),
            ]
        )
    )
    ring = [
        (-159596.44493175246, -99067.75219715716),
        (-224254.46739527004, 103611.4467467066),
        (-224254.46739527, 103611.4467467066),
        (-224254.46739527004, 103611.44674670661),
        (-159933.14469618737, -104380.42364691163),
        (-159933.14469618737, -104380.42364691161),
    ]
    cells = np.array([shapely.Polygon(ring)])
    out = clipped_cells(cells, domain, None)  # clipped in floats
    region_cell, geoms, whole = out.region_cell, out.geometries, out.whole
    assert region_cell.tolist() == [0] and whole.tolist() == [False]
    assert shapely.area(geoms[0]) == pytest.approx(shapely.Polygon(ring[::2]).area, rel=1e-9)


def test_edges_through_the_interior_of_the_l_shape():
    # Inside; along the L's edge; from the reflex corner out of the L; across the notch (in,
    # out, in again); outside; an edge whose float copy lies inside by 1e-9 while its exact
    # ends, within their bound 2e-9, are on the L's edge; and one whose float copy is on the
    # L's edge, or outside by 1e-12, while its exact ends are inside by 1e-12.
    d = 1e-9
    ends = np.array(
        [
            [(0.2, 0.2), (0.8, 0.5)],
            [(1, 1), (1, 2)],
            [(1, 1), (2, 2)],
            [(0.5, 1.5), (2, 0.5)],
            [(1.5, 1.5), (1.9, 1.9)],
            [(1 - d, 1.2), (1 - d, 1.8)],
            [(1, 1.2), (1, 1.8)],
            [(1 + 1e-12, 1.2), (1 + 1e-12, 1.8)],
        ]
    )
    reach = np.array([0, 0, 0, 0, 0, 2 * d, 2 * d, 2 * d])
    exact = [tuple(tuple(map(Fraction, p)) for p in e) for e in ends]
    exact[5] = ((Fraction(1), Fraction(6, 5)), (Fraction(1), Fraction(9, 5)))
    x = 1 - Fraction(1, 10**12)
    exact[6] = exact[7] = ((x, Fraction(6, 5)), (x, Fraction(9, 5)))
    meets = edges_meet_interior(ends, reach, ELL, lambda e: exact[e])
    assert meets.tolist() == [True, False, False, True, False, False, True, True]


def test_float_pieces_are_matched_to_the_exact_ones():
    # One cell, the box [0, 2] x [1, 2], across the L's arm: a single exact piece [0, 1] x
    # [1, 2]. As float pieces: two fat parts of it (a neck float64 might have cut) and a
    # strip 3e-9 wide between them (wider than the cell's bound 1e-9 and rounding's few ulps)
    # are one region, a MultiPolygon of the three; a sliver outside the L and a sliver
    # duplicating a part go. A cell thinner than its margin across the L's edge y = 1, whose
    # only float piece is a sliver outside, gets a point at its exact piece below y = 1.
    eps = 2.0**-60
    cells = np.array([shapely.box(0, 1, 2, 2), shapely.box(1.5, 0.5, 1.5 + 2**-40, 1.5)])
    geoms = np.array(
        [
            shapely.box(0.2, 1.2, 0.2 + eps, 1.8),  # inside the first part
            shapely.box(0, 1, 0.4, 2),
            shapely.box(0.5, 1, 1, 2),
            shapely.box(1.5, 1.5, 1.5 + eps, 1.6),  # outside: no exact piece
            shapely.box(0.45, 1.2, 0.45 + 3e-9, 1.8),  # wider than rounding makes: a part
            shapely.box(1.5, 1.2, 1.5 + eps, 1.3),  # the second cell's, outside
        ]
    )
    region_cell = np.array([0, 0, 0, 0, 0, 1])
    keep, out, piece, more, dots = _exact_pieces(
        cells,
        np.ones(2, dtype=bool),
        region_cell,
        geoms,
        ELL,
        CellBounds(np.full(2, 1e-9), exactly(cells)),
    )
    assert keep.tolist() == [False, True, False, False, False, False]
    assert shapely.get_num_geometries(out[1]) == 3
    assert shapely.area(out[1]) == pytest.approx(0.4 + 0.5 + 3e-9 * 0.6, rel=1e-12)
    assert shapely.equals(geoms[1], shapely.box(0, 1, 0.4, 2))  # the input is left as it was
    assert piece[1] == 0 and more.tolist() == [[1, 0]]  # the second cell's exact piece 0
    (x, y), *_ = shapely.get_coordinates(dots[0])  # a zero-area polygon at one point
    assert 1.5 < x < 1.5 + 2**-40 and 0.5 < y < 1 and shapely.area(dots[0]) == 0


def test_a_cell_with_a_corner_an_ulp_off_the_domains_keeps_its_area():
    # A cell of a decomposition (found by a random campaign) with two corners an ulp apart,
    # one of them the domain's corner at (-0.412..., 0.592...): GEOS's float overlay met it
    # with the domain in two points, so its region was a zero-area trace and 0.72 of the
    # domain's area was lost. Snap-rounding to a grid of a few ulps clips it whole.
    domain = as_domain(
        shapely.Polygon(
            [
                (1.1627033124572457, 0.5096817972607266),
                (1.661522375358436, 1.5729990960024847),
                (0.6293871956562204, 1.533037176464544),
                (0.2016263535807143, 0.8871541845050377),
                (-0.4123283617275064, 0.5924186649083235),
                (-1.1441256393187547, -0.5220411732514483),
                (0.12579234411168244, -0.6438760779251806),
                (0.8606253612131622, -1.0369736453873575),
                (2.3188450386944854, -0.3312692759054102),
            ]
        )
    )
    corners = [
        (0.14490155735237947, -0.5220411732514483),
        (-0.4123283617275065, 0.5924186649083236),
        (-0.4123283617275064, 0.5924186649083235),
        (-1.1441256393187547, -0.5220411732514483),
    ]
    exact = [  # the cell's exact corners, where its lines cross
        ("4702324381484776053214382869539/32451855365842674479755453005824", corners[0][1]),
        (
            "-121489898594095833731904119250741969318364603241/"
            "294643565349463675312668896789964764735323766784",
            "87276173804078821331697927254020377426698462057/"
            "147321782674731837656334448394982382367661883392",
        ),
        corners[2],
        corners[3],
    ]
    exact = [(Fraction(x), Fraction(y)) for x, y in exact]
    cells = np.array([shapely.Polygon(corners)])
    out = clipped_cells(cells, domain, CellBounds(np.full(1, 7e-15), lambda c: exact))
    assert out.region_cell.tolist() == [0] and not out.whole[0]  # the domain's corner is its
    assert shapely.area(out.geometries[0]) == pytest.approx(0.7182845204928, rel=1e-12)


def test_a_domain_corner_that_is_exactly_a_cells_corner_is_not_fragile():
    # The L's corner (2, 1) is a corner of its hull, so exactly a corner of the cells there:
    # a cell with its pinned vertex (bound 0) there needs no exact pieces; the same cell
    # without the vertex known exact, or with a second vertex rounded onto the corner, does.
    cells = np.array([shapely.Polygon([(1.5, 0.5), (2, 0.5), (2, 1), (1.5, 1.5)])])
    ring = shapely.get_coordinates(cells[0])[:-1]
    fragile = partial(_fragile, cells, np.array([0]), ELL)
    assert not fragile(
        CellBounds(
            np.full(1, 1e-12), exactly(cells), np.zeros(4, int), ring, np.r_[1e-12, 1e-12, 0, 1e-12]
        )
    )[0]
    assert fragile(CellBounds(np.full(1, 1e-12), exactly(cells)))[0]
    doubled = np.insert(ring, 3, ring[2], axis=0)
    assert fragile(
        CellBounds(
            np.full(1, 1e-12),
            exactly(cells),
            np.zeros(5, int),
            doubled,
            np.r_[1e-12, 1e-12, 0, 1e-12, 1e-12],
        )
    )[0]


def test_slivers_that_snap_rounding_cannot_clip_are_left_to_their_traces():
    # Two slivers of a decomposition (found by a random campaign), 1e-11 wide at 3e5, a fifth
    # of an ulp there, beside the domain's corner (-329389.26293..., -159893.73418...):
    # GEOS's snap-rounding overlay threw "Ring edge missing" on the second, and the whole
    # decomposition failed. Each cell is now clipped alone where the batch fails, and a
    # cell GEOS cannot clip comes out empty (its trace is its region).
    domain = as_domain(
        shapely.Polygon(
            [
                (170718.70517284353, 51383.56922874172),
                (98133.61763995759, 90679.96603001418),
                (-24102.218435719835, 331093.40421091765),
                (-134974.8476501927, 145509.72979493937),
                (-388920.80845201685, 97771.43307519548),
                (-329389.2629350829, -159893.73418112096),
                (-122345.14588898074, -250741.90603303973),
                (182022.10416737635, -444804.3907020965),
                (169305.85358174416, -73422.1641153277),
            ]
        )
    )
    a, b = (-329389.26282811456, -159893.7342407137), (-329389.263085222, -159893.73353128717)
    cells = shapely.polygons(
        [
            [
                a,
                (-329389.2628281147, -159893.73424071376),
                b,
                (-329389.2630852219, -159893.73353128726),
            ],
            [
                (-329389.26282811456, -159893.73424071382),
                (-329389.263085222, -159893.73353128668),
                (-329389.26308522193, -159893.73353128677),
                (-329389.26282811456, -159893.73424071376),
            ],
        ]
    )
    with pytest.raises(shapely.errors.GEOSException):
        domain.clip(cells, grid_size=4 * float(np.spacing(4e5)))
    clipped = _snap_clipped(cells, domain)
    assert len(clipped) == 2 and shapely.is_empty(clipped[1]) and shapely.area(clipped).sum() == 0


def test_a_union_that_is_not_valid_is_not_taken() -> None:
    """Two cells whose shared edge rounding tilted apart by 2e-9 (each vertex within 1e-9 of
    its exact point): GEOS's coverage union returns them as an invalid MultiPolygon with the
    right area; the union taken is a valid one."""
    cells = np.array(
        [shapely.box(0, 0, 1, 1), shapely.Polygon([(1 - 1e-9, 0), (2, 0), (2, 1), (1 + 1e-9, 1)])]
    )
    assert not shapely.coverage_union_all(cells).is_valid
    union = union_of_cells(cells, as_domain((0, 2, 0, 1)), 1e-9)
    assert union.is_valid
    assert union.area == pytest.approx(2.0, abs=4e-9)
