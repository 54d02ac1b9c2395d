"""Double-float maps for :mod:`regions.line_walk` on deep nets.

The line walk carries every node's maps ``alpha + beta s`` on each piece with per-entry error
bounds. In float64 those bounds grow about 4.5 times a layer on He-initialised nets while the
maps do not, and past about 16 layers signs go to rational arithmetic by the hundred. Here each
map is an unevaluated sum ``m + lo`` (:mod:`regions.compensated`), each layer's rounding about
2^-93 of ``|W| |m|`` (three slices): the same state ``(m, e)`` as the float64 walk plus ``lo``,
where ``e`` bounds the error of ``m + lo`` (:func:`float_view` gives ``m`` and the bound of
``m`` alone, which is what the walk's cuts read).
"""

from __future__ import annotations

import numpy as np

from .compensated import (
    UNDERFLOW,
    SplitMatrix,
    linear_rows,
    scaled,
    shifted,
    signed_sum,
    sum_of_products,
    two_sum,
)
from .domain import Plane
from .floats import EPS, SAFE, gamma
from .network import Activation, Affine, Concat, Node, Sum

__all__ = ["activate", "float_view", "input_map", "linear"]

State = tuple[np.ndarray, np.ndarray, np.ndarray]
"""A node's maps ``m`` (P, 2, width) (rows: value at s = 0, slope), the bound ``e`` (P, 2,
width) on the error of ``m + lo``, and ``lo`` (P, 2, width)."""


def input_map(points: np.ndarray, plane: Plane | None) -> State:
    """The segment's input map, ``x(0)`` and ``x(1) - x(0)``, from exact products and sums."""
    if plane is None:
        rows = [[(points[0], 1.0)], [(points[1], 1.0), (points[0], -1.0)]]
    else:
        b0, b1 = plane.basis[:, 0], plane.basis[:, 1]
        u0, v0 = points[0]
        (du, dv), (du_lo, dv_lo) = two_sum(points[1], -points[0])  # exact
        rows = [
            [(plane.origin, 1.0), (b0, u0), (b1, v0)],
            [(b0, du), (b0, du_lo), (b1, dv), (b1, dv_lo)],
        ]
    parts = [sum_of_products(terms) for terms in rows]  # (hi, lo, bound) per row
    hi, lo, bound = (np.stack([part[k] for part in parts])[None] for k in range(3))
    return hi, bound * SAFE, lo


def float_view(state: State) -> tuple[np.ndarray, np.ndarray]:
    """``m`` and a bound on its own error (``e`` plus ``|lo|``), as the float64 walk keeps."""
    m, e, lo = state
    return m, (e + np.abs(lo)) * SAFE


def linear(node: Node, values: dict[int, State]) -> State:
    """Maps of an Affine, Sum or Concat node."""
    if isinstance(node, Affine):
        m, e, lo = values[node.src]
        n, width = len(m), node.W.shape[0]
        rows = (a.reshape(2 * n, -1) for a in (m, lo, e))
        product_rows = linear_rows(SplitMatrix(node.W), *rows)
        out_m, out_lo, err = (a.reshape(n, 2, width) for a in product_rows)
        bias = np.broadcast_to(node.b, out_m[:, 0].shape)
        out_m[:, 0], out_lo[:, 0], _ = shifted(out_m[:, 0], out_lo[:, 0], 0.0, bias)
        err[:, 0] += EPS * np.abs(out_lo[:, 0])  # the bias's one rounding in lo
        return out_m, err * SAFE, out_lo
    if isinstance(node, Sum):
        states = [values[j] for j in node.srcs]
        m, lo, size = signed_sum([(mj, loj) for mj, _, loj in states], node.signs)
        e = sum(ej for _, ej, _ in states)
        return m, (e + gamma(2 * len(node.srcs)) * size) * SAFE, lo
    if isinstance(node, Concat):
        parts = zip(*(values[j] for j in node.srcs), strict=True)
        return tuple(np.concatenate(part, axis=2) for part in parts)
    raise TypeError(f"regions.line_compensated: no maps for {type(node).__name__}")


def activate(node: Activation, state: State, pieces: np.ndarray) -> State:
    """Maps of the activation on every piece (its certified pieces): ReLU's 0/1 slopes select
    exactly; other slopes multiply by an exact TwoProd and offsets add by an exact TwoSum."""
    m, e, lo = state
    if node.is_relu:
        on = (pieces > 0)[:, None, :]
        return m * on, e * on, lo * on
    units = np.arange(node.width)
    slope = node.slopes[units, pieces][:, None, :]
    out_m, out_lo, size = scaled(m, lo, slope)
    offset = node.offsets[units, pieces]
    out_m[:, 0], out_lo[:, 0], size[:, 0] = shifted(out_m[:, 0], out_lo[:, 0], size[:, 0], offset)
    err = e * np.abs(slope) + gamma(3) * size + UNDERFLOW
    return out_m, err * SAFE, out_lo
