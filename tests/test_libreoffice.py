"""The master workbook as a real LibreOffice sees it: it converts cleanly, and its dropdowns, named ranges,
cell locks and sheet protection survive into LibreOffice's own model (read through UNO by tests/lo_probe.py).

No mocks: real files from the real writer, real soffice. UNO is importable only from the system interpreter,
so the probe runs as a subprocess of /usr/bin/python3.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from xlsx_tools.layout.loader import load_layout
from xlsx_tools.layout.model import Column
from xlsx_tools.office import convert
from xlsx_tools.plan.context import plan_context

PROBE = Path(__file__).resolve().parent / "lo_probe.py"
SYSTEM_PYTHON = "/usr/bin/python3"
TIMEOUT = 120
SHEET = "A. Prevention"
LISTS_REFERENCE = re.compile(r"^\$?'?Lists'?\.\$?[A-Z]+\$?\d+:\$?[A-Z]+\$?\d+$")


def _convert(soffice: str, source: Path, workdir: Path) -> Path:
    """`soffice --convert-to xlsx` with a private profile (xlsx_tools.office); returns the converted file."""
    assert soffice  # the fixture makes sure LibreOffice is there
    target = convert(source, "xlsx", workdir / "converted")
    assert target.is_file() and target.stat().st_size > 0
    return target


def _values(sheet: Any) -> dict[tuple[int, int], Any]:
    """Every non-empty cell value by (row, column); None and "" both count as empty."""
    return {
        (cell.row, cell.column): cell.value
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None and cell.value != ""
    }


def _pillar_sheets(plan_id: str) -> list[str]:
    return [pillar.sheet_name for pillar in plan_context(plan_id).plan.pillars]


def _assert_same_values(original: Path, converted: Path, sheet_names: list[str]) -> None:
    before = openpyxl.load_workbook(original)
    after = openpyxl.load_workbook(converted)
    assert after.sheetnames == before.sheetnames
    for name in sheet_names:
        expected = _values(before[name])
        actual = _values(after[name])
        assert expected, f"{name}: the original sheet is empty"
        missing = {k: v for k, v in expected.items() if actual.get(k) != v}
        extra = {k: v for k, v in actual.items() if k not in expected}
        assert not missing, f"{name}: cells changed by LibreOffice (original values): {dict(list(missing.items())[:5])}"
        assert not extra, f"{name}: cells added by LibreOffice: {dict(list(extra.items())[:5])}"


def test_master_bwp2_round_trips_through_libreoffice(soffice: str, master_bwp2: Path, tmp_path: Path) -> None:
    converted = _convert(soffice, master_bwp2, tmp_path)
    pillars = _pillar_sheets("bwp2")
    assert len(pillars) == 4
    _assert_same_values(master_bwp2, converted, pillars)


def test_master_bwp1_round_trips_through_libreoffice(soffice: str, master_bwp1: Path, tmp_path: Path) -> None:
    converted = _convert(soffice, master_bwp1, tmp_path)
    pillars = _pillar_sheets("bwp1")
    assert len(pillars) == 4
    _assert_same_values(master_bwp1, converted, pillars[:1])
    assert openpyxl.load_workbook(converted, read_only=True).sheetnames[1:5] == pillars


# --- what LibreOffice's own model holds (one probe run for the whole module) ---


@pytest.fixture(scope="module")
def columns() -> dict[str, tuple[str, Column]]:
    """Header → (column letter, layout column) for the 2.0 pillar sheets."""
    return {
        column.header: (get_column_letter(index), column)
        for index, column in enumerate(load_layout().sheet("bwp2").columns, start=1)
    }


@pytest.fixture(scope="module")
def spare_row() -> int:
    """The first row below the plan rows on the probed sheet (editable, validated, empty)."""
    pillar = plan_context("bwp2").plan.pillar_by_sheet(SHEET)
    assert pillar is not None and pillar.rows
    return len(pillar.rows) + 2


@pytest.fixture(scope="module")
def probed(soffice: str, master_bwp2: Path, columns: dict[str, tuple[str, Column]], spare_row: int) -> dict[str, Any]:
    header_row = next(openpyxl.load_workbook(master_bwp2, read_only=True)[SHEET].iter_rows(max_row=1, values_only=True))
    assert list(header_row[: len(columns)]) == list(columns), "row 1 of the sheet does not match the layout"
    cells = [f"{letter}2" for letter, _ in columns.values()]
    cells += [f"{letter}{spare_row}" for letter, column in columns.values() if column.role == "reporting"]
    result = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE), str(master_bwp2), SHEET, ",".join(cells)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"lo_probe failed ({result.returncode}): {result.stderr}"
    data = json.loads(result.stdout)
    assert set(data["cells"]) == set(cells)
    return data


def _cell(probed: dict[str, Any], columns: dict[str, tuple[str, Column]], header: str, row: int = 2) -> dict:
    letter, _ = columns[header]
    return probed["cells"][f"{letter}{row}"]


def _list_name(formula: str) -> str:
    return formula.strip().lstrip("=").strip()


@pytest.mark.parametrize(
    ("header", "list_name"),
    [
        ("Coordinating ASB", "ASB_LIST"),
        ("Supporting ASB 1", "ASB_LIST"),
        ("Status", "STATUS_LIST"),
        ("Reporting period", "PERIOD_LIST"),
    ],
)
def test_dropdown_points_at_named_range(
    probed: dict[str, Any], columns: dict[str, tuple[str, Column]], header: str, list_name: str
) -> None:
    cell = _cell(probed, columns, header)
    assert cell["validation_type"] == "LIST", cell
    assert _list_name(cell["formula1"]) == list_name, cell
    assert cell["show_error"] is True, cell


def test_every_column_has_the_validation_the_layout_declares(
    probed: dict[str, Any], columns: dict[str, tuple[str, Column]]
) -> None:
    for header, (_, column) in columns.items():
        cell = _cell(probed, columns, header)
        if column.list_name:
            assert cell["validation_type"] == "LIST", (header, cell)
            assert _list_name(cell["formula1"]) == column.list_name, (header, cell)
            assert cell["show_error"] is column.strict, (header, cell)
        elif column.role == "reporting":
            assert cell["validation_type"] == "TEXT_LEN", (header, cell)
            assert cell["formula1"].strip() == "32767", (header, cell)
        else:
            assert cell["validation_type"] == "ANY", (header, cell)
        if column.role == "reporting" and column.prompt:
            assert cell["input_title"] == column.header[:32], (header, cell)


def test_named_ranges_point_at_the_lists_sheet(probed: dict[str, Any]) -> None:
    names = probed["named_ranges"]
    for name in load_layout().lists:
        assert name in names, f"{name} missing from {sorted(names)}"
        assert LISTS_REFERENCE.match(names[name]), (name, names[name])
    assert "Lists" in probed["sheet_names"]


def test_sheet_is_protected(probed: dict[str, Any]) -> None:
    assert probed["sheet_protected"] is True


def test_plan_columns_locked_reporting_columns_unlocked(
    probed: dict[str, Any], columns: dict[str, tuple[str, Column]], spare_row: int
) -> None:
    roles = {column.role for _, column in columns.values()}
    assert roles == {"id", "plan", "previous", "reporting", "check"}
    for header, (_, column) in columns.items():
        cell = _cell(probed, columns, header)
        if column.role in ("plan", "id", "previous", "check"):
            assert cell["locked"] is True, f"{header} (row 2) should be locked"
        else:
            assert cell["locked"] is False, f"{header} (row 2) should be editable"
            spare = _cell(probed, columns, header, spare_row)
            assert spare["locked"] is False, f"{header} (row {spare_row}) should be editable"
            assert spare["validation_type"] == _cell(probed, columns, header)["validation_type"], header
