"""Re-initialisation robustness: reset or re-draw one layer of a trained net.

Zhang, Bengio & Singer, *Are all layers created equal?* (2019): reset one layer to its
values before training (:attr:`analysis.lab.train.TrainResult.initial_state`), or re-draw it
from the initial distribution, keep the rest trained and measure the test accuracy
(:func:`reinit_layer`, :func:`reinit_robustness`).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from analysis.lab.data import Dataset
from analysis.lab.models import MLP
from analysis.lab.sgd import accuracy

__all__ = ["Reinit", "reinit_layer", "reinit_robustness"]


def reinit_layer(
    model: MLP,
    layer: int,
    *,
    initial_state: dict[str, torch.Tensor] | None = None,
    seed: int | None = None,
) -> MLP:
    """A copy of ``model`` with linear layer ``layer`` (1-based) re-initialised.

    Exactly one of ``initial_state`` (reset to those values, e.g.
    ``TrainResult.initial_state``) and ``seed`` (re-draw from the model's init
    distribution: the layer of a fresh ``MLP`` with ``config.seed = seed``) must be given.
    Every other parameter is bit-identical to ``model``'s.

    Parameters
    ----------
    model : MLP
        The trained net (not modified).
    layer : int
        1-based index into ``model.linears()`` (hidden layers, then the output layer).
    initial_state : dict of str to Tensor, optional
        A ``state_dict`` of the same architecture to take the layer's values from.
    seed : int, optional
        Initialisation seed of the re-drawn layer.

    Returns
    -------
    MLP
        The copy, in eval mode.

    Examples
    --------
    >>> import torch
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.sensitivity.reinit import reinit_layer
    >>> net = MLP((4, 4), seed=0)
    >>> initial = {k: v.clone() for k, v in net.state_dict().items()}
    >>> with torch.no_grad():  # "training" moves every weight
    ...     for p in net.parameters():
    ...         _ = p.add_(0.5)
    >>> reset = reinit_layer(net, 2, initial_state=initial)
    >>> [torch.equal(a.weight, b.weight) for a, b in zip(reset.linears(), net.linears())]
    [True, False, True]
    >>> torch.equal(reset.blocks[1].linear.weight, initial["blocks.1.linear.weight"])
    True

    Re-drawing with the net's own init seed gives back its initial layer:

    >>> redrawn = reinit_layer(net, 1, seed=0)
    >>> torch.equal(redrawn.blocks[0].linear.weight, initial["blocks.0.linear.weight"])
    True
    >>> reinit_layer(net, 1)
    Traceback (most recent call last):
    ...
    ValueError: give exactly one of initial_state and seed
    """
    if (initial_state is None) == (seed is None):
        raise ValueError("give exactly one of initial_state and seed")
    n = len(model.linears())
    if not 1 <= layer <= n:
        raise ValueError(f"layer must be in 1..{n}, got {layer}")
    out = copy.deepcopy(model)
    target = out.linears()[layer - 1]
    if initial_state is not None:
        prefix = _layer_prefix(model, layer)
        source = {
            "weight": initial_state[f"{prefix}.weight"],
            "bias": initial_state[f"{prefix}.bias"],
        }
    else:
        fresh = MLP.from_config(replace(model.config, seed=seed))
        source = dict(fresh.linears()[layer - 1].named_parameters())
    with torch.no_grad():
        target.weight.copy_(source["weight"])
        target.bias.copy_(source["bias"])
    return out.eval()


def _layer_prefix(model: MLP, layer: int) -> str:
    """State-dict prefix of linear layer ``layer`` (1-based)."""
    module = model.linears()[layer - 1]
    return next(name for name, m in model.named_modules() if m is module)


@dataclass(frozen=True, eq=False)
class Reinit:
    """Test accuracy after re-initialising each layer alone.

    Attributes
    ----------
    layers : ndarray, shape (L,)
        1-based layers (output layer last).
    trained_acc : float
        Test accuracy of the trained net, in [0, 1].
    reset_acc : ndarray, shape (L,)
        Accuracy with layer ``k`` reset to its initial values.
    rerandom_acc : ndarray, shape (L, S)
        Accuracy with layer ``k`` re-drawn from the init distribution, one column per seed.

    Examples
    --------
    Usually made by :func:`reinit_robustness`; built by hand here:

    >>> import numpy as np
    >>> from analysis.studies.sensitivity.reinit import Reinit
    >>> r = Reinit(
    ...     layers=np.array([1, 2, 3]), trained_acc=0.98,
    ...     reset_acc=np.array([0.5, 0.9, 0.97]), rerandom_acc=np.full((3, 2), 0.6),
    ... )
    >>> r.rerandom_acc.mean(axis=1).tolist(), int(r.layers[np.argmin(r.reset_acc)])
    ([0.6, 0.6, 0.6], 1)
    """

    layers: np.ndarray
    trained_acc: float
    reset_acc: np.ndarray
    rerandom_acc: np.ndarray


def reinit_robustness(
    model: MLP,
    initial_state: dict[str, torch.Tensor],
    data: Dataset,
    seeds: Sequence[int] = range(5),
) -> Reinit:
    """Reset (to ``initial_state``) and re-randomise (with each of ``seeds``) every layer.

    Parameters
    ----------
    model : MLP
        The trained net.
    initial_state : dict of str to Tensor
        Its ``state_dict`` before training (``TrainResult.initial_state``).
    data : Dataset
        Test set of the accuracies.
    seeds : sequence of int
        Re-draws per layer; a re-draw uses init seed ``10_000 + s``.

    Returns
    -------
    Reinit
        Accuracies in [0, 1]: ``reset_acc`` (L,) and ``rerandom_acc`` (L, S).

    Examples
    --------
    A net set by hand to compute ``sign(y - x)`` exactly, from its random initialisation:

    >>> from analysis.lab.data import make_dataset
    >>> from analysis.lab.models import MLP
    >>> from analysis.studies.sensitivity.reinit import reinit_robustness
    >>> initial = MLP((2,), seed=0).state_dict()  # line_net() starts from this init
    >>> net = line_net()
    >>> data = make_dataset("line", n_train=10, n_test=200, seed=0)
    >>> r = reinit_robustness(net, initial, data, seeds=range(3))
    >>> r.layers.tolist(), r.trained_acc, r.reset_acc.shape, r.rerandom_acc.shape
    ([1, 2], 1.0, (2,), (2, 3))
    >>> bool((r.reset_acc < 1).all())  # either layer alone undoes the fit
    True
    """
    layers = np.arange(1, len(model.linears()) + 1)
    reset = [
        accuracy(reinit_layer(model, k, initial_state=initial_state), data.X_test, data.y_test)
        for k in layers
    ]
    # Seeds offset from the small training seeds, so a re-draw is not the original init.
    rerandom = [
        [accuracy(reinit_layer(model, k, seed=10_000 + s), data.X_test, data.y_test) for s in seeds]
        for k in layers
    ]
    return Reinit(
        layers=layers,
        trained_acc=accuracy(model, data.X_test, data.y_test),
        reset_acc=np.asarray(reset),
        rerandom_acc=np.asarray(rerandom).reshape(len(layers), len(seeds)),
    )
