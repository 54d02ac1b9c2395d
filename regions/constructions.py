"""ReLU networks with known region counts, built by hand.

They attain the classic lower bounds on the number of linear regions and serve as exact test
cases: :func:`regions.count` must return their formulas.

=====================  =============================  ==================================
construction           domain                         regions
=====================  =============================  ==================================
``sawtooth(L)``        [0, 1]^2 (depends on x only)   2^L strips
``sawtooth_2d(L)``     [0, 1]^2                       4^L squares
``folding_net(p, L)``  [0, 1]^2                       p^(2(L-1)) (1 + n + n(n-1)/2)
``line_arrangement``   any box holding all crossings  1 + n + n(n-1)/2
=====================  =============================  ==================================
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = [
    "folding_net",
    "folding_net_count",
    "line_arrangement",
    "sawtooth",
    "sawtooth_2d",
]


def _linear(W: np.ndarray, b: np.ndarray) -> nn.Linear:
    W = np.asarray(W, dtype=np.float64)
    layer = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(W))
        layer.bias.copy_(torch.as_tensor(np.asarray(b, dtype=np.float64)))
    return layer


def _zigzag(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Units ``relu(x - i/p)``, i < p, and the weights ``a`` with ``a @ units`` folding [0, 1]
    onto itself p times (slopes +-p, breakpoints at i/p)."""
    offsets = -np.arange(p) / p
    a = np.array([p] + [2 * p * (-1) ** i for i in range(1, p)], dtype=np.float64)
    return a, offsets


def _fold_layers(p: int, depth: int, coords: int) -> list[nn.Module]:
    """``depth`` layers folding the first ``coords`` of the 2 inputs p times per layer."""
    a, off = _zigzag(p)
    layers: list[nn.Module] = []
    for k in range(depth):
        if k == 0:
            W = np.kron(np.eye(2)[:coords], np.ones((p, 1)))
        else:
            W = np.kron(np.eye(coords), np.outer(np.ones(p), a))
        layers += [_linear(W, np.tile(off, coords)), nn.ReLU()]
    return layers


def sawtooth(depth: int) -> nn.Sequential:
    """Telgarsky's sawtooth: ``depth`` width-2 ReLU layers computing the tent map iterated
    ``depth`` times on x in [0, 1] (y ignored). Float64, output ``t^depth(x)``.

    On [0, 1]^2 it has exactly ``2**depth`` regions, vertical strips of width ``2**-depth``.

    Parameters
    ----------
    depth : int
        Number of hidden ReLU layers, >= 1.

    Returns
    -------
    torch.nn.Sequential
        Float64 model from 2 inputs (x, y) to 1 output, with ``depth`` ReLU layers of width 2.

    Raises
    ------
    ValueError
        If ``depth < 1``.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> net = sawtooth(3)
    >>> regions.count(net, (0, 1, 0, 1))  # 2^3 strips
    8
    >>> part = regions.decompose(net, (0, 1, 0, 1))
    >>> part.counts_by_depth().tolist()  # each layer doubles the count
    [1, 2, 4, 8]
    >>> sorted(set(part.areas.round(12).tolist()))  # strips of width 1/8
    [0.125]

    The output zigzags between 0 and 1 with slopes +-2^depth:

    >>> x = torch.tensor([[0.0, 0.0], [0.25, 0.0], [0.5, 0.0], [0.75, 0.0]], dtype=torch.float64)
    >>> sawtooth(2)(x).flatten().tolist()
    [0.0, 1.0, 0.0, 1.0]
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    a, _ = _zigzag(2)
    return nn.Sequential(*_fold_layers(2, depth, coords=1), _linear(a[None, :], [0.0]))


def sawtooth_2d(depth: int) -> nn.Sequential:
    """The tent map iterated on x and y separately: width-4 layers, ``4**depth`` squares on
    [0, 1]^2. Output ``t^depth(x) + t^depth(y)``.

    Parameters
    ----------
    depth : int
        Number of hidden ReLU layers, >= 1.

    Returns
    -------
    torch.nn.Sequential
        Float64 model from 2 inputs to 1 output, with ``depth`` ReLU layers of width 4.

    Raises
    ------
    ValueError
        If ``depth < 1``.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth_2d
    >>> part = regions.decompose(sawtooth_2d(2), (0, 1, 0, 1))
    >>> len(part)  # 4^2 squares of side 1/4
    16
    >>> part.counts_by_depth().tolist()
    [1, 4, 16]
    >>> sorted(set(part.areas.round(12).tolist()))
    [0.0625]
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    layers = _fold_layers(2, depth, coords=2)
    a, _ = _zigzag(2)
    return nn.Sequential(*layers, _linear(np.tile(a, 2)[None, :], [0.0]))


