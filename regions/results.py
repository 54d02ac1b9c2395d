"""The small results a :class:`~regions.Partition` returns: boundaries, adjacency, linear
regions and the decision boundary (frozen, column-wise like the partition itself)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Adjacency", "Boundaries", "DecisionBoundary", "LinearRegions"]


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Boundary segments of a partition, each labelled by the unit whose breakpoint drew it.

    Attributes
    ----------
    segments : ndarray, shape (E, 2, 2)
        Segment endpoints, ``segments[e] = [[x0, y0], [x1, y1]]``.
    layer : ndarray, shape (E,)
        1-based activation layer that drew the segment; 0 for the domain's boundary.
    unit : ndarray, shape (E,)
        Unit within that layer; -1 for the domain's boundary.
    switch : ndarray, shape (E,)
        Pattern column (breakpoint) that drew the segment; -1 for the domain's boundary.

    ``len(b)`` is the number of segments E. Coordinates are plane coordinates.

    Examples
    --------
    The lines x = 0 and y = 0 on [-1, 1]^2, each split where they cross:

    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    >>> b = part.boundaries()
    >>> len(b), b.segments.shape
    (4, (4, 2, 2))
    >>> b.layer.tolist(), b.unit.tolist()
    ([1, 1, 1, 1], [0, 0, 1, 1])
    >>> len(part.boundaries(include_domain=True))  # + 8 pieces of the square's sides
    12
    """

    segments: np.ndarray
    layer: np.ndarray
    unit: np.ndarray
    switch: np.ndarray

    def __len__(self) -> int:
        return len(self.segments)

    def to_shapely(self) -> np.ndarray:
        """The segments as an array (E,) of shapely LineStrings.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> lines = part.boundaries().to_shapely()
        >>> lines.shape, float(sum(line.length for line in lines))  # two axes of length 2
        ((4,), 4.0)
        """
        return shapely.linestrings(self.segments)


@dataclass(frozen=True, eq=False)
class Adjacency:
    """Pairs of regions that share a boundary segment of positive length.

    Attributes
    ----------
    pairs : ndarray, shape (P, 2)
        Region indices ``i < j``.
    layer, unit, switch : ndarray, shape (P,)
        The breakpoint whose boundary separates the pair (the one that first drew the shared
        edge when several breakpoints coincide there).

    ``len(adj)`` is the number of pairs P. Regions touching at a single point are not adjacent.

    Examples
    --------
    The four quadrants cut out of [-1, 1]^2 by x = 0 and y = 0:

    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    >>> adj = part.adjacency()
    >>> len(adj)  # diagonal quadrants only share the origin
    4
    >>> r = part.locate([[0.5, 0.5], [-0.5, 0.5]])  # two quadrants across x = 0
    >>> i = adj.pairs.tolist().index(sorted(r.tolist()))
    >>> int(adj.layer[i]), int(adj.unit[i])  # unit 0 draws x = 0
    (1, 0)
    """

    pairs: np.ndarray
    layer: np.ndarray
    unit: np.ndarray
    switch: np.ndarray

    def __len__(self) -> int:
        return len(self.pairs)


@dataclass(frozen=True, eq=False)
class LinearRegions:
    """Activation regions merged where adjacent regions compute the same affine map.

    Attributes
    ----------
    labels : ndarray, shape (R,)
        Linear-region index of every activation region.
    n : int
        Number of linear regions (connected pieces on which the model is one affine map).
    n_exact : int
        Adjacent pairs compared in rational arithmetic (their float maps' error bounds could
        not prove them different); 0 with a positive ``rtol``.

    ``len(lin)`` is ``lin.n``.

    Examples
    --------
    ``relu(x)`` computed through two units, the second one (``relu(y)``) unused: the four
    activation regions merge into two linear regions, the half planes x < 0 and x > 0.

    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> with torch.no_grad():
    ...     _ = model[0].weight.copy_(torch.eye(2))
    ...     _ = model[0].bias.zero_()
    ...     _ = model[2].weight.copy_(torch.tensor([[1.0, 0.0]]))
    ...     _ = model[2].bias.zero_()
    >>> part = regions.decompose(model, (-1, 1, -1, 1))
    >>> lin = part.linear_regions()
    >>> len(part), lin.n
    (4, 2)
    >>> r = part.locate([[0.5, 0.5], [0.5, -0.5], [-0.5, 0.5]])
    >>> (lin.labels[r] == lin.labels[r[0]]).tolist()  # both x > 0 quadrants share a label
    [True, True, False]
    """

    labels: np.ndarray
    n: int
    n_exact: int = 0

    def __len__(self) -> int:
        return self.n


@dataclass(frozen=True, eq=False)
class DecisionBoundary:
    """The exact set where the predicted class changes.

    Attributes
    ----------
    segments : ndarray, shape (E, 2, 2)
        Straight pieces of the boundary, one per region they cross (plane coordinates).

    ``len(db)`` is the number of segments E.

    Examples
    --------
    ``relu(x) + relu(y) > 0`` everywhere but the closed third quadrant, so on [-1, 1]^2 the
    boundary is the two unit segments from (-1, 0) to the origin to (0, -1):

    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
    >>> db = part.decision_boundary()
    >>> len(db), db.length
    (2, 2.0)
    >>> db.to_shapely().wkt
    'MULTILINESTRING ((-1 0, 0 0, 0 -1))'
    """

    segments: np.ndarray

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def length(self) -> float:
        """Total length (plane units).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> net = line_arrangement([[1, 0]], [0])  # relu(x) > 0 right of x = 0
        >>> regions.decompose(net, (-1, 1, -2, 2)).decision_boundary().length
        4.0
        """
        return float(np.linalg.norm(self.segments[:, 1] - self.segments[:, 0], axis=1).sum())

    def to_shapely(self) -> shapely.MultiLineString:
        """The boundary as polylines: segments merged end to end.

        Returns
        -------
        shapely.MultiLineString
            One LineString per connected polyline (empty if the class never changes).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> lines = part.decision_boundary().to_shapely()
        >>> len(lines.geoms), lines.length
        (1, 2.0)
        """
        if not len(self.segments):
            return shapely.MultiLineString()  # not line_merge's empty GeometryCollection
        merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(self.segments)))
        if merged.is_empty:
            return shapely.MultiLineString()
        return (
            shapely.MultiLineString([merged]) if isinstance(merged, shapely.LineString) else merged
        )
