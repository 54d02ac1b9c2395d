"""Command line: ``python -m analysis reproduce [--experiment NAME ...] [--quick] ...``.

Arguments are checked before any work starts: an unknown experiment or an output (or cache)
directory that cannot be created or written to ends the run with an argparse-style message
on stderr and exit status 2, leaving nothing behind. Figures, manifests and ``index.html``
are each written atomically.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from tqdm.auto import tqdm

from analysis.experiments import EXPERIMENTS, NOTEBOOKS, RunOptions
from analysis.report import ExperimentReport, collect_reports, save_manifest, write_index

__all__ = ["DEFAULT_OUT", "build_parser", "main", "reproduce"]

DEFAULT_OUT = Path("out")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``analysis`` argument parser with its ``reproduce`` subcommand.

    Returns
    -------
    argparse.ArgumentParser
        Parsing gives ``command`` (``'reproduce'``), ``experiment`` (list of names from
        :data:`analysis.experiments.EXPERIMENTS`, or None for all), ``quick`` (bool), ``out``
        (Path), ``jobs`` (int >= 1), ``cache`` (Path, or None for ``out/cache``), ``progress``
        (bool) and ``error`` (the subcommand's ``error`` method, for later checks).

    Examples
    --------
    >>> from analysis.cli import build_parser
    >>> args = build_parser().parse_args(
    ...     ["reproduce", "--quick", "--experiment", "depth", "width", "--jobs", "2"]
    ... )
    >>> args.command, args.experiment, args.quick, args.jobs
    ('reproduce', ['depth', 'width'], True, 2)
    >>> args.out.as_posix(), args.cache, args.progress  # the defaults
    ('out', None, True)
    """
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Train small MLPs on 2D boundaries and study their exact linear regions.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    reproduce = commands.add_parser(
        "reproduce",
        help="train (or load from the cache) and write every figure plus index.html",
        description=(
            "Train the experiments' nets (or load them from the cache), write every figure "
            "as PNG and PDF under OUT/<experiment>/, and OUT/index.html."
        ),
    )
    reproduce.add_argument(
        "--experiment",
        action="extend",
        nargs="+",
        choices=list(EXPERIMENTS),
        metavar="NAME",
        help=f"experiments to run (default: all): {', '.join(EXPERIMENTS)}",
    )
    reproduce.add_argument(
        "--quick",
        action="store_true",
        help="scaled-down training (fewer samples and SGD steps) for a fast preview",
    )
    reproduce.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"output directory (default: {DEFAULT_OUT})",
    )
    reproduce.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="worker processes: whole experiments in parallel, or one experiment's training "
        "(default: 1)",
    )
    reproduce.add_argument(
        "--cache",
        type=Path,
        default=None,
        metavar="DIR",
        help="model cache directory (default: DIR/cache of --out)",
    )
    reproduce.add_argument(
        "--no-progress", dest="progress", action="store_false", help="hide progress bars"
    )
    # Later checks report through the subcommand's own usage line, like argparse does.
    reproduce.set_defaults(error=reproduce.error)
    return parser


def _unwritable_reason(path: Path) -> str | None:
    """Why ``path`` cannot be used as an output directory, or None if it can."""
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"'{existing}' is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"'{existing}' is not writable"
    return None


def _prepare_directories(error: Callable[[str], NoReturn], paths: dict[str, Path]) -> None:
    """Create every directory in ``paths`` (role -> path), or report through ``error``.

    All paths are checked before any is created, so a bad one leaves nothing behind.
    """
    for role, path in paths.items():
        reason = _unwritable_reason(path)
        if reason is not None:
            error(f"cannot write the {role} directory '{path}': {reason}")
    for role, path in paths.items():
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            error(f"cannot create the {role} directory '{path}': {err.strerror or err}")


def _run_experiment(name: str, options: RunOptions) -> ExperimentReport:
    """Pool worker: one experiment, start to finish, with the notebook that explains it."""
    return replace(EXPERIMENTS[name](options), notebook=NOTEBOOKS.get(name))


def reproduce(options: RunOptions, names: Sequence[str]) -> Path:
    """Run the experiments ``names`` and rewrite ``index.html``; returns its path.

    With ``options.jobs > 1`` and several experiments, whole experiments run in parallel
    worker processes (each training its nets serially), which also spreads the figure
    drawing over the cores; a single experiment parallelises its training instead. The
    outputs do not depend on the order in which experiments finish. The index lists every
    experiment with a manifest in the output directory, so earlier runs of other
    experiments stay in it.

    Parameters
    ----------
    options : RunOptions
        Output and cache directories (which must exist or be creatable), quick mode,
        worker processes and progress bars.
    names : sequence of str
        Keys of :data:`analysis.experiments.EXPERIMENTS`, run in this order.

    Returns
    -------
    Path
        ``options.out_dir / "index.html"``.

    Examples
    --------
    Running an experiment takes seconds to minutes; with no names, only the index is
    rewritten from the manifests already present (none here):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.cli import reproduce
    >>> from analysis.experiments import RunOptions
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     options = RunOptions(Path(tmp), Path(tmp) / "cache", progress=False)
    ...     index = reproduce(options, [])
    ...     print(index.name, "<h1>relu-regions: experiments</h1>" in index.read_text())
    index.html True
    """
    workers = min(options.jobs, len(names))
    if workers > 1:
        serial = replace(options, jobs=1, progress=False)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = [pool.submit(_run_experiment, name, serial) for name in names]
            bar = tqdm(
                as_completed(futures),
                total=len(futures),
                desc="experiments",
                disable=not options.progress,
            )
            for future in bar:
                save_manifest(options.out_dir, future.result())
    else:
        for i, name in enumerate(names, start=1):
            if options.progress:
                print(f"== experiment {i}/{len(names)}: {name}", file=sys.stderr, flush=True)
            save_manifest(options.out_dir, _run_experiment(name, options))
    return write_index(options.out_dir, collect_reports(options.out_dir, EXPERIMENTS))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m analysis``; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 after writing every figure and ``index.html`` (whose path is printed).

    Raises
    ------
    SystemExit
        From argparse: status 0 after ``--help``, status 2 (message on stderr) for an
        invalid argument or an output or cache directory that cannot be written.

    Examples
    --------
    >>> from analysis.cli import main
    >>> try:
    ...     main(["--help"])
    ... except SystemExit as exit:
    ...     print("exit status", exit.code)
    usage: python -m analysis [-h] COMMAND ...
    <BLANKLINE>
    Train small MLPs on 2D boundaries and study their exact linear regions.
    ...
    exit status 0
    >>> try:
    ...     main(["reproduce", "--experiment", "no-such-experiment"])
    ... except SystemExit as exit:
    ...     print("exit status", exit.code)
    exit status 2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    names = list(dict.fromkeys(args.experiment or EXPERIMENTS))
    cache = args.cache if args.cache is not None else args.out / "cache"
    _prepare_directories(args.error, {"output": args.out, "cache": cache})
    options = RunOptions(
        out_dir=args.out, cache_dir=cache, quick=args.quick, jobs=args.jobs, progress=args.progress
    )
    index = reproduce(options, names)
    print(f"wrote {index}")
    return 0
