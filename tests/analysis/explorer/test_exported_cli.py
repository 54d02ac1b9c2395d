"""``python -m analysis explore`` on a ``torch.export`` program saved with ``torch.export.save``.

Needs :func:`regions.decompose` to accept an ``ExportedProgram`` (traced from its graph), which
the core gains on another branch: until that branch is merged this test fails.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

import regions
from analysis.run.cli import main


def test_the_command_writes_an_exported_programs_page(tmp_path: Path) -> None:
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 2))
    model.eval()
    path = tmp_path / "net.pt2"
    torch.export.save(torch.export.export(model, (torch.zeros(1, 2),)), path)
    assert main(["explore", str(path), "--box", "-1", "1", "-1", "1"]) == 0
    text = path.with_suffix(".html").read_text(encoding="utf-8")
    expected = regions.decompose(model, (-1, 1, -1, 1))
    assert f'"count":{len(expected)},' in text
    assert f'"counts":{expected.counts_by_depth().tolist()}'.replace(" ", "") in text
