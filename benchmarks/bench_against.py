"""This checkout's ``regions`` against another copy of it, side by side in one process.

    git archive main regions | tar -x -C /tmp/base       # or any commit, any folder
    python benchmarks/bench_against.py /tmp/base          # issue 12's four small-to-large rows
    python benchmarks/bench_against.py /tmp/base --rows 2-16x3-1 --repeat 9
    REGIONS_THREADS=1 python benchmarks/bench_against.py /tmp/base --rows he-2-64x32-1-strip --cpu

The other copy (a folder holding a ``regions`` package) is imported under the name
``regions_base``, so both run in the same process on the same traced-once nets; every row
times ``regions.decompose(network, box)`` (trace reused) ``repeat`` times for each copy,
alternating which goes first, and prints min and median seconds and the ratios base / this
(above 1: this checkout is faster). With the 2-128x4-1 row, a last row times
``Partition.affine(layer=2)`` on the 2-128x4-1 partition each copy made. Before timing, the
script checks that both copies give the same partition: rings, edge labels and patterns bit for
bit, vertices and output maps bit for bit or to rounding (it says which). Nets are
``regions.testing.mlp(width, depth, init, 0)``: PyTorch's default init on [-1, 1]^2, and
``he+bias-...`` rows He-normal weights and biases on [-3, 3]^2 (deep nets, where the maps'
precision matters); ``he-2-64x32-1-strip`` is the strip [-0.375, -0.2] x [-3, 3] of issue 12's
1.7 M-region net (125,072 regions), where the whole count swings too much to compare. ``--cpu``
times the process's CPU seconds instead of wall time. ``--domain ell`` decomposes on the L that
is the box without its upper right quarter instead, and times ``len()`` of each decomposition
(its regions clipped to the L); there the copies may count differently (a fix of non-convex
domains), and the script says how. Results are recorded in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import shapely
from nets import NETS, interleaved, kernel_note, named

import regions

ROWS = [name for name in NETS if name != "he+bias-2-64x8-1"]
FOUR = ["2-16x3-1", "2-32x3-1", "2-64x3-1", "2-128x4-1"]  # issue 12's small-to-large rows


def load_base(folder: Path) -> ModuleType:
    """The ``regions`` package under ``folder``, imported as ``regions_base``."""
    init = folder / "regions" / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"bench_against: no regions package in {folder}")
    spec = importlib.util.spec_from_file_location(
        "regions_base", init, submodule_search_locations=[str(init.parent)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["regions_base"] = module
    spec.loader.exec_module(module)
    return module


def same(a: object, b: object) -> str | None:
    """How two partitions agree: "bit for bit", "to rounding" (the same rings, edge labels and
    patterns; vertices and output maps within 1e-12 of their scale: the copies round matrix
    products in another order), or None."""
    fields = ("ring", "start", "edge_label", "patterns")
    if not all(np.array_equal(getattr(a, f), getattr(b, f)) for f in fields):
        return None
    maps = [np.asarray(x) for x in (*a.affine(), *b.affine())]
    if np.array_equal(a.vertices, b.vertices) and all(
        x.tobytes() == y.tobytes() for x, y in zip(maps[:2], maps[2:], strict=True)
    ):
        return "bit for bit"
    for x, y in [(a.vertices, b.vertices), *zip(maps[:2], maps[2:], strict=True)]:
        x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
        scale = max(float(np.abs(x).max(initial=0.0)), 1.0)
        if np.abs(x - y).max(initial=0.0) > 1e-12 * scale:
            return None
    return "to rounding"


def row(label: str, n: int, times: dict[str, list[float]]) -> None:
    base, this = (np.array(times[k]) for k in ("base", "this"))
    print(
        f"{label:18} {n:>7,} {base.min():8.4f} {np.median(base):8.4f} {this.min():8.4f}"
        f" {np.median(this):8.4f} {base.min() / this.min():6.2f}"
        f" {statistics.median(base) / statistics.median(this):6.2f}",
        flush=True,
    )


def ell(box: tuple[float, float, float, float]) -> shapely.Polygon:
    """The box without its upper right quarter."""
    xmin, xmax, ymin, ymax = box
    xmid, ymid = (xmin + xmax) / 2, (ymin + ymax) / 2
    corners = [(xmin, ymin), (xmax, ymin), (xmax, ymid), (xmid, ymid), (xmid, ymax), (xmin, ymax)]
    return shapely.Polygon(corners)


def ell_row(
    name: str, pkgs: dict, nets: dict, domain: shapely.Polygon, repeat: int, clock: Callable
) -> None:
    """Time ``len(decompose(network, domain))`` for both copies: the hull's cells, then the
    regions clipped to the domain."""
    parts = {k: pkgs[k].decompose(nets[k], domain) for k in pkgs}
    if not np.array_equal(parts["base"].cell_bits, parts["this"].cell_bits):
        raise SystemExit(f"bench_against: the two copies give different cells of {name}")
    counts = {k: len(p) for k, p in parts.items()}
    print(
        f"# {name} on the L: the same cells; regions: base {counts['base']:,}, this "
        f"{counts['this']:,}",
        flush=True,
    )
    runs = {k: (lambda pkg=pkgs[k], net=nets[k]: len(pkg.decompose(net, domain))) for k in pkgs}
    row(f"{name} (L)", counts["this"], interleaved(runs, repeat, clock))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="folder holding the other copy's regions/")
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=FOUR)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each copy per row")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="CPU seconds of the process (time.process_time), not wall time: steadier on a "
        "shared machine; with REGIONS_THREADS=1, one thread's",
    )
    parser.add_argument(
        "--domain",
        choices=("box", "ell"),
        default="box",
        help="ell: the box without its upper right quarter (a non-convex domain)",
    )
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    base = load_base(args.base)
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"# base: {args.base}; this: {Path(regions.__file__).parent}")
    print(kernel_note())
    print(f"# times: {'CPU' if args.cpu else 'wall'} seconds")
    print(
        f"{'net':18} {'regions':>7} {'base min':>8} {'base med':>8} {'this min':>8}"
        f" {'this med':>8} {'min x':>6} {'med x':>6}"
    )
    made = {}
    for name in args.rows:
        model, box = named(name)
        nets = {"base": base.trace(model), "this": regions.trace(model)}
        pkgs = {"base": base, "this": regions}
        if args.domain == "ell":
            ell_row(name, pkgs, nets, ell(box), args.repeat, clock)
            continue
        made[name] = parts = {k: pkgs[k].decompose(nets[k], box) for k in pkgs}
        agree = same(parts["base"], parts["this"])
        if agree is None:
            raise SystemExit(f"bench_against: the two copies give different partitions of {name}")
        print(f"# {name}: the same partition, {agree}", flush=True)
        runs = {
            k: (lambda pkg=pkgs[k], net=nets[k], box=box: pkg.decompose(net, box)) for k in pkgs
        }
        row(name, len(parts["this"]), interleaved(runs, args.repeat, clock))
    if "2-128x4-1" in made:
        parts = made["2-128x4-1"]
        layer2 = {k: (lambda part=parts[k]: part.affine(layer=2)) for k in parts}
        a, b = (np.concatenate([x.reshape(len(x), -1) for x in f()], 1) for f in layer2.values())
        # Hidden maps are recomputed from the patterns, matrix products over other row counts:
        # they may differ in the last bits (both within the exact maps' rounding bound).
        scale = np.abs(a).max(axis=1, keepdims=True)
        worst = float((np.abs(a - b) / np.where(scale > 0, scale, 1)).max())
        print(f"# affine(layer=2): largest difference {worst:.1e} of a map's largest entry")
        if worst > 1e-12:
            raise SystemExit("bench_against: affine(layer=2) differs between the two copies")
        row("affine(layer=2)", len(parts["this"]), interleaved(layer2, args.repeat, clock))


if __name__ == "__main__":
    main()
