"""Affine maps of network nodes on the regions of one level, with rigorous error bounds.

On a region of the partition drawn by the first k activation layers, every node that reads
only those layers is an affine function of the plane coordinates. The decomposition carries
these maps through the pass (one matrix product per node over all regions), evaluates them at
new vertices and reads cut lines' equations off them. Each map comes with a bound on its
rounding error, in the classic running form: ``|map~(p) - map*(p)| <= kappa * nu`` at every
point ``p`` of the domain box, where ``nu`` is the same map computed through absolute values
(an upper bound on every term that was rounded) and ``kappa`` sums the layers' ``gamma``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .floats import EPS, SAFE, gamma
from .network import Activation, Affine, Sum

__all__ = ["NodeMaps", "activation", "affine", "evaluate", "input_maps", "joined", "summed"]


@dataclass(frozen=True, eq=False)
class NodeMaps:
    """One node's affine maps on every region of a level.

    Attributes
    ----------
    m : ndarray, shape (R, 3, width)
        Rows d/du, d/dv and the value at (0, 0): the node is ``m[r].T @ (u, v, 1)`` on region r.
    nu : ndarray, shape (R, width)
        Bound on the magnitude of every rounded term, at any point of the domain box.
    kappa : float
        The maps' error at any point of the box is at most ``kappa * nu``.
    """

    m: np.ndarray
    nu: np.ndarray
    kappa: float
    _bounds: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def bounds(self, box: float) -> tuple[np.ndarray, np.ndarray]:
        """Per unit (width,), over all regions: the error of a value computed by
        :func:`evaluate` at a float point that is exactly where it should be, and the bound
        on the exact gradient's length that multiplies a point's distance error.

        One pair per unit, not per region, so that vertex values need no stored bounds; a
        unit whose maps are large somewhere gets a loose bound everywhere, which costs exact
        fallbacks, never a wrong sign.
        """
        if self._bounds is None:
            # max(a + b) <= max(a) + max(b): one pass per term, no (R, width) temporaries.
            top = lambda a: a.max(axis=0, initial=0.0)  # noqa: E731
            gradient = top(np.abs(self.m[:, 0])) + top(np.abs(self.m[:, 1]))
            own = self.kappa * top(self.nu)
            fixed = own + gamma(3) * (gradient * box + top(np.abs(self.m[:, 2])))
            slope = gradient + np.sqrt(2) * own / box
            object.__setattr__(self, "_bounds", (fixed * SAFE, slope * SAFE))
        return self._bounds

    def take(self, regions: np.ndarray) -> NodeMaps:
        """The maps on a subset (or refinement, by parent index) of the regions."""
        return NodeMaps(self.m[regions], self.nu[regions], self.kappa)

    def check_finite(self) -> bool:
        """Whether every map is finite (``nu`` bounds every term, so it overflows first)."""
        return bool(np.all(np.isfinite(self.nu)))


def input_maps(plane_map: np.ndarray, box: float) -> NodeMaps:
    """The input node on the whole domain: the plane map itself, exact."""
    nu = (np.abs(plane_map[:, :2]).sum(axis=1) * box + np.abs(plane_map[:, 2])) * SAFE
    return NodeMaps(plane_map.T[None].copy(), nu[None], 0.0)


def affine(node: Affine, src: NodeMaps) -> NodeMaps:
    """``W x + b`` of a node's maps: ``fl(W m + b)`` errs by at most ``gamma(n + 1)`` times
    ``|W| nu + |b|``, on top of ``|W|`` times the source's error."""
    r, _, n = src.m.shape
    m = (src.m.reshape(-1, n) @ node.W.T).reshape(r, 3, -1)
    m[:, 2, :] += node.b
    # sum_j |W_kj| nu_j <= ||W_k||_1 max_j nu_j: an outer product instead of a second matmul.
    widest = src.nu.max(axis=1, initial=0.0)
    nu = np.multiply.outer(widest, np.abs(node.W).sum(axis=1)) + np.abs(node.b)
    return NodeMaps(m, nu * (1 + gamma(n + 1)) * SAFE, (src.kappa + gamma(n + 1)) * SAFE)


def summed(node: Sum, srcs: list[NodeMaps]) -> NodeMaps:
    """A signed sum of nodes' maps (all on the same regions)."""
    signs = np.asarray(node.signs, dtype=np.float64)
    m = sum(s * src.m for s, src in zip(signs, srcs, strict=True))
    nu = sum(abs(s) * src.nu for s, src in zip(signs, srcs, strict=True))
    k = gamma(2 * len(srcs))
    return NodeMaps(m, nu * (1 + k) * SAFE, (max(src.kappa for src in srcs) + k) * SAFE)


def joined(srcs: list[NodeMaps]) -> NodeMaps:
    """Feature concatenation of nodes' maps."""
    return NodeMaps(
        np.concatenate([s.m for s in srcs], axis=2),
        np.concatenate([s.nu for s in srcs], axis=1),
        max(s.kappa for s in srcs),
    )


def activation(node: Activation, src: NodeMaps, pieces: np.ndarray, parent: np.ndarray) -> NodeMaps:
    """The activation's maps on the regions of the next level.

    Parameters
    ----------
    node : Activation
    src : NodeMaps
        The preactivation's maps on the regions of the level the layer started from.
    pieces : ndarray of int, shape (R, width)
        Breakpoints exceeded, per region of the next level and unit.
    parent : ndarray of int, shape (R,)
        Each region's region at the level before.
    """
    units = np.arange(node.width)
    slope = node.slopes[units, pieces]
    m = src.m[parent]
    m *= slope[:, None, :]
    if node.is_relu:
        return NodeMaps(m, src.nu[parent] * slope, src.kappa)
    offset = node.offsets[units, pieces]
    m[:, 2, :] += offset
    nu = (src.nu[parent] * np.abs(slope) + np.abs(offset)) * (1 + 2 * EPS) * SAFE
    return NodeMaps(m, nu, (src.kappa + 2 * EPS) * SAFE)


def evaluate(maps: NodeMaps, regions: np.ndarray, xy: np.ndarray, first: int = 0) -> np.ndarray:
    """Values (width - first, n) of a node's units from ``first`` on at float points (n, 2)
    of given regions (n,); see :meth:`NodeMaps.bounds` for their errors."""
    out = np.empty((maps.m.shape[2] - first, len(xy)))
    step = max(1, (1 << 20) // max(maps.m.shape[2], 1))
    for lo in range(0, len(xy), step):
        m = maps.m[regions[lo : lo + step], :, first:]
        p = xy[lo : lo + step]
        out[:, lo : lo + step] = (m[:, 0] * p[:, :1] + m[:, 1] * p[:, 1:] + m[:, 2]).T
    return out
