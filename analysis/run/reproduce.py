"""Running experiments: every job in one sweep, then every report, then the summary page.

:func:`reproduce` runs registered experiments by name: their jobs go through one resumable
sweep (:func:`~analysis.run.sweep.run_sweep`, results cached under ``<cache>/sweeps``), so
the workers stay busy across experiments; then each experiment's report is drawn and
rendered, in the same workers, unless the one on disk was drawn from the same results and code
(:mod:`~analysis.run.freshness`); the calling process writes every result, figure and manifest
(:func:`~analysis.run.publish.publish`) and rewrites ``index.html``. The outputs do not depend
on where or in which order anything ran. :func:`run_experiment` does the same for one
experiment object in this process (a notebook's own experiment, say).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from functools import partial
from pathlib import Path

from tqdm.auto import tqdm

from analysis.lab.jobs import JSON, Job, run_job
from analysis.lab.options import RunOptions
from analysis.run.freshness import record, report_key, up_to_date
from analysis.run.publish import Rendered, publish, render
from analysis.run.registry import EXPERIMENTS
from analysis.run.summary import ExperimentReport, collect_reports, load_manifest, write_index
from analysis.run.sweep import process_pool, run_sweep
from analysis.studies.experiment import Experiment

__all__ = ["SWEEPS", "reproduce", "run_experiment"]

SWEEPS = "sweeps"
"""Folder of the job results, inside the cache folder."""


def _sweep(jobs: Sequence[Job], options: RunOptions, executor: Executor | None) -> dict[Job, JSON]:
    """Every job's result (computed or loaded), keyed by job."""
    results = run_sweep(
        jobs,
        partial(run_job, cache_dir=str(options.cache_dir)),
        Path(options.cache_dir) / SWEEPS,
        executor,
        options.progress,
        desc="jobs",
    )
    return dict(zip(jobs, results, strict=True))


def _report(name: str, results: dict[Job, JSON], options: RunOptions) -> Rendered:
    """Worker task: draw and render the registered experiment ``name``."""
    experiment = EXPERIMENTS[name]
    return render(experiment, experiment.report(results, options), options)


@contextmanager
def _workers(options: RunOptions, executor: Executor | None) -> Iterator[Executor | None]:
    """``executor`` if given, else a local pool of ``options.jobs`` workers (None: serial)."""
    if executor is not None or options.jobs == 1:
        with nullcontext(executor) as given:
            yield given
    else:
        with process_pool(options.jobs) as pool:
            yield pool


def reproduce(options: RunOptions, names: Sequence[str], executor: Executor | None = None) -> Path:
    """Run the registered experiments ``names`` and rewrite ``index.html``; returns its path.

    Parameters
    ----------
    options : RunOptions
        Output and cache directories (which must exist or be creatable), quick mode, local
        worker processes and progress bars.
    names : sequence of str
        Keys of :data:`analysis.run.registry.EXPERIMENTS`.
    executor : concurrent.futures.Executor, optional
        Where jobs and reports run (a Dask cluster's,
        :func:`~analysis.run.cluster.dask_executor`); default a local pool of
        ``options.jobs`` processes, or this process when ``options.jobs == 1``.

    Returns
    -------
    Path
        ``options.out_dir / "index.html"``. The index lists every experiment with a manifest
        in the output directory, so earlier runs of other experiments stay in it.

    Examples
    --------
    Running an experiment takes seconds to minutes; with no names, only the index is
    rewritten from the manifests already present (none here):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.lab.options import RunOptions
    >>> from analysis.run.reproduce import reproduce
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     options = RunOptions(Path(tmp), Path(tmp) / "cache", progress=False)
    ...     index = reproduce(options, [])
    ...     print(index.name, "<h1>relu-regions: experiments</h1>" in index.read_text())
    index.html True
    """
    jobs = {name: list(EXPERIMENTS[name].jobs(options)) for name in names}
    quiet = replace(options, progress=False)
    with _workers(options, executor) as pool:
        results = _sweep([j for js in jobs.values() for j in js], options, pool)
        tasks = {name: {j: results[j] for j in jobs[name]} for name in names}
        keys = {name: report_key(name, own, options) for name, own in tasks.items()}
        drawn = [name for name in tasks if not up_to_date(options.out_dir, name, keys[name])]
        if options.progress and len(drawn) < len(tasks):
            kept = ", ".join(name for name in tasks if name not in drawn)
            print(f"reports up to date, kept: {kept}", file=sys.stderr, flush=True)
        if pool is None:
            for i, name in enumerate(drawn, start=1):
                if options.progress:
                    print(f"== report {i}/{len(drawn)}: {name}", file=sys.stderr, flush=True)
                _publish(options, _report(name, tasks[name], options), keys[name])
        else:
            futures = [pool.submit(_report, name, tasks[name], quiet) for name in drawn]
            bar = tqdm(
                as_completed(futures),
                total=len(futures),
                desc="reports",
                disable=not options.progress or not futures,
            )
            for future in bar:
                rendered = future.result()
                _publish(options, rendered, keys[rendered.manifest.name])
    return write_index(options.out_dir, collect_reports(options.out_dir, EXPERIMENTS))


def _publish(options: RunOptions, rendered: Rendered, key: str) -> None:
    """Write a registered experiment's report and record the key it was drawn from."""
    manifest = publish(options.out_dir, rendered)
    name = rendered.manifest.name
    files = [*rendered.files, f"{name}/{manifest.name}", f"{name}/results.csv"]
    record(options.out_dir, name, key, files)


def run_experiment(
    experiment: Experiment, options: RunOptions, executor: Executor | None = None
) -> ExperimentReport:
    """Run one experiment object: its jobs (resumable), then its report in this process.

    Parameters
    ----------
    experiment : Experiment
        Any object with the :class:`~analysis.studies.experiment.Experiment` shape, e.g. a
        smaller :class:`~analysis.studies.classic.experiment.GridExperiment`.
    options : RunOptions
        As for :func:`reproduce`; figures go to ``options.out_dir / experiment.name``.
    executor : concurrent.futures.Executor, optional
        Where the jobs run; default as in :func:`reproduce`.

    Returns
    -------
    ExperimentReport
        The manifest written (figures, numbers, notebook).
    """
    with _workers(options, executor) as pool:
        results = _sweep(list(experiment.jobs(options)), options, pool)
    rendered = render(experiment, experiment.report(results, options), options)
    return load_manifest(publish(options.out_dir, rendered))
