"""Time exact decomposition against grid sampling, and print a table.

    python benchmarks/bench_decompose.py                 # the full table (minutes)
    python benchmarks/bench_decompose.py --quick         # a few rows
    python benchmarks/bench_decompose.py --million       # the million-region runs
    python benchmarks/bench_decompose.py --wide          # one-layer nets: count vs decompose
    python benchmarks/bench_decompose.py --deep          # He-init 64-wide nets, 8 to 20 layers

Nets are 2-[w]xd-1 ReLU MLPs under ``torch.manual_seed(seed)``, with PyTorch's default init or
He-normal weights (zero biases). For each: exact regions, seconds, regions per second and peak
Python-heap memory (tracemalloc: numpy's arrays, not torch's), then the grid baseline: unique
activation patterns on an N x N grid (default 1000 x 1000), its count and its time.
Results are recorded in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gc
import platform
import resource
import time
import tracemalloc

import numpy as np
import torch
from torch import nn

import regions
from regions.testing import mlp


def million() -> None:
    """Near and past a million regions: the 2D sawtooth (width 4) and a wide random net."""
    from regions.constructions import sawtooth_2d

    runs = [
        ("sawtooth_2d(10)", sawtooth_2d(10), (0.0, 1.0, 0.0, 1.0)),
        ("he+bias 2-128x8-1", mlp(128, 8, "he+bias", 0), (-3.0, 3.0, -3.0, 3.0)),
        ("he+bias 2-64x16-1", mlp(64, 16, "he+bias", 0), (-3.0, 3.0, -3.0, 3.0)),
    ]
    print(f"{'net':20} {'regions':>9} {'s':>7} {'regions/s':>10} {'max RSS MB':>10}")
    for name, model, box in runs:
        start = time.perf_counter()
        n = len(regions.decompose(model, box, max_regions=3_000_000))
        seconds = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{name:20} {n:9d} {seconds:7.2f} {n / seconds:10.0f} {rss:10.0f}", flush=True)


def deep(depths: list[int]) -> None:
    """He-init (normal biases) 2-64xL-1 nets on [-3, 3]^2, where the rigorous bounds grow with
    depth and signs go to rational arithmetic: time, the maps' precision (float64, or
    double-float where ``regions.region_maps.compensate`` chose it), the exact signs and exact
    points, and the process's peak RSS so far (depths ascending, so it is the deepest net's)."""
    box = (-3.0, 3.0, -3.0, 3.0)
    print(f"{'net':12} {'regions':>9} {'s':>7} {'maps':>8} {'exact signs':>11}", end="")
    print(f" {'exact points':>12} {'max RSS MB':>10}")
    for depth in sorted(depths):
        net = regions.trace(mlp(64, depth, "he+bias", 0))
        start = time.perf_counter()
        part = regions.decompose(net, box, max_regions=3_000_000)
        seconds = time.perf_counter() - start
        state = part.cut_state
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        maps = "float64" if state.output.lo is None else "double"
        print(
            f"2-64x{depth}-1{'':<{5 - len(str(depth))}} {len(part):9d} {seconds:7.2f} "
            f"{maps:>8} {state.n_exact:11d} {state.exact.n_points:12d} {rss:10.0f}",
            flush=True,
        )


def wide(widths: list[int], repeats: int = 3) -> None:
    """One-layer nets on [-1, 1]^2: ``regions.count`` (the line arrangement) against
    ``len(regions.decompose(...))``, interleaved, min and median of ``repeats`` runs."""
    print(
        f"{'net':10} {'regions':>8} {'count s min / med':>19} {'decompose s min / med':>22}", end=""
    )
    print(" ratio")
    box = (-1.0, 1.0, -1.0, 1.0)
    for width in widths:
        model = mlp(width, 1, "default", 0)
        net = regions.trace(model)
        times: dict[str, list[float]] = {"count": [], "decompose": []}
        counts = set()
        for _ in range(repeats):
            for name in ("count", "decompose"):
                start = time.perf_counter()
                counts.add(
                    regions.count(net, box) if name == "count" else len(regions.decompose(net, box))
                )
                times[name].append(time.perf_counter() - start)
        assert len(counts) == 1, f"count and decompose disagree on 1x{width}: {counts}"
        c, d = (np.array(times[k]) for k in ("count", "decompose"))
        print(
            f"1x{width:<8} {counts.pop():>8,} {c.min():>8.3f} / {np.median(c):<8.3f}"
            f" {d.min():>10.3f} / {np.median(d):<9.3f} {d.min() / c.min():>6.0f}"
        )


def timed_decompose(
    model: nn.Module, box: tuple, max_regions: int, repeat: int = 3
) -> tuple[int | str, float, int]:
    """(regions or '> max', best seconds of ``repeat``, peak bytes from a separate traced run).

    Peak memory is measured in its own run because tracemalloc slows allocation-heavy code.
    """
    best = np.inf
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        try:
            n: int | str = len(regions.decompose(model, box, max_regions=max_regions))
        except regions.TooManyRegionsError:
            n = f"> {max_regions:,}"
        best = min(best, time.perf_counter() - start)
        if best > 5:
            break
    tracemalloc.start()
    try:
        regions.decompose(model, box, max_regions=max_regions)
    except regions.TooManyRegionsError:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return n, best, peak


def grid_patterns(model: nn.Module, box: tuple, n: int) -> tuple[int, float]:
    """Unique activation patterns on an n x n grid, as grid-sampling tools count: (count, s)."""
    hidden = [m for m in model if isinstance(m, nn.ReLU)]
    start = time.perf_counter()
    xs = torch.linspace(box[0], box[1], n)
    ys = torch.linspace(box[2], box[3], n)
    chunks = []
    with torch.no_grad():
        for row in torch.split(ys, max(1, 250_000 // n)):
            gy, gx = torch.meshgrid(row, xs, indexing="ij")
            h = torch.stack([gx.ravel(), gy.ravel()], dim=1)
            bits = []
            for m in model:
                h = m(h)
                if isinstance(m, nn.Linear) and len(bits) < len(hidden):
                    bits.append(h > 0)
            packed = np.packbits(torch.cat(bits, dim=1).numpy(), axis=1)
            chunks.append(np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel()))
    count = len(np.unique(np.concatenate(chunks)))
    return count, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64, 128])
    parser.add_argument("--depths", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument(
        "--inits", nargs="+", default=["default", "he"], help="default, he, he+bias"
    )
    parser.add_argument("--boxes", type=float, nargs="+", default=[1.0, 2.0], help="half-widths")
    parser.add_argument("--grid", type=int, default=1000, help="grid side (0: skip)")
    parser.add_argument("--max-regions", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a handful of rows")
    parser.add_argument("--million", action="store_true", help="only the million-region run")
    parser.add_argument("--wide", action="store_true", help="only one-layer nets, 100 to 1,000")
    parser.add_argument("--deep", action="store_true", help="only He-init 2-64xL-1, L 8 to 20")
    args = parser.parse_args()
    if args.quick:
        args.widths, args.depths, args.inits, args.boxes = [64, 128], [3, 4], ["default"], [1.0]
    rows = [
        (init, h, w, d)
        for init in args.inits
        for h in args.boxes
        for w in args.widths
        for d in args.depths
    ]
    if args.million:
        million()
        return
    if args.wide:
        wide([100, 200, 400, 600, 1000])
        return
    if args.deep:
        deep([8, 10, 12, 14, 16, 18, 20])
        return
    print(
        f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, numpy {np.__version__}"
    )
    header = (
        f"{'init':8} {'box':>7} {'net':>14} {'regions':>12} {'s':>8} {'regions/s':>10} "
        f"{'peak MB':>8} {'grid':>8} {'grid s':>7}"
    )
    print(header)
    print("-" * len(header))
    regions.decompose(mlp(8, 1, "default", 0))  # warm up BLAS and imports
    for init, h, w, d in rows:
        box = (-h, h, -h, h)
        model = mlp(w, d, init, args.seed)
        n, seconds, peak = timed_decompose(model, box, args.max_regions)
        rate = f"{n / seconds:10.0f}" if isinstance(n, int) else f"{'-':>10}"
        grid, grid_s = grid_patterns(model, box, args.grid) if args.grid else ("-", 0.0)
        print(
            f"{init:8} {f'[-{h:g},{h:g}]':>7} {f'2-{w}x{d}-1':>14} {n!s:>12} {seconds:8.3f} "
            f"{rate} {peak / 2**20:8.0f} {grid!s:>8} {grid_s:7.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
