"""Keeping freed memory for the next decomposition: an opt-in setting of glibc's allocator.

A decomposition allocates its large arrays afresh (every node's maps, the vertex values of
each layer) and frees them when it ends. With glibc's defaults, freed memory at the top of
the heap beyond twice the largest array is handed back to the system, and arrays above that
size come from fresh mappings: the next decomposition touches new pages again, and each
first touch is a page fault. On a 2-32x3-1 net (1,180 regions) that was about 560 faults and
a quarter of the time of every decomposition after the first (2-core Xeon, 2026-12-06; see
``benchmarks/RESULTS.md``). :func:`keep_freed_memory` raises both limits for the whole
process, so that sweeps over many nets or checkpoints reuse the same pages.

It changes the process's allocator, not just this package's: it is never done on import.
``python -m analysis`` turns it on in its own processes (the command's and its pool's workers).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

from .validate import check_index

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
_MMAP_MAX = 32 << 20  # glibc refuses larger mapping thresholds on 64-bit systems
_KEEP_MAX = (1 << 31) - 1  # mallopt takes a C int


def keep_freed_memory(map_above: int = 32 << 20, keep: int = 256 << 20) -> bool:
    """Let glibc keep up to ``keep`` bytes of freed memory, and serve arrays up to
    ``map_above`` bytes from it rather than from fresh mappings.

    Parameters
    ----------
    map_above : int
        Allocations larger than this many bytes (at most 32 MiB, glibc's limit) are mapped
        on their own, and unmapped when freed.
    keep : int
        Freed memory at the top of the heap is returned to the system only beyond this many
        bytes (below 2 GiB): the process's resident memory may stay this much above what it
        uses.

    Returns
    -------
    bool
        Whether the allocator took both settings: False (and nothing changed) where the C
        library is not glibc (macOS, Windows, musl).

    Examples
    --------
    >>> import regions
    >>> regions.keep_freed_memory()  # doctest: +SKIP
    True
    """
    where = "regions.keep_freed_memory"
    map_above = check_index(map_above, "map_above", 0, _MMAP_MAX, where)
    keep = check_index(keep, "keep", 0, _KEEP_MAX, where)
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, map_above)) and bool(
        libc.mallopt(_M_TRIM_THRESHOLD, keep)
    )


def _glibc() -> ctypes.CDLL | None:
    """The process's C library if it is glibc, else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None
    return libc
