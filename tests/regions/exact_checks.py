"""Exact checks of a partition, judged by the oracle in rational arithmetic (no tolerances
on patterns or on where a point lies). Each names what failed, how often, and where first."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np
import shapely

import regions
from regions.exact_geometry import (
    boundary_meets_interior,
    cell_pieces,
    is_simple,
    point_side,
    polygon_area,
    rational_grid,
)
from regions.exact_segments import inside_midpoints, segment_meets_interior
from regions.oracle import as_fractions, exact_eval, exact_patterns, exact_signs

UP_RIGHT = ((1, 0), (0, 1))  # "just beside a point": p + e (1, 0) + e^2 (0, 1)
BOUNDARY_ULPS = 16  # allowed rounding of a cut vertex off a slanted domain edge


def cells(part: regions.Partition) -> list[np.ndarray]:
    """The convex cells' float vertex rings (k, 2)."""
    return np.split(part.vertices[part.ring], part.start[1:-1])


def region_side(part: regions.Partition, r: int, point: object) -> int:
    """Where a point lies relative to region r, exactly: 1 inside, 0 on it, -1 outside. A
    clipped region may have holes, or be a MultiPolygon of parts that float64 keeps apart (the
    exact region joins them by a neck thinner than float64 resolves): inside any part."""
    if part.domain.convex:
        return int(point_side([point], part.polygons[r])[0])
    return max(int(point_side([point], p)[0]) for p in shapely.get_parts(part.to_shapely()[r]))


def whole_cells(part: regions.Partition) -> np.ndarray:
    """Whether each region (R,) is its whole convex cell: always on a convex domain; on a
    non-convex one, where its polygon is the cell's, unclipped."""
    if part.domain.convex:
        return np.ones(len(part), dtype=bool)
    cells = shapely.orient_polygons(part.cell_geometries()[part.region_cell])
    return shapely.equals_exact(cells, part.to_shapely(), tolerance=0.0)


def resolution(part: regions.Partition) -> float:
    """How far float64 coordinates on the domain's hull are apart at most: an ulp of the
    largest coordinate."""
    return float(np.spacing(np.abs(part.domain.hull).max()))


def check_interior_points(part: regions.Partition) -> None:
    """Every region's point is strictly inside its polygon and shows the region's pattern,
    exactly; patterns are distinct on a convex domain."""
    pts = list(part.points)
    outside = [r for r in range(len(part)) if region_side(part, r, pts[r]) != 1]
    # A region thinner than float64 resolves has no float point inside: judge a whole cell at
    # the mean of its exact corners, strictly inside the exact cell.
    whole = whole_cells(part)
    thin = [r for r in outside if whole[r] and part.cut_state is not None]
    for r in thin:
        pts[r] = part.exact_point(int(part.region_cell[r]))
        corners = part.exact_corners(int(part.region_cell[r]))
        assert point_side([pts[r]], corners)[0] == 1, f"region {r} is empty"
        # Off the domain only where the domain's boundary crosses the cell: then its interior
        # meets the domain's near the crossing (float64 clipping left it no piece).
        assert point_side([pts[r]], part.domain.polygon)[0] == 1 or boundary_meets_interior(
            part.domain.polygon, corners
        ), f"region {r} lies outside the domain"
    outside = [r for r in outside if r not in thin]
    if not part.domain.convex:
        # Clipping a cell that the domain's boundary crosses is float64 geometry (README, "How
        # exact is exact"): a piece thinner than the coordinates' resolution may have no
        # float point inside.
        thinner = part.areas <= 4 * resolution(part) * shapely.length(part.to_shapely())
        outside = [r for r in outside if not thinner[r]]
    assert not outside, (
        f"{len(outside)} of {len(part)} interior points are not strictly inside their region "
        f"(first: region {outside[0]}, point {pts[outside[0]].tolist()})"
    )
    exact = exact_patterns(part.network, part.plane, pts)
    wrong = np.flatnonzero(np.any(exact != part.patterns, axis=1))
    if part.cut_state is not None:
        # A float point in a float polygon can still miss an exact region a few ulps wide:
        # such a region is judged at its convex cell's exact corners' mean, strictly inside
        # the cell (the pattern is constant on the cell, clipped or not).
        for r in wrong.tolist():
            cell = int(part.region_cell[r])
            corners = part.exact_corners(cell)
            if point_side(pts[r][None] if r not in thin else [pts[r]], corners)[0] != 1:
                pts[r] = part.exact_point(cell)
                assert point_side([pts[r]], corners)[0] == 1, f"region {r} is empty"
                exact[r] = exact_patterns(part.network, part.plane, [pts[r]])[0]
        wrong = np.flatnonzero(np.any(exact != part.patterns, axis=1))
    assert not wrong.size, (
        f"{wrong.size} of {len(part)} regions carry a pattern that differs from the exact one at "
        f"their interior point (first: region {wrong[0]} at {pts[wrong[0]]}, columns "
        f"{np.flatnonzero(exact[wrong[0]] != part.patterns[wrong[0]]).tolist()})"
    )
    if part.domain.convex:
        assert len(np.unique(part.patterns, axis=0)) == len(part), "two regions share a pattern"


