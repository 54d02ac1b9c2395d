"""Torch layers as :class:`regions.Network` nodes: activation pieces, folded BatchNorm, maxima.

Every elementwise piecewise-linear function (ReLU, LeakyReLU, PReLU, Hardtanh, clamp, abs) is
an :class:`Activation` given by per-unit breakpoints, slopes and offsets (a :data:`Spec`).
Maxima are not elementwise: ``max(a, b) = b + relu(a - b)`` and ``min(a, b) = a - relu(a - b)``
use one ReLU unit per pair, switching where ``a = b``, and a maximum over a group of g
features (maxout, max pooling, ``amax``) is a tournament of ceil(log2 g) such rounds
(:func:`add_maxima`), each an activation layer of its own.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import torch

from .errors import InvalidModelError, UnsupportedModelError
from .network import Activation, Affine, Node, Sum

__all__ = [
    "Spec",
    "Sink",
    "to_numpy",
    "as_float64",
    "tile",
    "relu",
    "leaky",
    "prelu",
    "absolute",
    "clamp",
    "batchnorm",
    "add_activation",
    "add_maxima",
]

Spec = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Breakpoints (n, K), slopes (n, K + 1) and offsets (n, K + 1) of n units."""


class Sink(Protocol):
    """Where new nodes go (the tracer): ``add`` appends a node and returns its index."""

    nodes: list[Node | None]

    def add(self, node: Node, width: int) -> int: ...


_EXACT_IN_NUMPY = (torch.float16, torch.float32, torch.float64)
"""Tensor dtypes numpy converts to float64 itself (in half the time torch takes)."""


def to_numpy(t: torch.Tensor, where: str) -> np.ndarray:
    """A parameter as a float64 array, refusing NaN and infinity.

    Examples
    --------
    >>> import torch
    >>> from regions.layers import to_numpy
    >>> to_numpy(torch.tensor([1.5, 2.0]), "fc.bias").tolist()
    [1.5, 2.0]
    """
    a = as_float64(t)
    if not np.isfinite(a).all():
        raise InvalidModelError(f"{where} holds NaN or Inf values; the model has no regions")
    return a


def as_float64(t: torch.Tensor) -> np.ndarray:
    """A tensor's values as a new float64 array (widening floats is exact), unchecked.

    Examples
    --------
    >>> import torch
    >>> from regions.layers import as_float64
    >>> as_float64(torch.tensor([0.5, float("nan")], dtype=torch.float16)).tolist()
    [0.5, nan]
    """
    if t.dtype not in _EXACT_IN_NUMPY:
        t = t.detach().cpu().to(torch.float64)
    # One call for detach().cpu().numpy(); astype copies, as the model may change t later.
    return t.numpy(force=True).astype(np.float64)


def tile(thresholds: list[float], slopes: list[float], offsets: list[float], n: int) -> Spec:
    """One unit function shared by all ``n`` units.

    Examples
    --------
    >>> from regions.layers import tile
    >>> [a.shape for a in tile([0.0], [0.0, 1.0], [0.0, 0.0], 3)]
    [(3, 1), (3, 2), (3, 2)]
    """
    values = (thresholds, slopes, offsets)
    return tuple(np.repeat(np.array([v], dtype=np.float64), n, axis=0) for v in values)


def relu(n: int) -> Spec:
    """ReLU: breakpoint 0, slopes 0 and 1.

    Examples
    --------
    >>> from regions.layers import relu
    >>> [a.tolist() for a in relu(1)]
    [[[0.0]], [[0.0, 1.0]], [[0.0, 0.0]]]
    """
    # leaky(0.0, n) in half its time: most traced layers are ReLUs.
    slopes = np.zeros((n, 2))
    slopes[:, 1] = 1.0
    return np.zeros((n, 1)), slopes, np.zeros((n, 2))


def leaky(slope: float, n: int) -> Spec:
    """LeakyReLU (ReLU for slope 0): breakpoint 0, slopes ``slope`` and 1.

    Examples
    --------
    >>> from regions.layers import leaky
    >>> leaky(0.1, 2)[1].tolist()
    [[0.1, 1.0], [0.1, 1.0]]
    """
    return tile([0.0], [slope, 1.0], [0.0, 0.0], n)


def prelu(slopes: np.ndarray) -> Spec:
    """PReLU: breakpoint 0, slopes ``slopes[i]`` and 1 for unit i.

    Examples
    --------
    >>> import numpy as np
    >>> from regions.layers import prelu
    >>> prelu(np.array([0.25, -1.0]))[1].tolist()
    [[0.25, 1.0], [-1.0, 1.0]]
    """
    n = len(slopes)
    return np.zeros((n, 1)), np.stack([slopes, np.ones(n)], axis=1), np.zeros((n, 2))


