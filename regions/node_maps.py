"""The maps of one node on the regions of a level: :class:`NodeMaps` (built) and
:class:`ActivatedMaps` (an activation's, built on demand), and the bounds they answer with.

:mod:`regions.region_maps` makes them, node by node; see there for what the bounds mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import map_kernels
from .compensated import UNDERFLOW, scaled, shifted
from .compensated_kernels import length_bound, root_bound, shorter
from .floats import EPS, SAFE, gamma

__all__ = ["ActivatedMaps", "Maps", "NodeMaps", "built"]


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
    lo : ndarray, shape (R, 3, width), or None
        Compensated maps only: the map is ``m + lo``, with error at most ``nu`` (``kappa``
        is 1); ``m`` alone errs by at most ``nu`` plus ``|lo|`` over the box (:meth:`own`).
    box : float
        The half-width of the box ``nu`` holds on (``max |u|, |v|`` over the domain); 0 where
        not known (maps built by hand), which skips :meth:`check_finite`'s slope test.
    eta : ndarray, shape (R,), or None
        Compensated maps only: a bound on the Euclidean length of each region's error vector
        (one entry per unit) at any point of the box, carried through ``||W||_2`` (see
        :func:`regions.compensated_kernels.finished`); None where not known.
    """

    m: np.ndarray
    nu: np.ndarray
    kappa: float
    lo: np.ndarray | None = None
    box: float = 0.0
    eta: np.ndarray | None = None
    _bounds: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _extremes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _lo_extremes: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def own(
        self, regions: np.ndarray | slice = slice(None), unit: int | np.ndarray | None = None
    ) -> np.ndarray:
        """Error bound of ``m`` alone (the float maps every consumer reads) at any point of the
        box, on given regions and units (one, one per region, or all): ``kappa * nu``, plus
        ``|lo|`` over the box for compensated maps."""
        units = slice(None) if unit is None else unit
        err = self.kappa * self.nu[regions, units]
        if self.lo is not None:
            lo = np.abs(self.lo[regions, :, units])
            err = err + (self.box * (lo[:, 0] + lo[:, 1]) + lo[:, 2])
        return err

    def bounds(self, box: float) -> tuple[np.ndarray, np.ndarray]:
        """Per unit (width,), over all regions: the error of a value computed by
        :func:`evaluate` at a float point that is exactly where it should be, and the bound
        on the exact gradient's length that multiplies a point's distance error.

        One pair per unit, not per region, so that vertex values need no stored bounds; a
        unit whose maps are large somewhere gets a loose bound everywhere, which costs exact
        fallbacks, never a wrong sign (:meth:`bounds_on` gives one region's).
        """
        if self._bounds is None:
            # max(a + b) <= max(a) + max(b): the largest |entry| of each row, from the largest
            # and smallest entries (no |m| copy), taken while the maps were made if they were.
            ext = self._extremes or map_kernels.extremes(self.m, self.nu)
            lo_ext = None
            if self.lo is not None:
                lo_ext = self._lo_extremes or map_kernels.extremes_of(self.lo)
            bounds = map_kernels.value_bounds(ext, self.kappa, lo_ext, self.box, box)
            object.__setattr__(self, "_bounds", bounds)
        return self._bounds

    def bounds_on(
        self, regions: np.ndarray, unit: int, box: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`bounds` of one unit for values computed from given regions' maps (n,)."""
        return map_kernels.bounds_of(
            np.abs(self.m[regions, :, unit]).T, self.own(regions, unit), box
        )

    def take(self, regions: np.ndarray) -> NodeMaps:
        """The maps on a subset (or refinement, by parent index) of the regions."""
        lo = None if self.lo is None else self.lo[regions]
        eta = None if self.eta is None else self.eta[regions]
        return NodeMaps(self.m[regions], self.nu[regions], self.kappa, lo, self.box, eta)

    def check_finite(self) -> bool:
        """Whether every map is finite.

        A float64 map's ``nu`` bounds its value over the box, so each coefficient is at most
        ``nu / box``: where twice that is finite, no coefficient can have overflowed (on a
        tiny box, ``nu`` alone stays finite while the slopes overflow). A compensated map's
        ``nu`` is an error bound, far below the terms: ``m`` and ``lo`` are checked
        themselves (their extremes: a NaN or an infinity shows in them).
        """
        largest = self.nu if self._extremes is None else self._extremes[2]
        top = float(largest.max(initial=0.0))  # NaN if any is
        if not math.isfinite(top):
            return False
        if self.lo is None:  # Python floats: an overflow is inf, without a warning
            return self.box == 0 or math.isfinite(top * 2.0 / self.box)
        m_extremes = (
            map_kernels.extremes_of(self.m) if self._extremes is None else self._extremes[:2]
        )
        lo_extremes = self._lo_extremes or map_kernels.extremes_of(self.lo)
        return bool(all(np.isfinite(a).all() for a in (*m_extremes, *lo_extremes)))


@dataclass(frozen=True, eq=False)
class ActivatedMaps:
    """An activation node's maps, kept as its input's maps times a slope (plus an offset) per
    region and unit, and built only on demand.

    The maps of an activation layer are three rows per region and unit, usually read once, by
    the affine layer that follows: :func:`affine` reads these chunk by chunk instead, so the
    masked copy never exists in full.

    Attributes
    ----------
    src : NodeMaps
        The preactivation's maps on the level the layer started from.
    parent : ndarray of int, shape (R,)
        Each region's region in ``src``.
    slope, offset : ndarray, shape (R, width)
        The linear piece of every unit on every region (for ReLU, the 0/1 pieces as they come,
        and ``offset`` None).
    kappa : float
        As :attr:`NodeMaps.kappa`.
    """

    src: NodeMaps
    parent: np.ndarray
    slope: np.ndarray
    offset: np.ndarray | None
    kappa: float

    def chunk(
        self, lo: int, hi: int, room: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Maps ``m`` (n, 3, width) and bounds ``nu`` (n, width) of regions lo..hi, written
        into ``room`` (arrays of at least n rows) where given and the layer is ReLU."""
        parent, slope = self.parent[lo:hi], self.slope[lo:hi]
        if self.offset is None:
            shape = (len(parent), *self.src.m.shape[1:])
            if room is None:
                room = (np.empty(shape), np.empty((len(parent), shape[2])))
            out = (room[0][: len(parent)], room[1][: len(parent)])
            map_kernels.masked(self.src.m, self.src.nu, parent, slope, *out)
            return out
        m = self.src.m[parent]
        m *= slope[:, None, :]
        m[:, 2, :] += self.offset[lo:hi]
        nu = self.src.nu[parent] * np.abs(slope) + np.abs(self.offset[lo:hi])
        return m, nu * (1 + 2 * EPS) * SAFE

    def compensated_chunk(
        self, start: int, stop: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Compensated maps ``m``, ``lo`` (n, 3, width) of regions start..stop, their error
        bounds (n, width) and bounds on their error vectors' lengths (n,).

        ReLU's 0/1 slopes select exactly. Other slopes multiply ``m`` by an exact TwoProd and
        offsets add by an exact TwoSum; what ``lo`` absorbs is rounded (three times at most,
        each by ``EPS`` of what it adds), and the source's error scales by ``|slope|`` (its
        length by the largest).
        """
        parent, slope = self.parent[start:stop], self.slope[start:stop]
        src, scale = self.src, slope[:, None, :]
        root = root_bound(src.m.shape[2])
        known = np.full(len(parent), np.inf) if src.eta is None else src.eta[parent]
        if self.offset is None:
            m, lo = src.m[parent], src.lo[parent]
            m *= scale
            lo *= scale
            nu = src.nu[parent] * slope
            return m, lo, nu, shorter(known, length_bound(nu, root))
        m, lo, size = scaled(src.m[parent], src.lo[parent], scale)
        offset = self.offset[start:stop]
        m[:, 2], lo[:, 2], size[:, 2] = shifted(m[:, 2], lo[:, 2], size[:, 2], offset)
        box = src.box
        added = gamma(3) * (box * (size[:, 0] + size[:, 1]) + size[:, 2])
        added += (2 * box + 1) * UNDERFLOW  # TwoProd's error term, where products underflow
        nu = (src.nu[parent] * np.abs(slope) + added) * SAFE
        steepest = np.abs(slope).max(axis=1, initial=0.0)
        through = (known * steepest + length_bound(added, root)) * SAFE
        return m, lo, nu, shorter(through, length_bound(nu, root))

    def maps(self) -> NodeMaps:
        """The maps in full (for consumers other than an affine layer)."""
        if self.src.lo is not None:
            m, lo, nu, eta = self.compensated_chunk(0, len(self.parent))
            return NodeMaps(m, nu, self.kappa, lo, self.src.box, eta)
        m, nu = self.chunk(0, len(self.parent))
        return NodeMaps(m, nu, self.kappa, None, self.src.box)

    def take(self, regions: np.ndarray) -> ActivatedMaps:
        """The maps on a subset (or refinement, by parent index) of the regions."""
        offset = None if self.offset is None else self.offset[regions]
        return ActivatedMaps(
            self.src, self.parent[regions], self.slope[regions], offset, self.kappa
        )

    def check_finite(self) -> bool:
        """Whether every map is finite (slopes and offsets are finite by construction)."""
        return self.src.check_finite()


Maps = NodeMaps | ActivatedMaps
"""A node's maps on a level, built (:class:`NodeMaps`) or on demand (:class:`ActivatedMaps`)."""


def built(maps: Maps) -> NodeMaps:
    """The maps as :class:`NodeMaps`."""
    return maps.maps() if isinstance(maps, ActivatedMaps) else maps
