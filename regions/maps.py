"""Affine maps of network nodes on regions whose activation pieces are known.

On a region every activation unit sits on one linear piece, so each node of the network is an
affine function of the plane coordinates there. :func:`node_maps` propagates those maps through
the graph for many regions at once, one matrix product per node over all regions of a chunk.
"""

from __future__ import annotations

import numpy as np

from .breakpoints import Breakpoints, Level
from .network import Activation, Affine, Concat, Network, Sum

__all__ = ["node_maps", "level_maps", "CHUNK_ENTRIES"]

CHUNK_ENTRIES = 1 << 23
"""Regions x features per chunk: bounds the memory of the propagated maps (~200 MB)."""


def node_maps(
    net: Network, plane_map: np.ndarray, bits: np.ndarray, breakpoints: Breakpoints, node: int
) -> tuple[np.ndarray, np.ndarray]:
    """Affine map of ``net.nodes[node]`` on every region.

    Parameters
    ----------
    net : Network
        The traced model.
    plane_map : ndarray, shape (n_inputs, 3)
        Input as a function of plane coordinates: ``x = plane_map @ (u, v, 1)``.
    bits : ndarray of uint8, shape (R, ceil(S / 8))
        Packed activation patterns of the regions (at least the layers before ``node``).
    breakpoints : Breakpoints
        What each pattern column means.
    node : int
        Index into ``net.nodes``.

    Returns
    -------
    A : ndarray, shape (R, width, 2)
        Gradient of the node's value with respect to the plane coordinates.
    c : ndarray, shape (R, width)
        Value at plane coordinates (0, 0).

    Notes
    -----
    Regions are processed in chunks of at most :data:`CHUNK_ENTRIES` // (3 * widest node)
    regions to bound memory. :meth:`regions.Partition.affine` is the usual way in; it calls this
    with the partition's own arguments.

    Examples
    --------
    The output of ``sawtooth(2)`` on its four strips of [0, 1]^2, sorted left to right:

    >>> import numpy as np
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.maps import node_maps
    >>> part = regions.decompose(sawtooth(2), (0, 1, 0, 1))
    >>> net = part.network
    >>> A, c = node_maps(net, part.plane.map, part.cell_bits, part.breakpoints, net.output)
    >>> A.shape, c.shape
    ((4, 1, 2), (4, 1))
    >>> left_to_right = np.argsort(part.centroids[:, 0])
    >>> A[left_to_right, 0, 0].tolist(), c[left_to_right, 0].tolist()  # slopes +-4 in x
    ([4.0, -4.0, 4.0, -4.0], [0.0, 2.0, -2.0, 4.0])
    >>> A[:, 0, 1].tolist()  # y is ignored
    [0.0, 0.0, 0.0, 0.0]

    Any node works, here the first Linear layer (node 1, units x and x - 1/2):

    >>> A1, c1 = node_maps(net, part.plane.map, part.cell_bits, part.breakpoints, 1)
    >>> A1[0].tolist(), c1[0].tolist()
    ([[1.0, 0.0], [1.0, 0.0]], [0.0, -0.5])
    """
    n_regions = len(bits)
    layers = sum(1 for n in net.nodes[1 : node + 1] if isinstance(n, Activation))
    n_bits = int(np.count_nonzero(breakpoints.layer <= layers))
    widest = max(net.widths)
    step = max(1, CHUNK_ENTRIES // (3 * widest))
    A = np.empty((n_regions, net.widths[node], 2))
    c = np.empty((n_regions, net.widths[node]))
    for lo in range(0, n_regions, step):
        patterns = np.unpackbits(bits[lo : lo + step], axis=1, count=n_bits).astype(bool)
        pieces = breakpoints.pieces(patterns, net, layers)
        m = _propagate(net, plane_map, pieces, len(patterns), node)  # (r, 3, width)
        A[lo : lo + step] = m[:, :2, :].transpose(0, 2, 1)
        c[lo : lo + step] = m[:, 2, :]
    return A, c


def level_maps(
    net: Network, plane_map: np.ndarray, levels: tuple[Level, ...], node: int
) -> tuple[np.ndarray, np.ndarray]:
    """Affine map of ``net.nodes[node]`` on every region of the last of ``levels``.

    The maps are built level by level: every node before activation layer k is affine on
    the regions of level k - 1, so it is computed there (one matrix product over those
    regions), and each activation layer moves the maps still needed to its own level's
    regions through their parents. Far fewer rows than propagating every final region's
    pattern from the input (:func:`node_maps`).

    Parameters
    ----------
    net : Network
        The traced model.
    plane_map : ndarray, shape (n_inputs, 3)
        Input as a function of plane coordinates: ``x = plane_map @ (u, v, 1)``.
    levels : tuple of Level
        Snapshots after the activation layers 1..k before ``node`` (empty: the whole domain).
    node : int
        Index into ``net.nodes``, reading no activation layer beyond k.

    Returns
    -------
    A : ndarray, shape (R_k, width, 2)
        Gradient of the node's value with respect to the plane coordinates.
    c : ndarray, shape (R_k, width)
        Value at plane coordinates (0, 0).

    Examples
    --------
    ``sawtooth(2)``'s output on its four strips of [0, 1]^2, as :func:`node_maps` gives it:

    >>> import numpy as np
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from regions.maps import level_maps
    >>> part = regions.decompose(sawtooth(2), (0, 1, 0, 1))
    >>> net = part.network
    >>> A, c = level_maps(net, part.plane.map, part.levels, net.output)
    >>> B, d = node_maps(net, part.plane.map, part.cell_bits, part.breakpoints, net.output)
    >>> bool(np.array_equal(A, B) and np.array_equal(c, d))
    True

    The first Linear layer reads no activation: one map on the whole domain.

    >>> A1, c1 = level_maps(net, part.plane.map, (), 1)
    >>> A1.tolist(), c1.tolist()
    ([[[1.0, 0.0], [1.0, 0.0]]], [[0.0, -0.5]])
    """
    last_use = net.last_use()
    maps: dict[int, np.ndarray] = {0: plane_map.T[None]}
    for i, n in enumerate(net.nodes[1 : node + 1], 1):
        pieces = None
        if isinstance(n, Activation):
            level = levels[n.layer - 1]
            maps = {j: m[level.parent] for j, m in maps.items()}
            pieces = level.pieces(n.width)
        maps[i] = _node_map(n, maps, pieces)
        maps = {j: m for j, m in maps.items() if last_use[j] > i or j == node}
    m = maps[node]
    return m[:, :2, :].transpose(0, 2, 1).copy(), m[:, 2, :].copy()


def _node_map(
    node: Affine | Sum | Concat | Activation, maps: dict[int, np.ndarray], pieces: np.ndarray | None
) -> np.ndarray:
    """One node's maps (r, 3, width) from its sources' (all on the same r regions); ``pieces``
    (r, width): an activation's breakpoints exceeded."""
    if isinstance(node, Affine):
        src = maps[node.src]
        m = (src.reshape(-1, src.shape[2]) @ node.W.T).reshape(len(src), 3, -1)
        m[:, 2, :] += node.b
    elif isinstance(node, Sum):
        m = sum(s * maps[j] for j, s in zip(node.srcs, node.signs, strict=True))
    elif isinstance(node, Concat):
        m = np.concatenate([maps[j] for j in node.srcs], axis=2)
    elif node.is_relu:
        m = maps[node.src] * (pieces > 0)[:, None, :]
    else:
        m = maps[node.src] * np.take_along_axis(node.slopes.T, pieces, axis=0)[:, None, :]
        m[:, 2, :] += np.take_along_axis(node.offsets.T, pieces, axis=0)
    return m


def _propagate(
    net: Network, plane_map: np.ndarray, pieces: list[np.ndarray], r: int, stop: int
) -> np.ndarray:
    """Maps in layout (regions, 3, width): rows d/du, d/dv and the value at the origin, so a
    Linear is one matrix product over all regions and an activation one broadcast multiply."""
    last_use = net.last_use()
    maps: dict[int, np.ndarray] = {0: np.broadcast_to(plane_map.T, (r, 3, net.n_inputs))}
    for i, node in enumerate(net.nodes[1 : stop + 1], 1):
        layer = pieces[node.layer - 1] if isinstance(node, Activation) else None
        maps[i] = _node_map(node, maps, layer)
        maps = {j: m for j, m in maps.items() if last_use[j] > i or j == stop}
    return maps[stop]