def absolute(n: int) -> Spec:
    """``abs``: breakpoint 0, slopes -1 and 1.

    Examples
    --------
    >>> from regions.layers import absolute
    >>> absolute(1)[1].tolist()
    [[-1.0, 1.0]]
    """
    return tile([0.0], [-1.0, 1.0], [0.0, 0.0], n)


def clamp(lo: float | None, hi: float | None, n: int, where: str) -> Spec | float | None:
    """``torch.clamp(x, lo, hi)``, i.e. ``min(max(x, lo), hi)``, for scalar bounds.

    Returns
    -------
    Spec, float or None
        The activation; a float when every output is that constant (``lo >= hi``: torch then
        gives ``hi`` everywhere); None when nothing is clamped (infinite bounds).

    Raises
    ------
    InvalidModelError
        For NaN bounds, bounds that make every output infinite, or no bound at all.

    Examples
    --------
    >>> from regions.layers import clamp
    >>> [a.tolist() for a in clamp(0.0, None, 1, "clamp")]  # clamp(min=0) is ReLU
    [[[0.0]], [[0.0, 1.0]], [[0.0, 0.0]]]
    >>> [a.tolist() for a in clamp(-1.0, 2.0, 1, "clamp")]
    [[[-1.0, 2.0]], [[0.0, 1.0, 0.0]], [[-1.0, 0.0, 2.0]]]
    >>> clamp(3.0, 1.0, 4, "clamp"), clamp(float("-inf"), None, 4, "clamp")
    (1.0, None)
    """
    if lo is None and hi is None:
        raise InvalidModelError(f"{where}: at least one of min and max must be given")
    if any(v is not None and math.isnan(v) for v in (lo, hi)):
        raise InvalidModelError(f"{where}: a NaN bound makes every output NaN")
    lo = None if lo == -math.inf else lo
    hi = None if hi == math.inf else hi
    if lo == math.inf or hi == -math.inf:
        raise InvalidModelError(f"{where}: an infinite bound makes every output infinite")
    if lo is not None and hi is not None:
        if lo >= hi:
            return float(hi)
        return tile([lo, hi], [0.0, 1.0, 0.0], [lo, 0.0, hi], n)
    if lo is not None:
        return tile([lo], [0.0, 1.0], [lo, 0.0], n)
    if hi is not None:
        return tile([hi], [1.0, 0.0], [0.0, hi], n)
    return None


