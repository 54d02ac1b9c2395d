"""Tensor shapes during tracing: which feature each tensor entry holds.

A traced tensor has the batch axis first and any number of feature axes after it; its
features, the values a :class:`regions.Network` node holds, are its entries per example in
row-major order. ``dims`` are the sizes of the feature axes: ``()`` for a (batch,) tensor,
``(4,)`` for (batch, 4), ``(1, 4)`` for (batch, 1, 4). Reshaping never reorders entries in
row-major order, so every view, reshape, flatten, squeeze and unsqueeze that keeps the batch
axis first and whole only relabels ``dims``; reductions and pooling take maxima over groups of
features (:func:`reduce_groups`, :func:`pool_groups`).

Every function raises :class:`UnsupportedModelError` for what would mix examples (an operation
on the batch axis) and :class:`InvalidModelError` for what torch itself would reject.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .errors import InvalidModelError, UnsupportedModelError

__all__ = [
    "BATCH",
    "describe",
    "axis",
    "reshape",
    "flatten",
    "squeeze",
    "unsqueeze",
    "unflatten",
    "concat",
    "reduce_groups",
    "pool_groups",
    "channels",
]

Dims = tuple[int, ...]


class _Batch:
    """The batch size, unknown at trace time (``x.size(0)``, ``x.shape[0]``)."""

    def __repr__(self) -> str:
        return "batch"


BATCH = _Batch()


def describe(dims: Dims) -> str:
    """The tensor's shape with its batch axis, e.g. ``(batch, 1, 4)``.

    Examples
    --------
    >>> from regions.shapes import describe
    >>> describe(()), describe((1, 4))
    ('(batch,)', '(batch, 1, 4)')
    """
    return "(" + ", ".join(["batch", *map(str, dims)]) + ("," if not dims else "") + ")"


def _int(value: object, what: str, where: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise UnsupportedModelError(f"{where}: {what} must be an integer, got {value!r}")
    return int(value)


_SEPARATELY = "regions needs every operation to act on each example separately"


def axis(dim: object, dims: Dims, where: str, *, extra: int = 0, why: str = _SEPARATELY) -> int:
    """Index into ``dims`` of torch axis ``dim`` (negative counts from the end).

    ``extra = 1`` for unsqueeze, whose ``dim`` ranges over the result's axes; ``why`` ends
    the refusal of the batch axis.

    Raises
    ------
    UnsupportedModelError
        For the batch axis (axis 0) or a non-integer.
    InvalidModelError
        For an axis out of range, as torch would.

    Examples
    --------
    >>> from regions.shapes import axis
    >>> axis(-1, (1, 4), "max"), axis(1, (1, 4), "max")
    (1, 0)
    >>> axis(0, (1, 4), "max")
    Traceback (most recent call last):
        ...
    regions.errors.UnsupportedModelError: max: dim=0 is the batch axis of a (batch, 1, 4) tensor;
    ...
    """
    d = _int(dim, "dim", where)
    ndim = len(dims) + 1 + extra
    if not -ndim <= d < ndim:
        raise InvalidModelError(f"{where}: dim={d} is out of range for a {describe(dims)} tensor")
    if d % ndim == 0:
        raise UnsupportedModelError(
            f"{where}: dim={d} is the batch axis of a {describe(dims)} tensor; {why}"
        )
    return d % ndim - 1


def reshape(dims: Dims, shape: Sequence[object], where: str) -> Dims:
    """Feature dims after ``view``/``reshape`` to ``shape`` (ints, -1, or :data:`BATCH`).

    The first entry must be the batch axis: :data:`BATCH` (from ``x.size(0)``) or -1 with the
    other entries holding exactly this tensor's features.

    Examples
    --------
    >>> from regions.shapes import BATCH, reshape
    >>> reshape((6,), [-1, 2, 3], "view"), reshape((2, 3), [BATCH, -1], "view")
    ((2, 3), (6,))
    >>> reshape((6,), [-1, 4], "view")
    Traceback (most recent call last):
        ...
    regions.errors.UnsupportedModelError: view: reshaping a (batch, 6) tensor to (-1, 4) moves
    entries between examples; ...
    """
    n = math.prod(dims)
    refused = UnsupportedModelError(
        f"{where}: reshaping a {describe(dims)} tensor to ({', '.join(map(repr, shape))}) moves "
        "entries between examples; regions supports reshapes that keep the batch axis first "
        f"(x.view(x.size(0), ...) or x.view(-1, ...) with {n} entries per example)"
    )
    if not shape or any(s is BATCH for s in shape[1:]):
        raise refused
    rest = [_int(s, "a reshape size", where) for s in shape[1:]]
    if shape[0] is not BATCH:
        if _int(shape[0], "a reshape size", where) != -1 or -1 in rest:
            raise refused
    if rest.count(-1) > 1 or any(s < -1 for s in rest):
        raise InvalidModelError(f"{where}: invalid shape {tuple(shape)!r}")
    known = math.prod(s for s in rest if s != -1)
    if -1 in rest:
        if known == 0 or n % known:
            raise InvalidModelError(
                f"{where}: {n} entries per example do not fit the shape {tuple(shape)!r}"
            )
        rest[rest.index(-1)] = n // known
    elif known != n:
        raise refused
    return tuple(rest)


def flatten(dims: Dims, start: object, end: object, where: str) -> Dims:
    """Feature dims after ``flatten(start_dim, end_dim)``; merging the batch axis is refused,
    unless the feature axes merged into it have size 1 (``flatten()`` of a (batch, 1) tensor
    is its (batch,) logits, as ``view(-1)``).

    Examples
    --------
    >>> from regions.shapes import flatten
    >>> flatten((1, 4), 1, -1, "flatten"), flatten((4,), 1, -1, "flatten")
    ((4,), (4,))
    >>> flatten((1,), 0, -1, "flatten"), flatten((1, 4), 0, 1, "flatten")
    ((), (4,))
    >>> flatten((4,), 0, -1, "flatten")
    Traceback (most recent call last):
        ...
    regions.errors.UnsupportedModelError: flatten: start_dim=0 merges the batch axis of a (batch,
    4) tensor ...
    """
    ndim = len(dims) + 1
    s, e = _int(start, "start_dim", where), _int(end, "end_dim", where)
    if not (-ndim <= s < ndim and -ndim <= e < ndim) or s % ndim > e % ndim:
        raise InvalidModelError(
            f"{where}: start_dim={s}, end_dim={e} are invalid for a {describe(dims)} tensor"
        )
    s, e = s % ndim, e % ndim
    if s == 0 and math.prod(dims[:e]) != 1:
        raise UnsupportedModelError(
            f"{where}: start_dim=0 merges the batch axis of a {describe(dims)} tensor into the "
            "features; use flatten(1) (nn.Flatten's default)"
        )
    if s == 0:  # the batch axis and axes of size 1: each example keeps its entries
        return dims[e:]
    if s == e:
        return dims
    return (*dims[: s - 1], math.prod(dims[s - 1 : e]), *dims[e:])


def squeeze(dims: Dims, dim: object, where: str) -> Dims:
    """Feature dims after ``squeeze(dim)``.

    ``squeeze()`` without ``dim`` removes every size-1 feature axis and keeps the batch axis:
    torch would also remove it for a batch of one example, which changes no example's values.
    A ``dim`` listing every axis is ``squeeze()`` (core ATen writes ``squeeze()`` so); any
    other naming the batch axis is refused.

    Examples
    --------
    >>> from regions.shapes import squeeze
    >>> squeeze((1, 4, 1), None, "squeeze"), squeeze((1, 4), 1, "squeeze")
    ((4,), (4,))
    >>> squeeze((4,), 1, "squeeze")  # not of size 1: unchanged, as in torch
    (4,)
    >>> squeeze((1, 4), [0, 1, 2], "squeeze")
    (4,)
    >>> squeeze((1, 4), [0, 1], "squeeze")
    Traceback (most recent call last):
        ...
    regions.errors.UnsupportedModelError: squeeze: dim=0 is the batch axis of a (batch, 1, 4)
    tensor; ...
    """
    if dim is None:
        return tuple(d for d in dims if d != 1)
    listed = [_int(d, "dim", where) for d in (dim if isinstance(dim, (tuple, list)) else [dim])]
    ndim = len(dims) + 1
    in_range = all(-ndim <= d < ndim for d in listed)
    if in_range and sorted(d % ndim for d in listed) == list(range(ndim)):
        return squeeze(dims, None, where)  # every axis: squeeze()
    why = (
        "torch removes it for a batch of one example, which regions cannot follow: squeeze "
        "feature axes (squeeze() without dim keeps the batch axis)"
    )
    picked = {axis(d, dims, where, why=why) for d in listed}
    return tuple(d for i, d in enumerate(dims) if not (i in picked and d == 1))


def unsqueeze(dims: Dims, dim: object, where: str) -> Dims:
    """Feature dims after ``unsqueeze(dim)``; a new axis before the batch axis is refused.

    Examples
    --------
    >>> from regions.shapes import unsqueeze
    >>> unsqueeze((4,), 1, "unsqueeze"), unsqueeze((4,), -1, "unsqueeze")
    ((1, 4), (4, 1))
    """
    i = axis(dim, dims, where, extra=1)
    return (*dims[:i], 1, *dims[i:])


def unflatten(dims: Dims, dim: object, sizes: Sequence[object], where: str) -> Dims:
    """Feature dims after ``unflatten(dim, sizes)`` (``nn.Unflatten``).

    Examples
    --------
    >>> from regions.shapes import unflatten
    >>> unflatten((6,), 1, (2, -1), "unflatten")
    (2, 3)
    """
    i = axis(dim, dims, where)
    inner = reshape((dims[i],), [BATCH, *sizes], where)
    return (*dims[:i], *inner, *dims[i + 1 :])


def concat(parts: Sequence[Dims], dim: object, where: str) -> Dims:
    """Feature dims of ``torch.cat`` along ``dim``, when it concatenates the features in order.

    That holds when every feature axis before ``dim`` has size 1; otherwise torch interleaves
    the inputs' features, which is refused.

    Examples
    --------
    >>> from regions.shapes import concat
    >>> concat([(3,), (1,)], 1, "cat"), concat([(1, 2), (1, 3)], -1, "cat")
    ((4,), (1, 5))
    """
    first = parts[0]
    i = axis(dim, first, where)
    for dims in parts:
        if len(dims) != len(first) or dims[:i] + dims[i + 1 :] != first[:i] + first[i + 1 :]:
            raise InvalidModelError(
                f"{where}: cannot concatenate tensors of shapes "
                f"{', '.join(describe(d) for d in parts)} along dim={dim}"
            )
    if math.prod(first[:i]) != 1:
        raise UnsupportedModelError(
            f"{where}: concatenating {describe(first)} tensors along dim={dim} interleaves "
            "their features; regions supports concatenation along the first feature axis "
            "of size > 1"
        )
    return (*first[:i], sum(d[i] for d in parts), *first[i + 1 :])


def reduce_groups(
    dims: Dims, dims_reduced: Sequence[int], keepdim: bool
) -> tuple[np.ndarray, Dims]:
    """Which features each output of a reduction over feature axes ``dims_reduced`` reads.

    Parameters
    ----------
    dims : tuple of int
        Feature dims of the input.
    dims_reduced : sequence of int
        Indices into ``dims`` (from :func:`axis`).
    keepdim : bool
        Keep the reduced axes with size 1.

    Returns
    -------
    groups : ndarray of int, shape (n_out, g)
        Input feature indices of each output feature's group, outputs in row-major order.
    dims : tuple of int
        Feature dims of the output.

    Examples
    --------
    >>> from regions.shapes import reduce_groups
    >>> groups, out = reduce_groups((2, 3), [1], keepdim=False)  # max over the last axis
    >>> groups.tolist(), out
    ([[0, 1, 2], [3, 4, 5]], (2,))
    >>> reduce_groups((2, 3), [0], keepdim=True)[0].tolist(), reduce_groups((2, 3), [0], True)[1]
    ([[0, 3], [1, 4], [2, 5]], (1, 3))
    """
    reduced = sorted(set(dims_reduced))
    kept = [i for i in range(len(dims)) if i not in reduced]
    index = np.arange(math.prod(dims)).reshape(dims)
    groups = np.transpose(index, kept + reduced).reshape(-1, math.prod(dims[i] for i in reduced))
    out = tuple(1 if i in reduced else d for i, d in enumerate(dims) if keepdim or i in kept)
    return groups, out


def pool_groups(
    dims: Dims, kernel: int, stride: int, dilation: int, where: str
) -> tuple[np.ndarray, Dims]:
    """Windows of a 1D max pooling (no padding, floor mode) over the last axis.

    Torch pools the last axis of a (C, L) or (N, C, L) tensor; a traced (batch, L) tensor is
    (C, L) to torch, each example a channel, so its features are pooled per example as well.

    Returns
    -------
    groups : ndarray of int, shape (n_out, kernel)
        Input features of each window, outputs in row-major order.
    dims : tuple of int
        Feature dims of the output: (L_out,) or (C, L_out).

    Examples
    --------
    >>> from regions.shapes import pool_groups
    >>> groups, out = pool_groups((1, 5), kernel=2, stride=2, dilation=1, where="pool")
    >>> groups.tolist(), out
    ([[0, 1], [2, 3]], (1, 2))
    >>> pool_groups((5,), kernel=3, stride=1, dilation=2, where="pool")[0].tolist()
    [[0, 2, 4]]
    """
    if len(dims) not in (1, 2):
        raise InvalidModelError(
            f"{where}: max pooling over 1D needs a (batch, L) or (batch, C, L) tensor, got "
            f"{describe(dims)}"
        )
    length = dims[-1]
    n_out = (length - dilation * (kernel - 1) - 1) // stride + 1
    if n_out < 1:
        raise InvalidModelError(
            f"{where}: the window (kernel_size={kernel}, dilation={dilation}) is longer than "
            f"the {length} features it pools"
        )
    windows = stride * np.arange(n_out)[:, None] + dilation * np.arange(kernel)
    index = np.arange(math.prod(dims)).reshape(-1, length)
    return index[:, windows].reshape(-1, kernel), (*dims[:-1], n_out)


def channels(dims: Dims, n: int, what: str, where: str, *, shared: bool = False) -> np.ndarray:
    """Channel (axis 1 in torch) of every feature, for per-channel parameters of size ``n``.

    BatchNorm1d and PReLU hold one parameter per channel: the first feature axis of a
    (batch, C) or (batch, C, L) tensor. With ``shared``, a single parameter (PReLU's default)
    serves every feature.

    Returns
    -------
    ndarray of int, shape (features,)

    Examples
    --------
    >>> from regions.shapes import channels
    >>> channels((3, 2), 3, "running_mean", "bn").tolist()
    [0, 0, 1, 1, 2, 2]
    """
    if shared and n == 1:
        return np.zeros(math.prod(dims), dtype=np.int64)
    if not dims or dims[0] != n:
        raise InvalidModelError(
            f"{where} has {n} {what} for a {describe(dims)} input (channels on axis 1)"
        )
    return np.repeat(np.arange(n), math.prod(dims[1:]))