def _distance2(p: tuple, a: tuple, b: tuple) -> Fraction:
    """Squared distance from p to the segment ab, exactly."""
    d = (b[0] - a[0], b[1] - a[1])
    t = ((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / (d[0] ** 2 + d[1] ** 2)
    t = min(max(t, Fraction(0)), Fraction(1))
    q = (a[0] + t * d[0], a[1] + t * d[1])
    return (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2


def check_tiling(part: regions.Partition) -> None:
    """The cells tile the domain's hull, exactly: each is a simple polygon of positive exact
    area (counter-clockwise); every edge is shared with one neighbour in the opposite
    direction or lies on one edge of the hull; the exact areas add up to the hull's. (Then
    every point of the hull is covered once. Convexity is not asserted: a vertex rounded to
    float64 on a neighbour's straight edge may make a cell reflex by a rounding error.)

    On an axis-aligned hull (a box) cut vertices lie on the box exactly and the areas add
    up exactly. A cut vertex on a slanted edge is a rounded intersection: it may lie up to
    BOUNDARY_ULPS units in the last place off the edge, or, where the cut line meets the edge
    at a shallow angle, as far as its rigorous distance bound from the exact vertex (which is
    on the edge) allows; the area may differ by as much along the perimeter. Regions clipped
    to a non-convex domain add up to its area to 1e-12."""
    hull = shapely.orient_polygons(part.domain.polygon.convex_hull)
    corners = as_fractions(np.asarray(hull.exterior.coords)[:-1])
    edges_of_hull = list(zip(corners, corners[1:] + corners[:1], strict=True))
    boxlike = all(a[0] == b[0] or a[1] == b[1] for a, b in edges_of_hull)
    slack = Fraction(0) if boxlike else Fraction(BOUNDARY_ULPS * resolution(part))
    rings = cells(part)
    areas = [polygon_area(ring) for ring in rings]
    # A cell thinner than float64 resolves may round to a degenerate ring; its exact corners
    # (rebuilt from the vertices' provenance) must then span a simple polygon of positive area.
    thin = [c for c, ring in enumerate(rings) if areas[c] <= 0 or not is_simple(ring)]
    if part.cut_state is not None:
        thin = [
            c
            for c in thin
            if not (polygon_area(part.exact_corners(c)) > 0 and is_simple(part.exact_corners(c)))
        ]
    bad = [c for c in thin if areas[c] <= 0]
    assert not bad, f"{len(bad)} of {len(rings)} cells have no positive exact area ({bad[:5]})"
    tangled = [c for c in thin if c not in bad]
    assert not tangled, f"{len(tangled)} cells' boundaries meet themselves (first: {tangled[0]})"
    # Edges are matched by vertex identity: two exact vertices closer than float64 resolves
    # may share float coordinates, but never an id.
    ids = np.split(part.ring, part.start[1:-1])
    directed = Counter(
        (int(a), int(b)) for ring in ids for a, b in zip(ring, np.roll(ring, -1), strict=True)
    )
    assert max(directed.values()) == 1, "two cells share an edge in the same direction (overlap)"
    lone = [list(e) for e in directed if (e[1], e[0]) not in directed]
    # How far each boundary vertex may be off the edge it is exactly on.
    r = part.cut_state.r if part.cut_state is not None and not boxlike else None
    allowed = {
        v: slack if r is None else max(slack, Fraction(float(r[v]))) for e in lone for v in e
    }
    off = [
        e
        for e in lone
        if not any(
            all(
                _distance2(p, a, b) <= allowed[v] ** 2
                for v, p in zip(e, as_fractions(part.vertices[e]), strict=True)
            )
            for a, b in edges_of_hull
        )
    ]
    assert not off, (
        f"{len(off)} cell edges have no neighbour across them and do not lie on the domain's "
        f"boundary (first: {part.vertices[off[0]].tolist()}): the cells do not conform or do "
        "not reach the boundary"
    )
    total, exact_area = sum(areas), polygon_area(hull)
    perimeter = Fraction(hull.exterior.length) + 1
    assert abs(total - exact_area) <= max(allowed.values(), default=slack) * perimeter, (
        f"cells cover {float(total)!r} of the hull's exact area {float(exact_area)!r}"
    )
    if not part.domain.convex:
        # Whole cells are the cells above. The pieces of the cells that the domain's boundary
        # crosses are float64 geometry: their vertices within their cell's bounds r (a
        # vertex's, as above, or a GEOS crossing of its edges) and a few ulps.
        geoms, whole = part.to_shapely(), whole_cells(part)
        # A piece of zero area stands for an exact piece of a cell that the boundary crosses
        # (decided here exactly) that float64 clipping lost. A crossed cell has exactly as
        # many regions as exact pieces (counted here in rationals).
        traces = np.flatnonzero(~whole & ~(shapely.area(geoms) > 0))
        assert all(
            boundary_meets_interior(part.domain.polygon, part.exact_corners(int(c)))
            for c in np.unique(part.region_cell[traces])
        ), "a region of zero area lies in a cell that the domain's boundary does not cross"
        held = np.bincount(part.region_cell, minlength=part.n_cells)
        wrong = [
            (int(c), int(held[c]), n)
            for c in np.unique(part.region_cell[~whole])
            if (n := len(cell_pieces(part.domain.polygon, part.exact_corners(int(c))))) != held[c]
        ]
        assert not wrong, (
            f"{len(wrong)} crossed cells have other numbers of regions than exact pieces "
            f"(first: cell {wrong[0][0]}, {wrong[0][1]} regions, {wrong[0][2]} pieces)"
        )
        r = part.cut_state.r if part.cut_state is not None else np.zeros(len(part.vertices))
        reach = np.maximum.reduceat(r[part.ring], part.start[:-1])
        clipped = shapely.length(geoms[~whole]) * (
            16 * resolution(part) + reach[part.region_cell[~whole]]
        )
        slack = clipped.sum() + float(max(allowed.values(), default=slack)) * float(perimeter)
        # Whole cells by their exact areas, as above: a thin cell's float ring may turn the
        # other way within its bounds, and shapely counts it positive.
        exact_whole = sum(areas[c] for c in part.region_cell[whole])
        error = abs(float(exact_whole) + shapely.area(geoms[~whole]).sum() - part.domain.area)
        assert error <= 1e-12 * part.domain.area + slack, (error, slack, part.domain.area)


def near_vertex_points(part: regions.Partition) -> np.ndarray:
    """Float points 2^-8 and 2^-32 of the way from every cell vertex to the cell's vertex
    mean, strictly inside the domain: where a thin region along an edge or at a corner that
    the cell wrongly covers would be."""
    corner = part.vertices[part.ring]
    lengths = np.diff(part.start)
    mean = np.add.reduceat(corner, part.start[:-1], axis=0) / lengths[:, None]
    towards = np.repeat(mean, lengths, axis=0) - corner
    pts = np.concatenate([corner + t * towards for t in (2.0**-8, 2.0**-32)])
    pts = np.unique(pts, axis=0)
    return pts[point_side(pts, part.domain.polygon) == 1]


def check_completeness(part: regions.Partition, grid: int = 40) -> None:
    """Every pattern the oracle finds just beside a point of an n x n grid, or near a cell
    vertex, is a region's; each grid point on no breakpoint whose float forward pattern is
    exact is located in a region with that pattern."""
    net, plane = part.network, part.plane
    pts = rational_grid(part.domain, grid)
    sample = np.concatenate([pts, near_vertex_points(part)])
    beside = exact_patterns(net, plane, sample, toward=UP_RIGHT)
    known = {row.tobytes() for row in part.patterns}
    missing = [i for i, row in enumerate(beside) if row.tobytes() not in known]
    assert not missing, (
        f"{len(missing)} of {len(sample)} exact patterns beside grid and near-vertex points are "
        f"not the pattern of any region (first beside {sample[missing[0]].tolist()}: "
        f"{beside[missing[0]].astype(int).tolist()}; {len(part)} regions)"
    )
    check_locate(part, pts)


def check_locate(part: regions.Partition, pts: np.ndarray) -> None:
    """``locate`` is exact: at grid points, at every float vertex (on boundaries or within
    an ulp of them), at the domain's corners and just outside them, a point gets -1 exactly
    when it is outside the domain, and otherwise a region whose pattern agrees with every
    nonzero exact sign at the point (a region whose closure holds it); one beside the point
    toward the domain's inside where it lies on breakpoints. The domain's own corners are
    tried too, and on a non-convex domain a clipped region must be an exact piece of its cell
    whose closure holds the point (:func:`_in_closure`)."""
    hull = part.domain.hull
    out = hull + 2.0**-40 * (hull - hull.mean(axis=0)) + np.spacing(np.abs(hull).max())
    corners = shapely.get_coordinates(part.domain.polygon)
    sample = np.unique(np.concatenate([pts, part.vertices, hull, out, corners]), axis=0)
    found = part.locate(sample)
    inside = point_side(sample, part.domain.polygon) >= 0
    assert np.array_equal(found >= 0, inside), "locate disagrees with the domain, exactly"
    pattern = part.patterns[found[inside]]
    signs = exact_signs(part.network, part.plane, sample[inside])[:, : pattern.shape[1]]
    clash = ((signs > 0) & ~pattern) | ((signs < 0) & pattern)
    wrong = np.flatnonzero(clash.any(axis=1))
    assert not wrong.size, (
        f"{wrong.size} of {inside.sum()} points are located in a region that does not hold "
        f"them (first: {sample[inside][wrong[0]].tolist()} in region {found[inside][wrong[0]]})"
    )
    if part.domain.convex:
        return
    whole = whole_cells(part)
    pieces = {}  # cell: region_pieces
    for p, r in zip(sample[inside].tolist(), found[inside].tolist(), strict=True):
        if whole[r]:  # the region's closure is its cell's, which holds the point
            continue
        c = int(part.region_cell[r])
        if c not in pieces:
            pieces[c] = region_pieces(part, c)
        cp, regions_of = pieces[c]
        if regions_of is None:
            continue
        piece = {region: k for k, region in regions_of.items()}[r]
        assert _in_closure(cp, piece, p), (
            f"{p} is located in region {r}, a piece of cell {c} whose closure does not hold it"
        )


def region_pieces(part: regions.Partition, c: int) -> tuple:
    """Cell ``c``'s exact pieces in the domain (``cell_pieces``), and the region of each, the
    region being the piece that holds its interior point (None where the regions' points do
    not hold one piece each: not judged)."""
    cp = cell_pieces(part.domain.polygon, part.exact_corners(c))
    mine = np.flatnonzero(part.region_cell == c)
    held = cp.piece_of(part.points[mine])
    ok = (held >= 0).all() and len(set(held.tolist())) == len(mine) == len(cp)
    return cp, dict(zip(held.tolist(), mine.tolist(), strict=True)) if ok else None


def _in_closure(cp: object, piece: int, point: list) -> bool:
    """Whether ``point`` lies in the closure of an exact piece: in one of its sweep's closed
    trapezoids, each judged as the convex polygon of its four corners."""
    x, y = (Fraction(v) * cp.scale for v in point)
    for s, slab in enumerate(cp.trapezoids):
        x0, x1 = cp.bounds[s], cp.bounds[s + 1]
        for lower, upper, k in slab:
            if k != piece:
                continue
            quad = [_at(lower, x0), _at(lower, x1), _at(upper, x1), _at(upper, x0)]
            sides = [
                (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0])
                for a, b in zip(quad, quad[1:] + quad[:1], strict=True)
                if a != b
            ]
            if all(side >= 0 for side in sides):
                return True
    return False


def _at(edge: tuple, x: Fraction) -> tuple[Fraction, Fraction]:
    """The point of a non-vertical segment's line at ``x``."""
    (ax, ay), (bx, by) = edge
    return x, Fraction(ay) + Fraction(by - ay) * (x - ax) / (bx - ax)


def check_neighbours(part: regions.Partition) -> None:
    """On a non-convex domain, two regions are neighbours exactly where an edge between
    their cells borders both inside the domain's interior, judged in rationals: for cells that
    are one region each, where the edge runs through the domain's interior (at the edges'
    exact ends); for pieces of a cell cut into more, where points beside the edge's inside
    pieces (:func:`_across`) lie in their exact pieces (``cell_pieces``), each region being
    the exact piece that holds its interior point."""
    if part.domain.convex:
        return
    counts = np.bincount(part.region_cell, minlength=part.n_cells)
    sides: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for c, ring in enumerate(np.split(part.ring, part.start[1:-1])):
        for a, b in zip(ring.tolist(), np.roll(ring, -1).tolist(), strict=True):
            sides.setdefault((min(a, b), max(a, b)), []).append((c, a, b))
    exact = part.cut_state.exact
    pieces = {}  # cell: region_pieces
    expected, judged = set(), set()
    for twins in sides.values():
        if len(twins) != 2 or min(counts[c] for c, _, _ in twins) == 0:
            continue
        (left, a, b), (right, _, _) = twins  # a -> b runs counter-clockwise round left
        p, q = exact.point(a).point, exact.point(b).point
        if counts[left] == counts[right] == 1:
            if segment_meets_interior(part.domain.polygon, p, q):
                expected.add(
                    tuple(sorted(np.flatnonzero(np.isin(part.region_cell, [left, right])).tolist()))
                )
            judged.add((left, right))
            continue
        for c in (left, right):
            if c not in pieces:
                pieces[c] = region_pieces(part, c)
        if pieces[left][1] is None or pieces[right][1] is None:
            continue
        judged.add((left, right))
        for pl, pr in _across(part, p, q, left, right):
            ra = pieces[left][1][int(pieces[left][0].piece_of([pl])[0])]
            rb = pieces[right][1][int(pieces[right][0].piece_of([pr])[0])]
            expected.add((min(ra, rb), max(ra, rb)))
    cell = part.region_cell
    found = {
        tuple(p)
        for p in part.adjacency().pairs.tolist()
        if (cell[p[0]], cell[p[1]]) in judged or (cell[p[1]], cell[p[0]]) in judged
    }
    assert found == expected, (
        f"neighbours: {len(found - expected)} found that are not, {len(expected - found)} "
        f"missed (first: {sorted(expected ^ found)[0]})"
    )


def _across(part: regions.Partition, p: tuple, q: tuple, left: int, right: int) -> list:
    """For each piece of the edge pq between cells ``left`` and ``right`` (on its left and
    right) inside the domain's interior, a point strictly inside each cell and the domain
    beside the piece's midpoint: nearer to it than the domain's boundary and the cells'
    other sides, so in the exact piece of each cell that borders the edge there."""
    rings = [part.domain.polygon.exterior, *part.domain.polygon.interiors]
    edges = [
        (tuple(map(Fraction, r.coords[i])), tuple(map(Fraction, r.coords[i + 1])))
        for r in rings
        for i in range(len(r.coords) - 1)
    ]
    for c in (left, right):
        corners = part.exact_corners(c)
        edges += [
            (a, b)
            for a, b in zip(corners, corners[1:] + corners[:1], strict=True)
            if a != b and not (_on_line(a, p, q) and _on_line(b, p, q))
        ]
    normal = (p[1] - q[1], q[0] - p[0])  # towards the left cell
    length2 = normal[0] ** 2 + normal[1] ** 2
    out = []
    for m in inside_midpoints(part.domain.polygon, p, q):
        clear = min(_distance2(m, a, b) for a, b in edges)
        t = Fraction(1)
        while t * t * length2 >= clear:
            t /= 2
        out.append(tuple((m[0] + s * t * normal[0], m[1] + s * t * normal[1]) for s in (1, -1)))
    return out


def _on_line(v: tuple, p: tuple, q: tuple) -> bool:
    return (q[0] - p[0]) * (v[1] - p[1]) - (q[1] - p[1]) * (v[0] - p[0]) == 0


def check_boundaries(part: regions.Partition) -> None:
    """On a non-convex domain, the breakpoints' boundaries are pieces of the cells' edges:
    each end is a vertex of the partition, or where the piece leaves the domain, within
    rounding of its boundary."""
    if not part.domain.convex:
        _check_ends(part, part.boundaries().segments, part.vertices, "boundaries")


def _check_ends(
    part: regions.Partition, segments: np.ndarray, vertices: np.ndarray, what: str
) -> None:
    """Each end of the clipped ``segments`` is one of the ``vertices`` or, where a piece
    leaves the domain, within rounding of its boundary."""
    ends = segments.reshape(-1, 2)
    known = {tuple(v) for v in vertices.tolist()}
    vertex = np.array([tuple(e) in known for e in ends.tolist()], dtype=bool)
    off = shapely.distance(part.domain.polygon.boundary, shapely.points(ends[~vertex]))
    assert np.all(off <= BOUNDARY_ULPS * resolution(part)), (
        f"{np.count_nonzero(off > BOUNDARY_ULPS * resolution(part))} ends of {what} are "
        "neither vertices nor on the domain's boundary"
    )


def _predicted(logits: tuple[Fraction, ...]) -> int:
    """The class a point's exact logits predict: argmax, ties to the lower index; for one
    logit, 1 where it is positive."""
    if len(logits) == 1:
        return int(logits[0] > 0)
    return max(range(len(logits)), key=lambda k: (logits[k], -k))


def check_decisions(part: regions.Partition) -> None:
    """The class cells behind ``decision_boundary`` and ``predicted_region`` are exact: each
    predicts its class at its exact corners' mean, strictly inside it; along every edge
    between cells of two classes, both classes' logits are the largest, and equal, at the
    edge's exact ends (for one logit: it is 0 there). Full-depth partitions from decompose."""
    if part.cut_state is None or part.depth < part.network.n_layers:
        return
    cells, cls, _ = part._class_cells
    net, plane, position = part.network, part.plane, part.cut_state.exact.position
    rings = np.split(cells.ring, cells.start[1:-1])
    corners = [[position(v) for v in ring.tolist()] for ring in rings]
    means = [(sum(p[0] for p in c) / len(c), sum(p[1] for p in c) / len(c)) for c in corners]
    assert all(point_side([m], c)[0] == 1 for m, c in zip(means, corners, strict=True)), (
        "a class cell is empty"
    )
    predicted = [_predicted(p.logits) for p in exact_eval(net, plane, means)]
    wrong = np.flatnonzero(np.array(predicted) != cls)
    assert not wrong.size, (
        f"{wrong.size} of {len(cls)} class cells predict another class inside (first: cell "
        f"{wrong[0]}, class {cls[wrong[0]]}, exactly {predicted[wrong[0]]})"
    )
    if not part.domain.convex:
        _check_ends(
            part, part.decision_boundary().segments, cells.vertices, "the decision boundary"
        )
    a, b = cells._twins
    between = np.flatnonzero(cls[cells._owner[a]] != cls[cells._owner[b]])
    ends = np.stack([cells.ring[a[between]], cells.ring[cells._next[a[between]]]], axis=1)
    vertices = np.unique(ends).tolist()
    points = exact_eval(net, plane, [position(v) for v in vertices]) if vertices else []
    at = dict(zip(vertices, points, strict=True))
    for e, (u, v) in zip(between.tolist(), ends.tolist(), strict=True):
        k, j = cls[cells._owner[a[e]]], cls[cells._owner[b[e]]]
        for w in (u, v):
            logits = at[w].logits
            top = (logits[0], 0) if len(logits) == 1 else (max(logits), logits[k], logits[j])
            assert len(set(top)) == 1, (
                f"the decision boundary's edge from vertex {u} to {v} (classes {k} and {j}) "
                f"is off the exact boundary at vertex {w}: logits {[float(x) for x in logits]}"
            )


def check_exact(part: regions.Partition, grid: int = 40) -> None:
    """All of the above."""
    check_interior_points(part)
    check_tiling(part)
    check_neighbours(part)
    check_boundaries(part)
    check_decisions(part)
    check_completeness(part, grid)
