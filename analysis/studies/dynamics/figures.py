"""Figures of the training-dynamics study, and its animation.

Each figure function takes the study's measured rows (dicts of :func:`.measures.measure`
plus ``step``) and returns a :class:`~matplotlib.figure.Figure` built inside
:func:`analysis.figures.style.style`; :func:`animation` encodes a GIF (and an MP4 where
``ffmpeg`` is installed) of a run's partitions over training.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.animation import FFMpegWriter, PillowWriter
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.figures.panels import frame
from analysis.figures.regions import draw_decision_boundary, draw_regions
from analysis.figures.style import OKABE_ITO, PNG_DPI, plain_log_ticks, style
from analysis.figures.surfaces import draw_true_boundary
from analysis.lab.data import Boundary, Box
from analysis.studies.dynamics.measures import LOCATIONS
from regions import DEFAULT_BOX, Partition

__all__ = [
    "animation",
    "boundary_figure",
    "draw_snapshot",
    "layers_figure",
    "lc_figure",
    "snapshots_figure",
    "VIEW",
]

Rows = Sequence[dict[str, Any]]

# Okabe-Ito without yellow, which is faint on white.
_LINE_COLORS = [OKABE_ITO[i] for i in (0, 1, 2, 3, 6, 5, 7)]
_LOCATION_COLORS = dict(zip(LOCATIONS, _LINE_COLORS[1:], strict=False))
VIEW: Box = (-2.5, 2.5, -2.5, 2.5)
"""What snapshots and the animation show: the data box and a margin (far regions are large)."""


def _steps(rows: Rows) -> np.ndarray:
    return np.array([row["step"] for row in rows])


def _log_steps(ax: Axes) -> None:
    """Steps on a log axis that still shows step 0 (linear below 1)."""
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(left=0)
    ax.set_xlabel("step")


def lc_figure(labels: Sequence[str], runs: Sequence[Rows], radii: Sequence[float]) -> Figure:
    """Mean local complexity over steps: one row of panels per run, one column per radius.

    Examples
    --------
    >>> from analysis.studies.dynamics.figures import lc_figure
    >>> from analysis.studies.dynamics.measures import LOCATIONS
    >>> rows = [{"step": s, "lc": {loc: [1.0 + s, 2.0] for loc in LOCATIONS}} for s in (0, 1, 10)]
    >>> len(lc_figure(["demo"], [rows], (0.1, 0.2)).axes)
    2
    """
    with style():
        fig = Figure(figsize=(3.2 * len(radii) + 1.6, 2.3 * len(runs) + 0.4), layout="constrained")
        axes = fig.subplots(len(runs), len(radii), squeeze=False, sharex=True)
        for i, (label, rows) in enumerate(zip(labels, runs, strict=True)):
            steps = _steps(rows)
            for j, r in enumerate(radii):
                ax = axes[i, j]
                for loc in LOCATIONS:
                    values = [row["lc"][loc][j] for row in rows]
                    ax.plot(steps, values, color=_LOCATION_COLORS[loc], label=loc, lw=1.2)
                _log_steps(ax)
                ax.set_yscale("log")
                plain_log_ticks(ax.yaxis)
                if i < len(runs) - 1:
                    ax.set_xlabel("")
                ax.set_title(f"{label}\nradius {r:g}", fontsize=7)
                if j == 0:
                    ax.set_ylabel("regions meeting the disc")
        handles, names = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, names, loc="outside lower center", ncols=len(LOCATIONS))
        fig.suptitle("Exact local complexity: mean number of regions within the radius")
    return fig


def layers_figure(labels: Sequence[str], runs: Sequence[Rows]) -> Figure:
    """Regions after each layer, and linear pieces, over steps; one panel per run.

    Examples
    --------
    >>> from analysis.studies.dynamics.figures import layers_figure
    >>> rows = [{"step": s, "regions_by_layer": [3, 5 + s], "linear_pieces": 4 + s}
    ...         for s in (0, 1, 10)]
    >>> len(layers_figure(["demo"], [rows]).axes)
    1
    """
    with style():
        n = len(runs)
        cols = min(n, 3)
        fig = Figure(figsize=(3.4 * cols, 2.6 * -(-n // cols) + 0.3), layout="constrained")
        axes = fig.subplots(-(-n // cols), cols, squeeze=False).ravel()
        for ax, label, rows in zip(axes, labels, runs, strict=False):
            steps = _steps(rows)
            by_layer = np.array([row["regions_by_layer"] for row in rows])
            for k in range(by_layer.shape[1]):
                color = _LINE_COLORS[(k + 1) % len(_LINE_COLORS)]
                ax.plot(steps, by_layer[:, k], color=color, label=f"layer {k + 1}")
            pieces = [row["linear_pieces"] for row in rows]
            ax.plot(steps, pieces, color="black", ls=":", label="linear pieces")
            _log_steps(ax)
            ax.set_yscale("log")
            ax.set_title(label, fontsize=7)
            ax.set_ylabel("regions after layer k")
            ax.legend(fontsize=6)
        for ax in axes[n:]:
            ax.set_visible(False)
        fig.suptitle("Exact regions of the partition drawn by the first k layers")
    return fig


def boundary_figure(labels: Sequence[str], runs: Sequence[Rows]) -> Figure:
    """Per run over steps: mean distance of the region vertices in the data box to the
    decision boundary, test accuracy, and pieces of the decision boundary.

    Examples
    --------
    >>> from analysis.studies.dynamics.figures import boundary_figure
    >>> rows = [{"step": s, "vertex_distance": 1 / (1 + s), "test_acc": 0.9,
    ...          "boundary_pieces": 10 + s} for s in (0, 1, 10)]
    >>> len(boundary_figure(["demo"], [rows]).axes)
    3
    """
    panels = (
        ("vertex_distance", "mean vertex distance\nto the decision boundary", "linear"),
        ("test_acc", "test accuracy", "linear"),
        ("boundary_pieces", "segments of the\ndecision boundary", "linear"),
    )
    with style():
        fig = Figure(figsize=(10.0, 2.8), layout="constrained")
        axes = fig.subplots(1, len(panels))
        for ax, (key, ylabel, scale) in zip(axes, panels, strict=True):
            for i, (label, rows) in enumerate(zip(labels, runs, strict=True)):
                values = [row[key] for row in rows]
                color = _LINE_COLORS[i % len(_LINE_COLORS)]
                ax.plot(_steps(rows), values, color=color, label=label, lw=1.2)
            _log_steps(ax)
            ax.set_yscale(scale)
            ax.set_ylabel(ylabel)
        axes[0].legend(fontsize=6)
    return fig


def draw_snapshot(ax: Axes, part: Partition, row: dict[str, Any], boundary: Boundary) -> None:
    """One partition in :data:`VIEW`: regions coloured by activation pattern, the decision
    boundary (black), the true boundary (dashed) and the data box (dotted), with step,
    accuracy and counts (over the whole domain) in the title."""
    draw_regions(ax, part, by_pattern=True)
    draw_decision_boundary(ax, part)
    draw_true_boundary(ax, boundary, DEFAULT_BOX)
    x0, x1, y0, y1 = DEFAULT_BOX
    ax.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], color="0.3", ls=":", lw=0.8)
    frame(ax, VIEW)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(
        f"step {row['step']:,}: test acc {row['test_acc']:.1%}\n"
        f"{row['regions']:,} regions, LC(train) {row['lc']['train'][0]:.1f}",
        fontsize=7,
    )


def snapshots_figure(
    labels: Sequence[str],
    snapshots: Sequence[Sequence[tuple[Partition, dict[str, Any]]]],
    boundaries: Sequence[Boundary],
) -> Figure:
    """Partitions at chosen steps: one row per run, one column per step.

    Examples
    --------
    >>> import regions
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.dynamics.figures import snapshots_figure
    >>> part = regions.decompose(MLP((3,), seed=0), (-3, 3, -3, 3))
    >>> row = {"step": 0, "test_acc": 0.5, "regions": len(part), "lc": {"train": [1.0]}}
    >>> fig = snapshots_figure(["demo"], [[(part, row)] * 2], [get_boundary("sine")])
    >>> len(fig.axes)
    2
    """
    cols = max(len(s) for s in snapshots)
    with style():
        fig = Figure(figsize=(2.3 * cols, 2.55 * len(snapshots) + 0.2), layout="constrained")
        axes = fig.subplots(len(snapshots), cols, squeeze=False)
        for i, (label, shots, boundary) in enumerate(
            zip(labels, snapshots, boundaries, strict=True)
        ):
            for j, (part, row) in enumerate(shots):
                draw_snapshot(axes[i, j], part, row, boundary)
            axes[i, 0].set_ylabel(label, fontsize=7)
        fig.suptitle(
            "Regions coloured by activation pattern (same pattern, same colour, at every step)"
        )
    return fig


def animation(
    label: str,
    frames: Sequence[tuple[Partition, dict[str, Any]]],
    boundary: Boundary,
    *,
    fps: float = 3.0,
) -> dict[str, bytes]:
    """A run's partitions over training as a GIF (and an MP4 if ``ffmpeg`` is installed).

    Parameters
    ----------
    label : str
        The run, in the title.
    frames : sequence of (Partition, dict)
        Each checkpoint's partition and measured row, in order.
    boundary : Boundary
        The true boundary (dashed).
    fps : float
        Frames per second.

    Returns
    -------
    dict of str to bytes
        ``{"gif": ...}``, plus ``"mp4"`` where ``ffmpeg`` is on the path.

    Examples
    --------
    >>> import regions
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.dynamics.figures import animation
    >>> part = regions.decompose(MLP((3,), seed=0), (-3, 3, -3, 3))
    >>> row = {"step": 0, "test_acc": 0.5, "regions": len(part), "lc": {"train": [1.0]}}
    >>> files = animation("demo", [(part, row)] * 2, get_boundary("sine"))
    >>> files["gif"][:6]
    b'GIF89a'
    """
    writers = {"gif": PillowWriter(fps=fps)}
    if shutil.which("ffmpeg"):
        writers["mp4"] = FFMpegWriter(fps=fps)
    out = {}
    with style(), tempfile.TemporaryDirectory() as tmp:
        for ext, writer in writers.items():
            fig = Figure(figsize=(4.2, 4.5), layout="constrained")
            FigureCanvasAgg(fig)
            ax = fig.subplots()
            path = Path(tmp) / f"frames.{ext}"
            with writer.saving(fig, str(path), dpi=PNG_DPI * 2 // 3):
                for part, row in frames:
                    ax.clear()
                    draw_snapshot(ax, part, row, boundary)
                    fig.suptitle(label, fontsize=8)
                    writer.grab_frame()
            out[ext] = path.read_bytes()
    return out
