"""What the side-by-side benchmarks share: their named nets, and interleaved timing.

``bench_against.py`` (this checkout against another copy) and ``bench_peer.py`` (against
regioncam) time the same nets: seeded 2-[width]x depth-1 ReLU MLPs (``regions.testing.mlp``,
seed 0) with PyTorch's default init on [-1, 1]², and ``he+bias-...`` ones with He-normal
weights and biases on [-3, 3]² (deep nets, where the maps' precision matters), and one strip of
issue 12's 1.7 M-region net (He-normal weights, PyTorch's default biases, 32 layers): some 6
CPU seconds, 7% of its count's work, for comparing changes to the deep maps without the whole
count's swings.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from torch import nn

from regions import kernels
from regions.testing import mlp

#: name -> (width, depth, init, half-width of the box [-h, h]² or the box (xmin, xmax, ymin, ymax))
NETS: dict[str, tuple[int, int, str, float | tuple[float, float, float, float]]] = {
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
    "he+bias-2-64x16-1": (64, 16, "he+bias", 3.0),
    "he-2-64x32-1-strip": (64, 32, "he+default-bias", (-0.375, -0.2, -3.0, 3.0)),
}


def named(name: str) -> tuple[nn.Sequential, tuple[float, float, float, float]]:
    """The net called ``name`` in :data:`NETS` and its box (xmin, xmax, ymin, ymax)."""
    width, depth, init, box = NETS[name]
    box = box if isinstance(box, tuple) else (-box, box, -box, box)
    return mlp(width, depth, init, 0), box


def interleaved(
    runs: dict[str, Callable[[], object]],
    repeat: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Seconds of ``repeat`` runs of each callable, the order rotating from round to round (so
    that none always runs first, after the garbage collection), by ``clock`` (wall time; or,
    e.g., ``time.process_time``: the CPU time of all the process's threads)."""
    names = list(runs)
    out: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            gc.collect()
            start = clock()
            runs[name]()
            out[name].append(clock() - start)
    return out


_FIRST_CALL = """
import sys, time
sys.path.insert(0, {root!r})
import regions
from regions.testing import mlp
net = regions.trace(mlp(16, 3, "default", 0))
start = time.perf_counter()
regions.decompose(net, (-1, 1, -1, 1))
print(time.perf_counter() - start)
"""


def kernel_note() -> str:
    """A line saying how the cut's kernels run and what their first call costs.

    Compiled (numba): the first decomposition in a fresh process, timed with an empty kernel
    cache (compiling) and again with it filled (loading), in two child processes; the timed
    runs of the benchmarks come after, so these costs are not in them.
    """
    if not kernels.COMPILED:
        return "# regions kernels: numpy (install the 'fast' extra for numba's compiled loops)"
    root = str(Path(kernels.__file__).parents[1])
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        first = [
            float(
                subprocess.run(
                    [sys.executable, "-c", _FIRST_CALL.format(root=root)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(2)
        ]
    return (
        f"# regions kernels: numba {kernels.numba.__version__}, compiled; a process's first "
        f"decomposition takes {first[0]:.2f} s with an empty kernel cache (compiling) and "
        f"{first[1]:.2f} s with it filled (loading), not counted below"
    )
