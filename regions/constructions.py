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
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    a, _ = _zigzag(2)
    return nn.Sequential(*_fold_layers(2, depth, coords=1), _linear(a[None, :], [0.0]))


def sawtooth_2d(depth: int) -> nn.Sequential:
    """The tent map iterated on x and y separately: width-4 layers, ``4**depth`` squares on
    [0, 1]^2. Output ``t^depth(x) + t^depth(y)``."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    layers = _fold_layers(2, depth, coords=2)
    a, _ = _zigzag(2)
    return nn.Sequential(*layers, _linear(np.tile(a, 2)[None, :], [0.0]))


def line_arrangement(normals: np.ndarray, offsets: np.ndarray) -> nn.Sequential:
    """One hidden ReLU layer whose units switch on the lines ``normals[i] . x + offsets[i] = 0``.

    ``n`` lines in general position whose crossings all lie inside the domain make
    ``1 + n + n(n-1)/2`` regions.
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
    """Region count of :func:`folding_net` on [0, 1]^2: p^(2(L-1)) (1 + n + C(n, 2))."""
    return p ** (2 * (depth - 1)) * (1 + final_width + math.comb(final_width, 2))
