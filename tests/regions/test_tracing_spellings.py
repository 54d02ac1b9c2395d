"""Every spelling torch accepts for a supported operation traces as its usual spelling does:
numpy's keywords (``axis=``, ``keepdims=``, ``x=``), keyword shapes, ``other=``, ``rsub``,
in-place aliases, and ``flatten()`` of one logit. Each spelling is checked node for node
against the usual one (and, by :func:`regions.trace`'s own check, against the model)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from checks import check_exact
from test_exported import same_network
from torch import nn

import regions


class Net(nn.Module):
    """Seeded Linear layers 2 -> 6 -> 6 (``a``, ``b``), 6 -> 1 (``c``), and ``ones``: a
    3 -> 1 Linear of ones without bias (a sum over the last axis, written as a layer)."""

    def __init__(self, forward) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.a, self.b, self.c = nn.Linear(2, 6), nn.Linear(6, 6), nn.Linear(6, 1)
        self.ones = nn.Linear(3, 1, bias=False)
        with torch.no_grad():
            self.ones.weight.fill_(1.0)
        self.fn = forward

    def forward(self, x):
        return self.fn(self, x)


def model_of(forward) -> nn.Module:
    return Net(forward).double().eval()


def v(s, x):
    """A (batch, 2, 3) tensor."""
    return F.relu(s.a(x)).view(-1, 2, 3)


def h(s, x):
    return s.a(x)


def g(s, x):
    return s.b(F.relu(s.a(x)))


SPELLINGS = {
    "sum axis": (
        lambda s, x: torch.sum(v(s, x), axis=-1, keepdims=True).flatten(1),
        lambda s, x: s.ones(v(s, x)).flatten(1),
    ),
    "sum method": (
        lambda s, x: v(s, x).sum(2),
        lambda s, x: s.ones(v(s, x)).squeeze(-1),
    ),
    "amax axis": (
        lambda s, x: torch.amax(v(s, x), axis=2),
        lambda s, x: torch.amax(v(s, x), dim=2),
    ),
    "amax keepdims": (
        lambda s, x: v(s, x).amax(axis=2, keepdims=True).flatten(1),
        lambda s, x: v(s, x).amax(dim=2, keepdim=True).flatten(1),
    ),
    "max axis": (
        lambda s, x: torch.max(v(s, x), axis=1).values,
        lambda s, x: torch.max(v(s, x), dim=1).values,
    ),
    "min x keepdims": (
        lambda s, x: torch.min(x=v(s, x), axis=-1, keepdims=True)[0].flatten(1),
        lambda s, x: torch.min(v(s, x), -1, True)[0].flatten(1),
    ),
    "cat axis": (
        lambda s, x: torch.cat([h(s, x), g(s, x)], axis=1),
        lambda s, x: torch.cat([h(s, x), g(s, x)], dim=1),
    ),
    "squeeze axis": (
        lambda s, x: torch.unsqueeze(g(s, x), axis=1).squeeze(axis=1),
        lambda s, x: torch.unsqueeze(g(s, x), 1).squeeze(1),
    ),
    "softmax axis": (
        lambda s, x: torch.softmax(g(s, x), axis=1),
        lambda s, x: torch.softmax(g(s, x), dim=1),
    ),
    "clamp x": (
        lambda s, x: torch.clamp(x=h(s, x), min=0.1),
        lambda s, x: torch.clamp(h(s, x), min=0.1),
    ),
    "maximum x1 x2": (
        lambda s, x: torch.maximum(x1=h(s, x), x2=g(s, x)),
        lambda s, x: torch.maximum(h(s, x), g(s, x)),
    ),
    "max other": (
        lambda s, x: torch.max(h(s, x), other=g(s, x)),
        lambda s, x: torch.maximum(h(s, x), g(s, x)),
    ),
    "max method other": (
        lambda s, x: h(s, x).max(other=g(s, x)),
        lambda s, x: torch.maximum(h(s, x), g(s, x)),
    ),
    "min other": (
        lambda s, x: torch.min(h(s, x), other=g(s, x)),
        lambda s, x: torch.minimum(h(s, x), g(s, x)),
    ),
    "view size": (
        lambda s, x: F.relu(h(s, x)).view(size=(x.size(0), 2, 3)).amax(2),
        lambda s, x: F.relu(h(s, x)).view(x.size(0), 2, 3).amax(2),
    ),
    "reshape shape": (
        lambda s, x: F.relu(h(s, x)).reshape(shape=[-1, 2, 3]).amax(2),
        lambda s, x: F.relu(h(s, x)).reshape(-1, 2, 3).amax(2),
    ),
    "rsub number": (
        lambda s, x: torch.rsub(F.relu(h(s, x)), 1.0),
        lambda s, x: 1.0 - F.relu(h(s, x)),
    ),
    "rsub alpha": (
        lambda s, x: torch.rsub(F.relu(h(s, x)), g(s, x), alpha=2),
        lambda s, x: (lambda r, y: torch.sub(y, r, alpha=2))(F.relu(h(s, x)), g(s, x)),
    ),
    "rsub keywords": (
        lambda s, x: torch.rsub(other=g(s, x), input=F.relu(h(s, x))),
        lambda s, x: g(s, x) - F.relu(h(s, x)),
    ),
    "flatten one logit": (
        lambda s, x: s.c(F.relu(h(s, x))).flatten(),
        lambda s, x: s.c(F.relu(h(s, x))).view(-1),
    ),
    "flatten size-1 axes": (
        lambda s, x: s.c(F.relu(h(s, x))).unsqueeze(1).flatten(0, 1),
        lambda s, x: s.c(F.relu(h(s, x))),
    ),
}


@pytest.mark.parametrize("name", SPELLINGS)
def test_spellings_trace_as_the_usual_one(name):
    spelling, usual = SPELLINGS[name]
    model = model_of(spelling)
    same_network(regions.trace(model), regions.trace(model_of(usual)))
    program = torch.export.export(model, (torch.randn(4, 2, dtype=torch.float64),))
    same_network(regions.trace(program), regions.trace(model))


@pytest.mark.parametrize("name", ["sum axis", "rsub keywords", "flatten one logit"])
def test_spellings_are_exact(name):
    model = model_of(SPELLINGS[name][0])
    check_exact(model, regions.decompose(model))


def test_sum_over_a_middle_axis_is_exact():
    model = model_of(lambda s, x: torch.cat([v(s, x).sum(1), -v(s, x).sum(dim=1)], 1))
    part = regions.decompose(model)
    assert part.network.n_outputs == 6
    check_exact(model, part)


@pytest.mark.parametrize(
    "forward, match",
    [
        (lambda s, x: v(s, x).sum(), "reduces over the batch axis"),
        (lambda s, x: v(s, x).sum(1, dtype=torch.float32), "dtype=torch.float32"),
        (lambda s, x: h(s, x).unflatten(axis=1, sizes=(2, 3)), "argument 'axis'"),
        (lambda s, x: F.softmax(h(s, x), axis=1), "torch.fx could not trace"),
        (lambda s, x: h(s, x).unsqueeze(1).squeeze((0, 1)), "removes it for a batch of one"),
    ],
    ids=["sum()", "sum dtype", "unflatten axis", "F.softmax axis", "squeeze batch"],
)
def test_what_torch_or_regions_refuses_stays_refused(forward, match):
    """numpy's keywords only where torch's C++ parser takes them (``Tensor.unflatten`` and
    ``F.softmax`` are Python functions, and refuse ``axis``)."""
    with pytest.raises(regions.UnsupportedModelError, match=match):
        regions.trace(model_of(forward))


IN_PLACE = {
    "absolute_": ("abs_", ()),
    "negative_": ("neg_", ()),
    "subtract_": ("sub_", (g,)),
    "multiply_": ("mul_", (2.0,)),
    "divide_": ("div_", (4.0,)),
    "true_divide_": ("div_", (4.0,)),
}


def in_place(method: str, args: tuple, function: bool = False):
    """A forward that applies ``method`` in place to a tensor a view of it then reads."""

    def forward(s, x):
        y = s.a(x)
        view = y.view(-1, 2, 3)
        values = [a(s, x) if callable(a) else a for a in args]
        getattr(torch, method)(y, *values) if function else getattr(y, method)(*values)
        return torch.cat([view.flatten(1), y], dim=1)

    return forward


@pytest.mark.parametrize("alias", IN_PLACE)
def test_in_place_aliases_write_through_views(alias):
    name, args = IN_PLACE[alias]
    model = model_of(in_place(alias, args))
    net = regions.trace(model)
    same_network(net, regions.trace(model_of(in_place(name, args))))
    with torch.no_grad():  # the view sees the change: both halves of the output agree
        out = model(torch.randn(5, 2, dtype=torch.float64)).numpy()
    assert np.array_equal(out[:, :6], out[:, 6:])


def test_torch_negative_in_place():
    model = model_of(in_place("negative_", (), function=True))
    same_network(regions.trace(model), regions.trace(model_of(in_place("neg_", (), True))))
