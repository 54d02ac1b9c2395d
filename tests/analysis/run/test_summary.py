"""The summary page and manifests (analysis.run.summary) and publishing (analysis.run.publish)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from pathlib import Path

import pytest

from analysis.run.summary import (
    ExperimentReport,
    FigureFile,
    ManifestWarning,
    collect_reports,
    save_manifest,
    write_index,
)
from analysis.studies.experiment import Table

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = "02_classic_experiment.py"


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


def test_pdf_links_only_where_a_pdf_was_written(tmp_path: Path) -> None:
    report = small_report()
    figures = (report.figures[0], dataclasses.replace(report.figures[1], pdf=False))
    page = write_index(tmp_path, [dataclasses.replace(report, figures=figures)]).read_text()
    assert re.findall(r'<a href="([^"]+\.pdf)">\[PDF\]</a>', page) == ["demo/one.pdf"]
    assert '<img src="demo/two.png"' in page


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


def test_an_unreadable_manifest_is_warned_about_and_left_out_of_the_index(
    tmp_path: Path,
) -> None:
    from analysis.lab.options import RunOptions
    from analysis.run.reproduce import reproduce

    good, bad = ("batchnorm", "dropout")  # registered names: reproduce lists them
    save_manifest(tmp_path, small_report(good))
    path = save_manifest(tmp_path, small_report(bad))
    path.write_text(path.read_text()[:40])  # truncated
    foreign = save_manifest(tmp_path, small_report("depth"))
    foreign.write_text("[1, 2]")  # JSON, but not a manifest
    options = RunOptions(tmp_path, tmp_path / "cache", progress=False)
    with pytest.warns(ManifestWarning) as caught:
        page = reproduce(options, []).read_text()  # rewrites the index only
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2
    assert messages[0].startswith(f"ignoring manifest {foreign} (")
    assert messages[1].startswith(f"ignoring manifest {path} (")
    assert "run experiment 'dropout' again" in messages[1]
    assert "Title of batchnorm" in page and "Title of dropout" not in page
    assert len(path.read_text()) == 40  # left for the experiment's next run to replace


def test_page_depends_only_on_manifests_and_the_relative_path(tmp_path: Path) -> None:
    pages = []
    for out in (tmp_path / "x" / "out", tmp_path / "y" / "out", tmp_path / "deeper" / "z" / "out"):
        for report in (small_report("a"), small_report("b", notebook=None)):
            save_manifest(out, report)
        pages.append(write_index(out, collect_reports(out, ["a", "b"])).read_bytes())
    assert pages[0] == pages[1]  # same manifests, same relative path to notebooks/
    assert pages[2] != pages[0]  # one more "../"
    assert pages[2].replace(b"../", b"") == pages[0].replace(b"../", b"")


def test_explorer_pages_are_published_and_linked(tmp_path: Path) -> None:
    import dataclasses

    import numpy as np

    import regions
    from analysis.lab.options import RunOptions
    from analysis.run.publish import publish, render
    from analysis.run.registry import EXPERIMENTS
    from analysis.run.summary import load_manifest
    from analysis.studies.experiment import Exploration, Report
    from regions.constructions import sawtooth

    part = regions.decompose(sawtooth(2), (0, 1, 0, 1))
    X, y = np.array([[0.2, 0.5], [0.7, 0.5]]), np.array([0, 1])
    pages = (Exploration("explore-saw", "a sawtooth", part, (X, y), 0.5),)
    report = Report("Saw.", (), Table((), ()), pages)
    options = RunOptions(tmp_path, tmp_path / "cache")
    manifest_path = publish(tmp_path, render(EXPERIMENTS["depth"], report, options))
    manifest = load_manifest(manifest_path)
    assert manifest.explorers == (FigureFile("depth/explore-saw", "a sawtooth"),)
    page = (tmp_path / "depth" / "explore-saw.html").read_text(encoding="utf-8")
    assert '"count":4,' in page and '"accuracy":0.5' in page and '"data":true' in page
    index = write_index(tmp_path, [manifest]).read_text(encoding="utf-8")
    links = re.findall(r'<a class="explorer" href="([^"]+)">([^<]+)</a>', index)
    assert links == [("depth/explore-saw.html", "a sawtooth")]
    # A manifest from before explorer pages loads with none.
    data = json.loads(manifest_path.read_text())
    del data["explorers"]
    manifest_path.write_text(json.dumps(data))
    assert load_manifest(manifest_path) == dataclasses.replace(manifest, explorers=())


def test_explorer_pages_carry_checkpoints_for_the_training_slider(tmp_path: Path) -> None:
    import regions
    from analysis.lab.options import RunOptions
    from analysis.run.publish import render
    from analysis.run.registry import EXPERIMENTS
    from analysis.studies.experiment import Exploration, Report
    from regions.constructions import sawtooth

    early, late = (regions.decompose(sawtooth(k), (0, 1, 0, 1)) for k in (1, 3))
    page = Exploration(
        "saw", "a sawtooth", late, accuracy=0.9, step=7, checkpoints=((0, early, 0.5),)
    )
    report = Report("Saw.", (), Table((), ()), (page,))
    html = render(EXPERIMENTS["dynamics"], report, RunOptions(tmp_path, tmp_path)).files
    text = html["dynamics/saw.html"].decode("utf-8")
    # Two frames in training order: step 0 with 2 regions, step 7 with 8.
    assert '"step":0,' in text and '"step":7,' in text
    assert text.index('"step":0,') < text.index('"step":7,')
    assert '"count":2,' in text and '"count":8,' in text


def test_attachments_are_written_listed_and_shown(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    from analysis.lab.options import RunOptions
    from analysis.run.publish import publish, render
    from analysis.run.registry import EXPERIMENTS
    from analysis.run.summary import MediaFile, load_manifest
    from analysis.studies.experiment import Attachment, Drawing, Report

    report = Report(
        "With an animation.",
        (Drawing("square", "A square.", Figure()),),
        Table((), ()),
        attachments=(
            Attachment("movie.gif", "A GIF.", b"GIF89a..."),
            Attachment("movie.mp4", "An MP4.", b"\0"),
        ),
    )
    options = RunOptions(tmp_path, tmp_path / "cache")
    path = publish(tmp_path, render(EXPERIMENTS["dynamics"], report, options))
    manifest = load_manifest(path)
    assert manifest.media == (
        MediaFile("dynamics/movie.gif", "A GIF."),
        MediaFile("dynamics/movie.mp4", "An MP4."),
    )
    assert (tmp_path / "dynamics" / "movie.gif").read_bytes() == b"GIF89a..."
    page = write_index(tmp_path, [manifest]).read_text()
    assert '<img src="dynamics/movie.gif" alt="A GIF.">' in page
    assert '<video controls src="dynamics/movie.mp4"></video>' in page
    old = json.loads(path.read_text())
    del old["media"]  # a manifest written before attachments existed
    path.write_text(json.dumps(old))
    assert load_manifest(path).media == ()


def test_undefined_numbers_are_null_in_strict_json(tmp_path: Path) -> None:
    """A NaN measure (the distance to a decision boundary a net has none of) or an infinite
    one is written as null and an empty CSV field: strict parsers refuse JSON's NaN."""
    from analysis.run.summary import load_manifest

    table = Table(("run", "distance", "ratio"), (("a", float("nan"), 1.5), ("b", 0.25, -math.inf)))
    report = dataclasses.replace(small_report(), table=table)
    path = save_manifest(tmp_path, report)

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    data = json.loads(path.read_text(), parse_constant=refuse)
    assert data["table"]["rows"] == [["a", None, 1.5], ["b", 0.25, None]]
    assert (path.parent / "results.csv").read_text().splitlines()[1:] == ["a,,1.5", "b,0.25,"]
    assert load_manifest(path).table.rows == (("a", None, 1.5), ("b", 0.25, None))
