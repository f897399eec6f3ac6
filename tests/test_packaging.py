"""A non-editable install, used from another directory, carries the plan data, layout and rules with it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # long: kept out of the fast loop (tests/conftest.py)

REPO = Path(__file__).resolve().parent.parent


def test_wheel_ships_data_and_works_outside_the_checkout(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "xlsx_tools/workbook_templates/layout.yaml",
        "xlsx_tools/workbook_templates/plans/bwp2/pillar_c.yaml",
        "xlsx_tools/workbook_templates/plans/bwp1/plan.yaml",
        "xlsx_tools/workbook_templates/reference/asbs.yaml",
        "xlsx_tools/validation/rules.yaml",
    ):
        assert expected in names
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    script = (
        "import xlsx_tools, sys; from xlsx_tools.cli import main; "
        "assert xlsx_tools.__file__.startswith(sys.argv[1]), xlsx_tools.__file__; "
        "sys.argv = ['tipwp', 'init', 'master.xlsx']; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(site)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "master.xlsx").stat().st_size > 10_000
