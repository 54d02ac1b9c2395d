"""Side by side with the peer regioncam (a Rust core with Python bindings, float32), one process.

    python benchmarks/bench_peer.py                      # issue 12's table, then lines (minutes)
    python benchmarks/bench_peer.py --quick              # the four small rows, 3 runs, 100 lines
    python benchmarks/bench_peer.py --rows 2-128x4-1 --repeat 7 --segments 0
    python benchmarks/bench_peer.py --keep-freed-memory   # glibc keeps freed pages (both tools)

regioncam is optional: ``pip install -e ".[bench]"`` (or ``pip install regioncam==0.5.2``).
Without it only our columns are timed.

Nets are ``torch.manual_seed(0)`` Linear/ReLU MLPs with one output (``regions.testing.mlp``),
PyTorch's default init on [-1, 1]^2, or He-normal weights with standard-normal biases
(``he+bias``) on [-3, 3]^2; with zero biases a He net is positively homogeneous, every boundary
a ray from the origin (1,014 regions for 2-64x8-1), too few to time. Every row times,
interleaved and in rotating order, ``repeat`` runs of:

- ``ours``: ``regions.decompose(model, box)``, tracing included;
- ``reused``: ``regions.decompose(network, box)`` on a ``regions.trace(model)`` made once;
- ``+affine``: ``regions.decompose(model, box)`` then ``Partition.affine()``, tracing included
  (regioncam carries every face's maps, so this is the like-for-like column);
- ``regioncam``: ``regioncam.Regioncam(size=h)`` then ``.add(model)``.

Columns give the min and median seconds; ``rc/x`` is regioncam's min over ours (above 1: we
are faster). Checks, outside the timings: region counts, and patterns. regioncam's pattern of a
face is read from its maps: a unit is on where its ReLU layer's map on the face is not zero.
Each face's interior point (its vertex mean) is located in our partition; ``diff`` counts the
faces whose regioncam pattern differs from our region's there, and ``rc!=fwd`` / ``ours!=fwd``
the faces whose pattern differs from the model's own float64 forward pass at that point.

``--segments N`` then times, on N random segments with endpoints uniform in [-1, 1]^2 through
the nets of ``--line-rows`` (2-16x3-1 and 2-128x4-1), ``regions.decompose_line`` one segment
at a time and ``regions.decompose_lines`` all at once (trace reused), against regioncam's
``Regioncam1D.through_points`` on the same segments, and compares piece counts.
Results are recorded in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
from collections.abc import Callable

import numpy as np
import torch
from nets import NETS, interleaved, kernel_note, named
from torch import nn

import regions
from regions.testing import mlp

try:
    import regioncam
except ImportError:  # the optional peer: our columns are still timed
    regioncam = None

ROWS = [*NETS][:6] + ["he+bias-2-64x8-1", "he+bias-2-64x14-1"]
QUICK = ["2-16x3-1", "2-32x3-1", "2-64x3-1", "2-128x2-1"]
LINE_ROWS = ["2-16x3-1", "2-128x4-1"]


def peer(model: nn.Sequential, h: float) -> object:
    """regioncam's partition of ``model`` on [-h, h]^2."""
    rc = regioncam.Regioncam(size=h)
    rc.add(model)
    return rc


