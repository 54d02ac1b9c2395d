"""The explorer page in a real headless browser (Debian's chromium, through selenium).

Chromium opens pages written by :func:`analysis.explorer.explore` from disk (``file://``) and
the test checks, against the partition in Python: no console errors; ``regionAt`` gives the
region :meth:`~regions.Partition.locate` gives (and its activation pattern) at 50 random
points, at full depth and after each layer; ``setLayer(k)`` returns ``counts_by_depth()[k]``
and ``setStep(i)`` each checkpoint's count; a real mouse move shows a tooltip naming the
region under the pointer, and a click pins it and names every neighbour with the layer and
unit of the boundary between them. A screenshot is saved.

Without chromium, chromedriver or selenium the tests are skipped, except under ``CI=true``,
where they fail (see ``tests/test_index_browser.py``).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
import torch
from torch import nn

import regions
from analysis.explorer import explore
from analysis.explorer.browser import PAGE_LOAD_TIMEOUT, chromium, unavailable

N_POINTS = 50
L_WITH_HOLE = shapely.Polygon(
    [(-1, -1), (1, -1), (1, 0), (0, 0), (0, 1), (-1, 1)],
    [[(-0.8, -0.8), (-0.4, -0.8), (-0.4, -0.4), (-0.8, -0.4)]],
)


def net(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
        nn.Linear(16, 2),
    )  # fmt: skip


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    message = unavailable()
    if message is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser check, but it is missing {message}")
        pytest.skip(message)
    with chromium(tmp_path_factory.mktemp("profile"), logs=True) as d:
        yield d


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[Any]]]:
    """Two pages: a box with two checkpoints and data, and an L-shaped domain with a hole."""
    out = tmp_path_factory.mktemp("pages")
    X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    y = (X[:, 1] > np.abs(X[:, 0])).astype(int)
    box = (-1, 1, -1, 1)
    steps = [regions.decompose(net(s), box) for s in (10, 11)]
    final = regions.decompose(net(12), box)
    history = [(0, steps[0]), (50, steps[1])]
    box_page = explore(final, out / "box.html", data=(X, y), checkpoints=history)
    holed = regions.decompose(net(13), L_WITH_HOLE)
    return {
        "box": (box_page, [*steps, final]),
        "holed": (explore(holed, out / "holed.html"), [holed]),
    }


def open_page(driver: Any, page: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(page.resolve().as_uri())
    WebDriverWait(driver, PAGE_LOAD_TIMEOUT).until(
        lambda d: d.execute_script("return !!(window.regionsExplorer && regionsExplorer.ready)")
    )


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def by_layer(part: regions.Partition, r: int, k: int) -> list[str]:
    bits = part.patterns[r].astype(int)
    return ["".join(map(str, bits[part.breakpoints.columns(j)])) for j in range(1, k + 1)]


@pytest.mark.parametrize("name", ["box", "holed"])
def test_region_at_agrees_with_locate(name: str, driver: Any, pages: dict[str, Any]) -> None:
    page, frames = pages[name]
    part = frames[-1]
    open_page(driver, page)
    assert console_errors(driver) == []
    xmin, ymin, xmax, ymax = part.domain.polygon.bounds
    points = np.random.default_rng(1).uniform((xmin, ymin), (xmax, ymax), (N_POINTS, 2))
    if name == "holed":  # points in the hole and outside the L as well
        points[:3] = [(-0.6, -0.6), (0.5, 0.5), (-0.3, -0.5)]  # hole, outside, in
    for k in range(part.depth, -1, -1):
        coarse = part.at_depth(k)
        assert driver.execute_script(f"return regionsExplorer.setLayer({k})") == len(coarse)
        got = driver.execute_script(
            "return arguments[0].map(([x, y]) => regionsExplorer.regionAt(x, y));",
            points.tolist(),
        )
        fine, expected = part.locate(points), coarse.locate(points)
        assert [g and g["id"] for g in got] == [None if e < 0 else int(e) for e in expected]
        for g, r in zip(got, fine, strict=True):
            if r >= 0:
                assert g["layer"] == k and g["pattern"] == by_layer(part, r, k)
    if name == "holed":
        assert got[:3] == [None, None, got[2]] and got[2] is not None
    assert console_errors(driver) == []


def test_layer_and_step_counts(driver: Any, pages: dict[str, Any]) -> None:
    page, frames = pages["box"]
    open_page(driver, page)
    api = "return regionsExplorer"
    assert driver.execute_script(f"{api}.steps") == 3
    assert driver.execute_script(f"{api}.step") == 2  # the page opens on the model
    for i, part in enumerate(frames):
        assert driver.execute_script(f"{api}.setStep({i})") == len(part)
        counts = part.counts_by_depth().tolist()
        assert [driver.execute_script(f"{api}.setLayer({k})") for k in range(4)] == counts
        text = driver.find_element("id", "step-out").text
        assert f"{counts[-1]} regions" in text and ("step 0" in text if i == 0 else True)
    with pytest.raises(Exception, match="setLayer: k must be an integer in 0..3"):
        driver.execute_script(f"{api}.setLayer(4)")
    assert console_errors(driver) == []


def test_every_colouring_and_the_unit_picker_draw_without_errors(
    driver: Any, pages: dict[str, Any]
) -> None:
    page, _ = pages["box"]
    open_page(driver, page)
    change = (
        "const e = $(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('change'));"
    )
    for mode in ("layer", "slope", "class", "pattern"):
        driver.execute_script(change.replace("$", "document.getElementById"), "colour", mode)
        legend = driver.find_element("id", "legend").text
        assert legend, mode
    driver.execute_script(change.replace("$", "document.getElementById"), "unit-layer", "2")
    assert console_errors(driver) == []


def point_to(driver: Any, x: float, y: float) -> tuple[int, int]:
    """Offset from the canvas's centre, in CSS pixels, of plane point (x, y) as drawn now."""
    canvas = driver.find_element("id", "plot")
    dx, dy = driver.execute_script(
        "const p = regionsExplorer.toClient(arguments[0], arguments[1]);"
        "const b = arguments[2].getBoundingClientRect();"
        "return [p.x - (b.left + b.width / 2), p.y - (b.top + b.height / 2)];",
        float(x), float(y), canvas,
    )  # fmt: skip
    return round(dx), round(dy)


def test_hover_names_the_region_and_click_pins_it(
    driver: Any, pages: dict[str, Any], tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin

    page, frames = pages["box"]
    part = frames[-1]
    open_page(driver, page)
    r = int(np.argmax(part.areas))  # the largest region: a pixel off is still inside it
    x, y = part.points[r]
    canvas = driver.find_element("id", "plot")
    tooltip = driver.find_element("id", "tooltip")
    assert not tooltip.is_displayed()
    ActionChains(driver).move_to_element_with_offset(canvas, *point_to(driver, x, y)).perform()
    assert tooltip.is_displayed()
    text = tooltip.text
    assert text.startswith(f"Region {r} of {len(part)}")
    assert all(bits in text for bits in by_layer(part, r, part.depth))

    ActionChains(driver).click().perform()
    pinned = driver.find_element("id", "pinned").text
    adj = part.adjacency()
    mine = np.flatnonzero((adj.pairs == r).any(axis=1))
    assert pinned.startswith(f"Region {r} pinned") and f"{len(mine)} neighbours" in pinned
    for p in mine:
        other = int(adj.pairs[p].sum() - r)
        assert f"region {other}: " in pinned
        assert f"layer {adj.layer[p]}, unit {adj.unit[p]}" in pinned
    assert console_errors(driver) == []

    # Zoom in with the wheel about a small region and pan with a drag: the pointer then lands
    # on the region's new place on screen and the tooltip names it.
    small = int(np.argsort(part.areas)[len(part) // 3])
    sx, sy = part.points[small]
    before = point_to(driver, sx, sy)
    span = np.subtract(point_to(driver, 1, 1), point_to(driver, -1, -1))
    origin = ScrollOrigin.from_element(canvas, *before)
    ActionChains(driver).scroll_from_origin(origin, 0, -500).perform()
    drag = ActionChains(driver).move_to_element_with_offset(canvas, *before).click_and_hold()
    drag.move_by_offset(30, 20).release().perform()
    after = point_to(driver, sx, sy)
    zoom = np.subtract(point_to(driver, 1, 1), point_to(driver, -1, -1)) / span
    assert after != before and zoom[0] == pytest.approx(zoom[1], rel=0.02) and zoom[0] > 1.5
    ActionChains(driver).move_to_element_with_offset(canvas, *after).perform()
    at = driver.execute_script(
        "return regionsExplorer.regionAt(arguments[0], arguments[1])", float(sx), float(sy)
    )
    assert at["id"] == small and tooltip.text.startswith(f"Region {small} of")
    assert console_errors(driver) == []

    shot = tmp_path / "explorer.png"
    shot.write_bytes(driver.get_screenshot_as_png())
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])
    print(f"screenshot {width} x {height}: {shot}")
    assert width >= 1000 and height >= 700 and shot.stat().st_size > 20_000
