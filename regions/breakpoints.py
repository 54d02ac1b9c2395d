"""What the pattern columns mean, and the per-layer snapshots a decomposition records.

:class:`Breakpoints` names each breakpoint (one column of ``Partition.patterns``); a
:class:`Level` is the partition after one more activation layer, and :func:`stack_levels` reads
the final patterns through those snapshots.

``Switches``, the old name of :class:`Breakpoints`, is a deprecated alias here, in
:mod:`regions.partition` and in :mod:`regions` (:func:`renamed_class`); old attribute names
are deprecated properties (:func:`renamed_property`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .network import Network

__all__ = ["Breakpoints", "Level", "renamed_class", "renamed_property", "stack_levels"]


def __getattr__(name: str) -> type[Breakpoints]:
    return renamed_class(__name__, name)


@dataclass(frozen=True, eq=False)
class Breakpoints:
    """The breakpoints that draw region boundaries, one column of ``Partition.patterns`` each.

    A ReLU-like unit has one breakpoint (at 0); ReLU6 and Hardtanh units have two. Layers are
    the network's activations (``network.activations[layer - 1]``, named after the torch
    module or node): ReLU-like modules, ``abs`` and ``clamp`` have one unit per feature; a
    ``maximum(a, b)`` adds a layer whose unit j is on where ``a_j > b_j``, and a maximum over
    groups of features (maxout, ``amax``, ``MaxPool1d``) one such layer per round of pairwise
    comparisons (see :mod:`regions.layers`).

    Attributes
    ----------
    layer : ndarray, shape (S,)
        1-based activation layer of each breakpoint.
    unit : ndarray, shape (S,)
        Unit index within its layer.
    threshold : ndarray, shape (S,)
        Preactivation value of the breakpoint.

    Columns are ordered layer by layer, unit by unit, breakpoint by breakpoint.

    Examples
    --------
    A Hardtanh layer on the identity: each unit has breakpoints at -1 and 1, so the
    lines x = +-1 and y = +-1 cut [-2, 2]^2 into a 3 x 3 grid:

    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Hardtanh())
    >>> with torch.no_grad():
    ...     _ = model[0].weight.copy_(torch.eye(2))
    ...     _ = model[0].bias.zero_()
    >>> part = regions.decompose(model)
    >>> len(part)
    9
    >>> bp = part.breakpoints
    >>> bp.layer.tolist(), bp.unit.tolist(), bp.threshold.tolist()
    ([1, 1, 1, 1], [0, 0, 1, 1], [-1.0, 1.0, -1.0, 1.0])
    >>> r = part.locate([[-1.5, 0.0]])  # x below -1, y between -1 and 1
    >>> part.patterns[r].astype(int).tolist()
    [[0, 0, 1, 0]]
    >>> [p.tolist() for p in bp.pieces(part.patterns[r], part.network, 1)]  # per unit
    [[[0, 1]]]
    """

    layer: np.ndarray
    unit: np.ndarray
    threshold: np.ndarray

    @classmethod
    def of(cls, net: Network) -> Breakpoints:
        """Every breakpoint of ``net``: layer by layer, unit by unit, breakpoint by breakpoint.

        Parameters
        ----------
        net : Network
            The traced model.

        Returns
        -------
        Breakpoints
            One entry per pattern column of a partition of ``net`` (S = the total number of
            thresholds of its activations).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> bp = regions.Breakpoints.of(regions.trace(sawtooth(2)))
        >>> bp.layer.tolist(), bp.unit.tolist(), bp.threshold.tolist()
        ([1, 1, 2, 2], [0, 1, 0, 1], [0.0, 0.0, 0.0, 0.0])
        """
        layer, unit, threshold = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
        for act in net.activations:
            k = act.thresholds.shape[1]
            layer.append(np.full(act.thresholds.size, act.layer, dtype=np.int64))
            unit.append(np.repeat(np.arange(act.width, dtype=np.int64), k))
            threshold.append(act.thresholds.ravel())
        return cls(np.concatenate(layer), np.concatenate(unit), np.concatenate(threshold))

    def columns(self, layer: int) -> np.ndarray:
        """Pattern columns (breakpoint indices) of activation layer ``layer``.

        Parameters
        ----------
        layer : int
            1-based activation layer.

        Returns
        -------
        ndarray of int, shape (S_layer,)
            Ascending column indices into ``Partition.patterns``.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
        >>> part.breakpoints.columns(2).tolist()  # 2 ReLU units per layer
        [2, 3]
        """
        return np.flatnonzero(self.layer == layer)

    def pieces(self, patterns: np.ndarray, net: Network, depth: int) -> list[np.ndarray]:
        """Piece index (R, width) of every unit of layers 1..depth: breakpoints exceeded.

        Parameters
        ----------
        patterns : ndarray of bool, shape (R, S)
            Activation patterns with these breakpoints as columns (at least layers 1..depth).
        net : Network
            The network the breakpoints belong to.
        depth : int
            Number of leading activation layers to read.

        Returns
        -------
        list of ndarray of int, one (R, width) per layer 1..depth
            Index into that layer's ``slopes`` and ``offsets`` columns (0..K).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(2), (0, 1, 0, 1))
        >>> r = part.locate([[0.3, 0.5]])  # x > 0 and x < 1/2: unit 0 on, unit 1 off
        >>> [p.tolist() for p in part.breakpoints.pieces(part.patterns[r], part.network, 1)]
        [[[1, 0]]]
        """
        out = []
        for act in net.activations[:depth]:
            cols = self.columns(act.layer)
            bits = patterns[:, cols].reshape(len(patterns), act.width, -1)
            out.append(bits.sum(axis=2))
        return out


@dataclass(frozen=True, eq=False)
class Level:
    """The partition drawn by the first k activation layers (a snapshot taken during cutting).

    ``parent`` maps each region to its region at the previous level; ``bits`` holds each region's
    side of this layer's ``n_bits`` breakpoints, packed along axis 1 (``np.packbits``).

    Attributes
    ----------
    ring, start, edge_label : ndarray
        The cells at this level as ragged counter-clockwise rings of vertex ids into
        ``Partition.vertices`` (I,), offsets (R_k + 1,) and edge labels (I,).
    parent : ndarray of int, shape (R_k,)
        Region at the previous level (all 0 at level 1: the domain).
    bits : ndarray of uint8, shape (R_k, ceil(n_bits / 8))
        Packed side of each region for this layer's breakpoints.
    n_bits : int
        Number of breakpoints of this layer.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> [(level.n_regions, level.n_bits) for level in part.levels]
    [(2, 2), (4, 2), (8, 2)]
    >>> part.levels[1].parent.tolist()  # each of the 2 halves splits in 2
    [0, 1, 0, 1]
    """

    ring: np.ndarray
    start: np.ndarray
    edge_label: np.ndarray
    parent: np.ndarray
    bits: np.ndarray
    n_bits: int

    @property
    def n_regions(self) -> int:
        """Number of regions (convex cells) at this level."""
        return len(self.start) - 1

    def pieces(self, width: int, regions: np.ndarray | None = None) -> np.ndarray:
        """Breakpoints exceeded (R_k, width) by each of the layer's ``width`` units, per region
        (or per region of ``regions`` only).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
        >>> part.levels[0].pieces(2).tolist()  # x > 0 everywhere; x > 1/2 on one half
        [[1, 1], [1, 0]]
        """
        rows = self.bits if regions is None else self.bits[regions]
        bits = np.unpackbits(rows, axis=1, count=self.n_bits)
        if self.n_bits == width:  # one breakpoint per unit: the bits are the pieces
            return bits
        return bits.reshape(len(bits), width, -1).sum(axis=2)


def stack_levels(levels: tuple[Level, ...], chunk: int = 1 << 16) -> np.ndarray:
    """Packed patterns (R, ceil(S / 8)) of the last level's regions.

    Each level's bits are read through the region's ancestor at that level; rows are
    assembled in chunks so the unpacked bits never exist for all regions at once.

    Parameters
    ----------
    levels : tuple of Level
        Snapshots after layers 1..k, in order.
    chunk : int
        Regions assembled at a time, where a level before the last does not fill whole bytes
        (its bits are unpacked then; whole bytes are copied as they are).

    Returns
    -------
    ndarray of uint8, shape (R, ceil(S / 8))
        Packed patterns of the last level's R regions over all S breakpoints of the levels;
        shape (1, 0) when ``levels`` is empty.

    Examples
    --------
    >>> import numpy as np
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.breakpoints import stack_levels
    >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))
    >>> bits = stack_levels(part.levels)
    >>> bits.shape, np.array_equal(bits, part.cell_bits)  # 8 regions, 6 bits in one byte
    ((8, 1), True)
    """
    if not levels:
        return np.zeros((1, 0), dtype=np.uint8)
    n_regions = levels[-1].n_regions
    if all(level.n_bits % 8 == 0 for level in levels[:-1]):
        return _stack_bytes(levels)
    n_bits = sum(level.n_bits for level in levels)
    out = np.empty((n_regions, (n_bits + 7) // 8), dtype=np.uint8)
    for lo in range(0, n_regions, chunk):
        ancestor = np.arange(lo, min(lo + chunk, n_regions))
        columns = []
        for level in reversed(levels):
            columns.append(np.unpackbits(level.bits[ancestor], axis=1, count=level.n_bits))
            ancestor = level.parent[ancestor]
        out[lo : lo + chunk] = np.packbits(np.concatenate(columns[::-1], axis=1), axis=1)
    return out


def _stack_bytes(levels: tuple[Level, ...]) -> np.ndarray:
    """:func:`stack_levels` where every level but the last holds whole bytes: each level's
    rows copied as they are, each row one item (numpy's void type: a row moves as one
    element, five times faster than as a row of bytes for 1,180 regions of 4 bytes)."""
    fields = np.dtype([(f"level{k}", f"V{level.bits.shape[1]}") for k, level in enumerate(levels)])
    out = np.empty(levels[-1].n_regions, dtype=fields)
    ancestor = None
    for k in reversed(range(len(levels))):
        level = levels[k]
        rows = np.ascontiguousarray(level.bits).view(fields[k]).ravel()
        out[f"level{k}"] = rows if ancestor is None else rows[ancestor]
        ancestor = level.parent if ancestor is None else level.parent[ancestor]
    return out.view(np.uint8).reshape(len(out), fields.itemsize)


def _warn_renamed(old: str, new: str, stacklevel: int) -> None:
    # stacklevel: frames up from here to the user's line that used the old name.
    warnings.warn(f"{old} is deprecated; use {new}", DeprecationWarning, stacklevel=stacklevel)


def renamed_property(owner: str, old: str, new: str) -> property:
    """A read-only property ``old`` of class ``owner``: warns, then returns attribute ``new``.

    Parameters
    ----------
    owner : str
        The class's name, for the message.
    old, new : str
        The deprecated and the current attribute name.

    Returns
    -------
    property
        To assign to ``old`` in the class body (not a dataclass field: no annotation).

    Examples
    --------
    >>> import pytest
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> part = regions.decompose(sawtooth(2), (0, 1, 0, 1))
    >>> with pytest.warns(DeprecationWarning, match="use Partition.breakpoints"):
    ...     part.switches is part.breakpoints
    True
    """

    def get(self: object) -> object:
        _warn_renamed(f"{owner}.{old}", f"{owner}.{new}", stacklevel=3)
        return getattr(self, new)

    return property(get, doc=f"Deprecated name of :attr:`{new}` (warns ``DeprecationWarning``).")


def renamed_class(module: str, name: str) -> type[Breakpoints]:
    """A module ``__getattr__``: ``Switches``, the old name of :class:`Breakpoints`, with a warning.

    Parameters
    ----------
    module : str
        The module asked (``__name__``), for the messages.
    name : str
        The attribute asked.

    Returns
    -------
    type
        :class:`Breakpoints`, for ``name == "Switches"``; any other name raises
        ``AttributeError``.

    Examples
    --------
    >>> import pytest
    >>> import regions
    >>> with pytest.warns(DeprecationWarning, match="use regions.Breakpoints"):
    ...     regions.Switches is regions.Breakpoints
    True
    """
    if name != "Switches":
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    _warn_renamed(f"{module}.Switches", f"{module}.Breakpoints", stacklevel=4)
    return Breakpoints
