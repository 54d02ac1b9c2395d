"""The page's script, style and markup ship in the wheel: pyproject's package data covers them."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

import analysis.explorer

ROOT = Path(__file__).resolve().parents[3]


def test_every_static_file_is_package_data() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    table = text.split("[tool.setuptools.package-data]", 1)[1]
    found = re.search(r'^"analysis\.explorer" = (\[.*\])$', table, re.MULTILINE)
    assert found is not None, "no package data for analysis.explorer"
    patterns = ast.literal_eval(found.group(1))
    package = Path(analysis.explorer.__file__).parent
    files = [p.relative_to(package).as_posix() for p in (package / "static").iterdir()]
    assert sorted(files) == [
        "static/explorer.css",
        "static/explorer.js",
        "static/frames.js",
        "static/page.html",
    ]
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []
