"""Exact pieces of a model along a segment: :func:`decompose_line` and :class:`LinePieces`.

Along ``x(s) = start + s (end - start)``, ``s`` in [0, 1], every node of a piecewise-linear
network is affine on each piece, ``alpha + beta s``. Layer by layer, each unit's breakpoint is
then one parameter value per piece, ``(t - alpha) / beta``, and all units of a layer cut the
layer-start pieces at once (a unit's preactivation does not depend on its own layer's cuts).

Every decision is exact for the float64 model. The maps are carried in float64 with a rigorous
bound on their rounding error (the standard ``gamma_n |W| |x|`` bound of a dot product, plus the
error carried in), so a sign is decided in floating point whenever the value exceeds its bound.
What the bound cannot settle (a breakpoint at or within rounding of an existing break, two
roots that might coincide) is settled in exact rational arithmetic by :mod:`regions.line_exact`
from the float64 weights and endpoints. A break exactly at an existing break merges with it;
every piece has positive length; patterns are the exact signs ``z > t`` inside each piece.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from torch import nn
from tqdm.auto import tqdm

from .breakpoints import Breakpoints, renamed_property
from .domain import Plane, as_plane
from .errors import DomainError
from .line_exact import ExactLine
from .line_walk import LineWalk, input_map
from .maps import node_maps
from .network import Network
from .threads import one_blas_thread
from .tracing import trace

__all__ = [
    "DEFAULT_MAX_PIECES",
    "FIRST_BATCH",
    "MAX_BATCH",
    "MIN_BATCH",
    "VALUES_PER_WALK",
    "LinePieces",
    "decompose_line",
    "decompose_lines",
]

DEFAULT_MAX_PIECES = 1_000_000


@dataclass(frozen=True, eq=False)
class LinePieces:
    """The exact pieces of a model along a segment, ordered from ``start`` to ``end``.

    Parameters are fractions of the segment: the input at ``s`` is
    ``segment[0] + s * (segment[1] - segment[0])``, s in [0, 1].

    Attributes
    ----------
    network : Network
        The traced model.
    segment : ndarray, shape (2, n_inputs)
        The segment's endpoints in input coordinates (float64; with a plane, the exact
        endpoints are ``plane.to_input`` of the plane points, rounded here).
    plane : Plane or None
        The plane the endpoints were given in, if any.
    breaks : ndarray, shape (P - 1,)
        Where consecutive pieces meet, in (0, 1), non-decreasing: float64 approximations of the
        exact (rational) breaks, which :meth:`exact_breaks` returns, each within a relative
        :data:`LOOSE_BREAK` (2^-20) of it or it rounded (with ``tol = 0``). Exact breaks closer
        than float64 resolution may share a value here; they are still distinct pieces.
    patterns : ndarray of bool, shape (P, S)
        Activation pattern of every piece, columns as ``breakpoints`` (and as
        :attr:`regions.Partition.patterns`): whether each breakpoint is exceeded, ``z > t``,
        inside the piece.
    breakpoints : Breakpoints
        What each pattern column means (layer, unit, breakpoint).
    break_switch : ndarray of int, shape (P - 1,)
        Pattern column of the breakpoint that drew each break (the first layer's, and within
        it the lowest column, when several coincide).
    depth : int
        Activation layers drawn (the network's for :func:`decompose_line`; less from
        :meth:`at_depth`).
    merged : int
        Pieces shorter than ``tol`` merged away on purpose (always 0 with ``tol=0``).

    ``len(pieces)`` is the number of pieces P.

    Examples
    --------
    See :func:`decompose_line`.
    """

    network: Network
    segment: np.ndarray
    plane: Plane | None
    breaks: np.ndarray
    patterns: np.ndarray
    breakpoints: Breakpoints
    break_switch: np.ndarray
    depth: int
    merged: int
    _output: tuple[np.ndarray, np.ndarray] | None = field(repr=False)
    _exact: ExactLine = field(repr=False)

    def __len__(self) -> int:
        return len(self.patterns)

    def __repr__(self) -> str:
        return (
            f"LinePieces({len(self)} pieces, depth {self.depth} of {self.network.n_layers}, "
            f"{self.patterns.shape[1]} breakpoints)"
        )

    switches = renamed_property("LinePieces", "switches", "breakpoints")

    @property
    def break_layer(self) -> np.ndarray:
        """1-based activation layer (P - 1,) that drew each break."""
        return self.breakpoints.layer[self.break_switch]

    @property
    def break_unit(self) -> np.ndarray:
        """Unit (P - 1,), within its layer, that drew each break."""
        return self.breakpoints.unit[self.break_switch]

    @property
    def midpoints(self) -> np.ndarray:
        """Parameter (P,) halfway along every piece, in float64.

        Strictly inside the piece whenever the piece is wider than float64 resolution there;
        the exact midpoints follow from :meth:`exact_breaks`.
        """
        ends = np.concatenate([[0.0], self.breaks, [1.0]])
        return (ends[:-1] + ends[1:]) / 2

    def to_input(self, s: np.ndarray) -> np.ndarray:
        """Input points (N, n_inputs) at parameters ``s`` (N,), in float64.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> pieces = regions.decompose_line(sawtooth(2), [0.0, 0.5], [1.0, 0.5])
        >>> pieces.to_input([0.0, 0.25]).tolist()
        [[0.0, 0.5], [0.25, 0.5]]
        """
        s = np.asarray(s, dtype=np.float64)
        return self.segment[0] + s[:, None] * (self.segment[1] - self.segment[0])

    def locate(self, s: np.ndarray) -> np.ndarray:
        """Piece index (N,) of parameters ``s`` (N,); a parameter on a break gets the piece
        after it (by the float64 breaks), and -1 outside [0, 1].

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> pieces = regions.decompose_line(sawtooth(2), [0.0, 0.5], [1.0, 0.5])
        >>> pieces.locate([0.1, 0.3, 0.99, 1.5]).tolist()
        [0, 1, 3, -1]
        """
        s = np.asarray(s, dtype=np.float64)
        index = np.searchsorted(self.breaks, s, side="right")
        return np.where((s >= 0) & (s <= 1), index, -1)

    def exact_breaks(self) -> list[Fraction]:
        """The exact breaks (P - 1 Fractions, strictly increasing) of the float64 model.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> pieces = regions.decompose_line(sawtooth(2), [0.0, 0.5], [1.0, 0.5])
        >>> [str(b) for b in pieces.exact_breaks()]
        ['1/4', '1/2', '3/4']
        """
        return [self._exact_break(i) for i in range(len(self.break_switch))]

    def _exact_break(self, i: int) -> Fraction:
        """Break ``i``, exactly."""
        column = int(self.break_switch[i])
        return self._exact.break_value(self.breakpoints, column, self.patterns[i + 1 : i + 2])

    def affine(self, layer: int | None = None, *, pre: bool = False) -> tuple[np.ndarray, ...]:
        """Affine maps along the segment: on piece p the node is ``a[p] * s + b[p]``.

        Parameters
        ----------
        layer : int, optional
            1-based activation layer; None for the model's output (logits).
        pre : bool
            With ``layer``: its preactivations instead of its activations.

        Returns
        -------
        a : ndarray, shape (P, width)
            Derivative with respect to the parameter s (the change over the whole segment).
        b : ndarray, shape (P, width)
            Value at s = 0 of each piece's map.

        Raises
        ------
        ValueError
            For the output below full depth, or a ``layer`` outside 1..depth.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> pieces = regions.decompose_line(sawtooth(2), [0.0, 0.5], [1.0, 0.5])
        >>> a, b = pieces.affine()
        >>> a[:, 0].tolist(), b[:, 0].tolist()  # 4 s, 2 - 4 s, 4 s - 2, 4 - 4 s
        ([4.0, -4.0, 4.0, -4.0], [0.0, 2.0, -2.0, 4.0])
        >>> a1, b1 = pieces.affine(layer=1, pre=True)  # x and x - 1/2
        >>> a1[0].tolist(), b1[0].tolist()
        ([1.0, 1.0], [0.0, -0.5])
        """
        if layer is None:
            if self._output is None:
                raise ValueError(
                    f"the output is not affine on the pieces of a depth-{self.depth} view; "
                    "ask for affine(layer=k) with k <= depth, or use the full result"
                )
            return self._output
        if isinstance(layer, bool) or not isinstance(layer, numbers.Integral):
            raise TypeError(f"layer must be an int or None, got {type(layer).__name__}")
        if not 1 <= layer <= self.depth:
            raise ValueError(f"layer must be in 1..{self.depth} (1-based), got {layer}")
        act = self.network.activations[layer - 1]
        node = act.src if pre else self.network.nodes.index(act)
        # The walk's own input map: through the plane from its points, not from the rounded
        # input ends (on a short segment their difference is mostly rounding).
        start, direction = input_map(self._exact.points, self.plane)[0][0]
        line_map = np.stack([direction, np.zeros_like(direction), start], axis=1)
        bits = np.packbits(self.patterns, axis=1)
        A, c = node_maps(self.network, line_map, bits, self.breakpoints, node)
        return A[:, :, 0], c

    def at_depth(self, k: int) -> LinePieces:
        """The coarser pieces drawn by the first ``k`` activation layers (0 <= k <= depth).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> pieces = regions.decompose_line(sawtooth(3), [0.0, 0.5], [1.0, 0.5])
        >>> [len(pieces.at_depth(k)) for k in range(4)]
        [1, 2, 4, 8]
        >>> pieces.at_depth(1).breaks.tolist()
        [0.5]
        """
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"k must be an int, got {type(k).__name__}")
        if not 0 <= k <= self.depth:
            raise ValueError(f"k must be in 0..{self.depth}, got {k}")
        if k == self.depth:
            return self
        keep = np.flatnonzero(self.break_layer <= k)
        columns = np.flatnonzero(self.breakpoints.layer <= k)
        first = np.concatenate([[0], keep + 1])  # the first fine piece of every coarse one
        return LinePieces(
            network=self.network,
            segment=self.segment,
            plane=self.plane,
            breaks=self.breaks[keep],
            patterns=self.patterns[first][:, columns],
            breakpoints=self.breakpoints,
            break_switch=self.break_switch[keep],
            depth=k,
            merged=self.merged,
            _output=None,
            _exact=self._exact,
        )


def decompose_line(
    model: nn.Module | Network,
    start: object,
    end: object,
    *,
    plane: object = None,
    tol: float = 0.0,
    max_pieces: int = DEFAULT_MAX_PIECES,
    n_inputs: int | None = None,
) -> LinePieces:
    """The exact pieces of a piecewise-linear model along the segment from ``start`` to ``end``.

    Parameters
    ----------
    model : torch.nn.Module or Network
        As for :func:`regions.decompose`; pass a :func:`regions.trace` result to trace once
        for many segments.
    start, end : array_like
        Endpoints in input coordinates, shape (n_inputs,) (a number for a 1-input model), or
        in plane coordinates, shape (2,), with ``plane``. They must differ.
    plane : (origin, (d1, d2)), (p0, p1, p2) or Plane, optional
        The plane of :func:`regions.decompose` (see :func:`regions.domain.as_plane`; a
        partition's ``part.plane`` will do), for endpoints in its coordinates.
    tol : float
        0 (the default) is exact. A positive value, in units of the parameter s (fractions of
        the segment), merges on purpose: a new break closer than ``tol`` to the break before
        it (earlier or of the same layer) or to the earlier break after it is dropped, and
        the piece between them merges into its neighbour, whose pattern and maps it takes;
        ``merged`` counts these pieces. Patterns and maps are then exact only away from them.
    max_pieces : int
        Raise :class:`TooManyRegionsError` as soon as more pieces appear.
    n_inputs : int, optional
        Input width when the model does not start with ``nn.Linear``.

    Returns
    -------
    LinePieces
        Breaks, patterns, affine maps and coarser views of the pieces.

    Raises
    ------
    DomainError
        For endpoints of the wrong shape, non-finite or equal endpoints, or a bad plane.
    InvalidModelError
        When the model's values overflow float64 along the segment.

    Notes
    -----
    Exact for the float64 model at any weight scale: every sign and every order of two
    breaks is decided by a float64 computation with a rigorous error bound, or else in exact
    rational arithmetic (see the module docstring). The segment is exact too: it is
    ``start + s (end - start)`` in rationals, through the plane's float64 origin and basis.
    Cost: one pass per layer over all pieces, vectorised; an exact fallback costs a walk in
    integer arithmetic for the piece it concerns.

    Examples
    --------
    Telgarsky's sawtooth of depth 3 along the x axis has 2^3 pieces:

    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> pieces = regions.decompose_line(sawtooth(3), [0.0, 0.0], [1.0, 0.0])
    >>> len(pieces), pieces.breaks.tolist()
    (8, [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875])
    >>> pieces.break_layer.tolist()  # which layer drew each break
    [3, 2, 3, 1, 3, 2, 3]
    >>> pieces.patterns.shape  # 3 layers of 2 units
    (8, 6)
    >>> a, b = pieces.affine()  # slopes +-8 along the segment
    >>> a[:, 0].tolist()
    [8.0, -8.0, 8.0, -8.0, 8.0, -8.0, 8.0, -8.0]

    Trace once and reuse the network for many segments:

    >>> net = regions.trace(sawtooth(3))
    >>> len(regions.decompose_line(net, [0.0, 0.0], [0.5, 1.0]))  # x from 0 to 1/2
    4
    """
    net = model if isinstance(model, Network) else trace(model, n_inputs=n_inputs)
    tol = _check_tol(tol)
    max_pieces = _check_max_pieces(max_pieces)
    pl, points, segment = _segment(net, start, end, plane)
    (pieces,) = _walked(net, points[None], pl, segment[None], tol, max_pieces)
    return pieces


def decompose_lines(
    model: nn.Module | Network,
    starts: object,
    ends: object,
    *,
    plane: object = None,
    tol: float = 0.0,
    max_pieces: int = DEFAULT_MAX_PIECES,
    n_inputs: int | None = None,
    progress: bool = False,
) -> list[LinePieces]:
    """:func:`decompose_line` of many segments at once: the same pieces, far faster.

    The segments walk the network together, a batch at a time (as many as keep a node's maps
    at about :data:`VALUES_PER_WALK` values), so that each layer's passes serve all of them:
    on small nets, where a segment has a few pieces, one segment's walk is almost all fixed
    cost (see ``benchmarks/RESULTS.md``).

    Parameters
    ----------
    model : torch.nn.Module or Network
        As for :func:`decompose_line`.
    starts, ends : array_like, shape (N, n_inputs), or (N, 2) with ``plane``
        The segments' endpoints (shape (N,) for a 1-input model); each segment's must differ.
    plane, tol, n_inputs
        As for :func:`decompose_line`.
    max_pieces : int
        Raise :class:`TooManyRegionsError` as soon as a segment has more pieces.
    progress : bool
        Show a progress bar over segments.

    Returns
    -------
    list of LinePieces
        One per segment, in order: each the :func:`decompose_line` of that segment, its
        pieces, exact breaks and patterns the same.

    Raises
    ------
    DomainError
        For endpoints of the wrong shape, non-finite endpoints or a segment of length 0 (the
        first such row is named), or a bad plane.
    InvalidModelError
        When the model's values overflow float64 along a segment.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> net = regions.trace(sawtooth(3))
    >>> lines = regions.decompose_lines(net, [[0.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.5, 1.0]])
    >>> [len(pieces) for pieces in lines]
    [8, 4]
    >>> lines[1].breaks.tolist() == regions.decompose_line(net, [0, 0], [0.5, 1]).breaks.tolist()
    True
    """
    net = model if isinstance(model, Network) else trace(model, n_inputs=n_inputs)
    tol = _check_tol(tol, "regions.decompose_lines")
    max_pieces = _check_max_pieces(max_pieces, "regions.decompose_lines")
    pl, points, segments = _segments(net, starts, ends, plane)
    out: list[LinePieces] = []
    bar = tqdm(total=len(points), desc="regions: lines", unit="segment", disable=not progress)
    lo, size, n_pieces = 0, min(FIRST_BATCH, MAX_BATCH), 0
    with bar:
        while lo < len(points):
            hi = min(lo + size, len(points))
            walked = _walked(net, points[lo:hi], pl, segments[lo:hi], tol, max_pieces, lo)
            out += walked
            bar.update(hi - lo)
            # As many segments next as have about VALUES_PER_WALK values per node, at the
            # pieces per segment seen so far.
            n_pieces += sum(len(pieces) for pieces in walked)
            values = n_pieces * max(net.widths) / hi
            size, lo = int(min(MAX_BATCH, max(MIN_BATCH, VALUES_PER_WALK / values))), hi
    return out


FIRST_BATCH = 4
"""Segments :func:`decompose_lines` walks together first (a walk of segments of very many
pieces takes as much more memory)."""

VALUES_PER_WALK = 1 << 18
"""Values (pieces times units) per node's maps that :func:`decompose_lines` aims a walk at:
about as many as a layer's maps fill 2 MB, which stays in cache (through 2-128x4-1, 64
segments at a time took a fifth longer than 16: their maps were fresh memory, 14 MB a node)."""

MIN_BATCH, MAX_BATCH = 1, 256
"""Fewest and most segments :func:`decompose_lines` walks together (through 2-16x3-1, 128
segments a walk took 0.13 ms a segment, 64 0.13 and 8 0.40)."""


def _walked(
    net: Network,
    points: np.ndarray,
    plane: Plane | None,
    segments: np.ndarray,
    tol: float,
    max_pieces: int,
    first: int | None = None,
) -> list[LinePieces]:
    """The pieces along segments ``points`` (N, 2, k) (in ``segments`` (N, 2, n_inputs) in
    input coordinates), walked together; ``first``: the index of the first in a batch of
    :func:`decompose_lines` (None: one segment, of :func:`decompose_line`)."""
    walk = LineWalk(net, points, plane, tol, max_pieces, first)
    with one_blas_thread():  # many small products, as in decompose
        walk.run()
    out = []
    for i, segment in enumerate(segments):
        rows, breaks = walk.pieces(i)
        # A segment's own patterns: a view would keep its whole batch's alive.
        patterns = walk.patterns[rows] if len(segments) == 1 else walk.patterns[rows].copy()
        pieces = LinePieces(
            network=net,
            segment=segment,
            plane=plane,
            breaks=walk.breaks[breaks][1:-1].copy(),
            patterns=patterns,
            breakpoints=walk.columns,
            break_switch=walk.drawn[breaks][1:-1].copy(),
            depth=net.n_layers,
            merged=int(walk.merged[i]),
            _output=tuple(a[rows].copy() for a in walk.output),
            _exact=walk.exact[i],
        )
        # A break the float walk placed loosely (where a root's numerator cancelled, its
        # bound can be the whole piece) is the exact break, rounded (exact: with tol = 0).
        loose = ~(walk.err[breaks][1:-1] <= LOOSE_BREAK * np.abs(pieces.breaks)) & (tol == 0)
        for j in np.flatnonzero(loose).tolist():
            pieces.breaks[j] = float(pieces._exact_break(j))
        out.append(pieces)
    return out


LOOSE_BREAK = 2.0**-20
"""Relative error bound of a float break beyond which :func:`_walked` rounds the exact break
instead: far above the few ulps of a well-placed root, so that the exact breaks, which cost
rational arithmetic, are taken only where the float one may be far off."""


def _check_tol(tol: object, where: str = "regions.decompose_line") -> float:
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"{where}: tol must be a number, got {type(tol).__name__}")
    if not 0 <= float(tol) < 1:
        raise ValueError(f"{where}: tol must be in [0, 1) (a fraction of the segment), got {tol}")
    return float(tol)


def _check_max_pieces(max_pieces: object, where: str = "regions.decompose_line") -> int:
    if isinstance(max_pieces, bool) or not isinstance(max_pieces, numbers.Integral):
        raise TypeError(f"{where}: max_pieces must be an int, got {type(max_pieces).__name__}")
    if max_pieces < 1:
        raise ValueError(f"{where}: max_pieces must be >= 1, got {max_pieces}")
    return int(max_pieces)


def _segment(net: Network, start: object, end: object, plane: object) -> tuple:
    """The plane (or None), the validated endpoints (2, k) as given, and in input coordinates
    (2, n_inputs)."""
    points = np.stack(
        [_endpoints(net, name, p, plane, False) for name, p in (("start", start), ("end", end))]
    )
    if np.array_equal(points[0], points[1]):
        raise DomainError("regions.decompose_line: start and end coincide (a segment of length 0)")
    _check_length("regions.decompose_line", points[None])
    if plane is None:
        return None, points, points
    pl = as_plane(plane, net.n_inputs)
    return pl, points, _check_length("regions.decompose_line", pl.to_input(points)[None])[0]


def _check_length(where: str, points: np.ndarray) -> np.ndarray:
    """Segments ``points`` (N, 2, k) whose ends' differences float64 holds (the walk's
    direction), returned as they are."""
    with np.errstate(over="ignore", invalid="ignore"):
        long = ~np.isfinite(points[:, 1] - points[:, 0]).all(axis=1)
    if long.any():
        which = "" if len(points) == 1 else f" {np.flatnonzero(long)[0]}"
        raise DomainError(
            f"{where}: segment{which} is too long for float64: end - start overflows "
            "(coordinates or directions beyond 1.8e308)"
        )
    return points


def _endpoints(net: Network, name: str, p: object, plane: object, many: bool) -> np.ndarray:
    """Endpoints ``p`` checked: a point (k,) or, ``many``, points (N, k), finite, k the model's
    inputs (2 with a plane)."""
    where = "regions.decompose_lines" if many else "regions.decompose_line"
    width = net.n_inputs if plane is None else 2
    try:
        a = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        what = "an array of points" if many else "a point"
        raise DomainError(f"{where}: {name} must be {what}, got {p!r}") from exc
    if a.ndim == int(many) and width == 1:
        a = a[..., None]
    if a.ndim != 1 + many or a.shape[-1] != width:
        shape = f"(N, {width})" if many else f"({width},)"
        coordinates = "input" if plane is None else "plane"
        raise DomainError(
            f"{where}: {name} must have shape {shape} ({coordinates} coordinates), got {a.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(a.reshape(-1, width)).all(axis=1))
    if bad.size:
        row = f" (row {bad[0]})" if many else ""
        raise DomainError(f"{where}: {name} has non-finite coordinates{row}")
    return a


def _segments(net: Network, starts: object, ends: object, plane: object) -> tuple:
    """:func:`_segment` of many: the plane (or None), the endpoints (N, 2, k) as given, and in
    input coordinates (N, 2, n_inputs)."""
    arrays = [
        _endpoints(net, name, p, plane, True) for name, p in (("starts", starts), ("ends", ends))
    ]
    if len(arrays[0]) != len(arrays[1]):
        raise DomainError(
            f"regions.decompose_lines: starts and ends must have as many rows, got "
            f"{len(arrays[0])} and {len(arrays[1])}"
        )
    same = np.flatnonzero((arrays[0] == arrays[1]).all(axis=1))
    if same.size:
        raise DomainError(
            f"regions.decompose_lines: segment {same[0]} has equal ends (a segment of length 0)"
        )
    points = _check_length("regions.decompose_lines", np.stack(arrays, axis=1))
    if plane is None:
        return None, points, points
    pl = as_plane(plane, net.n_inputs)
    # One segment at a time, as decompose_line converts its ends: the same floats.
    segments = np.stack([pl.to_input(p) for p in points]) if len(points) else points
    return pl, points, _check_length("regions.decompose_lines", segments)
