"""The shape every study has: an :class:`Experiment` lists jobs, then reports their results.

A study is split in two so that its work can run anywhere: :meth:`Experiment.jobs` lists
the :class:`~analysis.lab.jobs.Job` s that hold all heavy computation (the runner computes
the missing ones in parallel, locally or on a cluster, and caches every result), and
:meth:`Experiment.report` turns their results into a :class:`Report`: the figures, drawn but
not written, and the table of numbers. Writing is the runner's (:func:`analysis.run.publish`),
so no study touches the output folder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from matplotlib.figure import Figure

from analysis.lab.jobs import JSON, Job
from analysis.lab.options import RunOptions

__all__ = [
    "EXPLORER_MAX_REGIONS",
    "Attachment",
    "Drawing",
    "Experiment",
    "Exploration",
    "Report",
    "Results",
    "Table",
]

Results = Mapping[Job, JSON]
"""Each job of :meth:`Experiment.jobs` mapped to its result (as read back from JSON)."""


@dataclass(frozen=True)
class Table:
    """Rows of numbers with named columns; ``None`` marks a value that does not apply.

    Attributes
    ----------
    columns : tuple of str
        Column names.
    rows : tuple of tuple
        One tuple per row, one value per column.

    Examples
    --------
    >>> from analysis.studies.experiment import Table
    >>> table = Table(("net", "n_regions"), (("4 x 10", 57), ("tanh", None)))
    >>> dict(zip(table.columns, table.rows[1]))
    {'net': 'tanh', 'n_regions': None}
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def from_records(cls, records: Sequence[Any]) -> Table:
        """A table with one row per dataclass instance, one column per field.

        Parameters
        ----------
        records : sequence of dataclass instances
            All of the same dataclass; an empty sequence gives an empty table.

        Returns
        -------
        Table

        Examples
        --------
        >>> from dataclasses import dataclass
        >>> from analysis.studies.experiment import Table
        >>> @dataclass
        ... class Row:
        ...     boundary: str
        ...     n_regions: int
        >>> Table.from_records([Row("line", 12), Row("sine", 40)])
        Table(columns=('boundary', 'n_regions'), rows=(('line', 12), ('sine', 40)))
        >>> Table.from_records([])
        Table(columns=(), rows=())
        """
        if not records:
            return cls((), ())
        columns = tuple(f.name for f in dataclasses.fields(records[0]))
        return cls(columns, tuple(dataclasses.astuple(r) for r in records))


@dataclass(frozen=True, eq=False)
class Drawing:
    """One figure of a report, drawn but not yet written.

    Attributes
    ----------
    stem : str
        File name without extension, inside the experiment's output folder (``"budget"``).
    caption : str
        What the figure shows.
    figure : matplotlib.figure.Figure
        The figure, built inside :func:`analysis.figures.style.style`.
    """

    stem: str
    caption: str
    figure: Figure


EXPLORER_MAX_REGIONS = 5_000
"""Nets with at most this many regions get an explorer page on the summary page (about 0.1 kB
of page per region)."""


@dataclass(frozen=True, eq=False)
class Exploration:
    """One net of a report to write as an explorer page (:mod:`analysis.explorer`).

    Attributes
    ----------
    stem : str
        File name without ``.html``, inside the experiment's output folder.
    caption : str
        Which net it is; the summary page's link text.
    partition : regions.Partition
        The net's exact partition, at full depth.
    data : (X (N, 2), y (N,)), optional
        Points to draw with their labels.
    accuracy : float, optional
        Shown on the page.
    step : int, optional
        Training step of ``partition``, when it is a checkpoint.
    checkpoints : tuple of (step, regions.Partition, accuracy or None)
        Earlier states of the net, in training order, for the page's training slider (the
        page opens on ``partition``, the last state).
    """

    stem: str
    caption: str
    partition: Any
    data: tuple[Any, Any] | None = None
    accuracy: float | None = None
    step: int | None = None
    checkpoints: tuple[tuple[int, Any, float | None], ...] = ()


@dataclass(frozen=True, eq=False)
class Attachment:
    """A file of a report that is not a figure, such as an animation, already encoded.

    Attributes
    ----------
    name : str
        File name inside the experiment's output folder (``"training.gif"``); a GIF or MP4
        is shown on the summary page.
    caption : str
        What it shows.
    data : bytes
        The file's contents.
    """

    name: str
    caption: str
    data: bytes


@dataclass(frozen=True, eq=False)
class Report:
    """What a study's :meth:`Experiment.report` returns.

    Attributes
    ----------
    description : str
        One paragraph: what varies and how the nets were trained (the runner adds the quick
        mode's note).
    drawings : tuple of Drawing
        Figures in reading order.
    table : Table
        The numbers behind the figures.
    explorations : tuple of Exploration
        Nets to publish as explorer pages (small piecewise-linear ones), linked from the
        summary page.
    attachments : tuple of Attachment
        Other files (animations), written next to the figures.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from analysis.studies.experiment import Drawing, Report, Table
    >>> report = Report("One square.", (Drawing("square", "A square.", Figure()),),
    ...                 Table(("side",), ((1.0,),)))
    >>> [d.stem for d in report.drawings], report.table.rows
    (['square'], ((1.0,),))
    """

    description: str
    drawings: tuple[Drawing, ...]
    table: Table
    explorations: tuple[Exploration, ...] = ()
    attachments: tuple[Attachment, ...] = ()


class Experiment(Protocol):
    """A study the runner can run: a name, its notebook, its jobs and its report.

    Attributes
    ----------
    name : str
        Registry name, also the output subdirectory.
    title : str
        Section heading of the summary page.
    notebook : str
        File name, in the repository's ``notebooks/`` folder, of the notebook that explains
        it; the summary page links to it.
    """

    name: str
    title: str
    notebook: str

    def jobs(self, options: RunOptions) -> Sequence[Job]:
        """Every job whose result :meth:`report` reads, slowest first."""
        ...

    def report(self, results: Results, options: RunOptions) -> Report:
        """Figures and table from the jobs' results (loading trained nets from the cache)."""
        ...
