"""Headless Chromium through selenium, for the browser tests and the explorer's benchmark.

Uses Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` (``apt-get install chromium
chromium-driver``) and selenium (the ``dev`` extra). Both paths are given to selenium, so
selenium-manager never downloads anything. Nothing here runs at import.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["CHROMEDRIVER", "CHROMIUM", "INSTALL", "PAGE_LOAD_TIMEOUT", "chromium", "unavailable"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "apt-get install chromium chromium-driver"
PAGE_LOAD_TIMEOUT = 30  # seconds


def unavailable(chromium: Path = CHROMIUM, chromedriver: Path = CHROMEDRIVER) -> str | None:
    """Why the browser cannot start (what is missing and how to install it), or None.

    Examples
    --------
    >>> from pathlib import Path
    >>> print(unavailable(chromium=Path("/nonexistent/chromium")))  # doctest: +ELLIPSIS
    headless browser check needs /nonexistent/chromium...: apt-get install chromium chromium-driver
    """
    out = [str(p) for p in (chromium, chromedriver) if not p.is_file()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        out.append("selenium (pip install -e '.[dev]')")
    return f"headless browser check needs {', '.join(out)}: {INSTALL}" if out else None


@contextmanager
def chromium(
    profile: str | os.PathLike[str], *, width: int = 1280, height: int = 900, logs: bool = False
) -> Iterator[Any]:
    """A headless Chromium ``webdriver`` with a fresh profile in ``profile``, quit on exit.

    Parameters
    ----------
    profile : path
        An empty directory for the browser's profile.
    width, height : int
        Window size in CSS pixels.
    logs : bool
        Record the browser console (read with ``driver.get_log("browser")``).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    if logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()
