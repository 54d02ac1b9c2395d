"""Space folding, computed exactly along segments.

Lewandowski et al.'s folding measure of a straight segment ``[p, q]`` in input space: walk along
the segment through the linear regions it crosses, with activation patterns ``pi_1 .. pi_m`` in
order, and compare how far the walk gets in Hamming distance with how far it travels::

    chi = 1 - max_i d_H(pi_1, pi_i) / sum_i d_H(pi_i, pi_{i+1})

``chi = 0`` when the walk only moves away from its start (a one-hidden-layer net: every
boundary is a line, crossed at most once), and approaches 1 when the walk keeps coming back to
patterns near the first one (the space is folded onto itself). A segment inside one region has
``chi = 0`` by definition.

Nothing here samples points or clips polygons: the pieces of a segment and their patterns come
from :func:`regions.decompose_line`, whose breaks are decided exactly, so a piece narrower than
any tolerance still counts as a step of the walk.
"""

from __future__ import annotations

import numpy as np
from torch import nn

import regions
from analysis.lab.data import Box

__all__ = [
    "chi_by_layer",
    "folding_distribution",
    "folding_measure",
    "pattern_walk",
    "random_segments",
]

Model = nn.Module | regions.Network


def _network(model: Model) -> regions.Network:
    return model if isinstance(model, regions.Network) else regions.trace(model)


def _columns(net: regions.Network, layer: int | None, cumulative: bool) -> np.ndarray | slice:
    """Pattern columns used for Hamming distances: every layer's, or those of ``layer``."""
    if layer is None:
        return slice(None)
    if not 1 <= layer <= net.n_layers:
        raise ValueError(f"layer must be in 1..{net.n_layers}, got {layer}")
    of_layer = regions.Breakpoints.of(net).layer
    return np.flatnonzero(of_layer <= layer if cumulative else of_layer == layer)


def _walks(net: regions.Network, segments: np.ndarray, plane: object) -> list[np.ndarray]:
    """Patterns (P_i, S) of the pieces of every segment (n, 2, d), in order along it."""
    segments = np.asarray(segments, dtype=np.float64)
    if segments.ndim != 3 or segments.shape[1] != 2:
        raise ValueError(f"segments must have shape (n, 2, d), got {segments.shape}")
    return [
        line.patterns
        for line in regions.decompose_lines(net, *segments.swapaxes(0, 1), plane=plane)
    ]


def pattern_walk(
    model: Model,
    p: np.ndarray,
    q: np.ndarray,
    layer: int | None = None,
    *,
    cumulative: bool = True,
    plane: object = None,
) -> np.ndarray:
    """Activation patterns (m', S') met along ``[p, q]``, consecutive repeats merged.

    Parameters
    ----------
    model : torch.nn.Module or regions.Network
        A piecewise-linear model (traced here) or a :func:`regions.trace` of one.
    p, q : array_like, shape (d,)
        Segment endpoints: input coordinates (d = the model's inputs), or plane coordinates
        (d = 2) with ``plane``.
    layer : int, optional
        Restrict patterns to the breakpoints of layers ``1..layer`` (``cumulative``) or of layer
        ``layer`` alone; None for every layer.
    cumulative : bool
        See ``layer``.
    plane : optional
        A 2D plane through a model with more inputs, as in :func:`regions.decompose_line`.

    Returns
    -------
    ndarray of bool, shape (m', S')
        Restricted patterns, so two neighbouring pieces that differ only in deeper layers give
        equal consecutive rows; those are merged into one step of length 0 (they would add
        nothing to the path length, and merging makes ``m'`` the number of distinct steps).
        ``S'`` is the number of breakpoints kept (columns of :attr:`regions.Partition.patterns`).

    Raises
    ------
    ValueError
        For a ``layer`` outside ``1..L``, or endpoints :func:`regions.decompose_line` rejects.

    Examples
    --------
    The sawtooth's 8 vertical strips, crossed by a horizontal segment:

    >>> from regions.constructions import sawtooth
    >>> from analysis.studies.folding.measures import pattern_walk
    >>> p, q = [0.0, 0.5], [1.0, 0.5]
    >>> pattern_walk(sawtooth(3), p, q).shape  # 8 strips, 3 layers of 2 units
    (8, 6)
    >>> pattern_walk(sawtooth(3), p, q, layer=1).astype(int).tolist()  # layer 1 splits once
    [[1, 0], [1, 1]]
    >>> pattern_walk(sawtooth(3), p, q, layer=2, cumulative=False).astype(int).tolist()
    [[1, 0], [1, 1], [1, 0]]
    """
    net = _network(model)
    columns = _columns(net, layer, cumulative)
    return _merge(_walks(net, np.array([[p, q]], dtype=np.float64), plane)[0][:, columns])


