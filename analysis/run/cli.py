"""Command line: ``python -m analysis reproduce [--experiment NAME ...] [--quick] ...`` and
``python -m analysis explore MODEL [--hidden 10,10,10] [--box ...] [--out PAGE]``.

Arguments are checked before any work starts: an unknown experiment, an output (or cache)
directory that cannot be created or written to, or a ``--scheduler`` address that is malformed
or cannot be reached ends the run with an argparse-style message on stderr and exit status 2,
leaving nothing behind. Figures, manifests and ``index.html``
are each written atomically. Ctrl-C (once or more) ends the run and its worker processes
with one line, "interrupted; rerun to resume", and exit status 130; a rerun loads every
finished result. Warnings (a cache entry retrained, say) print as one line each.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn

import regions
from analysis.explorer import explore
from analysis.explorer.files import ModelFileError, load_model
from analysis.lab.options import RunOptions
from analysis.run.cluster import address_problem, dask_executor
from analysis.run.registry import EXPERIMENTS
from analysis.run.reproduce import reproduce
from analysis.run.sweep import show_warning

__all__ = ["DEFAULT_OUT", "INTERRUPTED", "build_parser", "main"]

INTERRUPTED = "interrupted; rerun to resume"

DEFAULT_OUT = Path("out")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not comma-separated integers: {text!r}") from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"widths must be at least 1, got {text!r}")
    return widths


def _add_explore(commands: argparse._SubParsersAction) -> None:
    explore = commands.add_parser(
        "explore",
        help="write an interactive HTML page of a model's exact regions",
        description=(
            "Decompose a model from a file into its exact linear regions and write one "
            "self-contained HTML page to explore them (hover, pin, layer slider, zoom)."
        ),
    )
    explore.add_argument(
        "model",
        type=Path,
        metavar="MODEL",
        help="a lab checkpoint (<key>.pt beside <key>.json), a torch.export program (.pt2) "
        "or a state dict of a ReLU MLP (with --hidden); loaded without unpickling objects",
    )
    explore.add_argument(
        "--hidden",
        type=_widths,
        metavar="W1,W2,...",
        help="hidden widths of the MLP a state dict belongs to, e.g. 10,10,10",
    )
    explore.add_argument(
        "--box",
        type=float,
        nargs=4,
        metavar=("XMIN", "XMAX", "YMIN", "YMAX"),
        help="the domain (default: a checkpoint's data box, else [-2, 2]^2)",
    )
    explore.add_argument(
        "--out",
        type=Path,
        metavar="PAGE",
        help="the HTML file to write (default: MODEL with the suffix .html)",
    )
    explore.add_argument("--title", help="the page's heading")
    explore.set_defaults(error=explore.error)


def _explore(args: argparse.Namespace) -> int:
    """``python -m analysis explore``: a bad file or domain ends with exit status 2."""
    import regions

    out = args.out if args.out is not None else args.model.with_suffix(".html")
    reason = _unwritable_reason(out.parent)
    if out.resolve() == args.model.resolve():
        reason = "it is the model file itself, which the page would replace; pass --out"
    elif out.is_dir():
        reason = "it is a directory; pass --out with a file name"
    if reason is not None:
        args.error(f"cannot write the page '{out}': {reason}")
    try:
        loaded = load_model(args.model, hidden=args.hidden)
        data = loaded.dataset
        box = args.box or (data.box if data is not None else None)
        page = explore(loaded.model, out, domain=box, data=data, title=args.title)
    except ModelFileError as err:
        args.error(str(err))
    except regions.RegionsError as err:  # the model the file holds cannot be decomposed
        args.error(f"{args.model}: {err}")
    print(f"wrote {page}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``analysis`` argument parser with its ``reproduce`` and ``explore`` subcommands.

    Returns
    -------
    argparse.ArgumentParser
        ``explore`` gives ``model`` (Path), ``hidden`` (tuple of int or None), ``box``,
        ``out`` (Path or None) and ``title``. ``reproduce`` gives ``command``
        (``'reproduce'``), ``experiment`` (list of names from
        :data:`analysis.run.registry.EXPERIMENTS`, or None for all), ``quick`` (bool),
        ``out`` (Path), ``jobs`` (int >= 1), ``scheduler`` (str or None), ``cache`` (Path, or
        None for ``out/cache``), ``progress`` (bool) and ``error`` (the subcommand's
        ``error`` method, for later checks).

    Examples
    --------
    >>> from analysis.run.cli import build_parser
    >>> args = build_parser().parse_args(
    ...     ["reproduce", "--quick", "--experiment", "depth", "width", "--jobs", "2"]
    ... )
    >>> args.command, args.experiment, args.quick, args.jobs
    ('reproduce', ['depth', 'width'], True, 2)
    >>> args.out.as_posix(), args.cache, args.scheduler, args.progress  # the defaults
    ('out', None, None, True)
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
        help="local worker processes for the jobs and the figures (default: 1)",
    )
    reproduce.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the jobs and figures on the Dask scheduler at ADDRESS (e.g. "
        "tcp://host:8786; needs the 'cluster' extra) instead of local processes",
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
    _add_explore(commands)
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


def _check_directories(error: Callable[[str], NoReturn], paths: dict[str, Path]) -> None:
    """Report through ``error`` the first directory in ``paths`` (role -> path) unusable."""
    for role, path in paths.items():
        reason = _unwritable_reason(path)
        if reason is not None:
            error(f"cannot write the {role} directory '{path}': {reason}")


def _prepare_directories(error: Callable[[str], NoReturn], paths: dict[str, Path]) -> None:
    """Create every directory in ``paths`` (role -> path), or report through ``error``.

    All paths are checked before any is created, so a bad one leaves nothing behind.
    """
    _check_directories(error, paths)
    for role, path in paths.items():
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            error(f"cannot create the {role} directory '{path}': {err.strerror or err}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m analysis``; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 after writing every figure and ``index.html`` (whose path is printed), or the
        explorer page; 130 after Ctrl-C.

    Raises
    ------
    SystemExit
        From argparse: status 0 after ``--help``, status 2 (message on stderr) for an
        invalid argument, an output or cache directory that cannot be written, or a
        ``--scheduler`` address that is malformed or cannot be reached (nothing is created).

    Examples
    --------
    >>> from analysis.run.cli import main
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
    regions.keep_freed_memory()  # a process of our own: its many decompositions reuse pages
    if args.command == "explore":
        return _explore(args)
    names = list(dict.fromkeys(args.experiment or EXPERIMENTS))
    cache = args.cache if args.cache is not None else args.out / "cache"
    directories = {"output": args.out, "cache": cache}
    _check_directories(args.error, directories)
    problem = None if args.scheduler is None else address_problem(args.scheduler)
    if problem is not None:
        args.error(f"--scheduler: {problem}")
    options = RunOptions(
        out_dir=args.out, cache_dir=cache, quick=args.quick, jobs=args.jobs, progress=args.progress
    )
    try:
        with warnings.catch_warnings(), ExitStack() as stack:
            warnings.showwarning = show_warning
            executor = None
            if args.scheduler is not None:
                try:  # before the directories are made: a failure leaves nothing behind
                    executor = stack.enter_context(dask_executor(args.scheduler))
                except ConnectionError as err:
                    args.error(str(err))
            _prepare_directories(args.error, directories)
            index = reproduce(options, names, executor)
    except KeyboardInterrupt:
        # A second Ctrl-C must not interrupt the goodbye.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print(f"\n{INTERRUPTED}", file=sys.stderr, flush=True)
        return 130
    print(f"wrote {index}")
    return 0
