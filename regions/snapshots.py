"""Coarser views of a partition: the regions drawn by its first k activation layers.

Mixed into :class:`~regions.Partition`; the cells of every depth are the snapshots
(:class:`~regions.breakpoints.Level`) the decomposition recorded, so no cut is repeated.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

import numpy as np

from .breakpoints import stack_levels
from .mesh import DOMAIN_EDGE
from .validate import check_index

__all__ = ["Snapshots"]

_P = TypeVar("_P", bound="Snapshots")


class Snapshots:
    """``Partition.at_depth`` and ``counts_by_depth``."""

    def at_depth(self: _P, k: int) -> _P:
        """The coarser partition drawn by the first ``k`` activation layers (0 <= k <= depth).

        Parameters
        ----------
        k : int
            Number of activation layers; 0 gives the whole domain as one region.

        Returns
        -------
        Partition
            Same network, domain and vertex pool, with ``depth == k``. Its output maps are
            not defined below full depth; hidden maps ``affine(layer=j)``, j <= k, are.

        Raises
        ------
        ValueError
            Unless ``0 <= k <= depth``.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.at_depth(2)
        Partition(4 regions, depth 2 of 3, 4 breakpoints, domain area 1)
        >>> len(part.at_depth(0)), part.at_depth(3) is part
        (1, True)
        """
        check_index(k, "k", 0, self.depth, "Partition.at_depth")
        if k == self.depth:
            return self
        if k == 0:
            return _whole_domain(self)
        level = self.levels[k - 1]
        return dataclasses.replace(
            self,
            depth=k,
            ring=level.ring,
            start=level.start,
            edge_label=level.edge_label,
            cell_bits=stack_levels(self.levels[:k]),
            levels=self.levels[:k],
            # Kept for its vertices' bounds and exact points, which hold at every depth (a
            # non-convex domain's thin cells are then regions exactly); its output maps are
            # full depth's and are not read below it.
        )

    def counts_by_depth(self) -> np.ndarray:
        """Region counts (depth + 1,) of ``at_depth(0), ..., at_depth(depth)``.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> part = regions.decompose(sawtooth(3), (0, 1, 0, 1))  # 8 strips of width 1/8
        >>> part.counts_by_depth().tolist()
        [1, 2, 4, 8]
        """
        return np.array([len(self.at_depth(k)) for k in range(self.depth + 1)])


def _whole_domain(part: _P) -> _P:
    """The depth-0 partition: the domain's hull as a single cell."""
    hull = part.domain.hull
    return dataclasses.replace(
        part,
        depth=0,
        vertices=hull,
        ring=np.arange(len(hull)),
        start=np.array([0, len(hull)]),
        edge_label=np.full(len(hull), DOMAIN_EDGE),
        cell_bits=np.zeros((1, 0), dtype=np.uint8),
        levels=(),
        cut_state=None,
    )