def _chi(pats: np.ndarray) -> float:
    if len(pats) < 2:
        return 0.0
    steps = np.count_nonzero(pats[1:] != pats[:-1], axis=1).sum()
    reach = np.count_nonzero(pats != pats[0], axis=1).max()
    return float(1.0 - reach / steps)


def folding_measure(
    model: Model,
    p: np.ndarray,
    q: np.ndarray,
    layer: int | None = None,
    *,
    cumulative: bool = True,
    plane: object = None,
) -> float:
    """Lewandowski et al.'s space-folding measure chi of the segment ``[p, q]``, exactly.

    ``chi = 1 - max_i d_H(pi_1, pi_i) / sum_i d_H(pi_i, pi_{i+1})`` over the (merged) patterns
    of :func:`pattern_walk`; 0 when the segment stays in one region (or one pattern).

    Parameters
    ----------
    model : torch.nn.Module or regions.Network
        The model, or its :func:`regions.trace`.
    p, q : array_like, shape (d,)
        Segment endpoints, as in :func:`pattern_walk`.
    layer : int, optional
        Per-layer measure: patterns of layers ``1..layer`` (or of layer ``layer`` alone when
        ``cumulative`` is False); None for the whole network.
    cumulative : bool
        See ``layer``.
    plane : optional
        As in :func:`regions.decompose_line`.

    Returns
    -------
    float
        chi in [0, 1) (unitless: a ratio of Hamming distances).

    Examples
    --------
    Across the sawtooth's strips the walk after ``k`` layers takes ``2^k - 1`` single-unit
    steps but never gets more than ``k`` units away from its start:

    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from analysis.studies.folding.measures import folding_measure
    >>> net = regions.trace(sawtooth(3))  # trace once for many segments
    >>> p, q = [0.0, 0.5], [1.0, 0.5]
    >>> [round(folding_measure(net, p, q, k), 6) for k in (1, 2, 3)]  # 1 - k / (2^k - 1)
    [0.0, 0.333333, 0.571429]
    >>> folding_measure(net, [0.3, 0.0], [0.3, 1.0])  # inside one strip
    0.0
    """
    return _chi(pattern_walk(model, p, q, layer, cumulative=cumulative, plane=plane))


def random_segments(n: int, box: Box, seed: int) -> np.ndarray:
    """``n`` segments (n, 2, 2) with both endpoints uniform in ``box = (xmin, xmax, ymin, ymax)``.

    Deterministic in ``seed``; zero-length segments (probability 0) are redrawn.

    Parameters
    ----------
    n : int
        Number of segments.
    box : (xmin, xmax, ymin, ymax)
        Rectangle the endpoints are drawn in (plane coordinates).
    seed : int
        Seed of a private ``numpy.random.default_rng``.

    Returns
    -------
    ndarray of float, shape (n, 2, 2)
        ``out[i] = [p, q]``: the two endpoints of segment i, each ``(x, y)``.

    Raises
    ------
    ValueError
        If ``box`` is empty.

    Examples
    --------
    >>> from analysis.studies.folding.measures import random_segments
    >>> s = random_segments(4, (-2, 2, 0, 1), seed=0)
    >>> s.shape
    (4, 2, 2)
    >>> bool((-2 <= s[..., 0]).all() and (s[..., 0] <= 2).all())  # x in [-2, 2]
    True
    >>> bool((0 <= s[..., 1]).all() and (s[..., 1] <= 1).all())  # y in [0, 1]
    True
    >>> bool((random_segments(4, (-2, 2, 0, 1), seed=0) == s).all())  # same seed, same draw
    True
    """
    xmin, xmax, ymin, ymax = map(float, box)
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"box must have xmin < xmax and ymin < ymax, got {box}")
    rng = np.random.default_rng(seed)
    lo, hi = np.array([xmin, ymin]), np.array([xmax, ymax])
    out = lo + (hi - lo) * rng.random((n, 2, 2))
    while True:
        bad = np.all(out[:, 0] == out[:, 1], axis=1)
        if not bad.any():
            return out
        out[bad, 1] = lo + (hi - lo) * rng.random((int(bad.sum()), 2))


