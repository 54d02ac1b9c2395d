"""Edges and segments against a non-convex domain, exactly: which run through its interior
(:func:`edges_meet_interior`: the neighbours of cells that are one region each), and their
pieces inside it (:func:`clip_segments`: boundaries and the decision boundary).

As in :mod:`regions.clipping`, a float test with a margin beyond the ends' rigorous bounds
settles almost every edge, and rational arithmetic (:mod:`regions.exact_segments`) the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np
import shapely

from .clipping import inner_edges, margin_of
from .domain import Domain
from .exact_segments import inside_spans, segment_meets_interior

__all__ = ["clip_segments", "edges_meet_interior"]

Point = tuple[Fraction, Fraction]


def edges_meet_interior(
    ends: np.ndarray,
    reach: np.ndarray,
    domain: Domain,
    exact_ends: Callable[[int], tuple[Point, Point]],
) -> np.ndarray:
    """Whether each edge, exactly, runs through the domain's interior (along a positive
    length): then the cells on its two sides, each one region, are neighbours there.

    A float test settles almost every edge. The exact edge lies within its margin (the ends'
    distance bounds, and the slack) of its float copy: where that copy stays farther than
    the margin from the domain's boundary, the edge lies wholly inside or outside, as its
    midpoint; where it stays farther from the domain, outside; and it runs through the
    interior wherever a point of the copy lies inside, farther than the margin from the
    boundary (the midpoints of the copy and of its pieces inside the domain are tried).
    Rational arithmetic settles the rest: edges along the boundary, or within their margin
    of it (:func:`regions.exact_segments.segment_meets_interior`).

    Parameters
    ----------
    ends : ndarray, shape (E, 2, 2)
        The edges' float ends.
    reach : ndarray, shape (E,)
        The larger distance bound of each edge's two ends from their exact points.
    domain : Domain
    exact_ends : callable
        An edge's exact ends, by its index.

    Returns
    -------
    ndarray of bool, shape (E,)
    """
    margin = margin_of(reach, domain)
    boundary = domain.polygon.boundary
    edges, mid = shapely.linestrings(ends), shapely.points(ends.mean(axis=1))
    clear = shapely.distance(edges, boundary) > margin
    meets = (clear & shapely.intersects(domain.polygon, mid)) | _deep_inside(mid, domain, margin)
    open_ = np.flatnonzero(~clear & ~meets)
    pieces, owner = shapely.get_parts(
        shapely.intersection(edges[open_], domain.polygon), return_index=True
    )
    lines = shapely.get_type_id(pieces) == 1
    mid = shapely.line_interpolate_point(pieces[lines], 0.5, normalized=True)
    owner = open_[owner[lines]]
    meets[owner[_deep_inside(mid, domain, margin[owner])]] = True
    away = shapely.distance(edges[open_], domain.polygon) > margin[open_]
    for e in open_[~meets[open_] & ~away]:
        meets[e] = segment_meets_interior(domain.polygon, *exact_ends(int(e)))
    return meets


def _deep_inside(points: np.ndarray, domain: Domain, margin: np.ndarray) -> np.ndarray:
    """Whether each float point lies inside the domain, farther than its margin from the
    boundary: then every point within the margin is in the domain's interior."""
    far = shapely.distance(points, domain.polygon.boundary) > margin
    return far & shapely.intersects(domain.polygon, points)


def clip_segments(
    segments: np.ndarray,
    domain: Domain,
    reach: np.ndarray | None = None,
    exact_ends: Callable[[int], tuple[Point, Point]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The pieces of segments that run through a domain's interior, exactly, and the source
    index of each.

    A segment farther than its margin (its ends' bounds ``reach``, default 0, and the slack)
    from the domain's boundary lies wholly inside or outside, as its midpoint. Any other is
    cut where its exact copy (``exact_ends``, by index; default its float ends, taken exactly)
    crosses the boundary (:func:`regions.exact_segments.inside_spans`): stretches along the
    boundary or outside go. A piece keeps the segment's float ends; its cuts are rounded.

    Parameters
    ----------
    segments : ndarray, shape (E, 2, 2)
    domain : Domain
    reach : ndarray, shape (E,), optional
    exact_ends : callable, optional

    Returns
    -------
    pieces : ndarray, shape (E', 2, 2)
    index : ndarray of int, shape (E',)
        The segment (into ``segments``) of each piece, ascending.
    """
    reach = np.zeros(len(segments)) if reach is None else reach
    margin = margin_of(reach, domain)
    lines, mid = shapely.linestrings(segments), shapely.points(segments.mean(axis=1))
    # Only the boundary's edges off the hull's can cross an edge of the cells, which tile the
    # hull; and a midpoint that near the boundary does not tell inside from outside.
    inner = shapely.multilinestrings(inner_edges(domain))
    near = (shapely.distance(lines, inner) <= margin) | (
        shapely.distance(mid, domain.polygon.boundary) <= margin
    )
    keep = ~near & shapely.intersects(domain.polygon, mid)
    near = np.flatnonzero(near)
    clean = near[_clean_crossings(segments[near], lines[near], margin[near], domain, inner)]
    parts, owner = shapely.get_parts(
        shapely.intersection(lines[clean], domain.polygon), return_index=True
    )
    is_line = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)
    parts, owner = parts[is_line], clean[owner[is_line]]
    ends = [shapely.get_coordinates(shapely.get_point(parts, i)) for i in (0, -1)]
    pieces, index = [segments[keep], np.stack(ends, axis=1)], [np.flatnonzero(keep), owner]
    for e in np.setdiff1d(near, clean).tolist():
        p, q = exact_ends(e) if exact_ends else [tuple(map(Fraction, v)) for v in segments[e]]
        for t0, t1 in inside_spans(domain.polygon, p, q):
            cut = [(p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])) for t in (t0, t1)]
            piece = np.array(cut, dtype=float)
            piece[0] = segments[e, 0] if t0 == 0 else piece[0]
            piece[1] = segments[e, 1] if t1 == 1 else piece[1]
            pieces.append(piece[None])
            index.append(np.array([e]))
    index = np.concatenate(index)
    order = np.argsort(index, kind="stable")
    return np.concatenate(pieces).reshape(-1, 2, 2)[order], index[order]


def _clean_crossings(
    segments: np.ndarray,
    lines: np.ndarray,
    margin: np.ndarray,
    domain: Domain,
    inner: shapely.Geometry,
) -> np.ndarray:
    """Which segments (n, 2, 2) of the hull (``lines``, as linestrings), each within its
    margin (n,) of the domain's boundary, cross it only cleanly, so that float64 clipping
    gets their exact copies' pieces: their ends farther than the margin from the boundary's
    edges off the hull (``inner``, :func:`regions.clipping.inner_edges` as one geometry), and
    the boundary's corners as far from them.

    Then moving the ends to their exact points moves every point of the segment by less
    than the margin, so along the way no corner lies on the segment and no end on an edge:
    each edge stays crossed properly or not at all, and as no two edges meet but at corners,
    the crossings keep their order along the segment. (Two segments within the margin of
    each other that do not cross are that near at an end of one of them, so a segment that
    passes within the margin of an edge here crosses it.)"""
    if not len(segments):
        return np.zeros(0, dtype=bool)
    clean = (shapely.distance(shapely.points(segments), inner) > margin[:, None]).all(axis=1)
    corners = shapely.multipoints(shapely.get_coordinates(domain.polygon.boundary))
    clean &= shapely.distance(lines, corners) > margin
    # A segment of no length in float64 has no direction to trust.
    return clean & (((segments[:, 1] - segments[:, 0]) ** 2).sum(axis=1) > 0)
