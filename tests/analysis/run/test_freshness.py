"""A resumed run keeps a registered experiment's report whose inputs are unchanged, and draws
it again when anything it is drawn from, or any file of it, is not what it was."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from analysis.lab.jobs import Job
from analysis.lab.options import RunOptions
from analysis.run import freshness, reproduce
from analysis.studies.experiment import Drawing, Report, Table


@dataclass(frozen=True)
class Square(Job):
    x: int

    def run(self, cache_dir: str | None) -> int:
        return self.x**2


class Squares:
    """A registered experiment of one job, counting the reports it draws."""

    name, title, notebook = "squares", "Squares", "01_classic_experiments.ipynb"

    def __init__(self) -> None:
        self.x, self.drawn = 3, 0

    def jobs(self, options: RunOptions) -> list[Job]:
        return [Square(self.x)]

    def report(self, results: dict, options: RunOptions) -> Report:
        self.drawn += 1
        figure = Figure(figsize=(2, 2))
        figure.add_subplot().plot([0, 1], [0, sum(results.values())])
        table = Table(("square",), tuple((float(v),) for v in results.values()))
        return Report("Squares.", (Drawing("square", "A square.", figure),), table)


@pytest.fixture
def squares(monkeypatch: pytest.MonkeyPatch) -> Squares:
    experiment = Squares()
    monkeypatch.setattr(reproduce, "EXPERIMENTS", {"squares": experiment})
    return experiment


def run(tmp_path: Path, quick: bool = False) -> None:
    options = RunOptions(tmp_path / "out", tmp_path / "cache", quick, progress=False)
    reproduce.reproduce(options, ["squares"])


def test_an_unchanged_report_is_kept(tmp_path: Path, squares: Squares) -> None:
    run(tmp_path)
    png = tmp_path / "out" / "squares" / "square.png"
    before = png.stat().st_mtime_ns, png.read_bytes()
    run(tmp_path)
    assert squares.drawn == 1
    assert (png.stat().st_mtime_ns, png.read_bytes()) == before  # not even rewritten
    assert "Squares" in (tmp_path / "out" / "index.html").read_text()


def test_a_report_is_drawn_again_when_its_inputs_or_files_change(
    tmp_path: Path, squares: Squares, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out" / "squares"
    run(tmp_path)
    (folder / "square.png").unlink()  # a file of it missing
    run(tmp_path)
    assert squares.drawn == 2 and (folder / "square.png").is_file()
    squares.x = 4  # another job, another result
    run(tmp_path)
    assert squares.drawn == 3
    run(tmp_path, quick=True)  # another quick mode
    assert squares.drawn == 4
    monkeypatch.setattr(freshness, "_code", lambda: "edited")  # the code changed
    run(tmp_path, quick=True)
    assert squares.drawn == 5
    (folder / freshness.KEY_FILE).write_text("{not json")  # a damaged key
    run(tmp_path, quick=True)
    assert squares.drawn == 6
    run(tmp_path, quick=True)
    assert squares.drawn == 6


def test_a_report_published_otherwise_is_never_taken_for_the_keyed_one(
    tmp_path: Path, squares: Squares
) -> None:
    """A notebook's own experiment published under the same name removes the key, so the
    registered report is drawn again rather than kept in its place."""
    run(tmp_path)
    options = RunOptions(tmp_path / "out", tmp_path / "cache", progress=False)
    reproduce.run_experiment(squares, options)
    assert not (tmp_path / "out" / "squares" / freshness.KEY_FILE).exists()
    drawn = squares.drawn
    run(tmp_path)
    assert squares.drawn == drawn + 1