def peer_patterns(rc: object, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """regioncam's faces: interior points (F, 2) and patterns (F, S), S = width x depth.

    Layers of a converted MLP are the input (0), then one per Linear and per ReLU; a ReLU
    layer's map (F, 3, width) on a face keeps the unit's map where regioncam put it on and is
    zero where it put it off.
    """
    xy = np.asarray(rc.vertex_inputs, dtype=np.float64)
    points = np.array([xy[f.vertex_ids].mean(axis=0) for f in rc.faces])
    bits = [np.any(rc.face_activations(2 * k) != 0, axis=1) for k in range(1, depth + 1)]
    return points, np.concatenate(bits, axis=1)


def pattern_check(part: regions.Partition, rc: object, depth: int) -> tuple[int, int, int]:
    """(diff, rc != forward, ours != forward) over regioncam's faces, as in the module doc."""
    points, theirs = peer_patterns(rc, depth)
    region = part.locate(points)
    if np.any(region < 0):
        raise RuntimeError(f"{np.sum(region < 0)} regioncam face points lie outside our domain")
    ours = part.patterns[region]
    _, pre = part.network.forward(points)
    forward = np.concatenate([z > 0 for z in pre], axis=1)
    disagree = lambda a, b: int(np.sum(np.any(a != b, axis=1)))  # noqa: E731
    return disagree(theirs, ours), disagree(theirs, forward), disagree(ours, forward)


def stat(seconds: list[float]) -> str:
    return f"{min(seconds):8.4f} {statistics.median(seconds):8.4f}"


def table(names: list[str], repeat: int) -> None:
    variants = ["ours", "reused", "+affine"] + (["regioncam"] if regioncam else [])
    head = f"{'net':16} {'regions':>8} {'rc faces':>8} " + " ".join(
        f"{v + ' min':>8} {'median':>8}" for v in variants
    )
    if regioncam:
        head += f" {'rc/ours':>7} {'rc/reuse':>8} {'rc/+aff':>7} {'diff':>5} {'rc!=fwd':>7}"
        head += f" {'ours!=fwd':>9}"
    print(head)
    print("-" * len(head))
    for name in names:
        model, box = named(name)
        h, depth = box[1], NETS[name][1]
        net = regions.trace(model)
        runs: dict[str, Callable[[], object]] = {
            "ours": lambda: regions.decompose(model, box),  # noqa: B023
            "reused": lambda: regions.decompose(net, box),  # noqa: B023
            "+affine": lambda: regions.decompose(model, box).affine(),  # noqa: B023
        }
        if regioncam:
            runs["regioncam"] = lambda: peer(model, h)  # noqa: B023
        t = interleaved(runs, repeat)
        part = regions.decompose(net, box)
        line = f"{name:16} {len(part):8d} "
        if regioncam:
            rc = peer(model, h)
            line += f"{rc.num_faces:8d} "
        else:
            line += f"{'-':>8} "
        line += " ".join(stat(t[v]) for v in variants)
        if regioncam:
            best = {v: min(s) for v, s in t.items()}
            ratios = [best["regioncam"] / best[v] for v in ("ours", "reused", "+affine")]
            diff, rc_wrong, ours_wrong = pattern_check(part, rc, depth)
            line += f" {ratios[0]:7.2f} {ratios[1]:8.2f} {ratios[2]:7.2f} {diff:5d}"
            line += f" {rc_wrong:7d} {ours_wrong:9d}"
        print(line, flush=True)


def random_segments(n: int, seed: int) -> np.ndarray:
    """``n`` segments (n, 2, 2) with endpoints uniform in [-1, 1]^2, float32-representable (so
    both tools see the same segments)."""
    return np.random.default_rng(seed).uniform(-1, 1, (n, 2, 2)).astype(np.float32)


def peer_line(model: nn.Sequential, segment: np.ndarray) -> int:
    """regioncam's piece count of ``model`` on one segment (2, 2)."""
    rc = regioncam.Regioncam1D.through_points(segment, size=2.0)  # size 2: exactly p to q
    rc.add(model)
    return rc.num_edges


def lines(n: int, repeat: int, names: list[str]) -> None:
    """``n`` random segments through each named net: ``decompose_line`` one segment at a time
    and ``decompose_lines`` all at once (trace reused), against Regioncam1D."""
    segments = random_segments(n, seed=1)
    print(f"\nlines: {n} random segments in [-1, 1]^2 (trace reused); ms/segment from the min")
    print(
        f"{'net':12} {'tool':10} {'min s':>8} {'median':>8} {'ms/segment':>10} {'pieces':>8}"
        f" {'rc/x':>6}"
    )
    for name in names:
        model, _ = named(name)
        net = regions.trace(model)
        runs: dict[str, Callable[[], object]] = {
            "one by one": lambda net=net: [regions.decompose_line(net, p, q) for p, q in segments],
            "batched": lambda net=net: regions.decompose_lines(net, segments[:, 0], segments[:, 1]),
        }
        if regioncam:
            runs["regioncam"] = lambda model=model: [peer_line(model, s) for s in segments]
        t = interleaved(runs, repeat)
        ours = regions.decompose_lines(net, segments[:, 0], segments[:, 1])
        pieces = np.array([len(p) for p in ours])
        single = np.array([len(regions.decompose_line(net, p, q)) for p, q in segments])
        if not np.array_equal(pieces, single):
            raise SystemExit(f"bench_peer: {name}: decompose_lines and decompose_line differ")
        counts = {"one by one": pieces, "batched": pieces}
        if regioncam:
            counts["regioncam"] = np.array([peer_line(model, s) for s in segments])
        for tool, times in t.items():
            ratio = min(t["regioncam"]) / min(times) if regioncam else float("nan")
            print(
                f"{name:12} {tool:10} {stat(times)} {1e3 * min(times) / n:10.3f} "
                f"{counts[tool].sum():8d} {ratio:6.2f}"
            )
        if regioncam:
            differ = np.sum(counts["regioncam"] != pieces)
            print(f"{name:12} segments whose piece counts differ from regioncam's: {differ} of {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", choices=ROWS, help="default: all")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each tool per row")
    parser.add_argument("--segments", type=int, default=1000, help="line segments (0: skip)")
    parser.add_argument(
        "--line-rows", nargs="+", choices=ROWS, default=LINE_ROWS, help="nets the lines cross"
    )
    parser.add_argument("--quick", action="store_true", help="small rows, 3 runs, 100 lines")
    parser.add_argument(
        "--keep-freed-memory",
        action="store_true",
        help="regions.keep_freed_memory() first (the process's allocator: both tools' runs)",
    )
    args = parser.parse_args()
    names = args.rows or (QUICK if args.quick else ROWS)
    repeat = 3 if args.quick and args.repeat == 5 else args.repeat
    segments = 100 if args.quick and args.segments == 1000 else args.segments
    version = regioncam.__version__ if regioncam else "not installed"
    print(
        f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"numpy {np.__version__}, regioncam {version}; min and median of {repeat} runs, s"
    )
    if regioncam is None:
        print(
            "# regioncam is not installed (pip install -e '.[bench]', or "
            "pip install regioncam==0.5.2): timing ours only"
        )
    print(kernel_note())
    if args.keep_freed_memory:
        print(f"# regions.keep_freed_memory(): {regions.keep_freed_memory()}")
    regions.decompose(mlp(8, 1, "default", 0))  # warm up BLAS and imports
    table(names, repeat)
    if segments:
        lines(segments, repeat, args.line_rows)


if __name__ == "__main__":
    main()