def folding_distribution(
    model: Model,
    segments: np.ndarray,
    layer: int | None = None,
    *,
    cumulative: bool = True,
    plane: object = None,
) -> np.ndarray:
    """chi (n,) of every segment (n, 2, d), as :func:`folding_measure`.

    Parameters
    ----------
    model : torch.nn.Module or regions.Network
        The model (traced once here), or its :func:`regions.trace`.
    segments : array_like, shape (n, 2, d)
        Endpoints ``[p, q]`` of each segment, e.g. from :func:`random_segments`: plane
        coordinates (d = 2) with ``plane``, else input coordinates (d = the model's inputs).
    layer : int, optional
        Per-layer measure, as in :func:`folding_measure`; None for the whole network.
    cumulative : bool
        Patterns of layers ``1..layer`` (True) or of layer ``layer`` alone.
    plane : optional
        As in :func:`regions.decompose_line`.

    Returns
    -------
    ndarray of float, shape (n,)
        chi of each segment, in [0, 1).

    Raises
    ------
    ValueError
        If ``segments`` does not have shape (n, 2, d), or an endpoint has the wrong width.

    Examples
    --------
    >>> import numpy as np, regions, torch
    >>> from regions.constructions import sawtooth
    >>> from analysis.studies.folding.measures import folding_distribution, random_segments
    >>> horizontal = [[[0.0, y], [1.0, y]] for y in (0.1, 0.5, 0.9)]
    >>> segments = np.array(horizontal + [[[0.3, 0.0], [0.3, 1.0]]])  # and one inside a strip
    >>> folding_distribution(sawtooth(3), segments).round(6).tolist()  # 1 - 3 / 7
    [0.571429, 0.571429, 0.571429, 0.0]
    >>> folding_distribution(sawtooth(3), segments, layer=2).round(6).tolist()  # 1 - 2 / 3
    [0.333333, 0.333333, 0.333333, 0.0]

    One hidden layer never folds: every boundary is a line, crossed at most once.

    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    >>> float(folding_distribution(net, random_segments(50, (-1, 1, -1, 1), seed=0)).max())
    0.0
    """
    net = _network(model)
    columns = _columns(net, layer, cumulative)
    return np.array([_chi(_merge(w[:, columns])) for w in _walks(net, segments, plane)])


def _merge(pats: np.ndarray) -> np.ndarray:
    """Rows (m', S') of ``pats`` (m, S) with consecutive repeats dropped."""
    if len(pats) < 2:
        return pats
    return pats[np.concatenate([[True], np.any(pats[1:] != pats[:-1], axis=1)])]


def chi_by_layer(model: Model, segments: np.ndarray, *, plane: object = None) -> np.ndarray:
    """chi (L, n) of every segment for the net truncated after each layer ``k = 1..L``.

    Each segment is walked once; row ``k - 1`` reads the patterns of layers ``1..k`` off it.

    Parameters
    ----------
    model : torch.nn.Module or regions.Network
        An L-layer model, or its :func:`regions.trace`.
    segments : ndarray, shape (n, 2, d)
        Segment endpoints, as in :func:`folding_distribution`.
    plane : optional
        As in :func:`regions.decompose_line`.

    Returns
    -------
    ndarray, shape (L, n)
        Row ``k - 1`` uses the patterns of layers ``1..k``; the last row is the whole net.

    Examples
    --------
    >>> from analysis.studies.folding.measures import chi_by_layer
    >>> import numpy as np
    >>> from regions.constructions import sawtooth
    >>> chi = chi_by_layer(sawtooth(3), np.array([[[0.0, 0.5], [1.0, 0.5]]]))
    >>> [round(float(c), 6) for c in chi[:, 0]]  # 1 - k / (2^k - 1)
    [0.0, 0.333333, 0.571429]
    """
    net = _network(model)
    walks = _walks(net, segments, plane)
    return np.array(
        [
            [_chi(_merge(w[:, columns])) for w in walks]
            for columns in (_columns(net, k, True) for k in range(1, net.n_layers + 1))
        ]
    ).reshape(net.n_layers, len(walks))
