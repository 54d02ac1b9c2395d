"""Time ``regions.count`` of a big net in strips and worker processes, with the peak memory of
the whole process tree, and print a table.

    python benchmarks/bench_count.py                          # He+bias 2-64x32-1, 3 settings
    python benchmarks/bench_count.py --depth 16 --repeat 3
    python benchmarks/bench_count.py --settings 1:1 16:1 16:2  # pieces:workers

Every run is a fresh Python process (so that its peak memory is its own), started in turn for
each setting, the order rotating from round to round. Its peak memory is the largest sum,
sampled every 20 ms, of the resident sizes of the process and its workers: an upper bound, as
pages the processes share (the libraries) count once in each. Times are the count's own,
measured inside the process; starting the worker processes is in them, importing ``regions``
in the main process is not. Needs ``psutil`` (the ``bench`` extra). Results are recorded in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

import psutil

#: The run inside each fresh process: the count, its seconds, as one JSON line.
CHILD = """
import json, sys, time
import regions
from regions.testing import mlp
width, depth, half, pieces, workers = json.loads(sys.argv[1])
if __name__ == "__main__":
    net = regions.trace(mlp(width, depth, "he+bias", 0))
    start = time.perf_counter()
    n = regions.count(net, (-half, half, -half, half), pieces=pieces, workers=workers,
                      max_regions=10**8)
    print(json.dumps({"regions": n, "seconds": time.perf_counter() - start}))
"""


def run(args: list[object]) -> tuple[int, float, float]:
    """Regions, seconds and peak tree memory (bytes) of one count in a fresh process."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(args)], stdout=subprocess.PIPE, text=True
    )
    parent, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
        except psutil.Error:  # a process ended between the listing and the reading
            pass
        time.sleep(0.02)
    if proc.returncode:
        raise RuntimeError(f"the count {args} failed with exit code {proc.returncode}")
    out = json.loads(proc.stdout.read().strip().splitlines()[-1])
    return out["regions"], out["seconds"], peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--depth", type=int, default=32)
    parser.add_argument("--half", type=float, default=3.0, help="the box is [-half, half]^2")
    parser.add_argument(
        "--settings", nargs="+", default=["1:1", "16:1", "16:2"], help="pieces:workers"
    )
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    settings = [tuple(int(v) for v in s.split(":")) for s in options.settings]
    net = f"He+bias 2-{options.width}x{options.depth}-1 on [-{options.half:g}, {options.half:g}]²"
    print(f"# {net}; {platform.processor() or platform.machine()}, {psutil.cpu_count()} cores")
    results: dict[tuple[int, ...], list[tuple[int, float, float]]] = {s: [] for s in settings}
    for r in range(options.repeat):
        for s in settings[r % len(settings) :] + settings[: r % len(settings)]:
            results[s].append(run([options.width, options.depth, options.half, *s]))
    base = min(seconds for _, seconds, _ in results[settings[0]])
    print("| pieces | workers | regions | s, min / median | peak GB, max | speed-up (min) |")
    print("|---|---|---|---|---|---|")
    for (pieces, workers), runs in results.items():
        counts = {n for n, _, _ in runs}
        seconds = [t for _, t, _ in runs]
        peak = max(m for _, _, m in runs) / 1e9
        print(
            f"| {pieces} | {workers} | {', '.join(f'{n:,}' for n in sorted(counts))} "
            f"| {min(seconds):.1f} / {statistics.median(seconds):.1f} | {peak:.2f} "
            f"| {base / min(seconds):.2f} |"
        )


if __name__ == "__main__":
    main()
