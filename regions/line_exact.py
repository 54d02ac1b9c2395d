"""Exact arithmetic for :mod:`regions.line`: a network's affine maps along a segment, in integers.

Every float64 is a dyadic rational ``m 2^e``. Along a segment ``x(s) = a0 + s a1`` with dyadic
``a0`` and ``a1``, every node of a traced network is ``alpha + beta s`` on a piece whose
activation pattern is known, and ``alpha`` and ``beta`` are dyadic too: they are sums and
products of the weights, ``a0`` and ``a1``, never quotients. :class:`ExactLine` computes them as
Python integers scaled by one power of two per array (no gcd, unlike ``fractions``) and returns
:class:`fractions.Fraction` values only where the line's float filter needs a sign settled.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from .errors import UnsupportedModelError
from .network import Activation, Affine, Concat, Network, Sum

if TYPE_CHECKING:
    from .breakpoints import Breakpoints
    from .domain import Plane

__all__ = ["Dyadic", "ExactLine", "dyadic", "to_fractions"]

Dyadic = tuple[np.ndarray, int]
"""An exact array: Python integers (object ndarray) and one exponent, value ``ints * 2**exp``."""


def dyadic(x: np.ndarray) -> Dyadic:
    """The exact value of a float64 array as integers times a power of two.

    Parameters
    ----------
    x : array_like of float, any shape
        Finite values.

    Returns
    -------
    ints : ndarray of object (Python int), same shape
    exp : int
        ``x == ints * 2**exp`` exactly.

    Examples
    --------
    >>> from regions.line_exact import dyadic
    >>> ints, exp = dyadic([0.75, -2.0, 0.0])
    >>> ints.tolist(), exp  # 3/4 = 3 * 2^-2, -2 = -8 * 2^-2
    ([3, -8, 0], -2)
    """
    mant, exp = np.frexp(np.asarray(x, dtype=np.float64))
    m = (mant * 2.0**53).astype(np.int64)  # exact: |mant| < 1 has 53 significant bits
    e = exp.astype(np.int64) - 53
    nonzero = m != 0
    if not nonzero.any():
        return np.zeros(m.shape, dtype=object), 0
    low = int(e[nonzero].min())
    # Drop the trailing zero bits common to all entries so the integers stay short.
    ints = m.astype(object) << np.where(nonzero, e - low, 0).astype(object)
    shift = _trailing_zeros(ints)
    return (ints >> shift if shift else ints), low + shift


def _trailing_zeros(ints: np.ndarray) -> int:
    """The largest k with every entry divisible by 2^k (0 for all-zero arrays)."""
    acc = int(np.bitwise_or.reduce(ints, axis=None)) if ints.size else 0
    return (acc & -acc).bit_length() - 1 if acc else 0


def _aligned(a: Dyadic, exp: int) -> np.ndarray:
    """The integers of ``a`` rescaled to exponent ``exp <= a[1]``."""
    return a[0] << (a[1] - exp) if a[1] > exp else a[0]


def _add(terms: list[tuple[float, Dyadic]]) -> Dyadic:
    """Exact ``sum sign * term`` for signs +1 or -1."""
    exp = min(t[1] for _, t in terms)
    total = sum((int(sign) * _aligned(t, exp) for sign, t in terms), start=0)
    return total, exp


def to_fractions(a: Dyadic) -> list[Fraction]:
    """The values of a 1-D dyadic array as Fractions.

    Examples
    --------
    >>> from regions.line_exact import dyadic, to_fractions
    >>> [str(f) for f in to_fractions(dyadic([0.75, 3.0]))]
    ['3/4', '3']
    """
    ints, exp = a
    scale = Fraction(1, 1 << -exp) if exp < 0 else Fraction(1 << exp)
    return [Fraction(int(v)) * scale for v in ints]


class ExactLine:
    """Exact affine maps of a network's nodes along one segment, for given activation pieces.

    Parameters
    ----------
    net : Network
        The traced model.
    points : ndarray, shape (2, k)
        The segment's endpoints: input coordinates (k = n_inputs), or plane coordinates
        (k = 2) with ``plane``. The exact input map is ``x(s) = a0 + s a1`` with ``a0`` the
        start (through the plane) and ``a1`` the difference of the ends, in rationals.
    plane : Plane or None
        The plane of the endpoints, if any.

    Examples
    --------
    ``sawtooth(2)``'s first layer (units x and x - 1/2) along x from 0 to 1, y = 0:

    >>> import numpy as np
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.line_exact import ExactLine
    >>> net = regions.trace(sawtooth(2))
    >>> line = ExactLine(net, np.array([[0.0, 0.0], [1.0, 0.0]]), None)
    >>> alpha, beta = line.maps([], net.activations[0].src)
    >>> [str(a) for a in alpha], [str(b) for b in beta]
    (['0', '-1/2'], ['1', '1'])

    On the piece where unit 0 is on and unit 1 off, the second layer's preactivations are
    ``2 s`` and ``2 s - 1/2``:

    >>> alpha, beta = line.maps([np.array([1, 0])], net.activations[1].src)
    >>> [str(a) for a in alpha], [str(b) for b in beta]
    (['0', '-1/2'], ['2', '2'])
    """

    def __init__(self, net: Network, points: np.ndarray, plane: Plane | None) -> None:
        self.net = net
        self.points = points
        self.plane = plane
        self._weights: dict[int, tuple[Dyadic, Dyadic]] = {}
        self._tables: dict[int, tuple[Dyadic, Dyadic]] = {}
        # Node values after each activation, keyed by (layers applied, their pieces' bytes):
        # neighbouring pieces share prefixes, so a walk resumes where a shorter one stopped.
        self._states: dict[tuple[int, bytes], tuple[int, dict[int, Dyadic]]] = {}

    @property
    def start(self) -> Dyadic:
        """The exact input map (2, n_inputs): rows x(0) and x(1) - x(0), built on first use."""
        key = (0, b"")
        if key not in self._states:
            p, q = dyadic(self.points[0]), dyadic(self.points[1])
            direction = _combine(q, p, -1)
            if self.plane is None:
                start = _combine(p, direction, 0)
            else:
                basis = dyadic(self.plane.basis)
                origin = _combine(dyadic(self.plane.origin), _matvec(basis, p), 1)
                start = _combine(origin, _matvec(basis, direction), 0)
            self._states[key] = (1, {0: start})
        return self._states[key][1][0]

    def maps(self, pieces: list[np.ndarray], node: int) -> tuple[list[Fraction], list[Fraction]]:
        """Exact ``alpha`` and ``beta`` (each one Fraction per unit) of ``net.nodes[node]``.

        Parameters
        ----------
        pieces : list of ndarray of int, one (width,) per activation layer before ``node``
            Each unit's piece (breakpoints exceeded, as :meth:`regions.Breakpoints.pieces`).
        node : int
            Index into ``net.nodes``.

        Returns
        -------
        alpha, beta : list of Fraction
            The node is ``alpha + beta * s`` on the piece.
        """
        self.start  # noqa: B018 (builds the walk's first state)
        known = len(pieces)
        while (known, _key(pieces[:known])) not in self._states:
            known -= 1
        i, values = self._states[(known, _key(pieces[:known]))]
        values = dict(values)
        while i <= node:
            current = self.net.nodes[i]
            if isinstance(current, Activation):
                piece = pieces[current.layer - 1]
                values[i] = self._activation(current, values[current.src], piece)
                key = (current.layer, _key(pieces[: current.layer]))
                self._states[key] = (i + 1, dict(values))
            else:
                values[i] = self._linear(i, current, values)
            i += 1
        ints, exp = values[node]
        return to_fractions((ints[0], exp)), to_fractions((ints[1], exp))

    def preactivation(
        self, columns: Breakpoints, layer: int, row: np.ndarray
    ) -> tuple[list[Fraction], list[Fraction]]:
        """Exact maps of activation ``layer``'s preactivations on a piece with pattern ``row``.

        Parameters
        ----------
        columns : Breakpoints
            What the pattern columns mean.
        layer : int
            1-based activation layer.
        row : ndarray of bool, shape (1, S')
            The piece's pattern, S' covering at least the layers before ``layer``.

        Returns
        -------
        alpha, beta : list of Fraction
            One per unit of the layer.
        """
        pieces = columns.pieces(row, self.net, layer - 1)
        return self.maps([p[0] for p in pieces], self.net.activations[layer - 1].src)

    def break_value(self, columns: Breakpoints, column: int, row: np.ndarray) -> Fraction:
        """The exact break ``(t - alpha) / beta`` drawn by pattern ``column``.

        Parameters
        ----------
        columns : Breakpoints
            What the pattern columns mean.
        column : int
            The breakpoint that drew the break.
        row : ndarray of bool, shape (1, S')
            Pattern of a piece next to the break: the same as the drawing piece's before the
            drawing layer, which is all that is read.

        Returns
        -------
        Fraction
            The break's parameter s.
        """
        layer, unit = int(columns.layer[column]), int(columns.unit[column])
        alpha, beta = self.preactivation(columns, layer, row)
        return (Fraction(float(columns.threshold[column])) - alpha[unit]) / beta[unit]

    def _linear(self, i: int, node: object, values: dict[int, Dyadic]) -> Dyadic:
        if isinstance(node, Affine):
            if i not in self._weights:
                self._weights[i] = (dyadic(node.W), dyadic(node.b))
            (W, w_exp), b = self._weights[i]
            src, src_exp = values[node.src]
            out = (src @ W.T, src_exp + w_exp)
            exp = min(out[1], b[1])
            ints = _aligned(out, exp)
            ints[0] = ints[0] + _aligned(b, exp)
            return ints, exp
        if isinstance(node, Sum):
            return _add([(s, values[j]) for j, s in zip(node.srcs, node.signs, strict=True)])
        if isinstance(node, Concat):
            exp = min(values[j][1] for j in node.srcs)
            return np.concatenate([_aligned(values[j], exp) for j in node.srcs], axis=1), exp
        raise UnsupportedModelError(
            f"regions.decompose_line: network node {type(node).__name__} is not supported"
        )

    def _activation(self, node: Activation, z: Dyadic, piece: np.ndarray) -> Dyadic:
        """``slope * z + offset`` of every unit on its piece (rows: alpha, beta)."""
        ints, exp = z
        if node.is_relu:
            return ints * (piece > 0).astype(object), exp
        if node.layer not in self._tables:
            self._tables[node.layer] = (dyadic(node.slopes), dyadic(node.offsets))
        (slopes, s_exp), (offsets, o_exp) = self._tables[node.layer]
        units = np.arange(node.width)
        scaled = (ints * slopes[units, piece], exp + s_exp)
        low = min(scaled[1], o_exp)
        out = _aligned(scaled, low)
        out[0] = out[0] + _aligned((offsets[units, piece], o_exp), low)
        return out, low


def _key(pieces: list[np.ndarray]) -> bytes:
    return b"".join(np.asarray(p, dtype=np.int64).tobytes() for p in pieces)


def _combine(a: Dyadic, b: Dyadic, how: int) -> Dyadic:
    """Exact ``a + b`` (how 1), ``a - b`` (how -1) or the rows ``[a, b]`` stacked (how 0)."""
    exp = min(a[1], b[1])
    x, y = _aligned(a, exp), _aligned(b, exp)
    return (np.stack([x, y]) if how == 0 else x + how * y), exp


def _matvec(m: Dyadic, v: Dyadic) -> Dyadic:
    return m[0] @ v[0], m[1] + v[1]
