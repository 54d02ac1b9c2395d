"""``python -m analysis reproduce``: outputs, determinism and argument errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.experiments import EXPERIMENTS, NOTEBOOKS, QUICK_STEPS
from analysis.models import MLPConfig
from analysis.report import (
    NOTEBOOKS_DIR,
    ExperimentReport,
    FigureFile,
    Table,
    collect_reports,
    load_manifest,
    save_manifest,
    write_index,
)
from analysis.train import TrainConfig

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = "batchnorm"  # the smallest classic experiment: 2 settings x 4 boundaries
FIGURES = ("surfaces", "heatmaps", "regions")
NOTEBOOK = "02_classic_experiment.py"  # explains the classic experiments


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reproduce") / "out"
    argv = ["reproduce", "--experiment", EXPERIMENT, "--quick", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    return out


def expected_files() -> list[str]:
    figures = [f"{EXPERIMENT}/{name}.{ext}" for name in FIGURES for ext in ("png", "pdf")]
    return [*figures, f"{EXPERIMENT}/results.json", f"{EXPERIMENT}/results.csv", "index.html"]


def test_quick_run_writes_every_figure_and_the_index(quick_run: Path) -> None:
    for name in expected_files():
        path = quick_run / name
        assert path.is_file() and path.stat().st_size > 0, name
    for name in FIGURES:
        assert (quick_run / EXPERIMENT / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (quick_run / EXPERIMENT / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
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
    # One table row per trained net: 4 boundaries x 2 settings.
    assert page.count("<td>batchnorm</td>") == 8
    csv_lines = (quick_run / EXPERIMENT / "results.csv").read_text().splitlines()
    assert csv_lines[0].startswith("experiment,boundary,setting,test_acc,grid_acc,n_regions")
    assert len(csv_lines) == 1 + 8


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


def test_registry_holds_the_six_classic_experiments_with_their_settings() -> None:
    assert list(EXPERIMENTS)[:6] == [
        "activation",
        "depth",
        "width",
        "dropout",
        "batchnorm",
        "residual",
    ]
    columns = {name: len(EXPERIMENTS[name].settings) for name in list(EXPERIMENTS)[:6]}
    assert columns == {
        "activation": 5,
        "depth": 4,
        "width": 7,
        "dropout": 4,
        "batchnorm": 2,
        "residual": 8,
    }


def test_full_mode_uses_the_classic_training_settings() -> None:
    classic = TrainConfig(dataset="line")
    for name in ("activation", "depth", "width", "dropout", "batchnorm"):
        for config in EXPERIMENTS[name].configs(quick=False):
            assert (config.n_train, config.batch_size, config.epochs, config.lr) == (
                10_000,
                1_000,
                100,
                0.01,
            )
            assert config.model.init == "he" and config.seed == classic.seed
    residual = EXPERIMENTS["residual"].configs(quick=False)
    assert sorted({c.n_train for c in residual}) == [100, 1_000, 10_000, 100_000]
    assert {c.batch_size for c in residual} == {100}
    assert {c.model.residual for c in residual} == {None, (False, True, True, True)}
    assert MLPConfig(batch_norm=True).bn_momentum == 0.05  # a 0.95 moving average


def test_quick_mode_caps_sgd_steps_and_keeps_residual_sample_sizes() -> None:
    for name in list(EXPERIMENTS)[:6]:
        for config in EXPERIMENTS[name].configs(quick=True):
            steps = config.epochs * -(-config.n_train // config.batch_size)
            assert 1 <= steps <= QUICK_STEPS
    residual = EXPERIMENTS["residual"].configs(quick=True)
    assert sorted({c.n_train for c in residual}) == [100, 1_000, 10_000, 100_000]


def test_every_experiment_names_its_notebook() -> None:
    assert set(NOTEBOOKS) == set(EXPERIMENTS)
    assert {NOTEBOOKS[name] for name in list(EXPERIMENTS)[:6]} == {NOTEBOOK}
    assert NOTEBOOKS["depth-vs-width"] == "03_depth_vs_width.py"
    assert NOTEBOOKS["folding"] == "04_space_folding.py"
    assert NOTEBOOKS["sensitivity"] == "05_sensitivity.py"
    missing = {nb for nb in NOTEBOOKS.values() if not (REPO / "notebooks" / nb).is_file()}
    assert not missing, missing
    assert NOTEBOOKS_DIR == REPO / "notebooks"  # run from the source checkout


def small_report(name: str = "demo", notebook: str | None = NOTEBOOK) -> ExperimentReport:
    return ExperimentReport(
        name=name,
        title=f"Title of {name}",
        description="No training, just a record.",
        quick=True,
        figures=(FigureFile(f"{name}/one", "First."), FigureFile(f"{name}/two", "Second.")),
        table=Table(("net", "n_regions"), (("2-4-1", 7),)),
        notebook=notebook,
    )


def notebook_hrefs(page: str) -> list[str]:
    return re.findall(r'<a class="notebook" href="([^"]+)"', page)


@pytest.mark.parametrize("where", ["out", "a/b/c/out"])
def test_notebook_links_are_relative_from_the_output_directory(tmp_path: Path, where: str) -> None:
    out = tmp_path / where
    page = write_index(out, [small_report()]).read_text()
    hrefs = notebook_hrefs(page)
    assert len(hrefs) == 1 + 2  # the section and both figures
    assert set(hrefs) == {Path(os.path.relpath(REPO / "notebooks" / NOTEBOOK, out)).as_posix()}
    assert not hrefs[0].startswith(("/", "file:"))
    assert (out / hrefs[0]).resolve() == (REPO / "notebooks" / NOTEBOOK).resolve()
    assert f"<code>{NOTEBOOK}</code>" in page


def test_link_to_a_notebook_not_written_yet(tmp_path: Path) -> None:
    # The folding notebook may not exist yet: the page links to where it will be.
    page = write_index(tmp_path, [small_report(notebook="04_space_folding.py")]).read_text()
    hrefs = set(notebook_hrefs(page))
    assert len(hrefs) == 1 and hrefs.pop().endswith("notebooks/04_space_folding.py")


def test_notebook_link_is_url_quoted(tmp_path: Path) -> None:
    notebooks = tmp_path / "my repo#1" / "notebooks"
    notebooks.mkdir(parents=True)
    page = write_index(tmp_path / "out", [small_report()], notebooks_dir=notebooks).read_text()
    assert set(notebook_hrefs(page)) == {f"../my%20repo%231/notebooks/{NOTEBOOK}"}


@pytest.mark.parametrize("notebooks_dir", [None, "missing"])
def test_without_a_notebooks_folder_the_page_names_the_notebook(
    tmp_path: Path, notebooks_dir: str | None
) -> None:
    folder = None if notebooks_dir is None else tmp_path / notebooks_dir
    page = write_index(tmp_path, [small_report()], notebooks_dir=folder).read_text()
    assert notebook_hrefs(page) == []
    assert ".py" not in "".join(re.findall(r'href="([^"]+)"', page))  # no broken link
    assert f"<code>notebooks/{NOTEBOOK}</code> in the source repository" in page
    assert "[notebook]" not in page


def test_report_without_notebook_and_old_manifests(tmp_path: Path) -> None:
    save_manifest(tmp_path, small_report("linked"))
    save_manifest(tmp_path, small_report("plain", notebook=None))
    # A manifest written before reports named their notebook has no such key.
    old = tmp_path / "old" / "results.json"
    old.parent.mkdir()
    data = json.loads((tmp_path / "plain" / "results.json").read_text())
    del data["notebook"]
    old.write_text(json.dumps({**data, "name": "old"}))
    reports = collect_reports(tmp_path, ["linked", "plain", "old"])
    assert [r.notebook for r in reports] == [NOTEBOOK, None, None]
    page = write_index(tmp_path, reports).read_text()
    assert len(notebook_hrefs(page)) == 3  # only the linked section and its two figures
    assert page.count('<p class="notebook">') == 1


def test_page_depends_only_on_manifests_and_the_relative_path(tmp_path: Path) -> None:
    pages = []
    for out in (tmp_path / "x" / "out", tmp_path / "y" / "out", tmp_path / "deeper" / "z" / "out"):
        for report in (small_report("a"), small_report("b", notebook=None)):
            save_manifest(out, report)
        pages.append(write_index(out, collect_reports(out, ["a", "b"])).read_bytes())
    assert pages[0] == pages[1]  # same manifests, same relative path to notebooks/
    assert pages[2] != pages[0]  # one more "../"
    assert pages[2].replace(b"../", b"") == pages[0].replace(b"../", b"")
