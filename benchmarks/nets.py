"""What the side-by-side benchmarks share: their named nets, and interleaved timing.

``bench_against.py`` (this checkout against another copy) and ``bench_peer.py`` (against
regioncam) time the same nets: seeded 2-[width]x depth-1 ReLU MLPs (``regions.testing.mlp``,
seed 0) with PyTorch's default init on [-1, 1]², and ``he+bias-...`` ones with He-normal
weights and biases on [-3, 3]² (deep nets, where the maps' precision matters).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from torch import nn

from regions.testing import mlp

#: name -> (width, depth, init, half-width of the box)
NETS = {
    "2-16x3-1": (16, 3, "default", 1.0),
    "2-32x3-1": (32, 3, "default", 1.0),
    "2-64x3-1": (64, 3, "default", 1.0),
    "2-128x2-1": (128, 2, "default", 1.0),
    "2-128x4-1": (128, 4, "default", 1.0),
    "2-128x8-1": (128, 8, "default", 1.0),
    "1x600": (600, 1, "default", 1.0),
    "he+bias-2-64x8-1": (64, 8, "he+bias", 3.0),
    "he+bias-2-64x12-1": (64, 12, "he+bias", 3.0),
    "he+bias-2-64x14-1": (64, 14, "he+bias", 3.0),
}


def named(name: str) -> tuple[nn.Sequential, tuple[float, float, float, float]]:
    """The net called ``name`` in :data:`NETS` and its box (xmin, xmax, ymin, ymax)."""
    width, depth, init, half = NETS[name]
    return mlp(width, depth, init, 0), (-half, half, -half, half)


def interleaved(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Seconds of ``repeat`` runs of each callable, the order rotating from round to round (so
    that none always runs first, after the garbage collection)."""
    names = list(runs)
    out: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            gc.collect()
            start = time.perf_counter()
            runs[name]()
            out[name].append(time.perf_counter() - start)
    return out
