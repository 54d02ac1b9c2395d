"""The one place that decides how figures look: rcParams, palettes, rendering and saving.

Every figure builder creates its artists inside :func:`style` and every figure is rendered by
:func:`render_figure` (written by :func:`save_figure` or the runner's publish step), so
the look does not depend on the
caller's global matplotlib state. Figures are built on :class:`matplotlib.figure.Figure`
directly (no pyplot), which renders with the Agg canvas whatever backend is active.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import matplotlib
from matplotlib.axis import Axis
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from analysis.lab.files import atomic_write

__all__ = [
    "DECISION_BOUNDARY_COLOR",
    "OKABE_ITO",
    "PDF_RASTER_DPI",
    "PDF_VECTOR_PATHS",
    "PNG_DPI",
    "POSITIVE_FILL_COLOR",
    "PROBABILITY_CMAP",
    "RC_PARAMS",
    "REGION_EDGE_COLOR",
    "REGION_PALETTE",
    "TRUE_BOUNDARY_COLOR",
    "plain_log_ticks",
    "render_figure",
    "save_figure",
    "style",
]

#: Okabe & Ito (2008) palette, safe for the common colour-vision deficiencies; for lines
#: and categories, in this order.
OKABE_ITO: tuple[str, ...] = (
    "#000000",  # black
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
)

#: Paul Tol's "light" qualitative scheme: pale, colour-blind safe fills that keep black
#: edges and text readable; used to colour linear regions.
REGION_PALETTE: tuple[str, ...] = (
    "#77AADD",
    "#EE8866",
    "#EEDD88",
    "#FFAABB",
    "#99DDFF",
    "#44BB99",
    "#BBCC33",
    "#AAAA00",
    "#DDDDDD",
)

#: Diverging map for P(class 1): ColorBrewer RdBu is colour-blind safe and its white
#: midpoint sits on the decision threshold P = 0.5 (blue: class 0, red: class 1).
PROBABILITY_CMAP: Colormap = matplotlib.colormaps["RdBu_r"]

#: Overlay colours, chosen to stay visible on every shade of :data:`PROBABILITY_CMAP`.
TRUE_BOUNDARY_COLOR = OKABE_ITO[3]  # bluish green, dashed
DECISION_BOUNDARY_COLOR = OKABE_ITO[0]
REGION_EDGE_COLOR = "#404040"
POSITIVE_FILL_COLOR = "#F4A582"  # the class-1 shade of RdBu, for ground-truth panels

PNG_DPI = 150
PDF_RASTER_DPI = 200  # resolution of the rasterised layers (dense meshes) inside PDFs
PDF_VECTOR_PATHS = 1_000  # collections with more paths are rasterised in PDFs

RC_PARAMS: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 10,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "lines.linewidth": 1.2,
    "axes.prop_cycle": matplotlib.cycler(color=list(OKABE_ITO)),
    "image.cmap": "RdBu_r",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    # Layouts are fixed in inches (constrained or manual); "tight" would cost a second draw.
    "savefig.bbox": "standard",
    # Embed TrueType (not Type 3) fonts so PDF text stays editable in vector tools.
    "pdf.fonttype": 42,
    "svg.hashsalt": "relu-regions",
}


def plain_log_ticks(axis: Axis) -> None:
    """Ticks of a log axis spanning about a decade at 1, 2 and 5 times powers of ten, labelled
    as plain numbers, minor ticks unlabelled (matplotlib otherwise labels them in scientific
    notation, and they overlap)."""
    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(ScalarFormatter())
    axis.set_minor_formatter(NullFormatter())


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context in which figures are built and saved with the project's rcParams.

    Applies :data:`RC_PARAMS` through :func:`matplotlib.rc_context` and restores the caller's
    rcParams on exit, even after an exception. Artists take their fonts, line widths and
    colour cycle when they are created, so build a figure's contents inside the context.

    Yields
    ------
    None

    Examples
    --------
    >>> import matplotlib
    >>> from matplotlib.figure import Figure
    >>> from analysis.figures.style import OKABE_ITO, style
    >>> with style():
    ...     fig = Figure(figsize=(3.0, 2.0))  # inches
    ...     ax = fig.add_subplot()
    ...     (line,) = ax.plot([0, 1], [0, 1])
    ...     print(matplotlib.rcParams["font.size"], line.get_color() == OKABE_ITO[0])
    8.0 True
    """
    with matplotlib.rc_context(RC_PARAMS):
        yield


