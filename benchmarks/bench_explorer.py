"""Time-to-interactive and size of the explorer page for the 2-128x4-1 net (29,584 regions).

    python benchmarks/bench_explorer.py            # 5 loads of each page, interleaved
    python benchmarks/bench_explorer.py --runs 9

The net: ``torch.manual_seed(0)``, ``nn.Sequential`` of ``Linear(2, 128)``, ``ReLU``, three more
``Linear(128, 128)`` + ``ReLU``, ``Linear(128, 1)``, on [-1, 1]^2. The page written by
:func:`analysis.explorer.explore` is opened from disk in headless Chromium (Debian's, through
selenium) and timed until ``window.regionsExplorer.ready``: ``in page`` is the page's own
``performance.now()`` at that moment (from navigation start), ``wall`` the time from
``driver.get`` until a poll every 10 ms sees it. If bokeh is installed (the ``bench`` extra),
the same polygons drawn by bokeh's ``patches`` with a hover tool showing the region id (a
lower bound of what the explorer needs: no patterns, maps, layers or neighbours), written with
inline resources, are timed side by side until bokeh reports its document idle. Results are
recorded in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import regions
from analysis.explorer import explore
from analysis.explorer.browser import chromium

POLL = 0.01  # seconds
LIMIT = 60.0  # seconds before a load counts as failed


def net() -> nn.Sequential:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(2, 128), nn.ReLU()]
    for _ in range(3):
        layers += [nn.Linear(128, 128), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(128, 1)).eval()


def bokeh_page(part: regions.Partition, path: Path) -> Path | None:
    """The regions as bokeh patches with a hover tool, inline resources; None without bokeh."""
    try:
        from bokeh.embed import file_html
        from bokeh.models import ColumnDataSource, HoverTool
        from bokeh.plotting import figure
        from bokeh.resources import INLINE
    except ImportError:
        return None
    polys = part.polygons
    colours = np.array(["#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99"])
    source = ColumnDataSource(
        {
            "xs": [p[:, 0] for p in polys],
            "ys": [p[:, 1] for p in polys],
            "id": np.arange(len(polys)),
            "colour": colours[np.arange(len(polys)) % len(colours)],
        }
    )
    fig = figure(width=700, height=700, match_aspect=True, tools="pan,wheel_zoom,reset")
    fig.patches("xs", "ys", source=source, fill_color="colour", line_color="#404040",
                line_width=0.5)  # fmt: skip
    fig.add_tools(HoverTool(tooltips=[("region", "@id")]))
    path.write_text(file_html(fig, INLINE, "regions"), encoding="utf-8")
    return path


READY = {
    "explorer": (
        "return window.regionsExplorer && regionsExplorer.ready ? regionsExplorer.readyMs : null"
    ),
    "bokeh": (
        "if (!(window.Bokeh && Bokeh.documents.length && Bokeh.documents[0].is_idle)) return null;"
        " return performance.now();"
    ),
}


def load(driver: Any, page: Path, ready: str) -> tuple[float, float]:
    """Seconds until interactive: (in the page, wall clock)."""
    driver.get("about:blank")
    start = time.perf_counter()
    driver.get(page.resolve().as_uri())
    while (ms := driver.execute_script(ready)) is None:
        if time.perf_counter() - start > LIMIT:
            raise TimeoutError(f"{page.name} not interactive after {LIMIT} s")
        time.sleep(POLL)
    return ms / 1000, time.perf_counter() - start


def timed(make: Callable[[], Path | None]) -> tuple[Path | None, float]:
    start = time.perf_counter()
    page = make()
    return page, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="loads of each page (default 5)")
    args = parser.parse_args()
    model = net()
    start = time.perf_counter()
    part = regions.decompose(model, (-1, 1, -1, 1))
    decompose_s = time.perf_counter() - start
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{len(part)} regions, decomposed in {decompose_s:.2f} s")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        pages = {}
        page, seconds = timed(lambda: explore(part, out / "explorer.html"))
        pages["explorer"] = (page, seconds)
        page, seconds = timed(lambda: bokeh_page(part, out / "bokeh.html"))
        if page is not None:
            pages["bokeh"] = (page, seconds)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in pages}
        with chromium(out / "profile") as driver:
            for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
                for name, (page, _) in pages.items():
                    times[name].append(load(driver, page, READY[name]))
        print(f"{'page':10} {'MB':>6} {'write s':>8} {'in page min':>12} {'median':>7} "
              f"{'wall min':>9} {'median':>7}")  # fmt: skip
        for name, (page, seconds) in pages.items():
            inside, wall = zip(*times[name], strict=True)
            print(
                f"{name:10} {page.stat().st_size / 1e6:6.2f} {seconds:8.2f} "
                f"{min(inside):12.2f} {statistics.median(inside):7.2f} "
                f"{min(wall):9.2f} {statistics.median(wall):7.2f}"
            )
        if "bokeh" in pages:
            ratio = statistics.median(w for _, w in times["bokeh"]) / statistics.median(
                w for _, w in times["explorer"]
            )
            print(f"bokeh / explorer, median wall time: {ratio:.1f}")


if __name__ == "__main__":
    main()
