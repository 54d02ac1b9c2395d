"""A float64 forward pass with rigorous error bounds, and the signs it certifies.

Shared by :func:`regions.certify` (patterns at interior points) and
:meth:`regions.Partition.locate` (patterns at the user's points): the float pass settles
almost every sign at full speed, and only the signs its bound leaves open need the exact
rational walk of :mod:`regions.oracle`.
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
)
from .domain import Plane
from .floats import EPS, SAFE, gamma
from .network import Activation, Affine, Concat, Network, Sum

__all__ = ["certified_signs", "compensated_forward", "forward_with_bounds", "settled_signs"]


def forward_with_bounds(
    net: Network, plane: Plane | None, points: np.ndarray, compensated: bool = False
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Float values of every node at plane points, with rigorous bounds on their errors.

    The points are taken as exact (float64 numbers are rationals); the bounds cover the
    rounding of the plane map and of every node after it.

    Parameters
    ----------
    net : Network
    plane : Plane or None
        None: ``points`` are the model's inputs (N, n_inputs), exact.
    points : ndarray, shape (N, 2)
        Plane coordinates.
    compensated : bool
        Carry every value in double-float precision (:func:`compensated_forward`): deep
        nets' bounds stay about 2^17 times tighter a layer.

    Returns
    -------
    values, errors : list of ndarray, shape (N, width) per node
        Float values and bounds on ``|float - exact|``, node by node (``net.nodes`` order).

    Examples
    --------
    >>> import numpy as np, regions
    >>> from regions.bounded import forward_with_bounds
    >>> from regions.constructions import sawtooth
    >>> from regions.domain import as_plane
    >>> net = regions.trace(sawtooth(1))  # relu(x), relu(x - 1/2)
    >>> values, errors = forward_with_bounds(net, as_plane(None, 2), np.array([[0.1, 0.0]]))
    >>> bool(abs(values[1][0, 1] - (0.1 - 0.5)) <= errors[1][0, 1] < 1e-15)
    True
    """
    if compensated:
        return compensated_forward(net, plane, points)
    # Every rounding errs by a relative gamma term, or (a product below float64's normal
    # range) by up to 2^-1075 absolute: UNDERFLOW (2^-1000) covers any node's sum of those.
    if plane is None:
        values, errors = [points], [np.zeros_like(points)]
    else:
        values = [plane.to_input(points)]
        errors = [
            gamma(3) * (np.abs(points) @ np.abs(plane.basis).T + np.abs(plane.origin)) + UNDERFLOW
        ]
    for node in net.nodes[1:]:
        if isinstance(node, Affine):
            src, err = values[node.src], errors[node.src]
            # |W| (e + k |x|) as a matrix product: a row norm times the largest term instead
            # loosens deep nets' bounds by about 2x per layer (see region_maps.affine).
            k = gamma(node.W.shape[1] + 1)
            values.append(src @ node.W.T + node.b)
            bound = (err + k * np.abs(src)) @ np.abs(node.W).T + k * np.abs(node.b)
            errors.append((bound + UNDERFLOW) * SAFE)
        elif isinstance(node, Sum):
            scale = [abs(s) for s in node.signs]
            values.append(sum(s * values[j] for j, s in zip(node.srcs, node.signs, strict=True)))
            k = gamma(2 * len(node.srcs))
            errors.append(
                sum(
                    a * (errors[j] + k * np.abs(values[j]))
                    for j, a in zip(node.srcs, scale, strict=True)
                )
                * SAFE
            )
        elif isinstance(node, Concat):
            values.append(np.concatenate([values[j] for j in node.srcs], axis=1))
            errors.append(np.concatenate([errors[j] for j in node.srcs], axis=1))
        else:
            z, err = values[node.src], errors[node.src]
            lipschitz = np.abs(node.slopes).max(axis=1)
            if node.is_relu:  # a unit certainly dead is exactly 0 (a NaN bound stays NaN)
                err = np.where(z + err <= 0, 0.0, err)
            a = node.apply(z)
            rounding = (
                0.0
                if node.is_relu
                else gamma(3 * node.thresholds.shape[1] + 3)
                * (
                    np.abs(z) * np.abs(node.slopes).sum(axis=1)
                    + np.abs(node.offsets).sum(axis=1)
                    + (np.abs(np.diff(node.slopes, axis=1)) * np.abs(node.thresholds)).sum(axis=1)
                )
            )
            values.append(a)
            errors.append((lipschitz * err + rounding + UNDERFLOW) * SAFE)
    return values, errors