def batchnorm(
    running_mean: torch.Tensor | None,
    running_var: torch.Tensor | None,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    eps: float,
    channel: np.ndarray,
    where: str,
) -> tuple[np.ndarray, np.ndarray]:
    """BatchNorm1d in eval semantics as ``diag(scale) x + shift`` on features of ``channel``.

    Parameters
    ----------
    running_mean, running_var : Tensor, shape (C,), or None
        The running statistics (None without ``track_running_stats``).
    weight, bias : Tensor, shape (C,), or None
        The affine parameters (None without ``affine``).
    eps : float
    channel : ndarray of int, shape (features,)
        Channel of every feature (:func:`regions.shapes.channels`).
    where : str
        The layer, for error messages.

    Raises
    ------
    UnsupportedModelError
        Without running statistics (eval mode would use batch statistics).
    InvalidModelError
        When ``running_var + eps`` is zero or negative for some channel, or the folded map
        overflows float64.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from regions.layers import batchnorm
    >>> mean, var = torch.full((2,), 1.0), torch.full((2,), 4.0)
    >>> W, b = batchnorm(mean, var, None, None, 0.0, np.array([0, 1]), "bn")
    >>> np.diag(W).tolist(), b.tolist()  # (x - 1) / 2
    ([0.5, 0.5], [-0.5, -0.5])
    """
    if running_mean is None or running_var is None:
        raise UnsupportedModelError(
            f"{where} has track_running_stats=False: in eval mode it normalises "
            "with batch statistics, so it is not a fixed function of its input"
        )
    mean = to_numpy(running_mean, f"{where}.running_mean")
    var = to_numpy(running_var, f"{where}.running_var")
    n = mean.shape[0]
    w = to_numpy(weight, f"{where}.weight") if weight is not None else np.ones(n)
    b = to_numpy(bias, f"{where}.bias") if bias is not None else np.zeros(n)
    denom = var + eps
    if not np.all(denom > 0):
        c = int(np.flatnonzero(~(denom > 0))[0])
        why = "zero: it divides by zero" if denom[c] == 0 else "negative: sqrt of a negative"
        raise InvalidModelError(
            f"{where}: running_var + eps = {var[c]!r} + {eps!r} for channel {c} is {why}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        scale = w / np.sqrt(denom)
        shift = b - mean * scale
    if not (np.all(np.isfinite(scale)) and np.all(np.isfinite(shift))):
        raise InvalidModelError(
            f"{where}: folding weight / sqrt(running_var + eps) and the running mean overflows "
            "float64; rescale the layer's weights or statistics"
        )
    return np.diag(scale[channel]), shift[channel]


def add_activation(sink: Sink, src: int, spec: Spec, name: str) -> int:
    """Append an :class:`Activation` as the network's next activation layer.

    Examples
    --------
    >>> from regions.layers import add_activation, relu
    >>> class Nodes:  # the tracer's side of the protocol
    ...     nodes = [None]
    ...     def add(self, node, width):
    ...         self.nodes.append(node)
    ...         return len(self.nodes) - 1
    >>> sink = Nodes()
    >>> add_activation(sink, 0, relu(3), "act"), sink.nodes[1].layer, sink.nodes[1].width
    (1, 1, 3)
    """
    layer = sum(isinstance(n, Activation) for n in sink.nodes) + 1
    t, s, o = spec
    return sink.add(Activation(src, t, s, o, name, layer), t.shape[0])


def _select(
    rows: int, cols: int, at: tuple[np.ndarray, np.ndarray], sign: float = 1.0
) -> np.ndarray:
    """A (rows, cols) matrix with ``sign`` at the positions ``at`` (summed where repeated)."""
    m = np.zeros((rows, cols))
    np.add.at(m, at, sign)
    return m


def add_maxima(sink: Sink, src: int, width: int, groups: np.ndarray, name: str, lower: bool) -> int:
    """Maximum (or minimum, ``lower``) of node ``src``'s features over each row of ``groups``.

    Pairs of candidates meet round by round; a group's odd candidate waits for the next round.
    Round r is an activation layer with one ReLU unit per pair, on ``a - b`` for the pair's
    first and second candidate; the winner is ``b + relu(a - b)`` (``a - relu(a - b)`` for a
    minimum).

    Parameters
    ----------
    sink : Sink
        Receives the new nodes.
    src, width : int
        The input node and its width.
    groups : ndarray of int, shape (n_out, g)
        Input features of each output feature.
    name : str
        The torch operation, for the nodes' names.
    lower : bool
        Minimum instead of maximum.

    Returns
    -------
    int
        Index of the node holding the n_out results.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> import regions
    >>> class Maxout(torch.nn.Module):
    ...     def forward(self, x):
    ...         return x.view(-1, 1, 3).amax(dim=2)  # max over 3 features: 2 rounds
    >>> net = regions.trace(Maxout(), n_inputs=3)
    >>> [(a.layer, a.width, a.name) for a in net.activations]
    [(1, 1, 'amax (round 1 of 2)'), (2, 1, 'amax (round 2 of 2)')]
    >>> net.forward(np.array([[1.0, 5.0, 2.0], [3.0, -1.0, 4.0]]))[0].tolist()
    [[5.0], [4.0]]
    """
    cur, cols = src, np.asarray(groups)
    n_out, rounds = len(cols), math.ceil(math.log2(cols.shape[1])) if cols.size else 0
    for r in range(1, rounds + 1):
        g = cols.shape[1]
        h, odd = g // 2, g % 2
        first, second = cols[:, 0 : 2 * h : 2].ravel(), cols[:, 1 : 2 * h : 2].ravel()
        pairs = np.arange(n_out * h)
        diff = _select(len(pairs), width, (pairs, first)) + _select(
            len(pairs), width, (pairs, second), -1.0
        )
        tag = f"{name} (round {r} of {rounds})" if rounds > 1 else name
        d = sink.add(Affine(cur, diff, np.zeros(len(pairs)), f"{tag}: a - b"), len(pairs))
        act = add_activation(sink, d, relu(len(pairs)), tag)
        new = np.arange(n_out * (h + odd)).reshape(n_out, h + odd)
        winners = new[:, :h].ravel()
        base = _select(new.size, width, (winners, first if lower else second))
        if odd:
            base += _select(new.size, width, (new[:, h], cols[:, -1]))
        kept = sink.add(Affine(cur, base, np.zeros(new.size), f"{tag}: b"), new.size)
        if odd:
            lift = _select(new.size, len(pairs), (winners, pairs))
            act = sink.add(Affine(act, lift, np.zeros(new.size), f"{tag}: relu"), new.size)
        cur = sink.add(Sum((kept, act), (1.0, -1.0 if lower else 1.0), tag), new.size)
        cols, width = new, new.size
    if rounds == 0 and not np.array_equal(cols[:, 0], np.arange(width)):  # groups of one
        pick = _select(n_out, width, (np.arange(n_out), cols[:, 0]))
        cur = sink.add(Affine(cur, pick, np.zeros(n_out), name), n_out)
    return cur
