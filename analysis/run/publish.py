"""Publishing a study's report: every figure as PNG and PDF, its table and its manifest.

:func:`render` turns a :class:`~analysis.studies.experiment.Report` into bytes and a manifest
(it may run in a worker, local or remote); :func:`publish` writes them under the output
folder, each file atomically, in the process that asked for the run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from analysis.explorer.export import frame
from analysis.explorer.page import page_html
from analysis.figures.style import render_figure
from analysis.lab.files import atomic_write
from analysis.lab.options import RunOptions
from analysis.run.freshness import forget
from analysis.run.summary import ExperimentReport, FigureFile, MediaFile, save_manifest
from analysis.studies.experiment import Experiment, Report

__all__ = ["Rendered", "publish", "render"]


@dataclass(frozen=True, eq=False)
class Rendered:
    """A report ready to write: its manifest and its figure files.

    Attributes
    ----------
    manifest : ExperimentReport
        What :func:`~analysis.run.summary.save_manifest` records.
    files : mapping of str to bytes
        Path relative to the output folder (``"<name>/<stem>.png"``, ``.pdf`` or, for an
        explorer page, ``.html``) to the file's bytes.
    """

    manifest: ExperimentReport
    files: Mapping[str, bytes]


def render(experiment: Experiment, report: Report, options: RunOptions) -> Rendered:
    """Render every figure and explorer page of ``report``, take its attachments and build
    the experiment's manifest.

    In quick mode the description gains the :class:`~analysis.lab.options.QuickMode`'s note.

    Examples
    --------
    >>> from pathlib import Path
    >>> from matplotlib.figure import Figure
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.run.publish import render
    >>> from analysis.run.registry import EXPERIMENTS
    >>> from analysis.studies.experiment import Drawing, Report, Table
    >>> report = Report("A square.", (Drawing("square", "A square.", Figure()),), Table((), ()))
    >>> rendered = render(EXPERIMENTS["depth"], report, RunOptions(Path("o"), Path("c"), True))
    >>> sorted(rendered.files), rendered.manifest.figures[0].stem  # quick: no PDF
    (['depth/square.png'], 'depth/square')
    >>> rendered.manifest.description.startswith("A square. Quick mode:")
    True
    """
    files: dict[str, bytes] = {}
    figures = []
    pdf = options.quick is None  # a quick run is a preview: PNGs only (PDFs take as long again)
    for drawing in report.drawings:
        stem = f"{experiment.name}/{drawing.stem}"
        rendered = render_figure(drawing.figure, pdf=pdf)
        files.update({f"{stem}.{ext}": data for ext, data in rendered.items()})
        figures.append(FigureFile(stem, drawing.caption, pdf))
    explorers = []
    for page in report.explorations:
        stem = f"{experiment.name}/{page.stem}"
        part = page.partition
        steps = [frame(p, step=step, accuracy=acc) for step, p, acc in page.checkpoints]
        html = page_html(
            [*steps, frame(part, step=page.step, accuracy=page.accuracy)],
            part.domain.polygon,
            data=page.data,
            title=f"{experiment.title}: {page.caption}",
        )
        files[f"{stem}.html"] = html.encode("utf-8")
        explorers.append(FigureFile(stem, page.caption))
    media = []
    for attachment in report.attachments:
        path = f"{experiment.name}/{attachment.name}"
        files[path] = attachment.data
        media.append(MediaFile(path, attachment.caption))
    description = report.description
    if options.quick is not None:
        description = f"{description} {options.quick.note}"
    manifest = ExperimentReport(
        name=experiment.name,
        title=experiment.title,
        description=description,
        quick=options.quick is not None,
        figures=tuple(figures),
        table=report.table,
        notebook=experiment.notebook,
        explorers=tuple(explorers),
        media=tuple(media),
    )
    return Rendered(manifest, files)


def publish(out_dir: str | os.PathLike[str], rendered: Rendered) -> Path:
    """Write the figure files, then the manifest (``results.json``, ``results.csv``).

    Returns
    -------
    Path
        ``<out_dir>/<name>/results.json``.
    """
    forget(out_dir, rendered.manifest.name)  # what is on disk is no longer the keyed report
    for relative, data in rendered.files.items():
        path = Path(out_dir) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda fh, data=data: fh.write(data))
    return save_manifest(out_dir, rendered.manifest)
