"""Execute every notebook in ``notebooks/`` top to bottom; a failing cell fails the test.

The notebooks are stored as jupytext "percent" scripts (``# %%`` cells, no outputs). Each is
converted to an in-memory notebook and run by nbclient on a fresh ``python3`` kernel, with
matplotlib's Agg backend. Anything a notebook writes (figures, the model cache) goes to
``$RELU_REGIONS_NOTEBOOK_OUT``, which the test points at pytest's ``tmp_path``.

Skipped when jupytext, nbclient or ipykernel are missing (install the ``dev`` extra).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
CELL_TIMEOUT = 120  # seconds per cell


def test_notebooks_found() -> None:
    assert len(NOTEBOOKS) >= 5, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel inherits this process's environment.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("RELU_REGIONS_NOTEBOOK_OUT", str(tmp_path))
    pythonpath = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(pythonpath))
    notebook = jupytext.read(path)
    assert not any(cell.get("outputs") for cell in notebook.cells), "outputs stored in the script"
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_explains_and_checks(path: Path) -> None:
    """Each notebook explains itself in markdown and asserts facts a regression would break."""
    cells = jupytext.read(path).cells
    assert cells[0].cell_type == "markdown", "start with a markdown cell saying what it shows"
    assert sum(c.cell_type == "markdown" for c in cells) >= 4
    assert sum("assert " in c.source for c in cells if c.cell_type == "code") >= 3
