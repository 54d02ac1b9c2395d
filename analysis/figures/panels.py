"""What every 2D panel needs: its frame, a corner note, and colours for input positions.

:func:`frame` is the one place that sets a panel's limits (a ``box``), aspect and axis
labels; :func:`padded_box` gives the box around points for panels whose extent is data, not
the input box. :func:`annotate` writes the corner note every lab figure carries.
:func:`position_colors` colours input points by where they lie, so that an image of the
plane under a net shows where each piece came from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb

from analysis.figures.style import OKABE_ITO
from analysis.lab.data import Box

__all__ = ["annotate", "frame", "padded_box", "position_colors"]

_X_LOW, _X_HIGH = np.array(to_rgb(OKABE_ITO[5])), np.array(to_rgb(OKABE_ITO[1]))


def frame(
    ax: Axes,
    box: Sequence[float],
    xlabel: str | None = None,
    ylabel: str | None = None,
    *,
    equal: bool = True,
) -> None:
    """Set ``ax``'s limits to ``box``, its aspect (equal by default) and its axis labels.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    box : (xmin, xmax, ymin, ymax)
        Limits, in the panel's units.
    xlabel, ylabel : str, optional
        Axis labels; None leaves a label as it is.
    equal : bool
        One unit as long on both axes.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.figures.panels import frame
    >>> ax = Figure().subplots()
    >>> frame(ax, (-2, 2, 0, 1), "x", "y")
    >>> [float(v) for v in (*ax.get_xlim(), *ax.get_ylim())], ax.get_aspect(), ax.get_xlabel()
    ([-2.0, 2.0, 0.0, 1.0], 1.0, 'x')
    """
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    if equal:
        ax.set_aspect("equal")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)


def padded_box(points: np.ndarray, pad: float = 0.05) -> Box:
    """The bounding box of ``points`` (n, 2), grown by ``pad`` times its longer side.

    Examples
    --------
    >>> from analysis.figures.panels import padded_box
    >>> padded_box(np.array([[0.0, 0.0], [2.0, 1.0]]))
    (-0.1, 2.1, -0.1, 1.1)
    """
    lo, hi = points.min(axis=0), points.max(axis=0)
    margin = pad * float(max(hi - lo)) + 1e-9
    return (
        float(lo[0] - margin),
        float(hi[0] + margin),
        float(lo[1] - margin),
        float(hi[1] + margin),
    )


def annotate(ax: Axes, text: str) -> None:
    """Write ``text`` in the lower-left corner of a 2D panel, on a translucent white box.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    text : str
        May hold several lines.

    Returns
    -------
    None
        The text is added to ``ax.texts``, placed in axes coordinates (0.03, 0.03).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.figures.panels import annotate
    >>> ax = Figure().subplots()
    >>> annotate(ax, "12 regions, test acc 98.0%")
    >>> ax.texts[0].get_text(), ax.texts[0].get_position()
    ('12 regions, test acc 98.0%', (0.03, 0.03))
    """
    ax.text(
        0.03,
        0.03,
        text,
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=6,
        linespacing=1.15,
        zorder=6,
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.8},
    )


def position_colors(xy: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """RGB colours (n, 3) of input points (n, 2): hue from x, lightness from y.

    x goes linearly from Okabe-Ito blue (left) to orange (right), a hue axis safe for the
    common colour-vision deficiencies; the colour is then mixed with black (35 % at the
    bottom edge) or white (65 % at the top edge), linearly in y.

    Parameters
    ----------
    xy : array_like, shape (n, 2)
        Input points (plane coordinates); points outside ``box`` get the colour of the
        nearest point on its edge.
    box : (xmin, xmax, ymin, ymax)
        Rectangle the colours span.

    Returns
    -------
    ndarray of float, shape (n, 3)
        RGB in [0, 1].

    Examples
    --------
    At y = 0.35 the hues are unmixed (blue left, orange right); blue darkens below, pales above:

    >>> from analysis.figures.panels import position_colors
    >>> xy = np.array([[0.0, 0.35], [1.0, 0.35], [0.0, 0.0], [0.0, 1.0]])
    >>> position_colors(xy, (0, 1, 0, 1)).round(3).tolist()
    [[0.0, 0.447, 0.698], [0.902, 0.624, 0.0], [0.0, 0.291, 0.454], [0.65, 0.806, 0.894]]
    >>> position_colors(np.array([[10.0, 3.5]]), (0, 10, 0, 10)).round(3).tolist()  # orange
    [[0.902, 0.624, 0.0]]
    """
    xy = np.asarray(xy, dtype=np.float64)
    u = np.clip((xy[:, 0] - box[0]) / (box[1] - box[0]), 0.0, 1.0)
    v = np.clip((xy[:, 1] - box[2]) / (box[3] - box[2]), 0.0, 1.0)
    base = (1 - u)[:, None] * _X_LOW + u[:, None] * _X_HIGH
    s = -0.35 + v  # < 0: towards black, > 0: towards white
    dark = base * (1 + np.minimum(s, 0))[:, None]
    white = np.maximum(s, 0)[:, None]
    return np.clip(dark * (1 - white) + white, 0.0, 1.0)
