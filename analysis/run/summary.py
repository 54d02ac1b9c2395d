"""The output directory's record of what was run: per-experiment manifests and ``index.html``.

Each experiment run leaves ``<out>/<name>/results.json`` (figures, numbers, quick or full
mode, the notebook that explains it) and ``results.csv`` (the numbers alone).
:func:`write_index` turns every manifest present into one self-contained ``<out>/index.html``,
so rerunning a single experiment refreshes its section without dropping the others. Paths in
the page are relative and the page loads nothing from outside the directory. Each section,
and each figure's caption, links to the experiment's notebook in the source checkout's
``notebooks/`` folder (a relative path from the output directory); when the package runs
without that folder the section names the notebook in plain text instead, so the page never
holds a broken link. The page's bytes depend only on the manifests and that relative path.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from analysis.lab.files import atomic_write_text
from analysis.studies.experiment import Table

__all__ = [
    "INDEX",
    "MANIFEST",
    "NOTEBOOKS_DIR",
    "TABLE_CSV",
    "ExperimentReport",
    "FigureFile",
    "ManifestWarning",
    "MediaFile",
    "collect_reports",
    "load_manifest",
    "save_manifest",
    "write_index",
]

MANIFEST = "results.json"
TABLE_CSV = "results.csv"
INDEX = "index.html"

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
"""Where the notebooks live in a source checkout: ``notebooks/`` next to the package.

An installed (non-editable) package has no such folder; :func:`write_index` then names
notebooks in text instead of linking to them.
"""


@dataclass(frozen=True)
class FigureFile:
    """One figure written as ``<stem>.png`` and, unless ``pdf`` is False, ``<stem>.pdf``.

    Attributes
    ----------
    stem : str
        Path relative to the output directory, without extension, '/'-separated.
    caption : str
        What the figure shows.
    pdf : bool
        A PDF was written too (full runs; quick mode writes PNGs only).

    Examples
    --------
    >>> from analysis.run.summary import FigureFile
    >>> figure = FigureFile("depth/regions", "Exact linear regions.")
    >>> figure.stem + ".png"
    'depth/regions.png'
    """

    stem: str
    caption: str
    pdf: bool = True


@dataclass(frozen=True)
class MediaFile:
    """A file other than a figure (an animation), shown on the page when a GIF or MP4.

    Attributes
    ----------
    path : str
        Path relative to the output directory, with extension, '/'-separated.
    caption : str
        What it shows.
    """

    path: str
    caption: str


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
    notebook : str or None
        File name, in the repository's ``notebooks/`` folder, of the notebook that explains
        the experiment (``"02_classic_experiment.py"``), or None. Publishing sets it from
        the experiment's ``notebook``.
    explorers : tuple of FigureFile
        Explorer pages, each written as ``<stem>.html``, with the net they show as caption.
    media : tuple of MediaFile
        Animations and other files of the report, in reading order.

    Examples
    --------
    >>> from analysis.run.summary import ExperimentReport, FigureFile
    >>> from analysis.studies.experiment import Table
    >>> report = ExperimentReport(
    ...     name="demo",
    ...     title="Demo",
    ...     description="One tiny figure.",
    ...     quick=True,
    ...     figures=(FigureFile("demo/square", "A square."),),
    ...     table=Table(("net", "n_regions"), (("2-4-1", 7),)),
    ...     notebook="01_quickstart.py",
    ... )
    >>> report.figures[0].stem, report.notebook
    ('demo/square', '01_quickstart.py')
    """

    name: str
    title: str
    description: str
    quick: bool
    figures: tuple[FigureFile, ...]
    table: Table
    notebook: str | None = None
    explorers: tuple[FigureFile, ...] = ()
    media: tuple[MediaFile, ...] = ()


