"""Affine maps of network nodes on regions whose activation pieces are known.

On a region every activation unit sits on one linear piece, so each node of the network is an
affine function of the plane coordinates there. :func:`node_maps` propagates those maps through
the graph for many regions at once, one matrix product per node over all regions of a chunk.
"""

from __future__ import annotations

import numpy as np

from .network import Activation, Affine, Concat, Network, Sum

__all__ = ["node_maps", "CHUNK_ENTRIES"]

CHUNK_ENTRIES = 1 << 23
"""Regions x features per chunk: bounds the memory of the propagated maps (~200 MB)."""


def node_maps(
    net: Network, plane_map: np.ndarray, pieces: list[np.ndarray], node: int
) -> tuple[np.ndarray, np.ndarray]:
    """Affine map of ``net.nodes[node]`` on every region.

    Parameters
    ----------
    net : Network
    plane_map : ndarray, shape (n_inputs, 3)
        Input as a function of plane coordinates: ``x = plane_map @ (u, v, 1)``.
    pieces : list of ndarray
        One (R, width_l) integer array per activation layer: the piece of every unit on every
        region (only layers before ``node`` are read).
    node : int
        Index into ``net.nodes``.

    Returns
    -------
    A : ndarray, shape (R, width, 2)
        Gradient of the node's value with respect to the plane coordinates.
    c : ndarray, shape (R, width)
        Value at plane coordinates (0, 0).
    """
    n_regions = pieces[0].shape[0] if pieces else 1
    widest = max(net.widths)
    step = max(1, CHUNK_ENTRIES // (3 * widest))
    A = np.empty((n_regions, net.widths[node], 2))
    c = np.empty((n_regions, net.widths[node]))
    for lo in range(0, n_regions, step):
        chunk = [p[lo : lo + step] for p in pieces]
        m = _propagate(net, plane_map, chunk, node)  # (width, r, 3)
        A[lo : lo + step] = m[:, :, :2].transpose(1, 0, 2)
        c[lo : lo + step] = m[:, :, 2].T
    return A, c


def _propagate(
    net: Network, plane_map: np.ndarray, pieces: list[np.ndarray], stop: int
) -> np.ndarray:
    """Maps in feature-major layout (width, regions, 3), so each Linear is one matrix product."""
    r = pieces[0].shape[0] if pieces else 1
    last_use = net.last_use()
    maps: list[np.ndarray | None] = [np.repeat(plane_map[:, None, :], r, axis=1)]
    for i, node in enumerate(net.nodes[1 : stop + 1], 1):
        if isinstance(node, Affine):
            src = maps[node.src]
            m = (node.W @ src.reshape(src.shape[0], -1)).reshape(-1, r, 3)
            m[:, :, 2] += node.b[:, None]
        elif isinstance(node, Sum):
            m = sum(s * maps[i] for i, s in zip(node.srcs, node.signs, strict=True))
        elif isinstance(node, Concat):
            m = np.concatenate([maps[i] for i in node.srcs], axis=0)
        elif isinstance(node, Activation):
            p = pieces[node.layer - 1].T  # (width, r)
            units = np.arange(node.width)[:, None]
            m = maps[node.src] * node.slopes[units, p][:, :, None]
            m[:, :, 2] += node.offsets[units, p]
        maps.append(m)
        for j in range(i):
            if last_use[j] <= i and j != stop:
                maps[j] = None  # free what no later node reads
    return maps[stop]
