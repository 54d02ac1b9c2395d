"""The region count: :func:`count`, without keeping a partition.

A net with one activation layer on a box is counted from its line arrangement; any other is
decomposed, in one piece or, for millions of regions, one vertical strip of the box at a time.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import partial

import numpy as np
from torch import nn
from tqdm.auto import tqdm

from . import threads
from .arrangement import arrangement_cells
from .decompose import DEFAULT_MAX_REGIONS, DEFAULT_TOL, _decompose, decompose
from .domain import Domain, as_domain, as_plane
from .errors import InvalidArgumentError, TooManyRegionsError
from .network import Activation, Affine, Network
from .tracing import trace
from .validate import check_finite_on, check_index, check_max_regions, check_real

__all__ = ["count"]


def count(
    model: nn.Module | Network,
    domain: object = None,
    *,
    plane: object = None,
    max_regions: int = DEFAULT_MAX_REGIONS,
    tol: float = DEFAULT_TOL,
    n_inputs: int | None = None,
    progress: bool = False,
    pieces: int = 1,
    workers: int = 1,
) -> int:
    """Number of linear (activation) regions of ``model`` on ``domain``.

    Takes the same arguments as :func:`decompose`. A net with one activation layer, read
    straight off the input by one linear layer, on a box and the model's own input plane,
    is counted from its line arrangement (:func:`regions.arrangement_cells`, exact,
    O(n^2 log n)) without decomposing it; every other model is decomposed.

    Parameters
    ----------
    pieces : int
        Decompose the box in this many vertical strips of equal width, one after the other,
        and count the regions they share once: the same exact count in a fraction of the
        memory (He-init 2-64x16-1 on [-3, 3]^2, 212,694 regions: 1.56 GB with 1 piece,
        0.62 GB with 4, 0.49 GB with 8, in the same time). Needs a box domain and ``tol=0``.
        A one-layer net on a box is counted from its arrangement whatever ``pieces`` says.
    workers : int
        Decompose this many strips at once, in threads (at most ``pieces``; default 1), with
        BLAS in one thread meanwhile (:mod:`regions.threads`): ``regions.testing.mlp(64, 32,
        "he+default-bias")`` on [-3, 3]^2, 1,732,894 regions in 64 pieces, takes 45 to 48 s and
        2.7 GB with 2 workers on a 2-core Xeon, against 72 s and 1.9 GB one strip at a time (48
        pieces: 45 to 48 s, 3.5 GB). Called from a thread other than the main one, BLAS keeps
        its own threads. When a strip fails, or the count is interrupted (Ctrl-C), the strips
        still running stop at their next call of the compiled loop (a fraction of a second),
        and their threads have ended when the error reaches the caller.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> regions.count(sawtooth(4), (0, 1, 0, 1))  # Telgarsky's sawtooth: 2^4 strips
    16
    >>> regions.count(sawtooth(4), (0, 1, 0, 1), pieces=3)  # strips cut across by 3 pieces
    16
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> wide = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 600), torch.nn.ReLU(), torch.nn.Linear(600, 1)
    ... )
    >>> regions.count(wide, (-1, 1, -1, 1))  # 600 lines: about 0.1 s
    61328
    """
    max_regions = check_max_regions(max_regions, "count")
    tol = check_real(tol, "tol", "count", below=1e-3)
    pieces = check_index(pieces, "pieces", 1, 1 << 20, "count")
    workers = check_index(workers, "workers", 1, 1 << 10, "count")
    if workers > pieces:
        raise InvalidArgumentError(
            f"count: workers={workers} is more than pieces={pieces}; each worker decomposes "
            "whole strips of the box, so ask for at least as many pieces as workers"
        )
    net = model if isinstance(model, Network) else trace(model, n_inputs=n_inputs)
    dom = as_domain(domain)
    lines = _first_layer_lines(net)
    box = _as_box(dom)
    if lines is not None and box is not None and plane is None and tol == 0:
        check_finite_on(net, as_plane(None, net.n_inputs), dom.hull)
        n = arrangement_cells(*lines, box)
    elif pieces > 1:
        n = _count_in_strips(net, box, plane, pieces, workers, max_regions, tol, progress)
    else:
        n = len(
            decompose(net, domain, plane=plane, max_regions=max_regions, tol=tol, progress=progress)
        )
    if n > max_regions:
        raise TooManyRegionsError(
            f"{n} regions, more than max_regions={max_regions}; raise max_regions or shrink "
            "the domain"
        )
    return n


def _count_in_strips(
    net: Network,
    box: tuple[float, float, float, float] | None,
    plane: object,
    pieces: int,
    workers: int,
    max_regions: int,
    tol: float,
    progress: bool,
) -> int:
    """:func:`count` one vertical strip of the box at a time, or ``workers`` at a time in
    threads.

    An activation pattern fixes every unit's affine piece, so the points that share one form a
    convex set: a region is its pattern. A region that reaches from one strip into the next
    shows up in both with the same pattern, and its pieces have vertices on the line between
    them (cut vertices on a box's side lie exactly on it); a region with no vertex on those
    lines lies in one strip only. So the count is the regions with no vertex there plus the
    distinct patterns of those with one, and only the latter are kept from strip to strip.
    """
    if box is None:
        raise InvalidArgumentError(
            "count: pieces > 1 needs an axis-aligned box domain (xmin, xmax, ymin, ymax)"
        )
    if tol != 0:
        raise InvalidArgumentError(
            f"count: pieces > 1 counts the exact partition; it needs tol=0, got tol={tol}"
        )
    xmin, xmax, ymin, ymax = box
    cuts = np.linspace(xmin, xmax, pieces + 1)
    cuts[0], cuts[-1] = xmin, xmax
    cuts = np.unique(cuts)  # a box a few ulps wide has fewer floats than pieces asked for
    strips = [(lo, hi, ymin, ymax) for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]
    count_strip = partial(_strip, net, plane=plane, max_regions=max_regions, sides=cuts[1:-1])
    counted: list[tuple[int, np.ndarray]] = []
    with tqdm(total=len(strips), desc="regions: strips", unit="strip", disable=not progress) as bar:
        if workers == 1:
            for strip in strips:
                counted.append(count_strip(strip))
                bar.update()
        else:
            # The compiled loops and numpy's large passes release the GIL, so the threads share
            # the cores; BLAS's threads would compete with them (the strips' own loops stay in
            # their threads, which are not the main one).
            with threads.one_blas_thread():
                stop = threading.Event()  # set when the count is called off (see _Watch)
                pool = ThreadPoolExecutor(workers, thread_name_prefix="regions.count")
                try:
                    jobs = [pool.submit(count_strip, s, watch=_Watch(stop)) for s in strips]
                    for future in as_completed(jobs):
                        counted.append(future.result())
                        bar.update()
                finally:
                    # On an error or Ctrl-C, the strips not started are dropped and the running
                    # ones stop at their next check; waiting for them, the error comes back
                    # with no thread left using the cores (nor the BLAS setting restored early).
                    stop.set()
                    pool.shutdown(wait=True, cancel_futures=True)
    alone = sum(n for n, _ in counted)
    shared = np.concatenate([bits for _, bits in counted])
    return alone + len(np.unique(shared, axis=0))


class _Cancelled(Exception):
    """A strip stopped because its count was called off (another strip's error, a Ctrl-C)."""


class _Watch:
    """What a strip's decomposition reports to in place of a progress bar: between calls of
    the compiled loop (``_UNITS_PER_CALL`` units each), it stops the strip by raising
    :class:`_Cancelled` once ``stop`` is set."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def update(self, n: int = 1) -> None:
        """Raise :class:`_Cancelled` if the count was called off."""
        if self.stop.is_set():
            raise _Cancelled

    def close(self) -> None:
        """Nothing."""


def _strip(
    net: Network,
    strip: tuple[float, ...],
    *,
    plane: object,
    max_regions: int,
    sides: np.ndarray,
    watch: _Watch | None = None,
) -> tuple[int, np.ndarray]:
    """The regions of ``strip`` with no vertex on the strips' ``sides``, and the packed
    patterns (n, ceil(S / 8)) of those with one; ``watch`` stops it when its count is called
    off (strips in threads)."""
    if watch is not None:
        watch.update()  # called off before it started
    part = _decompose(
        net, strip, plane, max_regions, tol=DEFAULT_TOL, n_inputs=None, progress=False, bar=watch
    )
    # On a box the convex cells are the regions.
    owner = np.repeat(np.arange(len(part)), np.diff(part.start))
    touching = np.zeros(len(part), dtype=bool)
    touching[owner[np.isin(part.vertices[part.ring, 0], sides)]] = True
    # Packed by np.packbits (zeros after the last bit): equal patterns are equal rows.
    bits = part.cell_bits[part.region_cell[touching]]
    return int(np.count_nonzero(~touching)), bits


def _first_layer_lines(net: Network) -> tuple[np.ndarray, np.ndarray] | None:
    """The breakpoint lines ``W[j] . x + b[j] = 0`` of a net whose only activation layer (one
    breakpoint at 0 per unit) reads one affine layer of the 2D input, or None for any other
    net."""
    acts = [node for node in net.nodes[1:] if isinstance(node, Activation)]
    if net.n_inputs != 2 or len(acts) != 1:
        return None
    pre = net.nodes[acts[0].src]
    if not isinstance(pre, Affine) or pre.src != 0:
        return None
    # One breakpoint at 0 per unit (ReLU-like): the lines are exactly W x + b = 0 (a nonzero
    # threshold t would round in b - t).
    if acts[0].thresholds.shape[1] != 1 or acts[0].thresholds.any():
        return None
    return pre.W, pre.b


def _as_box(dom: Domain) -> tuple[float, float, float, float] | None:
    """``dom`` as (xmin, xmax, ymin, ymax) if it is an axis-aligned rectangle, else None."""
    if not dom.convex or len(dom.hull) != 4:
        return None
    xmin, ymin = dom.hull.min(axis=0)
    xmax, ymax = dom.hull.max(axis=0)
    corners = {(xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax)}
    return (xmin, xmax, ymin, ymax) if set(map(tuple, dom.hull.tolist())) == corners else None