def save_manifest(out_dir: str | os.PathLike[str], report: ExperimentReport) -> Path:
    """Write ``<out_dir>/<name>/results.json`` and ``results.csv``; returns the JSON path.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The output directory; ``<name>/`` is created in it if missing.
    report : ExperimentReport
        What to record. The CSV holds the table alone, ``None`` written as an empty field.
        A number that is not finite (NaN: a measure undefined for a run, as the distance to
        a decision boundary the net has none of) is written as JSON's ``null`` (strict JSON
        has no NaN, and parsers such as ``JSON.parse`` or ``jq`` refuse it) and as an empty
        field; it loads as ``None``.

    Returns
    -------
    Path
        ``<out_dir>/<name>/results.json``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.run.summary import save_manifest
    >>> report = demo_report  # conftest.py: one figure, a two-row table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_manifest(tmp, report)
    ...     print(path.relative_to(tmp).as_posix())
    ...     print((Path(tmp) / "demo" / "results.csv").read_text(), end="")
    demo/results.json
    net,n_regions,area
    2-4-1,7,0.25
    tanh,,0.5
    """
    folder = Path(out_dir) / report.name
    folder.mkdir(parents=True, exist_ok=True)
    data = _strict(dataclasses.asdict(report))
    atomic_write_text(folder / MANIFEST, json.dumps(data, indent=1, allow_nan=False) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(report.table.columns)
    writer.writerows([["" if v is None else v for v in row] for row in data["table"]["rows"]])
    atomic_write_text(folder / TABLE_CSV, buffer.getvalue())
    return folder / MANIFEST


def _strict(data: Any) -> Any:
    """``data`` (nested dicts, lists and tuples) with every number that is not finite None."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _strict(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_strict(v) for v in data]
    return data


def load_manifest(path: str | os.PathLike[str]) -> ExperimentReport:
    """Read a manifest written by :func:`save_manifest`.

    A manifest written before reports named their notebook (or their explorer pages) loads
    with ``notebook=None`` (``explorers=()``).

    Parameters
    ----------
    path : str or os.PathLike
        A ``results.json`` file.

    Returns
    -------
    ExperimentReport
        Equal to the report that was saved.

    Raises
    ------
    OSError
        When the file cannot be read.
    ValueError
        When it is not JSON (``json.JSONDecodeError``) or not a manifest.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.run.summary import load_manifest, save_manifest
    >>> report = demo_report  # conftest.py: one figure, a two-row table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     loaded = load_manifest(save_manifest(tmp, report))
    >>> loaded == report
    True
    >>> loaded.table.rows[1]
    ('tanh', None, 0.5)
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        table = data.pop("table")
        return ExperimentReport(
            **{k: v for k, v in data.items() if k not in ("figures", "explorers", "media")},
            figures=tuple(FigureFile(**f) for f in data["figures"]),
            explorers=tuple(FigureFile(**f) for f in data.get("explorers", ())),
            media=tuple(MediaFile(**m) for m in data.get("media", ())),
            table=Table(tuple(table["columns"]), tuple(tuple(r) for r in table["rows"])),
        )
    except (AttributeError, KeyError, TypeError) as err:  # valid JSON, not a manifest
        raise ValueError(f"{path} is not a manifest: {type(err).__name__}: {err}") from err


class ManifestWarning(UserWarning):
    """Emitted when a manifest cannot be read: its experiment is left out of the index."""


def collect_reports(
    out_dir: str | os.PathLike[str], names: Iterable[str]
) -> list[ExperimentReport]:
    """Manifests present in ``out_dir`` for the experiments ``names``, in that order.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The output directory.
    names : iterable of str
        Experiment names; those without a manifest are left out, and so are those whose
        manifest cannot be read (truncated, say), with a :class:`ManifestWarning` naming it.

    Returns
    -------
    list of ExperimentReport

    Examples
    --------
    >>> import tempfile
    >>> from analysis.run.summary import collect_reports, save_manifest
    >>> report = demo_report  # conftest.py: one figure, a two-row table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save_manifest(tmp, report)
    ...     reports = collect_reports(tmp, ["never-run", "demo"])
    >>> [r.name for r in reports]
    ['demo']
    """
    reports = []
    for name in names:
        path = Path(out_dir) / name / MANIFEST
        if not path.is_file():
            continue
        try:
            reports.append(load_manifest(path))
        except (OSError, ValueError) as err:
            warnings.warn(
                f"ignoring manifest {path} ({err}); run experiment {name!r} again to list it "
                "in the index",
                ManifestWarning,
                stacklevel=2,
            )
    return reports


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


def _notebook_href(
    notebook: str, out_dir: str | os.PathLike[str], notebooks_dir: str | os.PathLike[str] | None
) -> str | None:
    """URL of ``notebooks_dir/notebook`` relative to ``out_dir``, or None if not linkable.

    None when there is no notebooks folder (an installed package) or no relative path to it
    (another drive on Windows). The notebook file itself need not exist yet.
    """
    if notebooks_dir is None or not Path(notebooks_dir).is_dir():
        return None
    try:
        relative = os.path.relpath(Path(notebooks_dir) / notebook, out_dir)
    except ValueError:
        return None
    return quote(PurePath(relative).as_posix(), safe="/")


def _figure_html(figure: FigureFile, notebook_href: str | None) -> str:
    png, pdf = html.escape(f"{figure.stem}.png"), html.escape(f"{figure.stem}.pdf")
    caption = html.escape(figure.caption)
    links = [f'<a href="{pdf}">[PDF]</a>'] if figure.pdf else []
    if notebook_href is not None:
        links.append(f'<a class="notebook" href="{html.escape(notebook_href)}">[notebook]</a>')
    return (
        f'<figure>\n<a href="{png}"><img src="{png}" alt="{caption}"></a>\n'
        f"<figcaption>{' '.join([caption, *links])}</figcaption>\n</figure>"
    )


def _media_html(media: MediaFile) -> str:
    path, caption = html.escape(media.path), html.escape(media.caption)
    if media.path.endswith(".gif"):
        shown = f'<a href="{path}"><img src="{path}" alt="{caption}"></a>'
    elif media.path.endswith(".mp4"):
        shown = f'<video controls src="{path}"></video>'
    else:
        shown = ""
    link = f'<a href="{path}">[file]</a>'
    return f"<figure>\n{shown}\n<figcaption>{caption} {link}</figcaption>\n</figure>"


def _notebook_html(notebook: str, href: str | None) -> str:
    name = html.escape(notebook)
    if href is None:
        where = f"<code>notebooks/{name}</code> in the source repository"
    else:
        where = f'<a class="notebook" href="{html.escape(href)}"><code>{name}</code></a>'
    return f'<p class="notebook">Explained step by step in the notebook {where}.</p>\n'


def _explorers_html(pages: Sequence[FigureFile]) -> str:
    if not pages:
        return ""
    links = ", ".join(
        f'<a class="explorer" href="{html.escape(p.stem)}.html">{html.escape(p.caption)}</a>'
        for p in pages
    )
    return (
        '<p class="explorers">Explore the exact regions of each piecewise-linear net '
        f"(hover, pin, slide through layers): {links}.</p>\n"
    )


def _section_html(report: ExperimentReport, notebook_href: str | None) -> str:
    mode = "quick mode (scaled down)" if report.quick else "full classic settings"
    figures = "\n".join(
        [_figure_html(f, notebook_href) for f in report.figures]
        + [_media_html(m) for m in report.media]
    )
    explorers = _explorers_html(report.explorers)
    csv_path = html.escape(f"{report.name}/{TABLE_CSV}")
    notebook = "" if report.notebook is None else _notebook_html(report.notebook, notebook_href)
    return (
        f'<section id="{html.escape(report.name)}">\n'
        f"<h2>{html.escape(report.title)}</h2>\n"
        f'<p class="mode">{mode}</p>\n<p>{html.escape(report.description)}</p>\n'
        f"{notebook}"
        f"{figures}\n{explorers}"
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


def write_index(
    out_dir: str | os.PathLike[str],
    reports: Sequence[ExperimentReport],
    *,
    notebooks_dir: str | os.PathLike[str] | None = NOTEBOOKS_DIR,
) -> Path:
    """Write ``<out_dir>/index.html`` with every report's figures, tables and notebook.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The output directory the reports' figure stems are relative to.
    reports : sequence of ExperimentReport
        One section each, in this order, with a table of contents.
    notebooks_dir : str, os.PathLike or None
        The folder holding the reports' notebooks (default: :data:`NOTEBOOKS_DIR`, the
        source checkout's). If it exists, each section and figure caption of a report with
        a notebook links to it by a path relative to ``out_dir`` (the file itself need not
        exist yet); otherwise, or with None, the section names the notebook in text.

    Returns
    -------
    Path
        The page written. Its bytes depend only on ``reports`` and the relative path from
        ``out_dir`` to ``notebooks_dir``.

    Examples
    --------
    >>> import re
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.run.summary import write_index
    >>> report = demo_report  # conftest.py: one figure, a two-row table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     notebooks = Path(tmp) / "repo" / "notebooks"
    ...     notebooks.mkdir(parents=True)
    ...     out = Path(tmp) / "repo" / "out"
    ...     page = write_index(out, [report], notebooks_dir=notebooks)
    ...     text = page.read_text(encoding="utf-8")
    ...     fallback = write_index(out, [report], notebooks_dir=None).read_text()
    >>> page.name
    'index.html'
    >>> re.findall(r'<img src="([^"]+)"', text)
    ['demo/square.png']
    >>> print(re.search(r'<p class="notebook">.*</p>', text).group())
    <p class="notebook">Explained step by step in the notebook <a class="notebook"
    href="../notebooks/01_quickstart.py"><code>01_quickstart.py</code></a>.</p>
    >>> print(re.search(r'<p class="notebook">.*</p>', fallback).group())
    <p class="notebook">Explained step by step in the notebook
    <code>notebooks/01_quickstart.py</code> in the source repository.</p>
    """
    toc = "\n".join(
        f'<li><a href="#{html.escape(r.name)}">{html.escape(r.title)}</a></li>' for r in reports
    )
    hrefs = [
        None if r.notebook is None else _notebook_href(r.notebook, out_dir, notebooks_dir)
        for r in reports
    ]
    sections = "\n".join(_section_html(r, h) for r, h in zip(reports, hrefs, strict=True))
    notebooks = (
        " and [notebook] the notebook that explains it" if any(h is not None for h in hrefs) else ""
    )
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>relu-regions: experiments</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        "<h1>relu-regions: experiments</h1>\n"
        "<p>Click a figure for full size; [PDF] gives the vector version (full runs)"
        f"{notebooks}. Region counts, decision boundaries and misclassified areas of "
        "piecewise-linear nets are exact.</p>\n"
        f"<ul>\n{toc}\n</ul>\n{sections}\n</body>\n</html>\n"
    )
    path = Path(out_dir) / INDEX
    atomic_write_text(path, page)
    return path
