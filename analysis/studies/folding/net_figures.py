"""Pictures of space folding on the hand-built folding net (:mod:`.folding_net`).

* :func:`folding_figure`: for each layer k, the input square coloured by position next to
  the exact images of the depth-k regions in folded coordinates, each filled with the colour
  of its region's centroid. The images coincide exactly; they are drawn as a stack offset by
  :data:`STACK_OFFSET` per copy so every copy shows.
* :func:`hole_figure`: a small disc (the "hole") in folded coordinates and its exact
  preimage under the first k layers, ``p^(2k)`` ellipses in the input square.

Input colours: :func:`analysis.figures.panels.position_colors` (hue from x, lightness from y).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import regions
from analysis.figures.panels import frame, position_colors
from analysis.figures.regions import outline_regions
from analysis.figures.style import OKABE_ITO, style
from analysis.studies.folding.folding_net import (
    DEPTH,
    DISC_SIDES,
    HOLE_RADIUS,
    UNIT_BOX,
    Fold,
    P,
    folded_images,
    folding_partition,
    hole_preimage,
)

__all__ = ["STACK_OFFSET", "folding_figure", "hole_figure"]

LAYERS = (1, 2)
#: Diagonal shift (folded units) between consecutive copies of a stack of coinciding images.
STACK_OFFSET = 0.035
#: Largest total shift of a stack (folded units), so deep stacks stay compact.
STACK_SPREAD = 0.3


def _input_panel(ax: Axes, part: regions.Partition, n: int = 200) -> None:
    """The input square coloured by position, with the regions' outlines on top."""
    g = (np.arange(n) + 0.5) / n
    xx, yy = np.meshgrid(g, g)
    rgb = position_colors(np.stack([xx.ravel(), yy.ravel()], axis=1), UNIT_BOX).reshape(n, n, 3)
    ax.imshow(rgb, origin="lower", extent=UNIT_BOX, interpolation="nearest", zorder=0)
    outline_regions(ax, part.polygons, linewidth=0.7)
    frame(ax, UNIT_BOX, "input x", "input y")


def _folded_labels(k: int) -> tuple[str, str]:
    return f"folded x  $t^{{{k}}}(x)$", f"folded y  $t^{{{k}}}(y)$"


def _image_panel(ax: Axes, fold: Fold) -> None:
    """Images as a stack: copy j of a group of coinciding images shifted by j * offset."""
    centroids = np.array([v.mean(axis=0) for v in fold.polygons])
    colors = position_colors(centroids, UNIT_BOX)
    # Copies coincide here; order them by input position so the stack reads left to right.
    order = np.lexsort((centroids[:, 1], centroids[:, 0]))
    step = min(STACK_OFFSET, STACK_SPREAD / max(1, len(order) - 1))
    shift = step * (np.arange(len(order)) - (len(order) - 1) / 2)[:, None] * np.ones(2)
    polys = [fold.images[i] + s for i, s in zip(order, shift, strict=True)]
    ax.add_collection(
        PolyCollection(polys, facecolors=colors[order], edgecolors="#404040", linewidths=0.5)
    )
    pad = 0.05 + float(np.abs(shift).max())
    frame(ax, (-pad, 1 + pad, -pad, 1 + pad), *_folded_labels(fold.layer))


def folding_figure(part: regions.Partition | None = None, layers: Sequence[int] = LAYERS) -> Figure:
    """Input square coloured by position beside the folded images, one row per layer.

    Parameters
    ----------
    part : regions.Partition, optional
        Partition by ``folding_net(P, DEPTH)`` (:func:`folding_partition`, the default).
    layers : sequence of int
        Folding layers k drawn, one row each.

    Returns
    -------
    Figure
        ``len(layers)`` rows of two panels: the input square coloured by
        :func:`position_colors` with the regions of layers ``1..k``, and the images of those
        regions in folded coordinates (:func:`folded_images`), drawn as a diagonal stack.

    Examples
    --------
    >>> from analysis.studies.folding.net_figures import folding_figure
    >>> fig = folding_figure(layers=[1, 2])
    >>> len(fig.axes)
    4
    >>> fig.axes[3].get_title().splitlines()
    ['images after layer 2: 16 of', '16 regions on one square (stacked)']
    """
    part = folding_partition() if part is None else part
    with style():
        fig = Figure(figsize=(4.6, 2.3 * len(layers)), layout="constrained")
        axes = fig.subplots(len(layers), 2, squeeze=False)
        for (left, right), k in zip(axes, layers, strict=True):
            fold = folded_images(part, k)
            _input_panel(left, part.at_depth(k))
            left.set_title(f"input coloured by position,\nregions of layers 1..{k}")
            _image_panel(right, fold)
            right.set_title(
                f"images after layer {k}: {fold.copies} of\n{len(fold.polygons)} regions on one "
                "square (stacked)"
            )
        fig.suptitle(f"folding_net({P}, {DEPTH}): each layer folds the square {P * P} times")
    return fig


def hole_figure(part: regions.Partition | None = None, layers: Sequence[int] = LAYERS) -> Figure:
    """A disc in folded coordinates (right) and its exact preimage (left), one row per layer.

    Parameters
    ----------
    part : regions.Partition, optional
        Partition by ``folding_net(P, DEPTH)`` (:func:`folding_partition`, the default).
    layers : sequence of int
        Folding layers k drawn, one row each.

    Returns
    -------
    Figure
        ``len(layers)`` rows of two panels: the preimage components (:func:`hole_preimage`)
        in the input square over the regions of layers ``1..k``, and the hole (radius
        :data:`HOLE_RADIUS` in folded units) in the image square.

    Examples
    --------
    >>> from analysis.studies.folding.net_figures import hole_figure
    >>> fig = hole_figure(layers=[1, 2])
    >>> fig.axes[2].get_title().splitlines()
    ['preimage under layers 1..2:', '16 components (predicted 16)']
    """
    part = folding_partition() if part is None else part
    hole_color = OKABE_ITO[6]
    with style():
        fig = Figure(figsize=(4.6, 2.3 * len(layers)), layout="constrained")
        axes = fig.subplots(len(layers), 2, squeeze=False)
        for (left, right), k in zip(axes, layers, strict=True):
            pre = hole_preimage(folded_images(part, k))
            outline_regions(left, part.at_depth(k).polygons, linewidth=0.7)
            for comp in pre.components:
                xy = np.asarray(comp.exterior.coords)
                left.fill(xy[:, 0], xy[:, 1], color=hole_color, lw=0, zorder=2)
            frame(left, UNIT_BOX, "input x", "input y")
            left.set_title(
                f"preimage under layers 1..{k}:\n{len(pre.components)} components "
                f"(predicted {P ** (2 * k)})"
            )
            right.fill(pre.hole[:, 0], pre.hole[:, 1], color=hole_color, lw=0)
            right.plot([0, 1, 1, 0, 0], [0, 0, 1, 1, 0], color="#404040", lw=0.6)
            frame(right, (-0.05, 1.05, -0.05, 1.05), *_folded_labels(k))
            right.set_title(
                f"hole after layer {k}: disc r={HOLE_RADIUS}\n({DISC_SIDES}-gon) in the image "
                "square"
            )
        fig.suptitle(f"folding_net({P}, {DEPTH}): one hole, {P}$^{{2k}}$ preimages")
    return fig
