"""What a partition says about the model's output: linear regions, the exact decision
boundary and the region of each predicted class.

Mixed into :class:`~regions.Partition`. The class cells are the partition's cells cut once more,
exactly, wherever the predicted class changes (:class:`~regions.lines.ArgmaxLine`).
"""

from __future__ import annotations

import dataclasses
from functools import cached_property, partial
from typing import TypeVar

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from . import region_maps
from .clipping import CellBounds, Clipped, clipped_cells, margin_of
from .edge_clipping import clip_segments
from .fallback import class_function
from .floats import EPS, SAFE
from .lines import ArgmaxLine
from .mesh import DOMAIN_EDGE, Mesh
from .oracle import exact_affine
from .overlays import clip_to_area, union_of_cells, without_spikes
from .results import DecisionBoundary, LinearRegions
from .validate import check_index, check_real

__all__ = ["CLASS_EDGE", "Decisions"]

CLASS_EDGE = DOMAIN_EDGE - 1
"""Edge label of the cuts that draw the class cells."""

_P = TypeVar("_P", bound="Decisions")


class Decisions:
    """``Partition.linear_regions``, ``decision_boundary`` and ``predicted_region``."""

    def linear_regions(self, *, rtol: float = 0.0) -> LinearRegions:
        """Merge adjacent regions whose output affine maps are the same.

        Parameters
        ----------
        rtol : float
            0 (the default) is exact: two maps are the same when their exact maps (of the
            float64 model) are equal. The float maps' error bounds prove almost every pair
            different; pairs they cannot (maps equal, or closer than their rounding) are
            compared in rational arithmetic (:func:`regions.oracle.exact_affine`). A positive
            value merges on purpose: maps whose float entries of ``A`` and ``c`` all differ by
            at most ``rtol`` times the largest absolute entry over all regions.

        Returns
        -------
        LinearRegions
            A label (R,) per region and the number of linear regions; regions are merged
            transitively through adjacency, so equal maps on separated regions stay distinct.

        Examples
        --------
        ``relu(x) + relu(-x) = |x|``: the two units switch on the same line, so their
        patterns differ but no two adjacent regions share a map:

        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [-1, 0]], [0, 0]), (-1, 1, -1, 1))
        >>> len(part), part.linear_regions().n
        (2, 2)

        See :class:`LinearRegions` for regions that merge.
        """
        rtol = check_real(rtol, "rtol", "Partition.linear_regions")
        A, c = self.affine()
        pairs = self.adjacency().pairs
        n_exact = 0
        if rtol > 0:
            scale = max(float(np.abs(A).max(initial=0)), float(np.abs(c).max(initial=0)), 1e-300)
            dA = np.abs(A[pairs[:, 0]] - A[pairs[:, 1]]).max(axis=(1, 2), initial=0.0)
            dc = np.abs(c[pairs[:, 0]] - c[pairs[:, 1]]).max(axis=1, initial=0.0)
            same = np.maximum(dA, dc) <= rtol * scale
        else:
            same, n_exact = self._same_maps(pairs, A, c)
        n = len(self)
        graph = coo_matrix((np.ones(same.sum()), tuple(pairs[same].T)), shape=(n, n))
        n_lin, labels = connected_components(graph, directed=False)
        return LinearRegions(labels=labels, n=int(n_lin), n_exact=n_exact)

    def _same_maps(self, pairs: np.ndarray, A: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, int]:
        """Whether the exact output maps of each region pair (P, 2) are equal, and how many
        pairs needed rational arithmetic.

        Each float map errs by at most ``e`` (:meth:`NodeMaps.own`) anywhere in the box
        ``|u|, |v| <= box``, so the float difference of two maps errs by ``e1 + e2`` there;
        where it exceeds that somewhere in the box (its largest magnitude there is
        ``(|dA_u| + |dA_v|) box + |dc|``, at a corner) the exact maps differ. The factor
        ``1 - 8 EPS`` covers the rounding of that float test itself.
        """
        state = self.cut_state
        undecided = np.ones(len(pairs), dtype=bool)
        if state is not None and state.output.box > 0 and len(pairs):
            cell = self.region_cell
            err = state.output.own()
            e = err[cell[pairs[:, 0]]] + err[cell[pairs[:, 1]]]
            dA = np.abs(A[pairs[:, 0]] - A[pairs[:, 1]])
            with np.errstate(over="ignore"):  # an infinite reach proves nothing wrong
                reach = (dA[..., 0] + dA[..., 1]) * state.output.box
                reach += np.abs(c[pairs[:, 0]] - c[pairs[:, 1]])
            undecided = ~np.any(reach * (1 - 8 * EPS) > e * SAFE, axis=1)
        same = np.zeros(len(pairs), dtype=bool)
        at = np.flatnonzero(undecided)
        if at.size:
            # Exact maps of the regions involved, each once. The model is continuous, so two
            # neighbours' maps agree along their common edge: equal gradients, equal maps.
            involved, index = np.unique(pairs[at], return_inverse=True)
            exact_A, _ = exact_affine(self.network, self.plane, self.patterns[involved])
            index = index.reshape(-1, 2)
            same[at] = np.all(exact_A[index[:, 0]] == exact_A[index[:, 1]], axis=(1, 2))
        return same, int(at.size)

    @cached_property
    def _class_cells(self: _P) -> tuple[_P, np.ndarray, np.ndarray]:
        """The cells cut further where the predicted class changes, each piece's class, and
        each vertex's bound on its distance from its exact point (the cut's mesh continues
        the partition's, so ``cut_state.exact.position`` places the new vertices too).

        One exact cut per logit after the first: each piece keeps its winner so far and is
        cut where the next logit overtakes it (ties go to the lower index, as ``argmax``).
        """
        self._output_maps  # noqa: B018  (raises below full depth)
        state = self.cut_state
        if state is None:
            raise ValueError("the class cells need a partition from regions.decompose")
        mesh = Mesh.from_cells(
            self.vertices,
            state.r,
            state.provenance,
            self.ring,
            self.start,
            self.edge_label,
            state.lines,
            state.line_errors,
            state.box,
        )
        state.exact.mesh = mesh
        mesh.exact_vertex = state.exact.place
        origin = np.arange(mesh.n_polygons)

        def region_of(polygons: np.ndarray) -> np.ndarray:
            return origin[mesh.parent[polygons]]

        def logits(xy: np.ndarray, polygons: np.ndarray) -> np.ndarray:
            return region_maps.evaluate(state.output, region_of(polygons), xy)

        owner = np.repeat(np.arange(mesh.n_polygons), np.diff(self.start))
        _, at = np.unique(self.ring, return_index=True)
        mesh.set_values(logits(mesh.xy, owner[at]), logits)
        m = self.network.n_outputs
        ids = partial(class_function, m=m)

        def line(k: int, current: np.ndarray) -> ArgmaxLine:
            challenger = 0 if m == 1 else k  # one logit: class 1 where it is positive
            return ArgmaxLine(
                mesh, state.output, challenger, current, region_of, state.exact.values, ids
            )

        current = np.zeros(mesh.n_polygons, dtype=np.int64)
        for k in range(1, max(m, 2)):
            mesh.reset_parents()
            mesh.cut(line(k, current), CLASS_EDGE)
            origin, current = origin[mesh.parent], current[mesh.parent]
            current[mesh.positive] = k  # logit k beats the winner so far somewhere inside
        cells = dataclasses.replace(
            self,
            vertices=mesh.xy.copy(),
            ring=mesh.ring,
            start=mesh.start,
            edge_label=mesh.label,
            cell_bits=self.cell_bits[origin],
            levels=(),
            cut_state=None,
        )
        return cells, current, mesh.r.copy()

    def decision_boundary(self) -> DecisionBoundary:
        """The exact boundary where the predicted class (argmax of the logits, or logit > 0 for
        one output) changes, as straight segments.

        Returns
        -------
        DecisionBoundary
            Segments (E, 2, 2), in plane coordinates.

        Raises
        ------
        ValueError
            Below full depth (a partition from :meth:`at_depth`).

        Examples
        --------
        A two-class net predicting class 1 where y > x:

        >>> import torch
        >>> import regions
        >>> from torch.nn import Linear, ReLU, Sequential
        >>> model = Sequential(Linear(2, 2), ReLU(), Linear(2, 2))
        >>> with torch.no_grad():
        ...     _ = model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        ...     _ = model[0].bias.fill_(2.0)  # relu(x + 2) = x + 2 on the box
        ...     _ = model[2].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        ...     _ = model[2].bias.zero_()
        >>> db = regions.decompose(model, (-1, 1, -1, 1)).decision_boundary()
        >>> db.to_shapely().wkt
        'MULTILINESTRING ((-1 -1, 1 1))'
        >>> round(db.length, 6)  # 2 sqrt(2)
        2.828427
        """
        cells, cls, r = self._class_cells
        a, b = cells._twins
        e = a[cls[cells._owner[a]] != cls[cells._owner[b]]]
        # The class cells' mesh continues the decomposition's: its exact vertices place them.
        segments, reach, exact_ends = cells._edge_copies(e, r, self.cut_state.exact.position)
        if self._clipped is not None:
            # Clipped as the edges they are, exactly: a stretch along the domain's edge (the
            # class changes toward its outside only) is no boundary inside the domain.
            segments, _ = clip_segments(segments, self.domain, reach, exact_ends)
        return DecisionBoundary(segments)

    def predicted_region(self, cls: int = 1) -> shapely.Geometry:
        """Exact region of the domain where the model predicts class ``cls`` (shapely geometry).

        Parameters
        ----------
        cls : int
            Class index, 0 .. n_outputs - 1; for one output, 1 where the logit is > 0 and 0
            elsewhere.

        Returns
        -------
        shapely.Geometry
            A Polygon or MultiPolygon (empty if the class is never predicted, or only in
            cells thinner than float64 resolves), clipped to a non-convex domain; where the
            decision boundary runs along the domain's edge, the stretch they share is no
            part of it (each vertex lies within rounding of the exact region's closure).

        Raises
        ------
        ValueError
            For a class out of range, or below full depth.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import line_arrangement
        >>> part = regions.decompose(line_arrangement([[1, 0], [0, 1]], [0, 0]), (-1, 1, -1, 1))
        >>> part.predicted_region(1).area, part.predicted_region(0).area  # relu(x) + relu(y) > 0
        (3.0, 1.0)
        >>> part.predicted_region(0).bounds  # the third quadrant
        (-1.0, -1.0, 0.0, 0.0)
        """
        check_index(cls, "cls", 0, max(self.network.n_outputs, 2) - 1, "Partition.predicted_region")
        cells, labels, r = self._class_cells
        if (labels == cls).all():  # the whole domain, exactly as given
            return self.domain.polygon
        moved = float(r.max(initial=0.0))  # how far a class cell's vertex may be off
        region = union_of_cells(cells.cell_geometries()[labels == cls], self.domain, moved)
        if self.domain.convex:
            return region
        # The union clipped as a whole, so that its pieces meet without rounding's slivers.
        # Where the class cells' edges run along the domain's, the clip also returns that
        # stretch, as a line, or in floats as a spike, which each class cell's exact pieces
        # show up.
        # Clipped pieces lie within ``reach`` of the exact ones (at least ``moved``).
        pieces, reach = self._clipped_class_cells
        support = pieces.geometries[labels[pieces.region_cell] == cls]
        region = clip_to_area(region, self.domain, float(shapely.area(support).sum()), reach)
        return region if region.is_empty else without_spikes(region, support, reach)

    @cached_property
    def _clipped_class_cells(self) -> tuple[Clipped, float]:
        """The class cells clipped to a non-convex domain as the regions are, exactly where
        rounding may get them wrong (:func:`regions.clipping.clipped_cells`), and how far the
        float geometries may lie from the exact ones."""
        cells, _, r = self._class_cells
        position = self.cut_state.exact.position
        bounds = CellBounds.of(cells.ring, cells.start, cells.vertices, r, position)
        clipped = clipped_cells(cells.cell_geometries(), self.domain, bounds)
        return clipped, 2 * float(margin_of(bounds.reach, self.domain).max(initial=0.0))
