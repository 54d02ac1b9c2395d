"""An exact oracle for the line tests: a torch MLP evaluated in rational arithmetic.

Independent of :mod:`regions` (it reads the torch modules, not a traced network): the float64
weights become Fractions, and every preactivation, sign and output is exact.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from torch import nn

import regions


def _frac(values: object) -> list:
    """Nested lists of Fractions from a tensor or array (exact: floats are rationals)."""
    return np.vectorize(lambda v: Fraction(float(v)), otypes=[object])(
        np.asarray(values, dtype=np.float64)
    ).tolist()


class ExactMLP:
    """A ``nn.Sequential`` of Linear, ReLU, LeakyReLU, Hardtanh (ReLU6) and Identity layers."""

    def __init__(self, model: nn.Sequential) -> None:
        self.steps: list[tuple] = []
        for mod in model:
            if isinstance(mod, nn.Linear):
                self.steps.append(("linear", _frac(mod.weight.detach()), _frac(mod.bias.detach())))
            elif isinstance(mod, (nn.ReLU, nn.LeakyReLU)):
                slope = Fraction(float(getattr(mod, "negative_slope", 0.0)))
                self.steps.append(("act", [Fraction(0)], lambda z, a=slope: z if z > 0 else a * z))
            elif isinstance(mod, nn.Hardtanh):
                lo, hi = Fraction(float(mod.min_val)), Fraction(float(mod.max_val))
                self.steps.append(("act", [lo, hi], lambda z, lo=lo, hi=hi: min(max(z, lo), hi)))
            elif not isinstance(mod, nn.Identity):
                raise TypeError(f"no exact oracle for {type(mod).__name__}")

    def forward(self, x: list[Fraction]) -> tuple[list[list[Fraction]], list[Fraction]]:
        """Preactivations of every activation layer, and the output, at the point ``x``."""
        pre, h = [], list(x)
        for kind, a, b in self.steps:
            if kind == "linear":
                h = [
                    sum((w * v for w, v in zip(row, h, strict=True)), c)
                    for row, c in zip(a, b, strict=True)
                ]
                continue
            pre.append(h)
            h = [b(z) for z in h]
        return pre, h

    def magnitude(self, x: list[Fraction]) -> list[Fraction]:
        """A bound on every term a float evaluation of the output at ``x`` sums, by output:
        the forward pass through ``|W|`` and ``|b|`` from ``|x|``, each activation taken as
        the identity (slopes are at most 1, so its value is at most the largest of ``|z|`` and
        its clamps'). Where the
        output is a small difference of large terms, float64 loses digits relative to this."""
        h = [abs(v) for v in x]
        for kind, a, b in self.steps:
            if kind == "linear":
                h = [
                    sum((abs(w) * v for w, v in zip(row, h, strict=True)), abs(c))
                    for row, c in zip(a, b, strict=True)
                ]
            else:
                h = [max([v] + [abs(t) for t in a]) for v in h]
        return h

    def signs(self, x: list[Fraction]) -> list[int]:
        """Sign of ``z - t`` for every breakpoint column (layer, unit, breakpoint order)."""
        pre, _ = self.forward(x)
        out = []
        for z, (_, thresholds, _) in zip(
            pre, [s for s in self.steps if s[0] == "act"], strict=True
        ):
            for v in z:
                out += [(v > t) - (v < t) for t in thresholds]
        return out


def segment(pieces: regions.LinePieces, start: object, end: object) -> tuple[list, list]:
    """The exact segment ``a0 + s a1`` (input coordinates) that ``decompose_line`` was given."""
    p, q = _frac(np.atleast_1d(start)), _frac(np.atleast_1d(end))
    if pieces.plane is None:
        return p, [b - a for a, b in zip(p, q, strict=True)]
    origin, basis = _frac(pieces.plane.origin), _frac(pieces.plane.basis)
    d = [q[0] - p[0], q[1] - p[1]]
    a0 = [o + row[0] * p[0] + row[1] * p[1] for o, row in zip(origin, basis, strict=True)]
    return a0, [row[0] * d[0] + row[1] * d[1] for row in basis]


def check_line(model: nn.Sequential, pieces: regions.LinePieces, start, end) -> None:
    """Judge ``pieces`` in exact arithmetic: the pieces are exactly the maximal intervals of
    constant activation pattern, with the right patterns and (to rounding) maps.

    - Exact breaks strictly increase inside (0, 1); the float breaks approximate them.
    - Every piece's pattern is the exact pattern at its exact midpoint.
    - No break is missing: on each piece, no breakpoint's ``z - t`` has strictly opposite
      signs at the two ends. (Layer by layer: if the earlier layers' pattern is constant on
      the open piece, this layer's preactivations are affine there, so their signs are.)
    - No break is spurious: neighbouring pieces have different patterns.
    - The output map of each piece equals the model at its exact midpoint (relative 1e-9
      to the terms a float evaluation sums there, :meth:`ExactMLP.magnitude`).
    """
    exact = ExactMLP(model)
    a0, a1 = segment(pieces, start, end)
    at = lambda s: [a + s * d for a, d in zip(a0, a1, strict=True)]  # noqa: E731
    breaks = pieces.exact_breaks()
    ends = [Fraction(0), *breaks, Fraction(1)]
    assert all(a < b for a, b in zip(ends, ends[1:], strict=False)), (
        "exact breaks must strictly increase"
    )
    assert len(pieces.breaks) == len(breaks) == len(pieces) - 1
    assert np.all(np.diff(pieces.breaks) >= 0), "float breaks must be sorted"
    for approx, b in zip(pieces.breaks, breaks, strict=True):
        assert abs(Fraction(float(approx)) - b) <= Fraction(1, 10**9), (approx, b)
    signs = [exact.signs(at(s)) for s in ends]
    a, b = pieces.affine()
    for i in range(len(pieces)):
        mid = (ends[i] + ends[i + 1]) / 2
        pre, out = exact.forward(at(mid))
        want = [bool(s > 0) for s in exact.signs(at(mid))]
        assert pieces.patterns[i].tolist() == want, f"piece {i}: pattern differs from exact"
        crossed = [
            c for c, (x, y) in enumerate(zip(signs[i], signs[i + 1], strict=True)) if x * y < 0
        ]
        assert not crossed, f"piece {i}: columns {crossed[:5]} change sign inside (missed break)"
        if i:
            assert pieces.patterns[i].tolist() != pieces.patterns[i - 1].tolist(), f"break {i}"
        got = a[i] * float(mid) + b[i]
        # Relative to the terms' size: a float map evaluated where they cancel loses digits,
        # and so does one composed through layers whose large terms cancel.
        scale = np.abs(a[i]) * float(mid) + np.abs(b[i]) + 1e-300
        scale = np.maximum(scale, np.array(exact.magnitude(at(mid)), dtype=float))
        assert np.all(np.abs(got - np.array(out, dtype=float)) <= 1e-9 * scale), (i, got, out)
