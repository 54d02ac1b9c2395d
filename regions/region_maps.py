"""Affine maps of network nodes on the regions of one level, with rigorous error bounds.

On a region of the partition drawn by the first k activation layers, every node that reads
only those layers is an affine function of the plane coordinates. The decomposition carries
these maps through the pass (one matrix product per node over all regions), evaluates them at
new vertices and reads cut lines' equations off them. Each map comes with a bound on its
rounding error, in the classic running form: ``|map~(p) - map*(p)| <= kappa * nu`` at every
point ``p`` of the domain box, where ``nu`` is the same map computed through absolute values
(an upper bound on every term that was rounded) and ``kappa`` sums the layers' ``gamma``.

Deep nets carry their maps in double-float precision instead (:func:`input_maps` with
``compensated=True``): each map is ``m + lo``, each product is computed from exact pieces
(:mod:`regions.compensated`), and ``nu`` holds the error bound itself (``kappa`` 1). Each
region also carries ``eta``, a bound on its error vector's length, grown through ``||W||_2``
rather than ``|W|``; every ``nu`` is the smaller of its two bounds (see
:func:`regions.compensated_kernels.finished`).
"""

from __future__ import annotations

import numpy as np

from . import map_kernels
from .bounded import forward_with_bounds
from .compensated import SplitMatrix, prepare, products, signed_sum
from .compensated_kernels import Extremes, finished, length_bound, prepared, root_bound
from .domain import Plane
from .floats import EPS, SAFE, gamma
from .network import Activation, Affine, Network, Sum
from .node_maps import ActivatedMaps, Maps, NodeMaps, built
from .threads import over_chunks

__all__ = [
    "COMPENSATE_ABOVE",
    "COMPENSATE_FROM",
    "COMPENSATED_CHUNK",
    "REUSE_FROM",
    "ActivatedMaps",
    "Maps",
    "NodeMaps",
    "activation",
    "built",
    "affine",
    "compensate",
    "evaluate",
    "input_maps",
    "joined",
    "summed",
]


COMPENSATE_ABOVE = 2.0**-21
"""Carry the maps in double-float precision (:func:`compensate`) when float64's error bounds
at sample points reach this share of the values before some activation layer: about 14
He-initialised layers of 64 units, where the bounds start to leave hundreds of signs to
rational arithmetic (He 2-64x13-1 is faster in float64, 2-64x14-1 with compensation)."""


COMPENSATED_CHUNK = 1 << 14
"""Values per unit row a chunk of double-float maps holds (its regions times the source's
width): small enough that its arrays stay in cache between its passes."""

REUSE_FROM = 1 << 25
"""Bytes of a source's ``m`` from which its maps give their memory to the next layer's
(:func:`_reused`): glibc maps every block of 32 MiB or more on its own (its largest mapping
threshold), and such a block grows without a copy, while smaller arrays may live inside the
heap, where growing one copies it (11% slower counting He+bias 2-64x20-1 in 32 strips).
Fresh maps are first touched page by page, at times while the kernel compacts memory for huge
pages: in He 2-64x32-1's strip [-0.375, -0.2] x [-3, 3], writing a fresh layer's maps took
0.8 to 4 us a region, and grown ones 0.6 on average."""

COMPENSATE_FROM = 6
"""Fewest activation layers for which :func:`compensate` samples the bounds at all."""

THREE_SLICES_AFTER = 20
"""Double-float maps of a node with more activation layers than this after it are made from
three slices per factor (:attr:`regions.compensated.SplitMatrix.n_slices`), the others from
two, at half the products' cost. A layer's rounding grows through each layer's bounds after it
(about 2.9 times a layer norm-wise on He nets of width 64, 4.5 through ``|W|``), and two
slices' (about 2^-63 of ``|W| |x|``) reach where signs go to rational arithmetic after some 25
layers: He 2-64x32-1's strip [-0.375, -0.2] x [-3, 3] ends with bounds of 8e-8 with 20 here,
4e-6 and 18 exact signs with 26, and 3,128 exact signs with two slices everywhere."""

