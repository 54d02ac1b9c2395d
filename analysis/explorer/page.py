"""The explorer page: one self-contained HTML file from frames (see :mod:`.export`).

The page's scripts (``frames.js``: the data and its queries; ``explorer.js``: drawing, the
mouse and the controls), style and markup are package data (``analysis/explorer/static/``) and
are inlined, with the gzipped arrays as base64 and a small JSON table, so the file opens from
``file://`` with no network access. The colours are the figures' own
(:mod:`analysis.figures.style`).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import shapely
from matplotlib import colormaps
from matplotlib.colors import to_hex

from analysis.explorer.export import Frame, frames_arrays, pack
from analysis.figures.style import (
    DECISION_BOUNDARY_COLOR,
    OKABE_ITO,
    PROBABILITY_CMAP,
    REGION_EDGE_COLOR,
    REGION_PALETTE,
)
from analysis.lab.files import atomic_write_text

__all__ = ["PALETTE", "page_html", "write_page"]

_RAMP = colormaps["viridis"]

#: Colours the page uses, by role: the figures' palettes, sampled where they are colour maps.
PALETTE: dict[str, Any] = {
    "regions": list(REGION_PALETTE),
    "layers": list(OKABE_ITO[1:]),
    "ramp": [to_hex(_RAMP(t)) for t in np.linspace(0.0, 1.0, 16)],
    "classes": [to_hex(PROBABILITY_CMAP(0.3)), to_hex(PROBABILITY_CMAP(0.7)), *OKABE_ITO[3:]],
    "points": [to_hex(PROBABILITY_CMAP(0.05)), to_hex(PROBABILITY_CMAP(0.95)), *OKABE_ITO[3:]],
    "edge": REGION_EDGE_COLOR + "99",  # translucent, so dense meshes stay readable
    "boundary": DECISION_BOUNDARY_COLOR,
    "unit": OKABE_ITO[6],
    "pinned": OKABE_ITO[7],
    "neighbour": OKABE_ITO[5],
    "plain": "#f7f7f7",
}


def _static(name: str) -> str:
    return resources.files("analysis.explorer").joinpath("static", name).read_text("utf-8")


def _domain_rings(polygon: shapely.Polygon) -> dict[str, Any]:
    return {
        "exterior": np.asarray(polygon.exterior.coords)[:-1].tolist(),
        "holes": [np.asarray(r.coords)[:-1].tolist() for r in polygon.interiors],
    }


def page_html(
    frames: Sequence[Frame],
    domain: shapely.Polygon,
    *,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    title: str = "Exact linear regions",
) -> str:
    """The explorer page for ``frames`` (training steps in order; the page opens on the last).

    Parameters
    ----------
    frames : sequence of Frame
        At least one.
    domain : shapely.Polygon
        The domain all frames share (plane coordinates); drawn and used to clip.
    data : (X (N, 2), y (N,)), optional
        Points to draw, coloured by their integer label.
    title : str
        The page's title and heading.

    Returns
    -------
    str
        The whole HTML document.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> from analysis.explorer.export import frame
    >>> part = regions.decompose(sawtooth(2), (0, 1, 0, 1))
    >>> html = page_html([frame(part)], part.domain.polygon, title="A sawtooth")
    >>> html.startswith("<!DOCTYPE html>"), "<title>A sawtooth</title>" in html
    (True, True)
    >>> "http" in html  # nothing to fetch
    False
    """
    if not frames:
        raise ValueError("analysis.explorer.page: frames is empty; pass at least one frame")
    arrays = frames_arrays(frames)
    if data is not None:
        X, y = data
        arrays["data/xy"] = np.asarray(X, dtype=np.float32).reshape(-1, 2)
        arrays["data/y"] = np.asarray(y).astype(np.uint8)
    blob, table = pack(arrays)
    meta = {
        "frames": [f.meta for f in frames],
        "table": table,
        "bounds": [domain.bounds[i] for i in (0, 2, 1, 3)],
        "domain": _domain_rings(domain),
        "data": data is not None,
        "palette": PALETTE,
    }
    # "</" inside the JSON would end its script element early.
    # allow_nan=False: JSON.parse refuses NaN, and the page would never load.
    meta_json = json.dumps(meta, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return Template(_static("page.html")).substitute(
        title=title.replace("&", "&amp;").replace("<", "&lt;"),
        css=_static("explorer.css"),
        js=_static("frames.js") + _static("explorer.js"),
        meta=meta_json,
        data=base64.b64encode(blob).decode("ascii"),
    )


def write_page(path: str | os.PathLike[str], html: str) -> Path:
    """Write ``html`` to ``path`` atomically (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, html)
