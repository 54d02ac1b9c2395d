"""Models from files, for ``python -m analysis explore``: never unpickling arbitrary objects.

Three kinds of file:

* a **lab checkpoint**: ``<key>.pt`` next to its ``<key>.json`` in a model cache
  (:mod:`analysis.lab.cache`); the net is rebuilt from the config in the ``.json``, the weights
  are checked against their SHA-256, and the checkpoint's dataset comes with it;
* a **torch.export program** (``.pt2``, saved with ``torch.export.save``), loaded with
  ``torch.export.load`` and handed to :func:`regions.decompose` as it is. ``torch.export.load``
  falls back to ``torch.load(..., weights_only=False)`` for parts it cannot load safely, so it
  runs under ``TORCH_FORCE_WEIGHTS_ONLY_LOAD=1``, which makes every such load weights-only;
* a **state dict** (``torch.save(model.state_dict(), path)``) of a ReLU MLP whose hidden
  widths are given (``--hidden 10,10,10``): the lab's :class:`~analysis.lab.models.MLP` or an
  ``nn.Sequential`` of ``Linear`` and ``ReLU`` layers, told apart by the keys.

Every ``.pt`` file is read with ``torch.load(..., weights_only=True)``: a file holding other
Python objects is refused, not unpickled. Each failure raises :class:`ModelFileError` naming
the file and the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from analysis.lab.cache import CacheError, entry_paths, load_entry
from analysis.lab.data import Dataset
from analysis.lab.models import MLP
from analysis.lab.sgd import TrainConfig, build_model, dataset_for

__all__ = ["LoadedModel", "ModelFileError", "load_model"]


class ModelFileError(ValueError):
    """A model file that cannot be used; the message names the file and says why.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     bad = Path(tmp) / "net.pt"
    ...     _ = bad.write_bytes(b"not a torch file")
    ...     try:
    ...         load_model(bad, hidden=(4,))
    ...     except ModelFileError as err:
    ...         print(str(err).split(":")[1].strip())
    not a weights-only torch file (corrupt, or holding Python objects that are never unpickled)
    """


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """What a file gave.

    Attributes
    ----------
    model : torch.nn.Module or torch.export.ExportedProgram
        Ready for :func:`regions.decompose` (modules in eval mode).
    kind : str
        ``'checkpoint'``, ``'exported'`` or ``'state_dict'``.
    dataset : Dataset or None
        A lab checkpoint's dataset (its box is the natural domain).
    """

    model: Any
    kind: str
    dataset: Dataset | None = None


def _weights_only(path: Path) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch.load raises many types on corrupt or unsafe input
        raise ModelFileError(
            f"{path}: not a weights-only torch file (corrupt, or holding Python objects that "
            f"are never unpickled): {type(err).__name__}: {str(err).splitlines()[0]}"
        ) from err


@contextmanager
def _weights_only_everywhere() -> Iterator[None]:
    """Every ``torch.load`` inside is weights-only, whatever its caller asks for."""
    names = ("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    saved = {name: os.environ.pop(name, None) for name in names}
    os.environ[names[0]] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


def _checkpoint(path: Path) -> LoadedModel:
    try:
        entry = load_entry(path.parent, path.stem)
        if entry is None:  # pragma: no cover - the caller saw both files
            raise CacheError("the entry vanished")
        payload, meta = entry
        config = TrainConfig.from_dict(meta["config"])
        model = build_model(config)
        model.load_state_dict(payload["state_dict"])
    except (CacheError, KeyError, TypeError, ValueError, RuntimeError) as err:
        raise ModelFileError(
            f"{path}: not a usable lab checkpoint: {type(err).__name__}: {err}"
        ) from err
    return LoadedModel(model.eval(), "checkpoint", dataset_for(config))


def _widths(state: dict[str, Any], weights: Sequence[str], path: Path) -> list[int]:
    shapes = [tuple(state[k].shape) for k in weights]
    if any(len(s) != 2 for s in shapes) or any(
        a[0] != b[1] for a, b in zip(shapes, shapes[1:], strict=False)
    ):
        raise ModelFileError(f"{path}: the weight shapes {shapes} do not chain into an MLP")
    return [shapes[0][1], *(s[0] for s in shapes)]


def _from_state_dict(state: Any, hidden: Sequence[int], path: Path) -> LoadedModel:
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(f"{path}: does not hold a state dict (names to tensors)")
    n = len(hidden)
    mlp_weights = [f"blocks.{i}.linear.weight" for i in range(n)] + ["output.weight"]
    seq_weights = [f"{2 * i}.weight" for i in range(n + 1)]
    candidates = {"MLP": mlp_weights, "Sequential": seq_weights}
    for kind, weights in candidates.items():
        if set(state) != {w for k in weights for w in (k, k.replace("weight", "bias"))}:
            continue
        widths = _widths(state, weights, path)
        if widths[1:-1] != list(hidden):
            raise ModelFileError(
                f"{path}: --hidden {','.join(map(str, hidden))} does not match the file's "
                f"hidden widths {','.join(map(str, widths[1:-1]))}"
            )
        if kind == "MLP":
            model: nn.Module = MLP(hidden, n_inputs=widths[0], n_outputs=widths[-1])
        else:
            layers: list[nn.Module] = []
            for a, b in zip(widths[:-1], widths[1:], strict=True):
                layers += [nn.Linear(a, b), nn.ReLU()]
            model = nn.Sequential(*layers[:-1])
        try:
            model.load_state_dict(state)
        except RuntimeError as err:  # a bias of the wrong size, say
            raise ModelFileError(f"{path}: the tensors do not fit an MLP: {err}") from err
        return LoadedModel(model.eval(), "state_dict")
    raise ModelFileError(
        f"{path}: the keys {sorted(state)[:6]} are neither those of the lab's MLP "
        f"({mlp_weights[0]}, ...) nor of an nn.Sequential of Linear and ReLU ({seq_weights[0]}, "
        f"...) with {n} hidden layer(s)"
    )


def load_model(path: str | os.PathLike[str], *, hidden: Sequence[int] | None = None) -> LoadedModel:
    """Load a model for the explorer from a checkpoint, an exported program or a state dict.

    Parameters
    ----------
    path : path
        ``.pt2``: a ``torch.export`` program; ``.pt`` with a ``.json`` beside it: a lab
        checkpoint; any other file: a state dict, which needs ``hidden``.
    hidden : sequence of int, optional
        Hidden widths of the ReLU MLP a state dict belongs to.

    Returns
    -------
    LoadedModel

    Raises
    ------
    ModelFileError
        For a missing, corrupt or unsafe file, or weights that do not fit.

    Examples
    --------
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     torch.save(net.state_dict(), Path(tmp) / "net.pt")
    ...     loaded = load_model(Path(tmp) / "net.pt", hidden=[3])
    >>> loaded.kind, type(loaded.model).__name__
    ('state_dict', 'Sequential')
    >>> bool(torch.equal(loaded.model[2].weight, net[2].weight))
    True
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    if path.suffix == ".pt2":
        try:
            with _weights_only_everywhere():
                program = torch.export.load(path)
        except Exception as err:  # a zip archive of the wrong shape raises many types
            raise ModelFileError(
                f"{path}: not a torch.export program: {type(err).__name__}: {err}"
            ) from err
        return LoadedModel(program, "exported")
    if path.suffix == ".pt" and entry_paths(path.parent, path.stem)[1].is_file():
        return _checkpoint(path)
    payload = _weights_only(path)
    if hidden is None:
        raise ModelFileError(
            f"{path}: a state dict needs the hidden widths of its net (--hidden 10,10,10)"
        )
    return _from_state_dict(payload, hidden, path)
