"""Exact evaluation of a traced network at rational points, in integer arithmetic.

Every float64 is a dyadic rational ``m * 2**e``, so the weights, biases, breakpoints, slopes
and the plane map are all dyadic, and sums and products of dyadic numbers stay dyadic. At a
rational point ``(X / D, Y / D)`` every node's value is therefore ``N * 2**e / D`` with integer
``N``: one shared exponent ``e`` per node and the point's denominator ``D``. Python's integers
carry this exactly, whatever the magnitudes (weights from 1e-300 to 1e300 only make the
integers longer). This is the slow, always-right path that the decomposition falls back on
where its floating-point filter cannot decide a sign, and the judge of :func:`regions.certify`.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .network import Activation, Affine, Concat, Network, Sum

__all__ = ["Dyadic", "ExactPoint", "ExactNetwork", "exact_network", "to_dyadic"]


@dataclass(frozen=True)
class Dyadic:
    """Integers ``n`` (object array) times ``2**exp``: an exact array of float64 values."""

    n: np.ndarray
    exp: int

    def shifted(self, exp: int) -> np.ndarray:
        """The integers for the same values at a smaller exponent ``exp <= self.exp``."""
        return self.n * (1 << (self.exp - exp)) if self.exp > exp else self.n


def to_dyadic(a: np.ndarray) -> Dyadic:
    """Exact integer form of a float64 array (any shape).

    Examples
    --------
    >>> import numpy as np
    >>> d = to_dyadic(np.array([0.75, -2.0, 0.0]))
    >>> [int(v) * 2.0**d.exp for v in d.n]
    [0.75, -2.0, 0.0]
    """
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("exact arithmetic needs finite values")
    frac, k = np.frexp(a)  # a = frac * 2**k with 0.5 <= |frac| < 1: frac * 2**53 is an integer
    mant = (frac * 2.0**53).astype(np.int64)
    ex = k.astype(np.int64) - 53
    nonzero = mant != 0
    low = int(ex[nonzero].min()) if nonzero.any() else 0
    out = np.empty(a.shape, dtype=object)
    flat = out.reshape(-1)
    for i, (m, e) in enumerate(zip(mant.ravel().tolist(), ex.ravel().tolist(), strict=True)):
        flat[i] = m << (e - low) if m else 0
    return Dyadic(out, low)


def _add(a: Dyadic, b: Dyadic) -> Dyadic:
    exp = min(a.exp, b.exp)
    return Dyadic(a.shifted(exp) + b.shifted(exp), exp)


@dataclass(frozen=True)
class ExactPoint:
    """A network evaluated exactly at the plane point ``(X / D, Y / D)``.

    Attributes
    ----------
    xy : tuple of Fraction
        The point's plane coordinates.
    values : list of Dyadic
        Every node's value times ``D`` (node ``i`` is ``values[i].n * 2**values[i].exp / D``).
    denominator : int
        ``D > 0``.
    """

    xy: tuple[Fraction, Fraction]
    values: list[Dyadic]
    denominator: int

    def value(self, node: int, unit: int) -> Fraction:
        """Exact value of one unit of one node."""
        v = self.values[node]
        num = int(v.n[unit])
        return (
            Fraction(num << v.exp, self.denominator)
            if v.exp >= 0
            else Fraction(num, self.denominator << -v.exp)
        )

    def sign(self, node: int, unit: int, threshold: float = 0.0) -> int:
        """Exact sign (-1, 0 or 1) of ``value(node, unit) - threshold``."""
        v = self.values[node]
        t = to_dyadic(np.array(threshold))
        exp = min(v.exp, t.exp)
        lhs = int(v.n[unit]) << (v.exp - exp)
        rhs = (int(t.n) * self.denominator) << (t.exp - exp)
        return (lhs > rhs) - (lhs < rhs)


class ExactNetwork:
    """A :class:`Network` with every parameter in exact integer form; see :func:`exact_network`.

    Parameters
    ----------
    net : Network
        The traced model.
    plane_map : ndarray, shape (n_inputs, 3)
        Input as a function of plane coordinates, ``x = plane_map @ (u, v, 1)``.
    """

    def __init__(self, net: Network, plane_map: np.ndarray) -> None:
        self.net = net
        self.plane = to_dyadic(plane_map)
        self.params: list[tuple[Dyadic, ...] | None] = [None]
        for node in net.nodes[1:]:
            if isinstance(node, Affine):
                self.params.append((to_dyadic(node.W), to_dyadic(node.b)))
            elif isinstance(node, Sum):
                self.params.append((to_dyadic(np.asarray(node.signs, dtype=np.float64)),))
            elif isinstance(node, Activation):
                self.params.append(
                    (to_dyadic(node.thresholds), to_dyadic(node.slopes), to_dyadic(node.offsets))
                )
            else:
                self.params.append(None)

    def evaluate(self, x: Fraction, y: Fraction) -> ExactPoint:
        """Every node's exact value at the plane point (x, y).

        Examples
        --------
        >>> from fractions import Fraction
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> from regions.exact import exact_network
        >>> net = regions.trace(sawtooth(2))
        >>> ex = exact_network(net, regions.Plane(np.zeros(2), np.eye(2)).map)
        >>> ex.evaluate(Fraction(1, 3), Fraction(0)).value(net.output, 0)  # tent map twice
        Fraction(2, 3)
        """
        x, y = Fraction(x), Fraction(y)
        d = x.denominator * y.denominator // math.gcd(x.denominator, y.denominator)
        # dtype=object: numpy would turn integers beyond int64 into floats.
        point = np.array(
            [x.numerator * (d // x.denominator), y.numerator * (d // y.denominator), d],
            dtype=object,
        )
        values: list[Dyadic] = [Dyadic(self.plane.n.dot(point), self.plane.exp)]
        for node, params in zip(self.net.nodes[1:], self.params[1:], strict=True):
            if isinstance(node, Affine):
                W, b = params
                src = values[node.src]
                values.append(_add(Dyadic(W.n.dot(src.n), W.exp + src.exp), Dyadic(b.n * d, b.exp)))
            elif isinstance(node, Sum):
                (signs,) = params
                total = None
                for j, s in zip(node.srcs, signs.n, strict=True):
                    term = Dyadic(values[j].n * int(s), values[j].exp + signs.exp)
                    total = term if total is None else _add(total, term)
                values.append(total)
            elif isinstance(node, Concat):
                exp = min(values[j].exp for j in node.srcs)
                values.append(
                    Dyadic(np.concatenate([values[j].shifted(exp) for j in node.srcs]), exp)
                )
            else:
                values.append(_activate(values[node.src], params, d))
        return ExactPoint((x, y), values, d)


def _activate(z: Dyadic, params: tuple[Dyadic, ...], d: int) -> Dyadic:
    """Exact activation of preactivations ``z`` (times the point's denominator ``d``)."""
    t, s, o = params
    exp = min(z.exp, t.exp)
    lhs = z.shifted(exp)[:, None]
    rhs = (t.n * d) * (1 << (t.exp - exp)) if t.exp > exp else t.n * d
    piece = np.sum(lhs > rhs, axis=1).astype(np.int64)  # breakpoints exceeded
    rows = np.arange(len(piece))
    slope = s.n[rows, piece]
    offset = o.n[rows, piece]
    return _add(Dyadic(slope * z.n, s.exp + z.exp), Dyadic(offset * d, o.exp))


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def exact_network(net: Network, plane_map: np.ndarray) -> ExactNetwork:
    """The exact form of ``net`` on a plane, converted once per network and plane.

    Parameters
    ----------
    net : Network
        The traced model.
    plane_map : ndarray, shape (n_inputs, 3)
        ``Plane.map``.

    Returns
    -------
    ExactNetwork
    """
    key = np.asarray(plane_map, dtype=np.float64).tobytes()
    per_net = _CACHE.setdefault(net, {})
    if key not in per_net:
        per_net[key] = ExactNetwork(net, plane_map)
    return per_net[key]
