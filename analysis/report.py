"""The output directory's record of what was run: per-experiment manifests and ``index.html``.

Each experiment run leaves ``<out>/<name>/results.json`` (figures, numbers, quick or full
mode) and ``results.csv`` (the numbers alone). :func:`write_index` turns every manifest
present into one self-contained ``<out>/index.html``, so rerunning a single experiment
refreshes its section without dropping the others. Paths in the page are relative and the
page loads nothing from outside the directory; its bytes depend only on the manifests.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.files import atomic_write_text

MANIFEST = "results.json"
TABLE_CSV = "results.csv"
INDEX = "index.html"


@dataclass(frozen=True)
class FigureFile:
    """One figure written as ``<stem>.png`` and ``<stem>.pdf``.

    Attributes
    ----------
    stem : str
        Path relative to the output directory, without extension, '/'-separated.
    caption : str
        What the figure shows.
    """

    stem: str
    caption: str


@dataclass(frozen=True)
class Table:
    """Rows of numbers with named columns; ``None`` marks a value that does not apply."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def from_records(cls, records: Sequence[Any]) -> Table:
        """A table with one row per dataclass instance, one column per field."""
        if not records:
            return cls((), ())
        columns = tuple(f.name for f in dataclasses.fields(records[0]))
        return cls(columns, tuple(dataclasses.astuple(r) for r in records))


@dataclass(frozen=True)
class ExperimentReport:
    """What one experiment run produced.

    Attributes
    ----------
    name : str
        Registry name, also the experiment's subdirectory.
    title : str
        Section heading.
    description : str
        One paragraph: what varies and how the nets were trained.
    quick : bool
        Whether the scaled-down quick mode produced it.
    figures : tuple of FigureFile
        Figures in reading order.
    table : Table
        The numbers behind the figures.
    """

    name: str
    title: str
    description: str
    quick: bool
    figures: tuple[FigureFile, ...]
    table: Table


def save_manifest(out_dir: str | os.PathLike[str], report: ExperimentReport) -> Path:
    """Write ``<out_dir>/<name>/results.json`` and ``results.csv``; returns the JSON path."""
    folder = Path(out_dir) / report.name
    folder.mkdir(parents=True, exist_ok=True)
    data = dataclasses.asdict(report)
    atomic_write_text(folder / MANIFEST, json.dumps(data, indent=1) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(report.table.columns)
    writer.writerows([["" if v is None else v for v in row] for row in report.table.rows])
    atomic_write_text(folder / TABLE_CSV, buffer.getvalue())
    return folder / MANIFEST


def load_manifest(path: str | os.PathLike[str]) -> ExperimentReport:
    """Read a manifest written by :func:`save_manifest`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    table = data.pop("table")
    return ExperimentReport(
        **{k: v for k, v in data.items() if k != "figures"},
        figures=tuple(FigureFile(**f) for f in data["figures"]),
        table=Table(tuple(table["columns"]), tuple(tuple(r) for r in table["rows"])),
    )


def collect_reports(
    out_dir: str | os.PathLike[str], names: Iterable[str]
) -> list[ExperimentReport]:
    """Manifests present in ``out_dir`` for the experiments ``names``, in that order."""
    paths = (Path(out_dir) / name / MANIFEST for name in names)
    return [load_manifest(p) for p in paths if p.is_file()]


def _cell(value: Any) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return html.escape(str(value))


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in table.rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _figure_html(figure: FigureFile) -> str:
    png, pdf = html.escape(f"{figure.stem}.png"), html.escape(f"{figure.stem}.pdf")
    caption = html.escape(figure.caption)
    return (
        f'<figure>\n<a href="{png}"><img src="{png}" alt="{caption}"></a>\n'
        f'<figcaption>{caption} <a href="{pdf}">[PDF]</a></figcaption>\n</figure>'
    )


def _section_html(report: ExperimentReport) -> str:
    mode = "quick mode (scaled down)" if report.quick else "full classic settings"
    figures = "\n".join(_figure_html(f) for f in report.figures)
    csv_path = html.escape(f"{report.name}/{TABLE_CSV}")
    return (
        f'<section id="{html.escape(report.name)}">\n'
        f"<h2>{html.escape(report.title)}</h2>\n"
        f'<p class="mode">{mode}</p>\n<p>{html.escape(report.description)}</p>\n'
        f"{figures}\n"
        f'<h3>Numbers <a href="{csv_path}">[CSV]</a></h3>\n{_table_html(report.table)}\n'
        "</section>"
    )


_STYLE = """
body { font-family: sans-serif; max-width: 1400px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.4; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figure { margin: 1.5em 0; }
figcaption { font-size: 0.9em; color: #444; }
table { border-collapse: collapse; font-size: 0.85em; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
th { background: #f2f2f2; }
td:nth-child(-n+3) { text-align: left; }
.mode { font-style: italic; color: #555; }
"""


def write_index(out_dir: str | os.PathLike[str], reports: Sequence[ExperimentReport]) -> Path:
    """Write ``<out_dir>/index.html`` with every report's figures and tables.

    Returns
    -------
    Path
        The page written.
    """
    toc = "\n".join(
        f'<li><a href="#{html.escape(r.name)}">{html.escape(r.title)}</a></li>' for r in reports
    )
    sections = "\n".join(_section_html(r) for r in reports)
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>relu-regions: experiments</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        "<h1>relu-regions: experiments</h1>\n"
        "<p>Click a figure for full size; [PDF] gives the vector version. Region counts, "
        "decision boundaries and misclassified areas of piecewise-linear nets are exact.</p>\n"
        f"<ul>\n{toc}\n</ul>\n{sections}\n</body>\n</html>\n"
    )
    path = Path(out_dir) / INDEX
    atomic_write_text(path, page)
    return path
