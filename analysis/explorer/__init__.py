"""The explorer: any piecewise-linear net's exact regions in one interactive HTML page.

:func:`explore` decomposes a model (or takes a :class:`~regions.Partition`) and writes a
self-contained page: the regions drawn on a canvas (coloured by activation pattern, by the
layer that drew each boundary, by output slope or by predicted class), the exact decision
boundary and the data; hovering shows a region's id, area, activation pattern by layer,
output map and the logits at the cursor; a click pins a region and names the layer and unit
of each of its bounding edges; sliders show the partition after the first k layers and, with
checkpoints, over training; a unit picker draws one unit's bent hyperplane; wheel zooms and
dragging pans. ``window.regionsExplorer`` offers ``regionAt(x, y)``, ``setLayer(k)`` and
``setStep(i)`` to scripts. ``python -m analysis explore`` does the same from a file.

Modules: :mod:`.export` (partition to arrays), :mod:`.page` (arrays to HTML),
:mod:`.files` (models from files, never unpickling arbitrary objects).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import regions
from analysis.explorer.export import accuracy_of, frame
from analysis.explorer.page import page_html, write_page
from analysis.lab.data import Dataset

__all__ = ["Checkpoint", "explore"]


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """One snapshot of a net during training, for the page's training slider.

    Attributes
    ----------
    step : int
        Training step (or epoch) of the snapshot.
    model : torch.nn.Module or Partition
        The net at that step (or its partition, at full depth, on the same domain).
    accuracy : float, optional
        Shown next to the step; when None and ``data`` is given, computed on the data.

    A plain ``(step, model)`` or ``(step, model, accuracy)`` tuple works too.
    """

    step: int
    model: torch.nn.Module | regions.Partition
    accuracy: float | None = None


def _partition(model: Any, domain: Any, what: str) -> regions.Partition:
    if isinstance(model, regions.Partition):
        if domain is not None:
            raise ValueError(
                f"analysis.explore: {what} is a Partition, which has its domain; "
                "pass domain only with a model"
            )
        return model
    if not isinstance(model, torch.nn.Module | torch.export.ExportedProgram):
        raise TypeError(
            f"analysis.explore: {what} must be a torch.nn.Module, a torch.export program or "
            f"a regions.Partition, got {type(model).__name__}"
        )
    return regions.decompose(model, regions.DEFAULT_BOX if domain is None else domain)


def _accuracy(value: Any, what: str) -> float | None:
    """A checkpoint's accuracy as a plain float in [0, 1] (the page's JSON has no NaN)."""
    if value is None:
        return None
    try:
        acc = float(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"analysis.explore: {what} must be a number, got {value!r}") from err
    if not 0 <= acc <= 1:  # NaN too
        raise ValueError(f"analysis.explore: {what} must be in [0, 1], got {value!r}")
    return acc


def _points(data: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(X (N, 2), y (N,))`` from a lab Dataset (its test split) or a pair of arrays; None
    for no data or no points (no accuracy to show)."""
    if data is None:
        return None
    X, y = (data.X_test, data.y_test) if isinstance(data, Dataset) else data
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(
            "analysis.explore: data must be (X, y) with X of shape (N, 2) and y of shape (N,), "
            f"got {X.shape} and {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer) or (y.size and (y.min() < 0 or y.max() > 255)):
        raise ValueError("analysis.explore: data labels y must be integers in 0..255")
    return (X, y) if len(X) else None


def explore(
    model_or_partition: Any,
    path: str | os.PathLike[str],
    *,
    domain: Any = None,
    data: Any = None,
    checkpoints: Sequence[Checkpoint | tuple[Any, ...]] | None = None,
    title: str | None = None,
) -> Path:
    """Write the explorer page of a net's exact regions to ``path``; returns the path.

    Parameters
    ----------
    model_or_partition : torch.nn.Module, torch.export.ExportedProgram or Partition
        A piecewise-linear model (decomposed on ``domain`` by :func:`regions.decompose`), or
        a full-depth partition.
    path : path
        The HTML file to write (folders are created).
    domain : box or shapely Polygon, optional
        Where to decompose a model (default :data:`regions.DEFAULT_BOX`); not with a partition.
    data : Dataset or (X, y), optional
        Points to draw: a lab :class:`~analysis.lab.data.Dataset` (its test split) or arrays
        X (N, 2) in plane coordinates and integer labels y (N,).
    checkpoints : sequence of Checkpoint or (step, model[, accuracy]), optional
        Snapshots taken before ``model_or_partition`` (the end of training), in order; the
        page gets a training slider over them and the model, and opens on the model.
    title : str, optional
        The page's heading (default: the count of regions).

    Returns
    -------
    Path
        ``path``. The page needs no network: everything is inline.

    Raises
    ------
    TypeError, ValueError
        For a model that is neither a module nor a partition, a partition with ``domain``,
        a partition below full depth, checkpoints on another domain, a checkpoint's accuracy
        that is not a number in [0, 1], or malformed data.

    Examples
    --------
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from analysis.explorer import explore
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     page = explore(net, Path(tmp) / "net.html", domain=(-1, 1, -1, 1))
    ...     text = page.read_text()
    >>> text.count("window.regionsExplorer"), "http" in text
    (1, False)
    """
    points = _points(data)
    main = _partition(model_or_partition, domain, "model_or_partition")
    # Checkpoints given as models are decomposed where the main partition is.
    where = main.domain.polygon if isinstance(model_or_partition, regions.Partition) else domain
    frames = []
    for i, item in enumerate(checkpoints or ()):
        cp = item if isinstance(item, Checkpoint) else Checkpoint(*item)
        part = _partition(
            cp.model,
            None if isinstance(cp.model, regions.Partition) else where,
            f"checkpoints[{i}].model",
        )
        if not part.domain.polygon.equals(main.domain.polygon):
            raise ValueError(
                f"analysis.explore: checkpoints[{i}] is on another domain than the model"
            )
        acc = _accuracy(cp.accuracy, f"checkpoints[{i}].accuracy")
        if acc is None and points is not None:
            acc = accuracy_of(part, *points)
        frames.append(frame(part, step=int(cp.step), accuracy=acc))
    acc = None if points is None else accuracy_of(main, *points)
    frames.append(frame(main, accuracy=acc))
    heading = title or f"{len(main):,} exact linear regions"
    return write_page(path, page_html(frames, main.domain.polygon, data=points, title=heading))
