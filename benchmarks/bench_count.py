"""Time ``regions.count`` of a big net in strips and threads, with its peak memory, and print
a table.

    python benchmarks/bench_count.py                          # issue 12's 1.7 M-region net
    python benchmarks/bench_count.py --depth 16 --repeat 3
    python benchmarks/bench_count.py --settings 1:1 16:1 16:2  # pieces:workers
    python benchmarks/bench_count.py --init he+bias            # the earlier sessions' net

The default net is issue 12's He 2-64x32-1 on [-3, 3]² (He-normal weights, PyTorch's default
biases: ``regions.testing.mlp(64, 32, "he+default-bias")``, 1,732,894 regions), by default
counted in 64 strips by one worker and by two (in one piece that net takes over 8 GB).

Every run is a fresh Python process, so that its peak resident memory (``ru_maxrss``,
importing ``regions`` and torch included) is its own, started in turn for each setting, the
order rotating from round to round. Times are the count's own, measured inside the process.
Results are recorded in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

#: The run inside each fresh process: the count, its seconds and peak memory, as JSON.
CHILD = """
import json, resource, sys, time
import regions
from regions.testing import mlp
width, depth, init, half, pieces, workers = json.loads(sys.argv[1])
net = regions.trace(mlp(width, depth, init, 0))
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
n = regions.count(net, (-half, half, -half, half), pieces=pieces, workers=workers,
                  max_regions=10**8)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "regions": n, "seconds": seconds, "peak": after.ru_maxrss * 1024,  # KiB on Linux
    "user": after.ru_utime - before.ru_utime, "kernel": after.ru_stime - before.ru_stime,
}))
"""


def run(args: list[object]) -> dict[str, float]:
    """Regions, seconds, peak memory (bytes), and user and kernel CPU seconds of one count in
    a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args)], capture_output=True, text=True
    )
    if proc.returncode:
        raise RuntimeError(f"the count {args} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--depth", type=int, default=32)
    parser.add_argument("--half", type=float, default=3.0, help="the box is [-half, half]^2")
    parser.add_argument(
        "--init",
        default="he+default-bias",
        choices=["default", "he", "he+bias", "he+default-bias"],
        help="regions.testing.mlp's init",
    )
    parser.add_argument("--settings", nargs="+", default=["64:1", "64:2"], help="pieces:workers")
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    settings = [tuple(int(v) for v in s.split(":")) for s in options.settings]
    net = (
        f"{options.init} 2-{options.width}x{options.depth}-1 on "
        f"[-{options.half:g}, {options.half:g}]²"
    )
    print(f"# {net}; {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    results: dict[tuple[int, ...], list[dict[str, float]]] = {s: [] for s in settings}
    for r in range(options.repeat):
        for s in settings[r % len(settings) :] + settings[: r % len(settings)]:
            args = [options.width, options.depth, options.init, options.half, *s]
            results[s].append(run(args))
    base = min(out["seconds"] for out in results[settings[0]])
    # Kernel time is mostly first touches of fresh memory (page faults): see RESULTS.md.
    print(
        "| pieces | workers | regions | s, min / median | CPU s, user + kernel (min run) "
        "| peak GB, max | speed-up (min) |"
    )
    print("|---|---|---|---|---|---|---|")
    for (pieces, workers), runs in results.items():
        counts = {out["regions"] for out in runs}
        seconds = [out["seconds"] for out in runs]
        fastest = min(runs, key=lambda out: out["seconds"])
        peak = max(out["peak"] for out in runs) / 1e9
        print(
            f"| {pieces} | {workers} | {', '.join(f'{n:,}' for n in sorted(counts))} "
            f"| {min(seconds):.1f} / {statistics.median(seconds):.1f} "
            f"| {fastest['user']:.1f} + {fastest['kernel']:.1f} | {peak:.2f} "
            f"| {base / min(seconds):.2f} |"
        )


if __name__ == "__main__":
    main()
