"""The README's explorer screenshot: the first example's net, a region pinned, one hovered.

    python docs/explorer_shot.py     # writes docs/images/explorer.png (and explorer.html beside)

Trains (seeded, about 5 s) the README's net, relu [10]*4 on sign(y - sin(pi x)), writes its
explorer page with the test points, opens it in headless Chromium, pins one region with a
click, rests the mouse on another and saves the window.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import WebDriverWait

import regions
from analysis.explorer import explore
from analysis.explorer.browser import PAGE_LOAD_TIMEOUT, chromium
from analysis.lab.models import MLPConfig
from analysis.lab.sgd import TrainConfig, dataset_for
from analysis.lab.train import train

OUT = Path(__file__).parent / "images" / "explorer.png"
PINNED, HOVERED = (-1.2, -1.5), (-1.35, 1.1)  # plane points of the two regions


def main() -> None:
    config = TrainConfig("sine", model=MLPConfig(hidden=(10, 10, 10, 10)))
    part = regions.decompose(train(config, progress=False).model)
    with tempfile.TemporaryDirectory() as tmp:
        page = explore(part, Path(tmp) / "explorer.html", data=dataset_for(config))
        with chromium(Path(tmp) / "profile", width=1180, height=760) as driver:
            driver.get(page.resolve().as_uri())
            WebDriverWait(driver, PAGE_LOAD_TIMEOUT).until(
                lambda d: d.execute_script("return !!window.regionsExplorer")
            )
            canvas = driver.find_element("id", "plot")
            for point, click in ((PINNED, True), (HOVERED, False)):
                dx, dy = driver.execute_script(
                    "const p = regionsExplorer.toClient(...arguments[0]);"
                    "const b = arguments[1].getBoundingClientRect();"
                    "return [p.x - (b.left + b.width / 2), p.y - (b.top + b.height / 2)];",
                    list(point),
                    canvas,
                )
                actions = ActionChains(driver).move_to_element_with_offset(
                    canvas, int(np.round(dx)), int(np.round(dy))
                )
                (actions.click() if click else actions).perform()
            OUT.write_bytes(driver.get_screenshot_as_png())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
