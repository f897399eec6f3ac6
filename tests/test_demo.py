"""`tipwp demo` produces what it lists, and its story shows in the status matrix: late, missing, one conflict, one
proposed activity. Run through the real CLI, as the README's first command does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.returns_kit import logs
from xlsx_tools.matrix.run import build_matrix

pytestmark = pytest.mark.slow  # long: kept out of the fast loop (tests/conftest.py)

TIPWP = str(Path(sys.executable).parent / "tipwp")


def test_demo_writes_every_file_it_lists_and_tells_the_story(tmp_path: Path) -> None:
    run = subprocess.run(
        [TIPWP, "demo", str(tmp_path / "demo"), "--no-pdf"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert run.returncode == 0, run.stderr
    listed = [line.split(": ", 1)[1] for line in run.stdout.splitlines() if line.startswith("  ") and ": " in line]
    paths = [Path(p) for p in listed if not p.startswith(("2026", "no "))]
    assert paths and all(p.exists() for p in paths), run.stdout
    master = tmp_path / "demo" / "master.xlsx"
    matrix = build_matrix(master, "2026-H2", tmp_path / "m.xlsx")
    returns = dict(zip(matrix.summary.completeness["ASB"], matrix.summary.completeness["Return"], strict=True))
    assert returns["TELMIN"] == "missing" and returns["SOM-MLAT"] == "missing"
    assert returns["ACWC"] == "late" and returns["SOM-ED"] == "late"
    assert returns["SOMTC"] == "on time"
    data = logs(master)
    assert [c["row_id"] for c in data["Conflicts"] if c["period"] == "2026-H2" and c["values"]] == ["A.1.1-01"]
    assert any(p["kind"] == "new activity" and "EXAMPLE" in p["proposed"] for p in data["Proposals"])
    template = next((tmp_path / "demo" / "returns" / "2026-H2").glob("*_SOMTC_return.xlsx"))
    assert "EXAMPLE" in (openpyxl.load_workbook(template).properties.keywords or "")
