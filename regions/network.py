"""A traced model as a small graph of affine maps and piecewise-linear activations.

A :class:`Network` is a topologically ordered list of float64 nodes: :class:`Affine`,
:class:`Sum`, :class:`Concat` and :class:`Activation`. :func:`regions.trace` builds one from a
torch model (see :mod:`regions.tracing`); everything downstream (the exact decomposition, point
location, hidden affine maps) works on this graph, never on torch, so the core's numerics are
plain numpy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["Activation", "Affine", "Sum", "Concat", "Network", "Node"]


@dataclass(frozen=True, eq=False)
class Affine:
    """``y = W x + b`` applied to node ``src``; W (n_out, n_in), b (n_out,).

    Linear and folded BatchNorm1d layers become one each, as do scalar scalings and shifts.

    Attributes
    ----------
    src : int
        Index of the input node in ``Network.nodes``.
    W : ndarray, shape (n_out, n_in)
        Weight matrix, float64.
    b : ndarray, shape (n_out,)
        Bias, float64.
    name : str
        The torch module (or fx node) it came from.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(), torch.nn.Linear(3, 1)
    ... )
    >>> net = regions.trace(model.eval())
    >>> [type(node).__name__ for node in net.nodes]  # BatchNorm is an Affine too
    ['NoneType', 'Affine', 'Affine', 'Activation', 'Affine']
    >>> lin = net.nodes[1]
    >>> lin.src, lin.W.shape, lin.b.shape, lin.name, lin.W.dtype
    (0, (3, 2), (3,), '0', dtype('float64'))
    """

    src: int
    W: np.ndarray
    b: np.ndarray
    name: str


@dataclass(frozen=True, eq=False)
class Sum:
    """Elementwise sum of nodes ``srcs`` with signs ``signs`` (+1 or -1): residual adds.

    Attributes
    ----------
    srcs : tuple of int
        Indices of the summed nodes in ``Network.nodes`` (all of the same width).
    signs : tuple of float
        +1.0 for an addition, -1.0 for a subtracted node.
    name : str
        The fx node it came from.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> class Residual(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = torch.nn.Linear(2, 2)
    ...
    ...     def forward(self, x):
    ...         return x + torch.relu(self.fc(x))
    >>> net = regions.trace(Residual())
    >>> [type(node).__name__ for node in net.nodes]
    ['NoneType', 'Affine', 'Activation', 'Sum']
    >>> net.nodes[3].srcs, net.nodes[3].signs  # the input plus the activation
    ((0, 2), (1.0, 1.0))
    """

    srcs: tuple[int, ...]
    signs: tuple[float, ...]
    name: str


@dataclass(frozen=True, eq=False)
class Concat:
    """Concatenation of nodes ``srcs`` along the feature axis.

    Attributes
    ----------
    srcs : tuple of int
        Indices of the concatenated nodes in ``Network.nodes``, in order.
    name : str
        The fx node it came from.

    Examples
    --------
    >>> import torch
    >>> import regions
    >>> class TwoHeads(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.a = torch.nn.Linear(2, 3)
    ...         self.b = torch.nn.Linear(2, 1)
    ...
    ...     def forward(self, x):
    ...         return torch.cat([self.a(x), torch.relu(self.b(x))], dim=1)
    >>> net = regions.trace(TwoHeads())
    >>> cat = net.nodes[-1]
    >>> type(cat).__name__, cat.srcs, net.widths[-1]  # widths 3 + 1
    ('Concat', (1, 3), 4)
    """

    srcs: tuple[int, ...]
    name: str


@dataclass(frozen=True, eq=False)
class Activation:
    """An elementwise continuous piecewise-linear function of node ``src``.

    Unit ``j`` has ascending breakpoints ``thresholds[j]`` (n, K) and on piece ``p`` (the number of
    breakpoints its input exceeds, 0..K) computes ``slopes[j, p] * z + offsets[j, p]``.
    ``layer`` is the 1-based index of this activation among the network's activations.

    Attributes
    ----------
    src : int
        Index of the preactivation node in ``Network.nodes``.
    thresholds : ndarray, shape (width, K)
        Ascending breakpoints of every unit (preactivation units); K = 1 for ReLU, LeakyReLU
        and PReLU, 2 for ReLU6 and Hardtanh.
    slopes, offsets : ndarray, shape (width, K + 1)
        Slope and offset of every unit on each of its K + 1 pieces.
    name : str
        The torch module (or fx node) it came from.
    layer : int
        1-based index among the network's activations.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> import regions
    >>> net = regions.trace(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU6()))
    >>> act = net.activations[0]
    >>> act.layer, act.width, act.is_relu
    (1, 2, False)
    >>> act.thresholds[0].tolist(), act.slopes[0].tolist(), act.offsets[0].tolist()
    ([0.0, 6.0], [0.0, 1.0, 0.0], [0.0, 0.0, 6.0])
    >>> act.apply(np.array([[-1.0, 7.0], [2.5, 6.0]])).tolist()
    [[0.0, 6.0], [2.5, 6.0]]
    """

    src: int
    thresholds: np.ndarray
    slopes: np.ndarray
    offsets: np.ndarray
    name: str
    layer: int

    @property
    def width(self) -> int:
        """Number of units."""
        return self.thresholds.shape[0]

    @cached_property
    def is_relu(self) -> bool:
        """Whether every unit is a plain ReLU (one breakpoint at 0, slopes 0 and 1): the fast
        path of :meth:`apply` and of the affine maps."""
        return (
            self.thresholds.shape[1] == 1
            and not self.thresholds.any()
            and not self.offsets.any()
            and np.all(self.slopes == [0.0, 1.0])
        )

    def apply(self, z: np.ndarray) -> np.ndarray:
        """The activation of preactivations ``z`` (..., width).

        Written as ``s_0 z + o_0 + sum_k (s_{k+1} - s_k) max(z - t_k, 0)``, which equals the
        piecewise definition because the function is continuous, and costs one pass per
        breakpoint instead of a gather per entry.

        Parameters
        ----------
        z : ndarray, shape (..., width)
            Preactivations.

        Returns
        -------
        ndarray, shape (..., width)
            Activations, float64.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> import regions
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LeakyReLU(0.1))
        >>> act = regions.trace(model).activations[0]
        >>> act.apply(np.array([[-1.0, 2.0]])).tolist()
        [[-0.1, 2.0]]
        """
        if self.is_relu:
            return np.maximum(z, 0.0)
        out = self.slopes[:, 0] * z + self.offsets[:, 0]
        for k in range(self.thresholds.shape[1]):
            kink = self.slopes[:, k + 1] - self.slopes[:, k]
            out += kink * np.maximum(z - self.thresholds[:, k], 0.0)
        return out


Node = Affine | Sum | Concat | Activation


@dataclass(frozen=True, eq=False)
class Network:
    """A traced model: ``nodes[0]`` is the input (width ``n_inputs``); ``nodes[output]`` the logits.

    Attributes
    ----------
    nodes : tuple
        ``None`` for the input, then :class:`Affine`, :class:`Sum`, :class:`Concat` or
        :class:`Activation`, topologically ordered.
    widths : tuple of int
        Feature width of every node.
    output : int
        Index of the output node.
    n_inputs, n_outputs : int
        Input and output widths.
    softmax : bool
        Whether a final Softmax/LogSoftmax was stripped.

    Build one with :func:`trace`; :func:`regions.decompose` accepts it in place of the model.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> import regions
    >>> model = torch.nn.Sequential(
    ...     torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2), torch.nn.Softmax(dim=1)
    ... )
    >>> net = regions.trace(model)
    >>> net.n_inputs, net.n_outputs, net.n_layers, net.softmax
    (2, 2, 1, True)
    >>> net.widths, net.output
    ((2, 3, 3, 2), 3)
    >>> logits, pre = net.forward(np.zeros((5, 2)))
    >>> logits.shape, [z.shape for z in pre]
    ((5, 2), [(5, 3)])
    """

    nodes: tuple[Node | None, ...]
    widths: tuple[int, ...]
    output: int
    n_inputs: int
    n_outputs: int
    softmax: bool

    def last_use(self) -> list[int]:
        """For every node, the index of the last node that reads it (the output reads itself).

        Returns
        -------
        list of int, length ``len(nodes)``
            ``last[i]`` is the largest index of a node whose sources include node ``i``
            (``i`` itself if none does); ``last[output] == len(nodes)``.

        Examples
        --------
        >>> import torch
        >>> import regions
        >>> from torch.nn import Linear, ReLU, Sequential
        >>> model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
        >>> regions.trace(model).last_use()  # a chain: each node is read by the next
        [1, 2, 3, 4]
        """
        last = list(range(len(self.nodes)))
        for i, node in enumerate(self.nodes):
            for src in sources(node):
                last[src] = i
        last[self.output] = len(self.nodes)
        return last

    @property
    def activations(self) -> tuple[Activation, ...]:
        """The activation layers in order; ``activations[k - 1].layer == k``.

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> [(a.layer, a.width) for a in regions.trace(sawtooth(3)).activations]
        [(1, 2), (2, 2), (3, 2)]
        """
        return tuple(n for n in self.nodes if isinstance(n, Activation))

    @property
    def n_layers(self) -> int:
        """Number of activation layers (the depth that draws region boundaries).

        Examples
        --------
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> regions.trace(sawtooth(3)).n_layers
        3
        """
        return len(self.activations)

    def evaluate(self, x: np.ndarray) -> Iterator[np.ndarray]:
        """Every node's value at input points, in node order (node 0 is ``x`` itself).

        A generator, so a caller that stops at the first bad value (see
        :func:`regions.validate.check_finite_on`) computes nothing beyond it.

        Parameters
        ----------
        x : ndarray, shape (N, n_inputs)

        Yields
        ------
        ndarray, shape (N, widths[i])
            The value of node ``i``, float64.

        Examples
        --------
        >>> import numpy as np
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> net = regions.trace(sawtooth(1))
        >>> [v.tolist() for v in net.evaluate(np.array([[0.75, 0.0]]))]
        [[[0.75, 0.0]], [[0.75, 0.25]], [[0.75, 0.25]], [[0.5]]]
        """
        values: list[np.ndarray] = [np.asarray(x, dtype=np.float64)]
        yield values[0]
        for node in self.nodes[1:]:
            if isinstance(node, Affine):
                value = values[node.src] @ node.W.T + node.b
            elif isinstance(node, Sum):
                value = sum(s * values[i] for i, s in zip(node.srcs, node.signs, strict=True))
            elif isinstance(node, Concat):
                value = np.concatenate([values[i] for i in node.srcs], axis=1)
            else:
                value = node.apply(values[node.src])
            values.append(value)
            yield value

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Evaluate the network in float64.

        Parameters
        ----------
        x : ndarray, shape (N, n_inputs)

        Returns
        -------
        logits : ndarray, shape (N, n_outputs)
            The model's output (before any stripped Softmax), float64.
        preactivations : list of ndarray, one (N, width) per activation layer
            Inputs of each activation layer, in layer order.

        Examples
        --------
        >>> import numpy as np
        >>> import regions
        >>> from regions.constructions import sawtooth
        >>> net = regions.trace(sawtooth(2))
        >>> logits, pre = net.forward(np.array([[0.25, 0.0], [0.125, 0.0]]))
        >>> logits.tolist()  # the tent map applied twice
        [[1.0], [0.5]]
        >>> pre[0].tolist()  # first layer: x and x - 1/2
        [[0.25, -0.25], [0.125, -0.375]]
        """
        values = list(self.evaluate(x))
        pre = [values[node.src] for node in self.activations]
        return values[self.output], pre


def sources(node: Node | None) -> tuple[int, ...]:
    """The indices of the nodes ``node`` reads (none for the input, ``None``)."""
    if node is None:
        return ()
    if isinstance(node, (Sum, Concat)):
        return node.srcs
    return (node.src,)
