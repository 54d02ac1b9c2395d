"""A float64 forward pass with rigorous error bounds, and the signs it certifies.

Shared by :func:`regions.certify` (patterns at interior points) and
:meth:`regions.Partition.locate` (patterns at the user's points): the float pass settles
almost every sign at full speed, and only the signs its bound leaves open need the exact
rational walk of :mod:`regions.oracle`.
"""

from __future__ import annotations

import numpy as np

from .domain import Plane
from .floats import SAFE, gamma
from .network import Affine, Concat, Network, Sum

__all__ = ["forward_with_bounds", "certified_signs"]


def forward_with_bounds(
    net: Network, plane: Plane, points: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Float values of every node at plane points, with rigorous bounds on their errors.

    The points are taken as exact (float64 numbers are rationals); the bounds cover the
    rounding of the plane map and of every node after it.

    Parameters
    ----------
    net : Network
    plane : Plane
    points : ndarray, shape (N, 2)
        Plane coordinates.

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
    x = plane.to_input(points)
    values: list[np.ndarray] = [x]
    errors: list[np.ndarray] = [
        gamma(3) * (np.abs(points) @ np.abs(plane.basis).T + np.abs(plane.origin))
    ]
    for node in net.nodes[1:]:
        if isinstance(node, Affine):
            src, err = values[node.src], errors[node.src]
            # |W| (e + k |x|) as a matrix product: a row norm times the largest term instead
            # loosens deep nets' bounds by about 2x per layer (see region_maps.affine).
            k = gamma(node.W.shape[1] + 1)
            values.append(src @ node.W.T + node.b)
            errors.append(((err + k * np.abs(src)) @ np.abs(node.W).T + k * np.abs(node.b)) * SAFE)
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
            errors.append((lipschitz * err + rounding) * SAFE)
    return values, errors


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