def compensated_forward(
    net: Network, plane: Plane, points: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:func:`forward_with_bounds` with every value carried as ``hi + lo`` (double floats).

    The plane map is applied by exact TwoProds and TwoSums, affine nodes by
    :func:`regions.compensated.product` (three slices, its first products exact) and a TwoSum with
    the bias, sums by TwoSums. A unit certainly beyond its breakpoints passes its error through its
    piece (a dead ReLU unit passes none); one within its error of a breakpoint passes ``L`` times
    its error (``L`` the largest slope), plus ``2 L |lo|`` for the piece read off ``hi``.
    Returns the ``hi`` parts and bounds on their own errors (``|lo|`` included).
    """
    u, v = points[:, :1], points[:, 1:2]
    state = [sum_of_products([(u, plane.basis[:, 0]), (v, plane.basis[:, 1]), (plane.origin, 1.0)])]
    for node in net.nodes[1:]:
        if isinstance(node, Affine):
            state.append(_compensated_affine(node, *state[node.src]))
        elif isinstance(node, Sum):
            state.append(_compensated_sum(node, [state[j] for j in node.srcs]))
        elif isinstance(node, Concat):
            state.append(
                tuple(
                    np.concatenate(parts, axis=1)
                    for parts in zip(*(state[j] for j in node.srcs), strict=True)
                )
            )
        else:
            state.append(_compensated_activation(node, *state[node.src]))
    return [hi for hi, _, _ in state], [(e + np.abs(lo)) * SAFE for _, lo, e in state]


def _compensated_affine(
    node: Affine, hi: np.ndarray, lo: np.ndarray, err: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hi, lo, bound = linear_rows(SplitMatrix(node.W), hi, lo, err)
    hi, lo, _ = shifted(hi, lo, 0.0, np.broadcast_to(node.b, hi.shape))  # one rounding in lo
    return hi, lo, (bound + EPS * np.abs(lo)) * SAFE


def _compensated_sum(
    node: Sum, terms: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hi, lo, size = signed_sum([(h, low) for h, low, _ in terms], node.signs)
    err = sum(e for _, _, e in terms)
    return hi, lo, (err + gamma(2 * len(terms)) * size) * SAFE


def _compensated_activation(
    node: Activation, hi: np.ndarray, lo: np.ndarray, err: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    reach = (np.abs(lo) + err) * (1 + 4 * EPS)  # |z - hi| <= reach, rounding included
    if node.is_relu:
        dead, live = hi + reach <= 0, hi - reach > 0
        out_hi = np.where(dead | (hi <= 0), 0.0, hi)
        out_lo = np.where(live, lo, 0.0)
        return out_hi, out_lo, np.where(dead, 0.0, np.where(live, err, reach))
    units = np.arange(node.width)
    piece = (hi[:, :, None] > node.thresholds[None]).sum(axis=2)
    slope, offset = node.slopes[units, piece], node.offsets[units, piece]
    out_hi, out_lo, size = shifted(*scaled(hi, lo, slope), offset)
    lipschitz = np.abs(node.slopes).max(axis=1)
    bound = lipschitz * (err + 2 * np.abs(lo)) + gamma(3) * size + 4 * UNDERFLOW
    return out_hi, out_lo, bound * SAFE


def settled_signs(
    net: Network, plane: Plane, points: np.ndarray, depth: int | None = None
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """:func:`certified_signs` of a float64 pass, re-decided by a double-float pass
    (:func:`compensated_forward`) at the points the first leaves open: on deep nets float64
    bounds leave hundreds of points to exact arithmetic, double floats almost none, at a
    fraction of a full double-float pass's cost.

    Returns
    -------
    bits, undecided : ndarray of bool, shape (N, S)
        As :func:`certified_signs`: what is still undecided needs exact arithmetic.
    values, errors : list of ndarray
        As :func:`forward_with_bounds`, the reopened points' rows from the second pass.
    """
    values, errors = forward_with_bounds(net, plane, points)
    bits, undecided = certified_signs(net, values, errors, depth)
    rows = np.flatnonzero(undecided.any(axis=1))
    if rows.size:
        finer = compensated_forward(net, plane, points[rows])
        bits[rows], undecided[rows] = certified_signs(net, *finer, depth)
        for ours, theirs in zip((values, errors), finer, strict=True):
            for node, refined in zip(ours, theirs, strict=True):
                node[rows] = refined
    return bits, undecided, values, errors


def certified_signs(
    net: Network, values: list[np.ndarray], errors: list[np.ndarray], depth: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Signs of every breakpoint of the first ``depth`` activation layers that the bounds
    settle.

    Parameters
    ----------
    net : Network
    values, errors : list of ndarray
        From :func:`forward_with_bounds`.
    depth : int, optional
        Activation layers to read (default all).

    Returns
    -------
    bits : ndarray of bool, shape (N, S)
        ``z > threshold`` where settled, columns ordered like ``Partition.breakpoints``.
    undecided : ndarray of bool, shape (N, S)
        Where ``|z - threshold|`` is within its bound: exact arithmetic must decide.
    """
    n = len(values[0])
    bits, open_ = [np.zeros((n, 0), dtype=bool)], [np.zeros((n, 0), dtype=bool)]
    g = gamma(2) * SAFE  # the rounding of z - t, bound inflated as every bound is
    for act in net.activations[:depth]:
        z, e = values[act.src], errors[act.src]
        base = e * SAFE
        base += g * np.abs(z)
        above, near = [], []
        for t in act.thresholds.T:  # one column per breakpoint of every unit, in place
            s = z - t
            margin = base + g * np.abs(t)
            above.append(s > margin)
            near.append(np.abs(s, out=s) <= margin)
        bits.append(np.stack(above, axis=2).reshape(n, -1))  # unit-major, breakpoint-minor
        open_.append(np.stack(near, axis=2).reshape(n, -1))
    return np.concatenate(bits, axis=1), np.concatenate(open_, axis=1)
