"""Drawing what a net predicts and what is true: heat maps, 3D surfaces, true boundaries.

:func:`draw_probability` (heat map of P(class 1) from a :class:`~analysis.lab.surfaces.Surface`),
:func:`draw_truth` (true label map), :func:`draw_true_boundary` (the dashed true boundary,
traced by :func:`true_boundary_lines`), :func:`draw_positive_region` (ground-truth fill) and
:func:`draw_surface_3d`. Each draws onto an existing axes and returns the artist it adds.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import contourpy
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.image import AxesImage
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from analysis.figures import style
from analysis.figures.panels import frame
from analysis.lab.data import Boundary, Box
from analysis.lab.surfaces import Surface

if TYPE_CHECKING:
    from mpl_toolkits.mplot3d import Axes3D

__all__ = [
    "TRUE_LW",
    "draw_positive_region",
    "draw_probability",
    "draw_surface_3d",
    "draw_true_boundary",
    "draw_truth",
    "true_boundary_lines",
]

SURFACE_SAMPLES = 40  # rows and columns of the 3D mesh: smooth enough, light in a PDF
TRUTH_RESOLUTION = 401  # grid for tracing the true boundary f = 0
TRUE_LW = 1.4  # dashed true boundary


def _image(ax: Axes, values: np.ndarray, surface: Surface) -> AxesImage:
    # Pixels are centred on the grid points, so the image extends half a cell past them.
    dx = (surface.xs[-1] - surface.xs[0]) / (len(surface.xs) - 1)
    dy = (surface.ys[-1] - surface.ys[0]) / (len(surface.ys) - 1)
    extent = (
        surface.xs[0] - dx / 2,
        surface.xs[-1] + dx / 2,
        surface.ys[0] - dy / 2,
        surface.ys[-1] + dy / 2,
    )
    image = ax.imshow(
        values,
        origin="lower",
        extent=extent,
        cmap=style.PROBABILITY_CMAP,
        vmin=0.0,
        vmax=1.0,
        interpolation="nearest",
        zorder=-3,
    )
    frame(ax, surface.box)
    return image


def draw_probability(ax: Axes, surface: Surface) -> AxesImage:
    """Heat map (zorder -3) of P(class 1) over the surface's box, colours fixed to [0, 1].

    Parameters
    ----------
    ax : Axes
        A 2D axes; its limits are set to the box and its aspect to equal.
    surface : Surface
        P(class 1), shape (res, res), sampled over the box (input units).

    Returns
    -------
    AxesImage
        One pixel per grid point, centred on it.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.lab.models import MLP
    >>> from analysis.figures.surfaces import draw_probability
    >>> from analysis.lab.surfaces import probability_grid
    >>> surface = probability_grid(MLP((2,), seed=0), (-1.0, 1.0, -1.0, 1.0), 5)
    >>> ax = Figure().subplots()
    >>> image = draw_probability(ax, surface)
    >>> image.get_array().shape, image.get_clim(), ax.get_xlim() == (-1, 1)
    ((5, 5), (0.0, 1.0), True)
    >>> [float(e) for e in image.get_extent()]  # half a cell (0.25) past the outer points
    [-1.25, 1.25, -1.25, 1.25]
    """
    return _image(ax, surface.P, surface)


def draw_truth(ax: Axes, boundary: Boundary, surface: Surface) -> AxesImage:
    """The true labels on ``surface``'s grid, coloured as P = 0 or 1 on the same scale.

    Parameters
    ----------
    ax : Axes
        A 2D axes; limits set to the surface's box.
    boundary : Boundary
        The true boundary that labels the grid points.
    surface : Surface
        Only its grid (``xs``, ``ys``, shape (res,)) is used.

    Returns
    -------
    AxesImage
        Labels 0.0 or 1.0, shape (res, res), rows following y.

    Examples
    --------
    Class 1 above the diagonal (``sign(y - x)``), on a 3 x 3 grid of [-1, 1]^2:

    >>> from matplotlib.figure import Figure
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.lab.models import MLP
    >>> from analysis.figures.surfaces import draw_truth
    >>> from analysis.lab.surfaces import probability_grid
    >>> surface = probability_grid(MLP((2,), seed=0), (-1.0, 1.0, -1.0, 1.0), 3)
    >>> image = draw_truth(Figure().subplots(), get_boundary("line"), surface)
    >>> image.get_array().tolist()  # rows y = -1, 0, 1; columns x = -1, 0, 1
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    """
    labels = boundary.labels(surface.points).reshape(surface.P.shape)
    return _image(ax, labels.astype(np.float64), surface)


@functools.lru_cache(maxsize=64)
def true_boundary_lines(boundary: Boundary, box: Box) -> tuple[np.ndarray, ...]:
    """The true boundary ``f = 0`` inside ``box`` as polylines, each of shape (k, 2).

    Traced by marching squares on a ``TRUTH_RESOLUTION``-point grid per axis (error far
    below a line width) and cached, as every panel of a row draws the same curve.

    Parameters
    ----------
    boundary : Boundary
        The true boundary.
    box : (xmin, xmax, ymin, ymax)
        A hashable tuple, in input units.

    Returns
    -------
    tuple of ndarray, each shape (k, 2)
        Polylines in input units.

    Examples
    --------
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.figures.surfaces import true_boundary_lines
    >>> (diagonal,) = true_boundary_lines(get_boundary("line"), (-1.0, 1.0, -1.0, 1.0))
    >>> diagonal[[0, -1]].tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> (ellipse,) = true_boundary_lines(get_boundary("ellipse"), (-2.5, 2.5, -2.5, 2.5))
    >>> abs(ellipse).max(axis=0).round(3).tolist()  # semi-axes 2 and 1
    [2.0, 1.0]
    """
    xs = np.linspace(box[0], box[1], TRUTH_RESOLUTION)
    ys = np.linspace(box[2], box[3], TRUTH_RESOLUTION)
    X, Y = np.meshgrid(xs, ys)
    F = boundary.f(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    return tuple(contourpy.contour_generator(xs, ys, F).lines(0.0))


def draw_true_boundary(ax: Axes, boundary: Boundary, box: Box) -> LineCollection:
    """Dashed line (zorder 5) along the true boundary ``f = 0`` inside ``box``.

    Parameters
    ----------
    ax : Axes
        A 2D axes.
    boundary : Boundary
        The true boundary.
    box : (xmin, xmax, ymin, ymax)
        Input units; a tuple (the traced lines are cached per box).

    Returns
    -------
    LineCollection
        One polyline per piece of :func:`true_boundary_lines`.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.figures.surfaces import draw_true_boundary
    >>> ax = Figure().subplots()
    >>> lines = draw_true_boundary(ax, get_boundary("abs"), (-1.0, 1.0, -1.0, 1.0))
    >>> len(lines.get_segments()), lines.get_linestyle()[0][1] is not None  # one dashed V
    (1, True)
    >>> lines.get_segments()[0][[0, -1]].round(6).tolist()  # its two upper ends
    [[-1.0, 1.0], [1.0, 1.0]]
    """
    lines = LineCollection(
        true_boundary_lines(boundary, box),
        colors=style.TRUE_BOUNDARY_COLOR,
        linewidths=TRUE_LW,
        linestyles="--",
        zorder=5,
    )
    ax.add_collection(lines)
    return lines


def draw_positive_region(ax: Axes, boundary: Boundary, box: Box) -> PolyCollection:
    """Fill the true positive region of ``boundary`` inside ``box`` (ground-truth panels).

    Parameters
    ----------
    ax : Axes
        A 2D axes; limits set to ``box``.
    boundary : Boundary
        The true boundary; its :meth:`~analysis.lab.data.Boundary.positive_region` is filled.
    box : (xmin, xmax, ymin, ymax)
        Input units.

    Returns
    -------
    PolyCollection
        One polygon per connected piece of class 1 (exterior rings only).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.figures.surfaces import draw_positive_region
    >>> ax = Figure().subplots()
    >>> polys = draw_positive_region(ax, get_boundary("line"), (-1.0, 1.0, -1.0, 1.0))
    >>> len(polys.get_paths()), ax.get_xlim() == (-1, 1)  # the triangle above the diagonal
    (1, True)
    >>> xor = draw_positive_region(ax, get_boundary("xor"), (-1.0, 1.0, -1.0, 1.0))
    >>> len(xor.get_paths())  # two opposite quadrants
    2
    """
    region = boundary.positive_region(box)
    rings = [np.asarray(g.exterior.coords) for g in getattr(region, "geoms", [region])]
    polys = PolyCollection(
        rings, facecolors=style.POSITIVE_FILL_COLOR, edgecolors="none", zorder=-2
    )
    ax.add_collection(polys)
    frame(ax, box)
    return polys


def draw_surface_3d(
    ax: Axes3D, surface: Surface, boundary: Boundary, *, truth: bool = False
) -> Poly3DCollection:
    """P(class 1) as a 3D surface; decision and true boundaries projected on the floor z = 0.

    Parameters
    ----------
    ax
        A 3D axes created with ``computed_zorder=False``, so the floor contours, drawn
        last, stay visible at the foot of the surface instead of being sorted behind it.
    surface
        The sampled probabilities.
    boundary
        The true boundary, projected as a dashed line.
    truth
        Draw the true labels (a 0/1 step) instead of ``surface.P``; each facet then takes
        the colour of one corner so the step's walls are solid, not striped.

    Returns
    -------
    Poly3DCollection
        The surface (x, y in input units, z = P in [0, 1]).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.lab.data import get_boundary
    >>> from analysis.lab.models import MLP
    >>> from analysis.figures.surfaces import draw_surface_3d
    >>> from analysis.lab.surfaces import probability_grid
    >>> surface = probability_grid(MLP((2,), seed=0), (-1.0, 1.0, -1.0, 1.0), 5)
    >>> ax = Figure().add_subplot(projection="3d", computed_zorder=False)
    >>> artist = draw_surface_3d(ax, surface, get_boundary("line"))
    >>> type(artist).__name__, ax.get_zlim() == (0, 1), ax.get_zlabel()
    ('Poly3DCollection', True, 'P')
    >>> ax.get_xticks().tolist()  # inner ticks only
    [-0.5, 0.0, 0.5]
    """
    X, Y = np.meshgrid(surface.xs, surface.ys)
    if truth:
        Z = boundary.labels(surface.points).reshape(X.shape).astype(np.float64)
        colour = {"facecolors": style.PROBABILITY_CMAP(Z)}
    else:
        Z = surface.P
        colour = {"cmap": style.PROBABILITY_CMAP, "vmin": 0.0, "vmax": 1.0}
    artist = ax.plot_surface(
        X,
        Y,
        Z,
        rcount=SURFACE_SAMPLES,
        ccount=SURFACE_SAMPLES,
        linewidth=0,
        antialiased=False,
        rasterized=True,
        zorder=1,
        **colour,
    )
    if not truth:
        ax.contour(X, Y, Z, levels=[0.5], zdir="z", offset=0.0, zorder=2, colors="k", linewidths=1)
    for line in true_boundary_lines(boundary, surface.box):
        ax.plot(
            line[:, 0],
            line[:, 1],
            0.0,
            zorder=3,
            color=style.TRUE_BOUNDARY_COLOR,
            lw=TRUE_LW,
            ls="--",
        )
    ax.set_xlim(surface.box[0], surface.box[1])
    ax.set_ylim(surface.box[2], surface.box[3])
    ax.set_zlim(0.0, 1.0)
    # Inner ticks only: the lower ends of x and y would collide at the front corner.
    ax.set_xticks(np.linspace(*surface.box[:2], 5)[1:-1])
    ax.set_yticks(np.linspace(*surface.box[2:], 5)[1:-1])
    ax.set_zticks([0, 0.5, 1])
    ax.tick_params(labelsize=6, pad=-2)
    ax.set_xlabel("x", labelpad=-9)
    ax.set_ylabel("y", labelpad=-9)
    ax.set_zlabel("P", labelpad=-9)
    ax.view_init(elev=28, azim=-125)
    ax.set_box_aspect(None, zoom=1.05)
    return artist
