"""The README's promises: its two set-up commands come first, and its first example runs and
prints what its comment says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _section_code(heading: str) -> str:
    """The first ```python block after ``heading``."""
    after = README.split(heading, 1)[1]
    match = re.search(r"```python\n(.*?)```", after, flags=re.S)
    assert match, f"no python block after {heading!r}"
    return match.group(1)


def test_setup_commands_come_first() -> None:
    lines = README.splitlines()
    assert lines[0] == "# relu-regions" and lines[2] == "```bash"
    run, test = lines[3], lines[4]
    assert "pip install -c constraints.txt -e ." in run and "analysis reproduce" in run
    assert 'pip install -c constraints.txt -e ".[dev]"' in test and "pytest" in test
    assert lines[5] == "```"


def test_first_example_runs_and_prints_what_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _section_code("## A first example")
    assert len([line for line in code.splitlines() if line.strip()]) <= 16
    # The comment on the print line states its output.
    promised = re.search(r"print\(.*\)  # (.*?):", code).group(1)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    assert out.getvalue().strip() == promised
    assert (tmp_path / "regions.png").stat().st_size > 10_000
    page = (tmp_path / "regions.html").read_text(encoding="utf-8")
    assert '"count":767,' in page and "window.regionsExplorer" in page


def test_every_public_name_of_regions_is_listed() -> None:
    """The README's list of public names claims to be complete: it names all of
    ``regions.__all__`` and nothing else."""
    import regions

    section = README.split("### Every public name of `regions`")[1].split("\n## ")[0]
    section = section.split("\n### ")[0]
    names = set(re.findall(r"`([A-Za-z_]+)`", section))
    assert names == set(regions.__all__)
