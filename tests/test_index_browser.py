"""The summary page ``index.html`` in a real headless browser (Debian's chromium).

The page is the one :func:`analysis.run.summary.write_index` writes for manifests saved with
:func:`analysis.run.summary.save_manifest`, with genuine PNG figures drawn by matplotlib and saved
by :func:`analysis.figures.style.save_figure`. Chromium opens it from disk (a ``file://`` URL); the
test checks that every image loaded, that there is one image per figure in the manifests,
that the numbers and the notebook links are there, and saves a full-page screenshot.

Needs ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` (``apt-get install chromium
chromium-driver``) and selenium (the ``dev`` extra). Without them the test is skipped, except
in CI (``CI=true``), where it fails: CI must run it. Selenium is given both paths, so
selenium-manager never downloads anything.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from matplotlib.figure import Figure

from analysis.explorer.browser import (
    CHROMEDRIVER,
    CHROMIUM,
    INSTALL,
    PAGE_LOAD_TIMEOUT,
    chromium,
    unavailable,
)
from analysis.figures.style import save_figure, style
from analysis.run.summary import (
    NOTEBOOKS_DIR,
    ExperimentReport,
    FigureFile,
    collect_reports,
    save_manifest,
    write_index,
)
from analysis.studies.experiment import Table

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# Two experiments with three figures in all, each explained by a notebook.
FIGURES = {"alpha": ("sawtooth", "steeper"), "beta": ("steepest",)}
NOTEBOOK_OF = {"alpha": "02_classic_experiment.py", "beta": "03_depth_vs_width.py"}


def _browser_or_skip(browser: Path = CHROMIUM, driver: Path = CHROMEDRIVER) -> None:
    """Skip (fail under ``CI=true``) unless the headless browser can start."""
    message = unavailable(browser, driver)
    if message is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser check, but it is missing {message}")
        pytest.skip(message)


def _draw(path_without_ext: Path, title: str, teeth: int) -> None:
    """A small genuine figure, PNG and PDF, saved the way every experiment saves its own."""
    with style():
        fig = Figure(figsize=(3.0, 2.0))
        ax = fig.add_subplot()
        xs = [i / 20 for i in range(41)]
        ax.plot(xs, [(x * teeth / 2) % 1.0 for x in xs])
        ax.set_title(title)
    save_figure(fig, path_without_ext)


def _report(name: str) -> ExperimentReport:
    return ExperimentReport(
        name=name,
        title=f"Experiment {name}",
        description=f"What {name} varies.",
        quick=True,
        figures=tuple(FigureFile(f"{name}/{stem}", f"{stem} of {name}.") for stem in FIGURES[name]),
        table=Table(("experiment", "net", "n_regions"), ((name, "2-4-1", 7), (name, "tanh", None))),
        notebook=NOTEBOOK_OF[name],
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output directory with figures, manifests and the ``index.html`` built from them."""
    out = tmp_path_factory.mktemp("site") / "out"
    teeth = 2
    for name in FIGURES:
        report = _report(name)
        for figure in report.figures:
            _draw(out / figure.stem, figure.caption, teeth)
            teeth += 1
        save_manifest(out, report)
    write_index(out, collect_reports(out, FIGURES))
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless chromium driven by the system chromedriver; nothing is downloaded."""
    _browser_or_skip()
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


def _open(driver: Any, page: Path) -> None:
    """Load ``page`` from disk and wait until it and every image finished (loaded or not)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(page.resolve().as_uri())
    WebDriverWait(driver, PAGE_LOAD_TIMEOUT).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete'"
            " && Array.from(document.images).every(img => img.complete);"
        )
    )


def _images(driver: Any) -> list[dict[str, Any]]:
    return driver.execute_script(
        "return Array.from(document.images).map(img => ({"
        "src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth}));"
    )


def _broken(images: list[dict[str, Any]]) -> list[str]:
    """Sources of the images that did not load: not complete, or no pixels."""
    return [img["src"] for img in images if not (img["complete"] and img["width"] > 0)]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


def _full_page_png(driver: Any) -> bytes:
    """A screenshot of the whole page, beyond the window, through the DevTools protocol."""
    import base64

    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": clip},
    )
    return base64.b64decode(shot["data"])


def test_every_image_loads_and_the_page_is_complete(
    site: Path, browser: Any, tmp_path: Path
) -> None:
    reports = collect_reports(site, FIGURES)
    _open(browser, site / "index.html")

    images = _images(browser)
    assert _broken(images) == []
    assert len(images) == sum(len(r.figures) for r in reports) == 3
    assert [img["src"] for img in images] == [f"{f.stem}.png" for r in reports for f in r.figures]

    # The numbers: one body row per table row, with None shown as a dash.
    rows = browser.execute_script("return document.querySelectorAll('tbody tr').length;")
    assert rows == sum(len(r.table.rows) for r in reports)
    text = browser.find_element("tag name", "body").text
    assert "–" in text and "7" in text

    # Notebook links: one per section and one per figure, each to the right notebook file.
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('a.notebook'), a => a.href);"
    )
    assert len(links) == sum(1 + len(r.figures) for r in reports)
    targets = [Path(unquote(urlparse(href).path)) for href in links]
    assert all(href.startswith("file://") for href in links)
    expected = [NOTEBOOKS_DIR / r.notebook for r in reports for _ in range(1 + len(r.figures))]
    assert [t.resolve() for t in targets] == [e.resolve() for e in expected]
    assert all(t.is_file() for t in targets)

    data = _full_page_png(browser)
    screenshot = tmp_path / "index.png"
    screenshot.write_bytes(data)
    width, height = _png_size(screenshot.read_bytes())
    assert screenshot.stat().st_size > 1000
    page_height = browser.execute_script("return document.documentElement.scrollHeight;")
    print(f"screenshot {width} x {height}, page height {page_height}: {screenshot}")
    assert width > 0 and height >= page_height > 900  # the whole page, beyond the window


def test_a_broken_image_is_detected(site: Path, browser: Any) -> None:
    """The check above can fail: a copy of the page with one image path broken is caught."""
    page = (site / "index.html").read_text(encoding="utf-8")
    first = re.search(r'<img src="([^"]+)"', page)
    assert first is not None
    broken_page = site / "index_broken.html"
    broken_page.write_text(page.replace(first.group(0), '<img src="alpha/missing.png"', 1))
    try:
        _open(browser, broken_page)
        images = _images(browser)
    finally:
        broken_page.unlink()
    assert len(images) == 3
    assert _broken(images) == ["alpha/missing.png"]


def test_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without chromium CI fails with the install command; elsewhere the check is skipped."""
    absent = Path("/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser check.*apt-get"):
        _browser_or_skip(browser=absent)
    for value in (None, "false"):
        if value is None:
            monkeypatch.delenv("CI")
        else:
            monkeypatch.setenv("CI", value)
        with pytest.raises(pytest.skip.Exception, match=re.escape(INSTALL)):
            _browser_or_skip(browser=absent)