def line_arrangement(normals: np.ndarray, offsets: np.ndarray) -> nn.Sequential:
    """One hidden ReLU layer whose units switch on the lines ``normals[i] . x + offsets[i] = 0``.

    ``n`` lines in general position whose crossings all lie inside the domain make
    ``1 + n + n(n-1)/2`` regions.

    Parameters
    ----------
    normals : array_like, shape (n, 2)
        Normal vector of each line (input units).
    offsets : array_like, shape (n,)
        Offset of each line.

    Returns
    -------
    torch.nn.Sequential
        Float64 model ``Linear(2, n), ReLU, Linear(n, 1)`` whose output sums the units.

    Examples
    --------
    The lines x = 0, y = 0 and x + y = 1/2 cross pairwise inside [-1, 1]^2:

    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> net = line_arrangement([[1, 0], [0, 1], [1, 1]], [0, 0, -0.5])
    >>> regions.count(net, (-1, 1, -1, 1))  # 1 + 3 + 3
    7
    """
    normals = np.asarray(normals, dtype=np.float64)
    return nn.Sequential(
        _linear(normals, offsets), nn.ReLU(), _linear(np.ones((1, len(normals))), [0.0])
    )


def folding_net(p: int, depth: int, final_width: int = 3) -> nn.Sequential:
    """Montufar, Pascanu, Cho & Bengio's folding construction on [0, 1]^2.

    ``depth - 1`` layers of width ``2 p`` fold each coordinate p times (the region count
    multiplies by p^2 per layer); a last hidden layer of ``final_width`` units draws lines in
    general position inside the folded unit square, replicated in every fold.

    Returns a float64 model with 1 output; :func:`folding_net_count` gives its region count.

    Parameters
    ----------
    p : int
        Folds per coordinate per layer, >= 1.
    depth : int
        Number of hidden ReLU layers L, >= 1 (the last one draws the lines).
    final_width : int
        Number n of lines drawn by the last hidden layer, >= 1.

    Returns
    -------
    torch.nn.Sequential
        Float64 model from 2 inputs to 1 output: ``depth - 1`` ReLU layers of width ``2 p``,
        then one of width ``final_width``.

    Raises
    ------
    ValueError
        If any argument is < 1.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import folding_net, folding_net_count
    >>> net = folding_net(2, 2)  # one folding layer of width 4, then 3 lines
    >>> regions.count(net, (0, 1, 0, 1)), folding_net_count(2, 2)  # 2^2 (1 + 3 + 3)
    (28, 28)
    >>> regions.count(folding_net(2, 3), (0, 1, 0, 1))  # 2^4 (1 + 3 + 3)
    112
    """
    if p < 1 or depth < 1 or final_width < 1:
        raise ValueError("p, depth and final_width must be >= 1")
    layers = _fold_layers(p, depth - 1, coords=2)
    angles = np.pi * (np.arange(final_width) + 0.37) / final_width
    normals = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    # Lines through points near the square's centre, tilted apart: every pair crosses inside.
    shift = 0.5 + 0.08 * np.cos(np.arange(final_width) * 2.1)
    b = -(normals @ np.array([0.5, 0.5])) + (shift - 0.5) * 0.5
    if depth > 1:
        a, _ = _zigzag(p)
        W = normals @ np.kron(np.eye(2), a[None, :])
    else:
        W = normals
    layers += [_linear(W, b), nn.ReLU()]
    return nn.Sequential(*layers, _linear(np.ones((1, final_width)), [0.0]))


def folding_net_count(p: int, depth: int, final_width: int = 3) -> int:
    """Region count of :func:`folding_net` on [0, 1]^2: p^(2(L-1)) (1 + n + C(n, 2)).

    Parameters
    ----------
    p, depth, final_width : int
        As for :func:`folding_net` (L = ``depth``, n = ``final_width``).

    Returns
    -------
    int
        The exact number of regions.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import folding_net, folding_net_count
    >>> folding_net_count(3, 2)  # 3^2 (1 + 3 + 3)
    63
    >>> regions.count(folding_net(3, 2), (0, 1, 0, 1))
    63
    >>> folding_net_count(2, 2, final_width=4)  # 2^2 (1 + 4 + 6)
    44
    """
    return p ** (2 * (depth - 1)) * (1 + final_width + math.comb(final_width, 2))
