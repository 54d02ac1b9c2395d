"""A :class:`~regions.Partition` as the flat arrays an explorer page reads (no HTML here).

Every frame (one partition: the net, or one training checkpoint) becomes a few typed arrays:
a shared vertex pool, the regions as ragged rings of vertex ids, the packed activation
patterns, the output maps, the region's ancestor in every coarser partition
(:meth:`~regions.Partition.at_depth`), the labelled boundary segments, the neighbour pairs and
the decision boundary. :func:`pack` concatenates them little-endian, 8-byte aligned, and
gzips the lot; the page unzips it once and reads every array as a view, without parsing.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from regions import Partition

__all__ = ["DTYPES", "Frame", "accuracy_of", "frame", "frames_arrays", "pack"]

#: The dtypes a page can read, by the name its JavaScript uses for the typed array.
DTYPES: dict[str, str] = {
    "<f8": "Float64Array",
    "<f4": "Float32Array",
    "<u4": "Uint32Array",
    "<u2": "Uint16Array",
    "|u1": "Uint8Array",
    "<i4": "Int32Array",
}


@dataclass(frozen=True, eq=False)
class Frame:
    """One partition, flattened for the page.

    Attributes
    ----------
    arrays : dict of str to ndarray
        ``xy`` (V, 2) float64 vertex pool; ``ring`` (I,) vertex ids of every region's
        counter-clockwise exterior ring, region after region, and ``start`` (R + 1,) offsets
        into it; ``bits`` (R, ceil(S / 8)) packed activation patterns (``np.packbits`` of
        ``Partition.patterns``); ``area`` (R,); ``A`` (R, m, 2) and ``c`` (R, m) output maps;
        ``anc`` (depth, R) index of each region's ancestor in ``at_depth(k)``, k = 0..depth-1;
        ``seg`` (E, 2) vertex ids and ``seg_switch`` (E,) pattern column of every boundary
        segment (the domain's own boundary left out); ``adj`` (P, 2) neighbouring regions and
        ``adj_switch`` (P,) the column that separates them; ``db`` (D, 2, 2) decision
        boundary segments; ``switch_layer`` and ``switch_unit`` (S,) what each column is.
    meta : dict
        JSON-able: ``count`` (R), ``counts`` (``counts_by_depth()``), ``depth``,
        ``n_outputs`` (m), ``widths`` (units per activation layer), ``step`` and
        ``accuracy`` (None when not known).
    """

    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]


def _pool(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique rows of ``points`` (N, 2) and the index (N,) of each point among them."""
    xy, inverse = np.unique(points, axis=0, return_inverse=True)
    return xy, inverse.reshape(-1)


def _row_keys(patterns: np.ndarray) -> np.ndarray:
    """One comparable key (R,) per pattern row (R, S), S >= 1."""
    packed = np.ascontiguousarray(np.packbits(patterns, axis=1))
    return packed.view(np.dtype((np.void, packed.shape[1]))).ravel()


def _ancestors(part: Partition, k: int) -> np.ndarray:
    """Index (R,) of each region's ancestor in ``part.at_depth(k)``.

    Where the coarse patterns are distinct (a convex domain), a region's ancestor is the one
    whose pattern is its own first ``n`` columns, matched exactly; otherwise (pieces of one
    cell on a non-convex domain) it is located from an interior point of the region.
    """
    coarse = part.at_depth(k)
    if len(coarse) == 1:
        return np.zeros(len(part), dtype=np.int64)
    keys = _row_keys(coarse.patterns)
    if len(np.unique(keys)) < len(keys):
        return coarse.locate(part.points)
    both, inverse = np.unique(
        np.concatenate([keys, _row_keys(part.patterns[:, : coarse.n_breakpoints])]),
        return_inverse=True,
    )
    slot = np.full(len(both), -1, dtype=np.int64)
    slot[inverse[: len(keys)]] = np.arange(len(keys))
    return slot[inverse[len(keys) :]]


def accuracy_of(part: Partition, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of points ``X`` (N, 2) whose predicted class is ``y`` (N,).

    The class is the argmax of the logits, or ``logit > 0`` for a net with one output, from
    the partition's own network at the plane points.

    Examples
    --------
    >>> import numpy as np
    >>> import regions
    >>> from regions.constructions import line_arrangement
    >>> part = regions.decompose(line_arrangement([[1, 0]], [0]), (-1, 1, -1, 1))  # relu(x)
    >>> accuracy_of(part, np.array([[0.5, 0.0], [-0.5, 0.0]]), np.array([1, 1]))
    0.5
    """
    out, _ = part.network.forward(part.plane.to_input(np.asarray(X, dtype=np.float64)))
    predicted = out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0).astype(int)
    return float(np.mean(predicted == np.asarray(y)))


def frame(part: Partition, *, step: int | None = None, accuracy: float | None = None) -> Frame:
    """Flatten a full-depth partition into a :class:`Frame`.

    Parameters
    ----------
    part : Partition
        At full depth (``part.depth == part.network.n_layers``): the page shows output maps.
    step : int, optional
        Training step, for a checkpoint.
    accuracy : float, optional
        Shown next to the step.

    Returns
    -------
    Frame

    Raises
    ------
    ValueError
        For a partition below full depth.

    Examples
    --------
    >>> import regions
    >>> from regions.constructions import sawtooth
    >>> part = regions.decompose(sawtooth(2), (0, 1, 0, 1))  # 4 strips
    >>> f = frame(part)
    >>> f.meta["count"], f.meta["counts"], f.arrays["start"].tolist()
    (4, [1, 2, 4], [0, 4, 8, 12, 16])
    >>> f.arrays["anc"][0].tolist()  # after no layer: the whole square
    [0, 0, 0, 0]
    >>> strips = part.centroids[:, 0].argsort()  # left to right
    >>> halves = f.arrays["anc"][1][strips]  # after layer 1: x < 1/2 and x > 1/2
    >>> bool(halves[0] == halves[1] != halves[2] == halves[3])
    True
    >>> f.arrays["switch_layer"].tolist()  # two units in each of two layers
    [1, 1, 2, 2]
    >>> f.arrays["seg_switch"].tolist()  # x = 1/2 by layer 1, x = 1/4 and 3/4 by layer 2
    [1, 3, 3]
    """
    if part.depth != part.network.n_layers:
        raise ValueError(
            f"analysis.explorer.export.frame: the partition has depth {part.depth} of "
            f"{part.network.n_layers}; pass the full partition (the page slides through depths)"
        )
    polygons = part.polygons
    lengths = np.array([len(p) for p in polygons], dtype=np.int64)
    boundaries = part.boundaries()
    corners = np.concatenate([*polygons, boundaries.segments.reshape(-1, 2)])
    xy, ids = _pool(corners)
    n_ring = int(lengths.sum())
    A, c = part.affine()
    adjacency = part.adjacency()
    depth = part.depth
    anc = np.array([_ancestors(part, k) for k in range(depth)]).reshape(depth, len(part))
    arrays = {
        "xy": xy,
        "ring": ids[:n_ring],
        "start": np.concatenate([[0], np.cumsum(lengths)]),
        "bits": np.packbits(part.patterns, axis=1),
        "area": part.areas,
        "A": A,
        "c": c,
        "anc": anc,
        "seg": ids[n_ring:].reshape(-1, 2),
        "seg_switch": boundaries.switch,
        "adj": adjacency.pairs,
        "adj_switch": adjacency.switch,
        "db": part.decision_boundary().segments.reshape(-1, 2, 2),
        "switch_layer": part.breakpoints.layer,
        "switch_unit": part.breakpoints.unit,
    }
    meta = {
        "count": len(part),
        "counts": part.counts_by_depth().tolist(),
        "depth": depth,
        "n_outputs": int(c.shape[1]),
        "widths": [act.width for act in part.network.activations[:depth]],  # units, not breakpoints
        "step": step,
        "accuracy": accuracy,
    }
    return Frame(arrays, meta)


def _wire_dtype(a: np.ndarray) -> np.dtype:
    """The little-endian dtype an array travels as: floats as float64 (float32 if it was),
    indices as the smallest unsigned type the page reads."""
    if a.dtype.kind == "f":
        return np.dtype("<f4" if a.dtype.itemsize == 4 else "<f8")
    if a.dtype.kind == "b":
        return np.dtype("|u1")
    if a.size and a.min() < 0:
        return np.dtype("<i4")
    top = int(a.max()) if a.size else 0
    return np.dtype("|u1" if top < 1 << 8 else "<u2" if top < 1 << 16 else "<u4")


def pack(arrays: Mapping[str, np.ndarray]) -> tuple[bytes, dict[str, list[Any]]]:
    """Gzip ``arrays`` into one blob, with the table the page reads them back by.

    Parameters
    ----------
    arrays : mapping of str to ndarray
        Numeric or boolean arrays of any shape.

    Returns
    -------
    blob : bytes
        Gzip of the arrays' bytes, each starting at a multiple of 8.
    table : dict of str to [typed-array name, byte offset, shape]
        Where each array lies in the unzipped blob (see :data:`DTYPES`).

    Examples
    --------
    >>> import gzip
    >>> import numpy as np
    >>> blob, table = pack({"a": np.arange(3), "b": np.array([[0.5, -1.0]])})
    >>> table
    {'a': ['Uint8Array', 0, [3]], 'b': ['Float64Array', 8, [1, 2]]}
    >>> raw = gzip.decompress(blob)
    >>> np.frombuffer(raw, "<f8", count=2, offset=8).tolist()
    [0.5, -1.0]
    """
    parts: list[bytes] = []
    table: dict[str, list[Any]] = {}
    offset = 0
    for name, value in arrays.items():
        a = np.asarray(value)
        dtype = _wire_dtype(a)
        data = np.ascontiguousarray(a, dtype=dtype).tobytes()
        table[name] = [DTYPES[dtype.str], offset, list(a.shape)]
        data += b"\0" * (-len(data) % 8)
        parts.append(data)
        offset += len(data)
    return gzip.compress(b"".join(parts), compresslevel=9, mtime=0), table


def frames_arrays(frames: Sequence[Frame]) -> dict[str, np.ndarray]:
    """Every frame's arrays under one name space: ``"<i>/<name>"`` for frame ``i``.

    Examples
    --------
    >>> import numpy as np
    >>> f = Frame({"a": np.zeros(2)}, {})
    >>> list(frames_arrays([f, f]))
    ['0/a', '1/a']
    """
    return {f"{i}/{name}": a for i, f in enumerate(frames) for name, a in f.arrays.items()}