def render_figure(fig: Figure, *, pdf: bool = True) -> dict[str, bytes]:
    """``fig`` as PNG (``PNG_DPI``) and PDF bytes, keyed by extension (PNG only if not ``pdf``).

    Artists marked for rasterisation (dense meshes, region fills), and every collection of
    more than :data:`PDF_VECTOR_PATHS` paths, become images at ``PDF_RASTER_DPI`` inside the
    otherwise vector PDF: tens of thousands of polygons as vectors make a PDF of megabytes
    that takes tens of seconds to write and to open, and look the same at that resolution.
    Metadata that would change from run to run (the PDF creation date) is left out, so the
    same figure gives the same bytes. A figure with a layout engine (constrained layout) is
    laid out once, for the PNG, and the PDF keeps those positions: solving the layout again
    costs as much as drawing.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.figures.style import render_figure, style
    >>> with style():
    ...     fig = Figure(figsize=(2.0, 1.0))
    ...     _ = fig.add_subplot().plot([0, 1], [1, 0])
    >>> files = render_figure(fig)
    >>> sorted(files), files["pdf"][:4], files == render_figure(fig)
    (['pdf', 'png'], b'%PDF', True)
    >>> render_figure(fig, pdf=False) == {"png": files["png"]}
    True
    """
    out = {}
    engine = fig.get_layout_engine()
    for collection in (c for ax in fig.axes for c in ax.collections):
        if len(collection.get_paths()) > PDF_VECTOR_PATHS:
            collection.set_rasterized(True)  # for the PDF only: Agg rasterises everything
    try:
        with style():
            for ext, kwargs in (
                ("png", {"dpi": PNG_DPI}),
                ("pdf", {"dpi": PDF_RASTER_DPI, "metadata": {"CreationDate": None}}),
            )[: 2 if pdf else 1]:
                buffer = io.BytesIO()
                fig.savefig(buffer, format=ext, **kwargs)
                out[ext] = buffer.getvalue()
                if engine is not None:  # laid out once: the PDF keeps the PNG's positions
                    fig.set_layout_engine("none")
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    return out


def save_figure(fig: Figure, path_without_ext: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``fig`` as PNG and PDF (:func:`render_figure`) next to each other, atomically.

    Each file is written to a temporary name in the target directory and renamed into
    place, so an interrupted run never leaves a truncated figure behind.

    Parameters
    ----------
    fig
        The figure to write.
    path_without_ext
        Destination without extension; its parent directory is created if missing.

    Returns
    -------
    tuple of Path
        The PNG and PDF paths written: ``<path_without_ext>.png`` and ``.pdf``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from matplotlib.figure import Figure
    >>> from analysis.figures.style import save_figure, style
    >>> with style():
    ...     fig = Figure(figsize=(2.0, 1.0))  # inches: 300 x 150 pixels at PNG_DPI = 150
    ...     _ = fig.add_subplot().plot([0, 1], [1, 0])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     png, pdf = save_figure(fig, Path(tmp) / "figs" / "demo")
    ...     head = png.read_bytes()
    ...     print(png.name, pdf.name, pdf.read_bytes()[:4])
    ...     print(int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"))
    demo.png demo.pdf b'%PDF'
    300 150
    """
    base = Path(path_without_ext)
    base.parent.mkdir(parents=True, exist_ok=True)
    written = [
        atomic_write(base.with_name(f"{base.name}.{ext}"), lambda fh, data=data: fh.write(data))
        for ext, data in render_figure(fig).items()
    ]
    return written[0], written[1]
