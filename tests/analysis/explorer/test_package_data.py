"""The page's script, style and markup ship in the wheel: pyproject's package data covers them."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import analysis.explorer

ROOT = Path(__file__).resolve().parents[3]


def test_every_static_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["analysis.explorer"]
    package = Path(analysis.explorer.__file__).parent
    files = [p.relative_to(package).as_posix() for p in (package / "static").iterdir()]
    assert sorted(files) == ["static/explorer.css", "static/explorer.js", "static/page.html"]
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []
