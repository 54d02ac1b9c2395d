"""Drawing a partition: its regions, their boundaries and outlines, the decision boundary.

Primitives draw onto an existing axes and return the artist they add:
:func:`draw_regions` (the exact partition filled, neighbours in different colours, chosen by
:func:`region_colors`, or each region in the colour of its activation pattern,
:func:`pattern_colors`), :func:`draw_region_boundaries` (thin lines on every edge between two
regions), :func:`outline_regions` (every region's polygon outlined, for panels whose fill
says something else) and :func:`draw_decision_boundary`. Build figures inside
:func:`analysis.figures.style.style` and write them with
:func:`analysis.figures.style.save_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import hsv_to_rgb

from analysis.figures import style
from regions import Partition

__all__ = [
    "DECISION_LW",
    "REGION_LW",
    "draw_decision_boundary",
    "draw_region_boundaries",
    "draw_regions",
    "outline_regions",
    "pattern_colors",
    "region_colors",
]

DECISION_LW = 1.6  # exact decision boundary
REGION_LW = 0.35  # exact region boundaries, in sparse partitions


def _edge_width(n_regions: int, widest: float) -> float:
    """Line width for region edges: thinner in dense partitions, so edges do not bury fills.

    ``widest`` up to 400 regions, then falling as 1/sqrt(regions) down to 0.1 pt.
    """
    return float(np.clip(widest * 20.0 / np.sqrt(max(n_regions, 1)), 0.1, widest))


def draw_region_boundaries(ax: Axes, part: Partition) -> LineCollection:
    """Thin lines (zorder -1) on every edge between two exact linear regions, domain left out.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    part : Partition
        The exact partition; its :meth:`~regions.Partition.boundaries` segments (E, 2, 2),
        in input units, are drawn, thinner in dense partitions.

    Returns
    -------
    LineCollection
        One segment per interior edge.

    Examples
    --------
    >>> import regions
    >>> from matplotlib.figure import Figure
    >>> from analysis.lab.models import MLP
    >>> net = MLP((2,), seed=0)  # zero biases: two breakpoint lines through the origin
    >>> part = regions.decompose(net, (-1, 1, -1, 1))  # so four regions
    >>> from analysis.figures.regions import draw_region_boundaries
    >>> lines = draw_region_boundaries(Figure().subplots(), part)
    >>> len(lines.get_segments())  # each line is cut in two at the origin
    4
    """
    lines = LineCollection(
        part.boundaries().segments,
        colors=style.REGION_EDGE_COLOR,
        linewidths=_edge_width(len(part), REGION_LW),
        alpha=0.7,
        zorder=-1,
    )
    ax.add_collection(lines)
    return lines


def draw_decision_boundary(ax: Axes, part: Partition) -> LineCollection:
    """The exact decision boundary (logit difference = 0) as a thick line (zorder 4).

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    part : Partition
        The exact partition of a two-logit net; its decision-boundary segments (E, 2, 2),
        in input units, are drawn.

    Returns
    -------
    LineCollection
        One segment per piece of the boundary (empty when the class never changes).

    Examples
    --------
    A net set by hand to ``logit_1 - logit_0 = relu(x) + relu(y) - 0.5``: its boundary runs
    from (-1, 0.5) to (0, 0.5), (0.5, 0) and (0.5, -1):

    >>> import numpy as np
    >>> import regions
    >>> import torch
    >>> from matplotlib.figure import Figure
    >>> from analysis.lab.models import MLP
    >>> from analysis.figures.regions import draw_decision_boundary
    >>> net = MLP((2,), seed=0)
    >>> with torch.no_grad():
    ...     _ = net.blocks[0].linear.weight.copy_(torch.eye(2))
    ...     _ = net.output.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    ...     _ = net.output.bias.copy_(torch.tensor([0.0, -0.5]))
    >>> part = regions.decompose(net, (-1, 1, -1, 1))
    >>> lines = draw_decision_boundary(Figure().subplots(), part)
    >>> segments = np.array(lines.get_segments())  # (E, 2, 2)
    >>> lengths = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1)
    >>> len(segments), round(float(lengths.sum()), 4)  # 1 + sqrt(0.5) + 1
    (3, 2.7071)
    """
    segments = np.asarray(part.decision_boundary().segments)
    lines = LineCollection(
        segments,
        colors=style.DECISION_BOUNDARY_COLOR,
        linewidths=DECISION_LW,
        capstyle="round",
        joinstyle="round",
        zorder=4,
    )
    ax.add_collection(lines)
    return lines


def region_colors(n_regions: int, pairs: np.ndarray, n_colors: int) -> np.ndarray:
    """Colour indices for regions such that neighbouring regions differ.

    Greedy colouring in order of decreasing degree (Welsh & Powell), each region taking
    the least-used colour its neighbours do not have, which spreads the palette evenly.
    Planar adjacency graphs rarely need more than five colours this way; should all
    ``n_colors`` be taken, the colour rarest among the neighbours is reused.

    Parameters
    ----------
    n_regions
        Number of regions R.
    pairs
        Neighbouring region indices, shape (P, 2), e.g. ``part.adjacency().pairs``.
    n_colors
        Size of the palette.

    Returns
    -------
    ndarray, shape (R,), int64
        A palette index per region.

    Examples
    --------
    Three regions in a row: the middle one (most neighbours) is coloured first:

    >>> import numpy as np
    >>> from analysis.figures.regions import region_colors
    >>> region_colors(3, np.array([[0, 1], [1, 2]]), n_colors=3).tolist()
    [1, 0, 2]

    The four quadrants of two crossing lines:

    >>> import regions
    >>> from analysis.lab.models import MLP
    >>> part = regions.decompose(MLP((2,), seed=0), (-1, 1, -1, 1))
    >>> pairs = part.adjacency().pairs
    >>> colors = region_colors(len(part), pairs, n_colors=8)
    >>> len(pairs), all(colors[a] != colors[b] for a, b in pairs)
    (4, True)
    """
    neighbours: list[list[int]] = [[] for _ in range(n_regions)]
    for a, b in np.asarray(pairs, dtype=np.int64).reshape(-1, 2).tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
    colors = np.full(n_regions, -1, dtype=np.int64)
    used = np.zeros(n_colors, dtype=np.int64)
    for region in sorted(range(n_regions), key=lambda r: (-len(neighbours[r]), r)):
        near = colors[neighbours[region]]
        taken = np.bincount(near[near >= 0], minlength=n_colors)
        free = np.flatnonzero(taken == 0)
        color = int(free[np.argmin(used[free])]) if free.size else int(np.argmin(taken))
        colors[region] = color
        used[color] += 1
    return colors


def pattern_colors(patterns: np.ndarray) -> np.ndarray:
    """One colour per activation pattern, the same for the same pattern in any partition.

    Each row's bits are hashed (a fixed random linear hash of the packed bytes, modulo
    2^64) into a hue, and a lightness and saturation from a pale, even range, so that the
    regions of a net keep their colours while it trains as long as their patterns survive,
    and regions whose patterns differ (neighbours differ in at least one bit) almost surely
    get visibly different colours.

    Parameters
    ----------
    patterns : ndarray of bool, shape (R, S)
        Activation patterns (``part.patterns``); S fixes the meaning of the columns.

    Returns
    -------
    ndarray, shape (R, 3)
        RGB in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.figures.regions import pattern_colors
    >>> p = np.array([[1, 0, 1], [0, 0, 1], [1, 0, 1]], dtype=bool)
    >>> colors = pattern_colors(p)
    >>> colors.shape, bool((colors[0] == colors[2]).all()), bool((colors[0] != colors[1]).any())
    ((3, 3), True, True)
    """
    packed = np.packbits(np.asarray(patterns, dtype=bool), axis=1).astype(np.uint64)
    weights = np.random.default_rng(20240101).integers(1, 2**63, packed.shape[1], dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = (packed * (weights | np.uint64(1))).sum(axis=1, dtype=np.uint64)
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    hue = (h & np.uint64(0xFFFF)).astype(np.float64) / 65536.0
    sat = 0.2 + 0.35 * ((h >> np.uint64(16)) & np.uint64(0xFF)).astype(np.float64) / 255.0
    val = 0.85 + 0.15 * ((h >> np.uint64(24)) & np.uint64(0xFF)).astype(np.float64) / 255.0
    return hsv_to_rgb(np.stack([hue, sat, val], axis=1))


def draw_regions(ax: Axes, part: Partition, *, by_pattern: bool = False) -> PolyCollection:
    """Fill every exact linear region (zorder -2), neighbours in different colours.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    part : Partition
        The exact partition; each region's polygon (k, 2), in input units, is filled with a
        colour of :data:`analysis.figures.style.REGION_PALETTE` chosen by :func:`region_colors`.
    by_pattern : bool
        Colour each region by its activation pattern instead (:func:`pattern_colors`), so
        the colours of one net's partitions match across training.

    Returns
    -------
    PolyCollection
        One polygon per region.

    Examples
    --------
    >>> import regions
    >>> from matplotlib.figure import Figure
    >>> from analysis.lab.models import MLP
    >>> net = MLP((2,), seed=0)  # zero biases: two breakpoint lines through the origin
    >>> part = regions.decompose(net, (-1, 1, -1, 1))  # so four regions
    >>> from analysis.figures.regions import draw_regions
    >>> polys = draw_regions(Figure().subplots(), part)
    >>> len(polys.get_paths()), len({tuple(c) for c in polys.get_facecolor()}) >= 2
    (4, True)
    """
    if by_pattern:
        facecolors = pattern_colors(part.patterns)
    else:
        palette = style.REGION_PALETTE
        colors = region_colors(len(part), part.adjacency().pairs, len(palette))
        facecolors = [palette[c] for c in colors]
    polys = PolyCollection(
        list(part.polygons),
        facecolors=facecolors,
        edgecolors=style.REGION_EDGE_COLOR,
        linewidths=_edge_width(len(part), REGION_LW),
        zorder=-2,
    )
    ax.add_collection(polys)
    return polys


def outline_regions(
    ax: Axes, polygons: Sequence[np.ndarray], *, color: str = "black", linewidth: float = 0.5
) -> PolyCollection:
    """Outline every region polygon (zorder 1), unfilled: the lab's one outline helper.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    polygons : sequence of ndarray, shape (k_i, 2)
        Region polygons, e.g. ``part.polygons``, in the panel's units.
    color : str
        Edge colour.
    linewidth : float
        Edge width in points.

    Returns
    -------
    PolyCollection
        One outline per polygon.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.figures.regions import outline_regions
    >>> part = regions.decompose(quadrant_net(), (-1, 1, -1, 1))
    >>> len(outline_regions(Figure().subplots(), part.polygons).get_paths())
    4
    """
    outlines = PolyCollection(
        list(polygons), facecolors="none", edgecolors=color, linewidths=linewidth, zorder=1
    )
    ax.add_collection(outlines)
    return outlines
