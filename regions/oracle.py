"""An exact oracle: a traced model evaluated in rational arithmetic at rational points.

The judge of the test suite, and of users' own tests: it shares nothing with the decomposition
(no mesh, no interpolation, no tolerance) and rounds nothing. Given a :class:`~regions.Network`
and a :class:`~regions.Plane`, it returns the model's logits, every activation layer's
preactivations and the activation pattern at plane points, exactly; the sign of every
breakpoint just beside a point (a symbolic perturbation, so a point on a boundary still names
a region); and the exact affine map of any node on the linear piece of a given pattern.

How it stays exact and fast enough. Every float64 is a dyadic rational ``m * 2**e``, so a
weight matrix is stored once per network as Python integers over one common power of two.
A point's coordinates are rationals over a common denominator ``d``. Then every value the
model computes at that point is ``n * 2**e / d`` with an integer ``n``: one exponent ``e`` per
node, one ``d`` per point. Affine maps, sums, activations and comparisons with breakpoints are
integer operations on ``n`` once the exponents are aligned (numpy object arrays of Python
ints, which never overflow). :class:`fractions.Fraction` is built only for the results.

Pattern columns are ordered like :attr:`regions.Partition.breakpoints`: layer by layer, unit by
unit, breakpoint by breakpoint; a bit is ``z > threshold``, strictly.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .domain import Plane, as_plane
from .network import Activation, Affine, Concat, Network, Sum
from .rationals import (
    Dyadic,
    align,
    as_fractions,
    as_ratios,
    dyadic,
    homogeneous,
    objects,
    sign,
)

__all__ = [
    "ExactPoint",
    "RawPoint",
    "as_fractions",
    "as_ratios",
    "exact_affine",
    "exact_eval",
    "exact_eval_raw",
    "exact_lines",
    "exact_patterns",
    "exact_signs",
    "n_columns",
]


@dataclass(frozen=True)
class ExactPoint:
    """The model at one plane point, in exact rational arithmetic.

    Attributes
    ----------
    point : tuple of 2 Fraction
        The plane point (u, v).
    logits : tuple of Fraction, length n_outputs
        The model's output (before any stripped Softmax).
    pre : tuple of tuple of Fraction
        Preactivations of every activation layer (one tuple of length width per layer).
    signs : tuple of int, length S
        Sign (-1, 0 or 1) of ``z - threshold`` for every breakpoint, ordered like
        ``Partition.breakpoints``; 0 means the point lies exactly on that breakpoint.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.oracle import exact_eval
    >>> net = regions.trace(sawtooth(2))  # first layer: relu(x), relu(x - 1/2)
    >>> p = exact_eval(net, None, [[0.25, 0.0]])[0]
    >>> p.logits, p.pre[0], p.pattern, p.on_breakpoint
    ((Fraction(1, 1),), (Fraction(1, 4), Fraction(-1, 4)), (True, False, True, False), True)
    """

    point: tuple[Fraction, Fraction]
    logits: tuple[Fraction, ...]
    pre: tuple[tuple[Fraction, ...], ...]
    signs: tuple[int, ...]

    @property
    def pattern(self) -> tuple[bool, ...]:
        """Activation pattern: True where ``z > threshold`` (length S)."""
        return tuple(s > 0 for s in self.signs)

    @property
    def on_breakpoint(self) -> bool:
        """Whether some preactivation equals its breakpoint exactly at this point."""
        return 0 in self.signs


# ---------------------------------------------------------------- the network, converted once
_CACHE: weakref.WeakKeyDictionary[Network, list] = weakref.WeakKeyDictionary()


def _exact_nodes(net: Network) -> list:
    """Per node, its float64 parameters as :class:`Dyadic` (computed once per network)."""
    if net not in _CACHE:
        nodes: list = [None]
        for i, node in enumerate(net.nodes[1:], 1):
            if isinstance(node, Affine):
                nodes.append((dyadic(node.W), dyadic(node.b)))
            elif isinstance(node, Sum):
                nodes.append(dyadic(np.asarray(node.signs)))
            elif isinstance(node, Activation):
                nodes.append(tuple(dyadic(a) for a in (node.thresholds, node.slopes, node.offsets)))
            elif isinstance(node, Concat):
                nodes.append(None)
            else:
                raise TypeError(
                    f"regions.oracle: node {i} of the network is a {type(node).__name__}, which "
                    "the oracle cannot evaluate (it knows Affine, Sum, Concat and Activation)"
                )
        _CACHE[net] = nodes
    return _CACHE[net]


def _activation_nodes(net: Network) -> list[int]:
    """Node indices of the activation layers, in order."""
    return [i for i, node in enumerate(net.nodes) if isinstance(node, Activation)]


def n_columns(net: Network, depth: int | None = None) -> int:
    """Number of pattern columns (breakpoints) of the first ``depth`` activation layers.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.oracle import n_columns
    >>> n_columns(regions.trace(sawtooth(3))), n_columns(regions.trace(sawtooth(3)), 1)
    (6, 2)
    """
    return sum(a.thresholds.size for a in net.activations[:depth])


# ------------------------------------------------------------------------------- the walk
# Values of a node at N points: integers ``num`` (C, N, width) standing for
# ``num * 2**exp / den`` (den: (N,) positive ints, one per point). Component 0 is the value;
# components 1 and 2, when present, are derivatives along two directions (they get no bias).
_Values = tuple[np.ndarray, int]
_Pieces = Callable[[int, Activation, _Values], np.ndarray]


def _walk(
    net: Network,
    plane: Plane,
    h: np.ndarray,
    den: np.ndarray,
    pieces: _Pieces,
    stop: int | None = None,
) -> list[_Values]:
    """Values of nodes 0..stop (default: the output) from homogeneous plane vectors ``h``
    (C, N, 3), that is (u, v, 1) * den for the value and (du, dv, 0) * den for derivatives.

    ``pieces(i, act, z)`` picks the piece (N, width) of every unit of the activation at node
    ``i`` from its preactivation values ``z``.
    """
    exact = _exact_nodes(net)
    plane_map = dyadic(plane.map)
    values: list[_Values | None] = [(h @ plane_map.num.T, plane_map.exp)]
    den = den[None, :, None]
    stop = net.output if stop is None else stop
    for i, node in enumerate(net.nodes[1 : stop + 1], 1):
        if isinstance(node, Affine):
            W, b = exact[i]
            x, ex = values[node.src]
            bias = np.zeros((x.shape[0], x.shape[1], len(b.num)), dtype=object)
            bias[0] = b.num * den[0]
            (wx, bias), exp = align((x @ W.num.T, ex + W.exp), (bias, b.exp))
            values.append((wx + bias, exp))
        elif isinstance(node, Sum):
            coef = exact[i]
            terms = [
                (c * values[j][0], coef.exp + values[j][1])
                for c, j in zip(coef.num.tolist(), node.srcs, strict=True)
            ]
            nums, exp = align(*terms)
            values.append((sum(nums[1:], nums[0]), exp))
        elif isinstance(node, Concat):
            nums, exp = align(*(values[j] for j in node.srcs))
            values.append((np.concatenate(nums, axis=2), exp))
        else:
            _, slopes, offsets = exact[i]
            z, ez = values[node.src]
            p = pieces(i, node, (z, ez))
            unit = np.arange(node.width)
            offset = np.zeros_like(z)
            offset[0] = offsets.num[unit, p] * den[0]
            (sz, offset), exp = align(
                (slopes.num[unit, p] * z, slopes.exp + ez), (offset, offsets.exp)
            )
            values.append((sz + offset, exp))
    return values


def _breakpoint_signs(thresholds: Dyadic, z: _Values, den: np.ndarray) -> np.ndarray:
    """Sign (N, width, K) of ``z - t`` for every breakpoint, lexicographic over components:
    the value first, then the derivatives, so the sign is the one just beside the point."""
    num, exp = z
    (value, t), _ = align(
        (num[0][:, :, None], exp), (thresholds.num[None] * den[:, None, None], thresholds.exp)
    )
    signs = sign(value - t)
    for k in range(1, num.shape[0]):
        signs = np.where(signs == 0, sign(num[k])[:, :, None], signs)
    return signs


def _to_fractions(num: np.ndarray, exp: int, den: np.ndarray) -> np.ndarray:
    """``num * 2**exp / den`` as an object array of Fractions; num (N, w), den (N,)."""
    items = [
        _fraction(n, exp, d) for row, d in zip(num.tolist(), den.tolist(), strict=True) for n in row
    ]
    return objects(items, num.shape)


def _points(net: Network, plane: Plane | None, points: object) -> tuple:
    """The plane, and the points as integers (u, v, 1) * d (N, 3) with d (N,)."""
    plane = as_plane(None, net.n_inputs) if plane is None else plane
    if not isinstance(plane, Plane):
        raise TypeError(f"regions.oracle: plane must be a regions.Plane or None, got {plane!r}")
    return plane, *homogeneous(points)


def _directions(toward: object, den: np.ndarray) -> list[np.ndarray]:
    """Directions d1, d2 (one pair, or one per point) as homogeneous integer steps (N, 3):
    (d, 0) scaled to integers, times the point's denominator. A positive factor changes no
    sign, and a step gets no bias (it is a derivative)."""
    arr = np.asarray(toward, dtype=object)
    n = len(den)
    if arr.shape not in ((2, 2), (n, 2, 2)):
        raise ValueError(
            "regions.oracle: toward must be two directions (d1, d2), shape (2, 2), or one pair "
            f"per point, shape (N, 2, 2); got shape {arr.shape} for {n} points"
        )
    ints = homogeneous(arr.reshape(-1, 2))[0][:, :2].reshape(-1, 2, 2)  # (1 or N, pair, xy)
    d1, d2 = ints[:, 0], ints[:, 1]
    if np.any(d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0] == 0):
        raise ValueError("regions.oracle: the two directions of toward must be independent")
    zero = objects([0] * n, (n, 1))
    return [np.concatenate([d * den[:, None], zero], axis=1) for d in (d1, d2)]


def _signs_walk(
    net: Network, plane: Plane, h: np.ndarray, den: np.ndarray, stop: int | None = None
) -> tuple[list[_Values], list[_Values], np.ndarray]:
    """Walk to the output (or node ``stop``) choosing pieces by exact signs: (node values,
    preactivations per layer, signs (N, S))."""
    exact = _exact_nodes(net)
    pre: list[_Values] = []
    signs: list[np.ndarray] = []

    def pieces(i: int, act: Activation, z: _Values) -> np.ndarray:
        s = _breakpoint_signs(exact[i][0], z, den)
        pre.append(z)
        signs.append(s.reshape(len(den), s.shape[1] * s.shape[2]))
        return (s > 0).sum(axis=2)  # breakpoints exceeded; on a breakpoint both pieces agree

    values = _walk(net, plane, h, den, pieces, stop)
    return values, pre, np.concatenate([*signs, np.zeros((len(den), 0), np.int8)], axis=1)


# ----------------------------------------------------------------------------- public API
def exact_eval(net: Network, plane: Plane | None, points: object) -> list[ExactPoint]:
    """The model at plane points, exactly: logits, preactivations and breakpoint signs.

    Parameters
    ----------
    net : Network
        A traced model (:func:`regions.trace`, or ``Partition.network``).
    plane : Plane or None
        Plane coordinates to model inputs (``Partition.plane``); None for the identity of a
        2-input model.
    points : array_like, shape (N, 2)
        Plane points: floats (taken exactly), ints or Fractions.

    Returns
    -------
    list of ExactPoint, length N

    Examples
    --------
    The first net of issue 11: relu(relu(1 - 1e6 relu(1e6 x)) - 1/2), with kinks at x = 0,
    5e-13 and 1e-12. The float nearest 1e-12 lies a little below it, so there the second unit
    is still on, by a preactivation of about 2e-17 that a float forward pass rounds to 0:

    >>> import torch
    >>> import regions
    >>> from regions.oracle import exact_eval
    >>> model = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1), torch.nn.ReLU(),
    ...     torch.nn.Linear(1, 1), torch.nn.ReLU(),
    ... ).double()
    >>> with torch.no_grad():
    ...     for lin, w, b in zip(model[::2], ([1e6, 0.0], [-1e6], [1.0]), (0.0, 1.0, -0.5)):
    ...         _ = lin.weight.copy_(torch.tensor([w])), lin.bias.fill_(b)
    >>> net = regions.trace(model)
    >>> points = [[-0.5, 0.0], [4e-13, 0.0], [1e-12, 0.0], [0.25, 0.0]]
    >>> [p.pattern for p in exact_eval(net, None, points)]
    [(False, True, True), (True, True, True), (True, True, False), (True, False, False)]
    >>> z = exact_eval(net, None, [[1e-12, 0.0]])[0].pre[1][0]
    >>> z > 0, float(z), float(net.forward([[1e-12, 0.0]])[1][1][0, 0])
    (True, 2.01...e-17, 0.0)
    >>> exact_eval(net, None, [[0.25, 0.0]])[0].logits  # the model is 0 there
    (Fraction(0, 1),)
    """
    plane, hom, den = _points(net, plane, points)
    values, pre, signs = _signs_walk(net, plane, hom[None], den)
    num, exp = values[net.output]
    logits = _to_fractions(num[0], exp, den).tolist()
    layers = [_to_fractions(z[0], e, den).tolist() for z, e in pre]
    return [
        ExactPoint(
            point=(Fraction(u, d), Fraction(v, d)),
            logits=tuple(logits[i]),
            pre=tuple(tuple(z[i]) for z in layers),
            signs=tuple(signs[i].tolist()),
        )
        for i, (u, v, d) in enumerate(hom.tolist())
    ]


@dataclass(frozen=True, eq=False)
class RawPoint:
    """The model at one plane point, exactly, with values left as integers until asked for:
    what :mod:`regions.fallback` keeps per vertex, where only a few of the network's values
    are ever read (making a Fraction of every one took most of an exact fallback's time).

    Attributes
    ----------
    point : tuple of 2 Fraction
        The plane point (u, v).
    """

    point: tuple[Fraction, Fraction]
    _pre: tuple[tuple[list, int], ...]
    _logits: tuple[list, int] | None
    _den: int

    @property
    def depth(self) -> int:
        """Activation layers evaluated, plus one where the outputs were too."""
        return len(self._pre) + (self._logits is not None)

    def pre(self, layer: int, unit: int) -> Fraction:
        """Preactivation of ``unit`` of activation layer ``layer`` (0-based)."""
        row, exp = self._pre[layer]
        return _fraction(row[unit], exp, self._den)

    def logit(self, k: int) -> Fraction:
        """Output ``k``."""
        row, exp = self._logits
        return _fraction(row[k], exp, self._den)


def _fraction(num: int, exp: int, den: int) -> Fraction:
    return Fraction(num << exp, den) if exp >= 0 else Fraction(num, den << -exp)


def exact_eval_raw(
    net: Network, plane: Plane | None, points: object, depth: int | None = None
) -> list[RawPoint]:
    """:func:`exact_eval` without building Fractions of every value (see :class:`RawPoint`),
    through the first ``depth >= 1`` activation layers only (default, or beyond the last
    layer: to the outputs).

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.oracle import exact_eval_raw
    >>> p = exact_eval_raw(regions.trace(sawtooth(2)), None, [[0.25, 0.0]])[0]
    >>> p.pre(0, 1), p.logit(0)
    (Fraction(-1, 4), Fraction(1, 1))
    """
    plane, hom, den = _points(net, plane, points)
    acts = _activation_nodes(net)
    stop = None if depth is None or depth > len(acts) else acts[depth - 1]
    values, pre, _ = _signs_walk(net, plane, hom[None], den, stop)
    logits = values[net.output][0][0].tolist() if stop is None else None
    exp = values[net.output][1] if stop is None else 0
    layers = [(z[0].tolist(), e) for z, e in pre]
    return [
        RawPoint(
            point=(Fraction(u, d), Fraction(v, d)),
            _pre=tuple((rows[i], e) for rows, e in layers),
            _logits=None if logits is None else (logits[i], exp),
            _den=d,
        )
        for i, (u, v, d) in enumerate(hom.tolist())
    ]


def exact_lines(
    net: Network, plane: Plane, layer: int, pieces: list[np.ndarray]
) -> tuple[np.ndarray, int]:
    """Exact maps ``a u + b v + c`` of activation layer ``layer``'s preactivations (1-based)
    on regions given by their pieces: ``pieces[k]`` (N, width_k) holds each unit's breakpoints
    exceeded at layer k + 1 < ``layer``. Walking (0, 0, 1), (1, 0, 0) and (0, 1, 0) with the
    pieces forced gives ``c``, ``a`` and ``b`` at once.

    Returns ``num`` (N, width, 3) of Python ints, standing for ``(a, b, c) = num * 2**exp``,
    and ``exp``.

    Examples
    --------
    >>> import numpy as np, regions
    >>> from regions.constructions import sawtooth
    >>> from regions.domain import as_plane
    >>> net = regions.trace(sawtooth(2))  # layer 2 reads 2 relu(x) - 4 relu(x - 1/2)
    >>> num, exp = exact_lines(net, as_plane(None, 2), 2, [np.array([[1, 1], [1, 0]])])
    >>> [[int(n) * 2.0**exp for n in row] for row in num[:, 0]]  # unit 0 on each region
    [[-2.0, 0.0, 2.0], [2.0, 0.0, 0.0]]
    """
    acts = _activation_nodes(net)
    order = {node: k for k, node in enumerate(acts)}
    n = len(pieces[0]) if pieces else 1
    h = objects([c for basis in ((0, 0, 1), (1, 0, 0), (0, 1, 0)) for c in basis * n], (3, n, 3))
    pre: list[_Values] = []

    def forced(i: int, act: Activation, z: _Values) -> np.ndarray:
        if order[i] == layer - 1:
            pre.append(z)
            return np.zeros((n, act.width), dtype=np.int64)
        return pieces[order[i]]

    _walk(net, plane, h, objects([1] * n, (n,)), forced, acts[layer - 1])
    num, exp = pre[0]
    return np.moveaxis(num[[1, 2, 0]], 0, 2), exp


def exact_signs(
    net: Network, plane: Plane | None, points: object, *, toward: object = None
) -> np.ndarray:
    """Sign of ``z - threshold`` for every breakpoint at plane points, exactly.

    With ``toward=(d1, d2)``, the signs just beside each point: at ``p + e d1 + e**2 d2``
    for every small enough ``e > 0`` (a symbolic perturbation, decided exactly). That point
    lies in the interior of one region, so its signs are that region's pattern even where
    ``p`` sits on boundaries; a sign stays 0 only where the unit is constant at its
    breakpoint on that region (e.g. fed only by dead units).

    Parameters
    ----------
    net : Network
    plane : Plane or None
    points : array_like, shape (N, 2)
    toward : array_like, shape (2, 2) or (N, 2, 2), optional
        Two linearly independent rational directions (d1, d2) in plane coordinates, for all
        points or one pair per point.

    Returns
    -------
    ndarray of int8, shape (N, S)
        Columns ordered like ``Partition.breakpoints``.

    Examples
    --------
    Three lines through the origin; at the origin every sign is 0, beside it they are not:

    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> from regions.oracle import exact_signs
    >>> net = regions.trace(line_arrangement([[1, 0], [0, 1], [1, 1]], [0, 0, 0]))
    >>> exact_signs(net, None, [[0, 0]]).tolist()
    [[0, 0, 0]]
    >>> exact_signs(net, None, [[0, 0]], toward=[(1, 0), (0, -1)]).tolist()  # then down
    [[1, -1, 1]]
    >>> exact_signs(net, None, [[0, 0]], toward=[(1, -1), (0, 1)]).tolist()  # along x + y = 0
    [[1, -1, 1]]
    """
    plane, hom, den = _points(net, plane, points)
    signs = _signs_walk(net, plane, hom[None], den)[2]
    if toward is None:
        return signs
    steps = _directions(toward, den)
    # Where no sign at p is 0, every piece is decided by the value alone and the signs just
    # beside p are those at p; only points exactly on a breakpoint need the derivatives.
    tied = np.flatnonzero(np.any(signs == 0, axis=1))
    if tied.size:
        h = np.stack([hom[tied], *(step[tied] for step in steps)])
        signs[tied] = _signs_walk(net, plane, h, den[tied])[2]
    return signs


def exact_patterns(
    net: Network, plane: Plane | None, points: object, *, toward: object = None
) -> np.ndarray:
    """Activation patterns (N, S) bool at plane points, exactly: ``exact_signs(...) > 0``.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.oracle import exact_patterns
    >>> net = regions.trace(sawtooth(1))  # relu(x), relu(x - 1/2)
    >>> exact_patterns(net, None, [[0.75, 0.0], [0.5, 0.0]]).tolist()
    [[True, True], [True, False]]
    >>> exact_patterns(net, None, [[0.5, 0.0]], toward=[(1, 0), (0, 1)]).tolist()
    [[True, True]]
    """
    return exact_signs(net, plane, points, toward=toward) > 0


def exact_affine(
    net: Network,
    plane: Plane | None,
    patterns: object,
    *,
    layer: int | None = None,
    pre: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact affine maps of the output (or of a layer) on the pieces of given patterns.

    On the set of plane points with activation pattern ``patterns[r]`` the model is affine;
    this is that map, ``A[r] @ (u, v) + c[r]``, in Fractions, computed from the pattern alone
    (like :meth:`regions.Partition.affine`).

    Parameters
    ----------
    net : Network
    plane : Plane or None
    patterns : array_like of bool, shape (R, S) or (S,)
        Patterns with at least the columns of the layers the map depends on.
    layer : int, optional
        1-based activation layer; None for the output.
    pre : bool
        With ``layer``: its preactivations instead of its activations.

    Returns
    -------
    A : ndarray of Fraction, shape (R, width, 2) (or (width, 2) for one pattern)
    c : ndarray of Fraction, shape (R, width) (or (width,))

    Raises
    ------
    ValueError
        For a pattern no point can have (a unit above a breakpoint but below a lower one),
        too few columns, or a ``layer`` outside 1..n_layers.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.oracle import exact_affine
    >>> net = regions.trace(sawtooth(1))  # 2 relu(x) - 4 relu(x - 1/2) on [0, 1]
    >>> A, c = exact_affine(net, None, [True, True])
    >>> A.tolist(), c.tolist()  # 2 - 2 x
    ([[Fraction(-2, 1), Fraction(0, 1)]], [Fraction(2, 1)])
    """
    if layer is not None and not (isinstance(layer, int) and 1 <= layer <= net.n_layers):
        raise ValueError(f"regions.oracle: layer must be in 1..{net.n_layers}, got {layer!r}")
    bits = np.asarray(patterns, dtype=bool)
    single = bits.ndim == 1
    bits = np.atleast_2d(bits)
    plane = as_plane(None, net.n_inputs) if plane is None else plane
    if layer is None:
        node, needed = net.output, net.n_layers
    else:
        act = net.activations[layer - 1]
        node, needed = (act.src, layer - 1) if pre else (net.nodes.index(act), layer)
    if bits.ndim != 2 or bits.shape[1] < n_columns(net, needed):
        raise ValueError(
            f"regions.oracle: patterns must be (R, S) with at least {n_columns(net, needed)} "
            f"columns for this map, got shape {np.shape(patterns)}"
        )
    first = np.cumsum([0] + [a.thresholds.size for a in net.activations])

    def pieces(i: int, act: Activation, z: _Values) -> np.ndarray:
        k = act.layer - 1
        unit_bits = bits[:, first[k] : first[k + 1]].reshape(len(bits), act.width, -1)
        if np.any(unit_bits[:, :, 1:] & ~unit_bits[:, :, :-1]):
            raise ValueError(
                f"regions.oracle: impossible pattern: a unit of activation layer {act.layer} "
                "exceeds a breakpoint but not a lower one"
            )
        return unit_bits.sum(axis=2)

    # Components: the value at (u, v) = (0, 0), then the derivatives along u and along v.
    h = np.zeros((3, len(bits), 3), dtype=object)
    h[0, :, 2], h[1, :, 0], h[2, :, 1] = 1, 1, 1
    den = objects([1] * len(bits), (len(bits),))
    num, exp = _walk(net, plane, h, den, pieces, stop=node)[node]
    c = _to_fractions(num[0], exp, den)
    A = np.stack([_to_fractions(num[1], exp, den), _to_fractions(num[2], exp, den)], axis=2)
    return (A[0], c[0]) if single else (A, c)