ONE_SLICE_WITHIN = 10
"""Double-float maps of a node with at most this many activation layers after it take one
slice: one float64 product (a third of two slices' cost), rounded by about ``gamma(n)`` of
``||x||_2 ||W_j||_2`` (or ``max |x| sum |W_j|``, if smaller), which ten layers grow (norm-wise,
about 2.9 times a layer on He nets of width 64) to where signs left to rational arithmetic are
rare: 24 side decisions in He 2-64x32-1's 1.7 M regions, none in its strip [-0.375, -0.2] x
[-3, 3] of 125,000 regions, where 11 layers leave 1 and 12 leave 6. (With the first bound alone,
eight layers left 20 in the whole count, and ten 1 in that strip.)"""


def slices(net: Network) -> list[int]:
    """Per node of ``net``: how many slices its double-float maps take (see
    :data:`THREE_SLICES_AFTER` and :data:`ONE_SLICE_WITHIN`)."""
    out, after = [], 0
    for node in reversed(net.nodes):
        out.append(3 if after > THREE_SLICES_AFTER else 1 if after <= ONE_SLICE_WITHIN else 2)
        after += isinstance(node, Activation)
    return out[::-1]


def compensate(net: Network, plane: Plane, hull: np.ndarray) -> bool:
    """Whether to carry a decomposition's maps in double-float precision.

    A speed decision only: either way every sign is exact. Compensated maps cost about four
    times as much per region (three matrix products from exact pieces instead of one, six with
    three slices and one in the last layers (:func:`slices`), and TwoSums), so they pay only
    where float64's bounds would leave many signs to exact arithmetic. That is predicted from a
    rigorous float forward pass (:func:`regions.bounded.forward_with_bounds`) at a 7x7 grid over
    the hull's bounding box: the median over points of the largest error bound over the largest
    value, at each activation's input, against :data:`COMPENSATE_ABOVE`. Nets of fewer than
    :data:`COMPENSATE_FROM` activation layers stay in float64 without sampling (0.4 ms saved on
    a small net): their bounds grow too little, and where such a net needs exact signs (issue
    11's 5-layer nets with weights scaled by 1e4 to 1e8) lines pass within rounding of vertices,
    which double floats do not change (586 exact signs in float64, 663 with double floats,
    measured).
    """
    acts = net.activations
    if len(acts) < COMPENSATE_FROM:
        return False
    lo, hi = hull.min(axis=0), hull.max(axis=0)
    grid = np.stack(np.meshgrid(*np.linspace(lo, hi, 7).T), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        values, errors = forward_with_bounds(net, plane, grid)
        share = [
            np.median(errors[act.src].max(axis=1) / np.abs(values[act.src]).max(axis=1))
            for act in acts
        ]
    return bool(max((s for s in share if not np.isnan(s)), default=0.0) > COMPENSATE_ABOVE)


def input_maps(plane_map: np.ndarray, box: float, compensated: bool = False) -> NodeMaps:
    """The input node on the whole domain: the plane map itself, exact; ``compensated``: the
    maps that follow are carried in double-float precision."""
    m = plane_map.T[None].copy()
    if compensated:
        return NodeMaps(m, np.zeros((1, m.shape[2])), 1.0, np.zeros_like(m), box, np.zeros(1))
    nu = (np.abs(plane_map[:, :2]).sum(axis=1) * box + np.abs(plane_map[:, 2])) * SAFE
    return NodeMaps(m, nu[None], 0.0, None, box)


def affine(node: Affine, src: Maps, n_slices: int = 3, reuse: bool = False) -> NodeMaps:
    """``W x + b`` of a node's maps: ``fl(W m + b)`` errs by at most ``gamma(n + 1)`` times
    ``|W| nu + |b|``, on top of ``|W|`` times the source's error.

    ``|W| nu`` is a second matrix product (a third of the first: one row per region, not
    three), through the source's pieces, so dead units add nothing. The bound it replaced,
    ``||W_k||_1 max_j nu_j``, grew about twice as fast per layer on deep nets (a He-normal
    2-64x8-1 net: about 900 times looser at the last layer), and every factor lost there sends
    signs to exact arithmetic.

    Maps built on demand are read a chunk of regions at a time, small enough to stay in cache.
    With ``reuse`` (the caller will not read ``src`` again, nor anything sharing its maps), a
    ReLU layer's double-float maps may give their memory to the result and be left empty.
    """
    if (src.src if isinstance(src, ActivatedMaps) else src).lo is not None:
        return _compensated(node, src, n_slices, reuse)
    n = src.src.m.shape[2] if isinstance(src, ActivatedMaps) else src.m.shape[2]
    if isinstance(src, ActivatedMaps) and src.offset is None and len(src.src.m) == 1:
        m, nu, extremes = _products_of_one_region(node, src)
    else:
        m, nu, extremes = _products(node, src)
    box = src.src.box if isinstance(src, ActivatedMaps) else src.box
    kappa = (src.kappa + gamma(n + 1)) * SAFE
    return NodeMaps(m, nu, kappa, None, box, _extremes=extremes)


def _rounded_up(node: Affine) -> float:
    """The factor that makes ``fl(|W| nu + |b|)`` a bound on ``|W| nu + |b|`` and on the
    rounding of ``W m + b`` (see :func:`affine`)."""
    return (1 + gamma(node.W.shape[1] + 1)) * SAFE


def _products(node: Affine, src: Maps) -> tuple[np.ndarray, np.ndarray, tuple]:
    """``W m + b`` (R, 3, n_out) of every region's maps, their bounds ``|W| nu + |b|`` (R,
    n_out) rounded up, and their extremes (:func:`regions.map_kernels.extremes`)."""
    n = src.src.m.shape[2] if isinstance(src, ActivatedMaps) else src.m.shape[2]
    r = _count(src)
    m = np.empty((r, 3, node.W.shape[0]))
    nu = np.empty((r, node.W.shape[0]))
    size = np.abs(node.W).T
    extremes, factor = map_kernels.Extremes(node.W.shape[0]), _rounded_up(node)
    step = r if isinstance(src, NodeMaps) else max(1, (1 << 17) // max(n, 1))
    if isinstance(src, ActivatedMaps):  # the masked maps of every chunk, in turn
        room = (np.empty((min(step, r), 3, n)), np.empty((min(step, r), n)))
    for lo in range(0, r, step):
        hi = min(lo + step, r)
        sm, snu = (src.m, src.nu) if isinstance(src, NodeMaps) else src.chunk(lo, hi, room)
        np.matmul(sm.reshape(-1, n), node.W.T, out=m[lo:hi].reshape(-1, m.shape[2]))
        np.matmul(snu, size, out=nu[lo:hi])
        map_kernels.finish(m[lo:hi], nu[lo:hi], node.b, factor, extremes)
    return m, nu, extremes.get()


def _count(src: Maps) -> int:
    return len(src.parent) if isinstance(src, ActivatedMaps) else len(src.m)


def _compensated(node: Affine, src: Maps, n_slices: int, reuse: bool = False) -> NodeMaps:
    """:func:`affine` in double-float precision: ``W (m + lo) + b`` as ``m' + lo'`` from
    :func:`regions.compensated.product` and an exact TwoSum with the bias, and its bound
    ``|W| nu`` (the source's error, through the pieces) plus the new rounding over the box.

    A chunk of regions at a time: the source's maps are gathered, put through a ReLU layer's
    pieces and split (:func:`regions.compensated_kernels.prepared`; other activations'
    pieces by :meth:`ActivatedMaps.compensated_chunk` and
    :func:`regions.compensated.prepare`), multiplied while in cache, and summed with the bias
    and bounded (:func:`regions.compensated_kernels.finished`); level-wide passes were as
    fast and took a quarter more memory. With ``reuse`` the source's arrays may become the
    result's (:func:`_reused`).
    """
    base = src.src if isinstance(src, ActivatedMaps) else src
    r, n, o, box = _count(src), node.W.shape[1], node.W.shape[0], base.box
    w = SplitMatrix(node.W, n_slices)
    kept, grown = _reused(node, src) if reuse else (0, [])
    if kept:
        source = m, lo, nu = tuple(grown)
    else:
        source = (base.m, base.lo, base.nu)
        m, lo, nu = np.empty((r, 3, o)), np.empty((r, 3, o)), np.empty((r, o))
    eta = np.empty(r)  # never the source's (not grown: R floats)
    step = max(1, COMPENSATED_CHUNK // max(n, 1))  # regions per chunk

    def run(first: int, last: int) -> Extremes:
        ext = Extremes(o)
        for start in range(first, last, step):
            stop = min(start + step, last)
            if isinstance(src, ActivatedMaps) and src.offset is not None:
                a, b, err, length = src.compensated_chunk(start, stop)
                ha, hb, y, scales = prepare(a.reshape(-1, n), b.reshape(-1, n), w.bits, n_slices)
            else:
                parent, slope = np.arange(start, stop), None
                if isinstance(src, ActivatedMaps):
                    slope, parent = src.slope[start:stop], src.parent[start:stop]
                # prepared copies the chunk's rows out before finished writes any (in place,
                # where they are the same rows)
                ha, hb, y, scales, err, length = prepared(
                    *source, parent, slope, w.bits, n_slices, base.eta
                )
            if n_slices == 1:  # the norm-wise bound alone: |W| nu, a product, grows faster
                nu[start:stop] = np.inf
            else:
                np.matmul(err, w.magnitude, out=nu[start:stop])
            out = (m[start:stop], lo[start:stop], nu[start:stop], eta[start:stop])
            finished(products(ha, hb, y, w), node.b, w, scales, box, out, ext, length)
        return ext

    # Chunks on the grid they have without reuse (the same products, so the same floats): the
    # new regions' first, as they read kept rows anywhere; then the chunk the kept rows end in,
    # alone; then the kept rows' own chunks, each in place.
    split = kept - kept % step
    after = min(split + step, r) if kept % step else split
    parts = over_chunks(r - after, step, lambda first, last: run(after + first, after + last))
    parts += [run(split, after)] + over_chunks(split, step, run) if kept else []
    ext = map_kernels.merged(parts)
    extremes, lo_extremes = (ext.top, ext.bottom, ext.largest), (ext.lo_top, ext.lo_bottom)
    return NodeMaps(m, nu, 1.0, lo, box, eta, _extremes=extremes, _lo_extremes=lo_extremes)


def _reused(node: Affine, src: Maps) -> tuple[int, list[np.ndarray]]:
    """The source's maps (m, lo, nu), grown to the result's regions, and how many of their
    rows are computed in place; ``(0, [])`` and the source untouched where they cannot be.

    Only a ReLU layer's maps whose regions 0..k-1 keep their own rows (a split polygon keeps
    its index; the new ones are appended) and whose width the affine layer keeps qualify,
    and only if nothing else holds the arrays: each is taken out of the source's maps (which
    are left empty, so that a late reader fails loudly) and grown by
    :meth:`numpy.ndarray.resize`, which refuses an array referenced or viewed elsewhere; then
    everything is given back. The result takes the source's memory instead of a second copy
    beside it, which halves the maps' share of a deep layer's peak.
    """
    base = src.src if isinstance(src, ActivatedMaps) else None
    if base is None or src.offset is not None or node.W.shape[0] != node.W.shape[1]:
        return 0, []
    kept, r = len(base.m), len(src.parent)
    if base.m.nbytes < REUSE_FROM or r < kept:
        return 0, []
    if not np.array_equal(src.parent[:kept], np.arange(kept)):
        return 0, []
    names, grown = ("m", "lo", "nu"), []
    for name in names:
        a = getattr(base, name)
        object.__setattr__(base, name, None)
        try:
            a.resize((r, *a.shape[1:]))  # held by ``a`` alone now, or it refuses
        except ValueError:  # referenced elsewhere: give everything back as it was
            for b in grown:  # held by this list alone, as their growing just showed
                b.resize((kept, *b.shape[1:]), refcheck=False)
            for back, b in zip(names, [*grown, a], strict=False):
                object.__setattr__(base, back, b)
            return 0, []
        grown.append(a)
    return kept, grown


def _products_of_one_region(
    node: Affine, src: ActivatedMaps
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """:func:`_products` for a ReLU layer that started from one region (a first activation
    layer on a convex domain): each region's maps are its 0/1 pattern times the one region's
    maps, so ``W (m * s)`` is ``s @ (m_i * W).T`` for every row ``i``, one matrix product
    over all regions instead of a gathered copy of the maps per region.

    The products ``m_i[j] W[k, j]`` are rounded once before the exact 0/1 factors select them:
    each term still carries one rounding, so the bounds of :func:`affine` hold as they are.
    """
    one, n, o = src.src, src.src.m.shape[2], node.W.shape[0]
    q = (one.m[0][:, :, None] * node.W.T).transpose(1, 0, 2).reshape(n, 3 * o)
    size = one.nu[0][:, None] * np.abs(node.W).T  # |W| nu, one rounding per term as in q
    r = len(src.slope)
    m = np.empty((r, 3, o))
    nu = np.empty((r, o))
    extremes, factor = map_kernels.Extremes(o), _rounded_up(node)
    step = max(1, (1 << 17) // max(n, 1))  # rows of the 0/1 patterns per product, in cache
    for lo in range(0, r, step):
        s = src.slope[lo : lo + step].astype(np.float64)
        np.matmul(s, q, out=m[lo : lo + step].reshape(-1, 3 * o))
        np.matmul(s, size, out=nu[lo : lo + step])
        map_kernels.finish(m[lo : lo + step], nu[lo : lo + step], node.b, factor, extremes)
    return m, nu, extremes.get()


def summed(node: Sum, srcs: list[Maps]) -> NodeMaps:
    """A signed sum of nodes' maps (all on the same regions)."""
    srcs = [built(src) for src in srcs]
    if srcs[0].lo is not None:
        return _compensated_sum(node, srcs)
    signs = np.asarray(node.signs, dtype=np.float64)
    m = sum(s * src.m for s, src in zip(signs, srcs, strict=True))
    nu = sum(abs(s) * src.nu for s, src in zip(signs, srcs, strict=True))
    k = gamma(2 * len(srcs))
    kappa = (max(src.kappa for src in srcs) + k) * SAFE
    return NodeMaps(m, nu * (1 + k) * SAFE, kappa, None, srcs[0].box)


def _compensated_sum(node: Sum, srcs: list[NodeMaps]) -> NodeMaps:
    """:func:`summed` of compensated maps (signs +-1): :func:`regions.compensated.signed_sum`,
    its roundings bounded over the box."""
    m, lo, size = signed_sum([(src.m, src.lo) for src in srcs], node.signs)
    k = gamma(2 * len(srcs))
    box = srcs[0].box
    rounding = k * (box * (size[:, 0] + size[:, 1]) + size[:, 2])
    nu = sum(src.nu for src in srcs) + rounding
    return NodeMaps(m, nu * SAFE, 1.0, lo, box, _summed_lengths(srcs, rounding))


def _summed_lengths(srcs: list[NodeMaps], rounding: np.ndarray | None = None) -> np.ndarray | None:
    """Length bounds of a sum's (or concatenation's) error vectors: the sources' summed
    (the triangle inequality), plus the ``rounding`` (R, width) of the sum where it has one;
    None where a source's are not known."""
    if any(src.eta is None for src in srcs):
        return None
    total = sum(src.eta for src in srcs)
    if rounding is not None:
        total = total + length_bound(rounding, root_bound(rounding.shape[1]))
    return total * SAFE


def joined(srcs: list[Maps]) -> NodeMaps:
    """Feature concatenation of nodes' maps."""
    srcs = [built(src) for src in srcs]
    lo = None if srcs[0].lo is None else np.concatenate([s.lo for s in srcs], axis=2)
    return NodeMaps(
        np.concatenate([s.m for s in srcs], axis=2),
        np.concatenate([s.nu for s in srcs], axis=1),
        max(s.kappa for s in srcs),
        lo,
        srcs[0].box,
        None if lo is None else _summed_lengths(srcs),
    )


def activation(
    node: Activation, src: NodeMaps, pieces: np.ndarray, parent: np.ndarray
) -> ActivatedMaps:
    """The activation's maps on the regions of the next level (built on demand).

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
    if node.is_relu:  # slopes 0 and 1: the pieces are the slopes
        return ActivatedMaps(src, parent, pieces, None, src.kappa)
    units = np.arange(node.width)
    slope = node.slopes[units, pieces]
    offset = node.offsets[units, pieces]
    kappa = src.kappa if src.lo is not None else (src.kappa + 2 * EPS) * SAFE
    return ActivatedMaps(src, parent, slope, offset, kappa)


def evaluate(
    maps: NodeMaps,
    regions: np.ndarray,
    xy: np.ndarray,
    first: int = 0,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Values (width - first, n) of a node's units from ``first`` on at float points (n, 2)
    of given regions (n,), written into ``out`` where given; see :meth:`NodeMaps.bounds` for
    their errors."""
    if out is None:
        out = np.empty((maps.m.shape[2] - first, len(xy)))
    map_kernels.evaluate(maps.m, regions, xy, first, out)
    return out
