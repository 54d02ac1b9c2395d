"""``python -m analysis reproduce``: outputs, determinism and argument errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from analysis.lab.cache import entry_paths
from analysis.run.cli import INTERRUPTED, main
from analysis.run.registry import EXPERIMENTS
from analysis.run.summary import NOTEBOOKS_DIR, load_manifest

REPO = Path(__file__).resolve().parents[3]
EXPERIMENT = "batchnorm"  # the smallest classic experiment: 2 settings x 1 quick boundary
FIGURES = ("surfaces", "heatmaps", "regions")
NOTEBOOK = "02_classic_experiment.py"  # explains the classic experiments


def run_module(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reproduce") / "out"
    argv = ["reproduce", "--experiment", EXPERIMENT, "--quick", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    return out


def expected_files() -> list[str]:
    figures = [f"{EXPERIMENT}/{name}.png" for name in FIGURES]  # quick mode: no PDFs
    return [*figures, f"{EXPERIMENT}/results.json", f"{EXPERIMENT}/results.csv", "index.html"]


def test_quick_run_writes_every_figure_and_the_index(quick_run: Path) -> None:
    for name in expected_files():
        path = quick_run / name
        assert path.is_file() and path.stat().st_size > 0, name
    for name in FIGURES:
        assert (quick_run / EXPERIMENT / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not (quick_run / EXPERIMENT / f"{name}.pdf").exists()
    assert ">[PDF]</a>" not in (quick_run / "index.html").read_text()
    assert (quick_run / "cache").is_dir()  # default cache lives inside the output directory
    assert not list(quick_run.rglob(".*.partial"))  # no temporary files left behind


def test_index_links_resolve_and_show_the_numbers(quick_run: Path) -> None:
    page = (quick_run / "index.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    links = re.findall(r'href="([^"#]+)"', page)
    assert len(images) == len(FIGURES)
    for ref in images + links:
        assert not ref.startswith(("/", "http:", "https:")), ref  # relative, nothing external
        assert (quick_run / ref).is_file(), ref
    # The section and each figure's caption link to the notebook in the source checkout.
    notebook_links = [ref for ref in links if ref.endswith(".py")]
    assert len(notebook_links) == 1 + len(FIGURES)
    assert {(quick_run / ref).resolve() for ref in notebook_links} == {
        (REPO / "notebooks" / NOTEBOOK).resolve()
    }
    assert load_manifest(quick_run / EXPERIMENT / "results.json").notebook == NOTEBOOK
    # One table row per trained net: the quick boundary x 2 settings.
    assert page.count("<td>batchnorm</td>") == 2
    # Every net is piecewise linear (batch norm folds into the linear maps) and small: each
    # gets an explorer page, linked from the section.
    explorers = re.findall(r'<a class="explorer" href="([^"]+)"', page)
    assert len(explorers) == 2 and all(ref.endswith(".html") for ref in explorers)
    assert all('id="regions-data"' in (quick_run / ref).read_text() for ref in explorers)
    csv_lines = (quick_run / EXPERIMENT / "results.csv").read_text().splitlines()
    assert csv_lines[0].startswith("experiment,boundary,setting,test_acc,grid_acc,n_regions")
    assert len(csv_lines) == 1 + 2


def test_rerun_loads_the_cache_and_writes_identical_files(quick_run: Path) -> None:
    before = {name: (quick_run / name).read_bytes() for name in expected_files()}
    argv = ["reproduce", "--experiment", EXPERIMENT, "--quick", "--out", str(quick_run)]
    assert main([*argv, "--no-progress"]) == 0
    for name, content in before.items():
        assert (quick_run / name).read_bytes() == content, f"{name} changed on rerun"


def test_unknown_experiment_fails_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_module("reproduce", "--experiment", "nonsense", "--out", str(out))
    assert result.returncode == 2
    assert "invalid choice: 'nonsense'" in result.stderr
    assert all(name in result.stderr for name in EXPERIMENTS)
    assert result.stderr.startswith("usage:")
    assert not out.exists()


def test_output_under_a_regular_file_fails_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    out = blocker / "out"
    result = run_module("reproduce", "--experiment", EXPERIMENT, "--quick", "--out", str(out))
    assert result.returncode == 2
    assert "cannot write the output directory" in result.stderr
    assert "is not a directory" in result.stderr
    assert blocker.read_text() == "not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_cache_under_a_regular_file_fails_before_creating_the_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "--out", str(tmp_path / "out"), "--cache", str(blocker / "cache")])
    assert exit_info.value.code == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("jobs", ["0", "two"])
def test_bad_jobs_is_an_argument_error(jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "--jobs", jobs])
    assert exit_info.value.code == 2
    assert "--jobs" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("garbage", "'garbage' is not a scheduler address: expected [SCHEME://]HOST:PORT"),
        ("http://host:80", "unknown protocol 'http'"),
        ("tcp://host:0", "port 0 of 'tcp://host:0' is not in 1..65535"),
        ("tcp://127.0.0.1:1", "cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
    ],
)
def test_a_bad_or_unreachable_scheduler_is_an_argument_error_leaving_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], address: str, why: str
) -> None:
    import dask  # the cluster extra, which this environment installs

    out = tmp_path / "out"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(SystemExit) as exit_info:
            main(["reproduce", "--quick", "--out", str(out), "--scheduler", address])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    *usage, reason = err.strip().splitlines()  # the usage and one line of reason
    assert usage[0].startswith("usage:") and "Traceback" not in err
    assert reason.startswith("python -m analysis reproduce: error: ") and why in reason
    assert list(tmp_path.iterdir()) == []


def test_every_experiment_names_its_notebook() -> None:
    notebooks = {name: e.notebook for name, e in EXPERIMENTS.items()}
    assert {notebooks[name] for name in list(EXPERIMENTS)[:6]} == {NOTEBOOK}
    assert notebooks["depth-vs-width"] == "03_depth_vs_width.py"
    assert notebooks["folding"] == "04_space_folding.py"
    assert notebooks["sensitivity"] == "05_sensitivity.py"
    missing = {nb for nb in notebooks.values() if not (REPO / "notebooks" / nb).is_file()}
    assert not missing, missing
    assert NOTEBOOKS_DIR == REPO / "notebooks"  # run from the source checkout


def test_a_corrupt_cache_entry_is_one_warning_line_and_a_retrain(quick_run: Path) -> None:
    # Weights the cache did not write (a flipped bit, NaN): one line, then the run goes on.
    meta = next((quick_run / "cache").glob("*.json"))
    key = meta.stem
    pt_path, _ = entry_paths(quick_run / "cache", key)
    payload = torch.load(pt_path, weights_only=True)
    payload["state_dict"]["output.bias"].view(torch.int32)[0] ^= 1  # one flipped bit
    torch.save(payload, pt_path)
    for sweep in (quick_run / "cache" / "sweeps").glob("*.json"):  # so the net is needed again
        sweep.unlink()
    out = run_module("reproduce", "--experiment", EXPERIMENT, "--quick", "--out", str(quick_run),
                     "--no-progress", timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr
    warning = [line for line in out.stderr.splitlines() if "CacheWarning" in line]
    assert len(warning) == 1 and warning[0].startswith("CacheWarning: ignoring cache entry")
    assert "Traceback" not in out.stderr


def left_in_group(pgid: int, wait: float = 10.0) -> list[str]:
    """Command lines of the processes still in process group ``pgid`` after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        left = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                left.append(cmdline)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_ends_the_run_and_its_workers_and_a_rerun_resumes(
    tmp_path: Path, presses: int
) -> None:
    out = tmp_path / "out"
    argv = ["reproduce", "--experiment", EXPERIMENT, "--quick", "--jobs", "2", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "analysis", *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches
    )
    deadline = time.monotonic() + 120
    while not list((out / "cache").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)  # until the workers have finished a net: mid-sweep
    assert proc.poll() is None, proc.communicate()
    for _ in range(presses):
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.3)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.rstrip().splitlines()[-1] == INTERRUPTED
    assert "Traceback" not in err
    assert left_in_group(proc.pid) == []  # every worker ended
    done = len(list((out / "cache").glob("*.json")))
    rerun = run_module(*argv, "--no-progress", timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert (out / EXPERIMENT / "results.csv").is_file() and done >= 1
