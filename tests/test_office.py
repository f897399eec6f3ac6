"""A return template in a real LibreOffice: page 1 renders to a PNG (xlsx_tools.office), and a template filled
through LibreOffice's own model the way a person would (tests/lo_fill.py: a status chosen from the dropdown, a
narrative typed) and saved by LibreOffice as .xlsx keeps its identity and manifest sheets and validates clean.

No mocks: real template from the real writer, real soffice and pdftoppm. UNO is importable only from the system
interpreter, so lo_fill.py runs as a subprocess of /usr/bin/python3.
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.helpers import letter
from xlsx_tools.findings import Severity
from xlsx_tools.office import OfficeError, convert, render_first_page_png
from xlsx_tools.plan.context import plan_context
from xlsx_tools.returns.issue import issue_templates
from xlsx_tools.returns.manifest import MANIFEST_SHEET
from xlsx_tools.sheet_names import IDENTITY_SHEET
from xlsx_tools.validate.checks import validate_file

FILL = Path(__file__).resolve().parent / "lo_fill.py"
SYSTEM_PYTHON = "/usr/bin/python3"
TIMEOUT = 120
SHEET = "A. Prevention"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NARRATIVE = "Regional workshop on online recruitment held in Manila; 40 officers trained, report shared."


@pytest.fixture(scope="module")
def template(master_bwp2: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    issued = issue_templates(master_bwp2, "2026-H2", tmp_path_factory.mktemp("issued"), asbs=["SOMTC"])
    assert len(issued) == 1 and issued[0].rows > 0
    return issued[0].path


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path}: no IHDR chunk first"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _values(sheet: Any) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_render_first_page_of_a_sheet(soffice: str, template: Path, tmp_path: Path) -> None:
    png = render_first_page_png(template, tmp_path / "page1.png", sheet=SHEET, dpi=110)
    assert png == tmp_path / "page1.png"
    width, height = _png_size(png)
    # A4 landscape at 110 dpi is about 1286 x 909 pixels.
    assert width > 500 and height > 300, (width, height)
    assert width > height, "the pillar sheets print landscape"


def test_render_names_the_missing_sheet(template: Path, tmp_path: Path) -> None:
    with pytest.raises(OfficeError, match=r"no sheet 'Nope'.*A\. Prevention"):
        render_first_page_png(template, tmp_path / "x.png", sheet="Nope")


def test_convert_of_a_non_workbook_says_no_output(soffice: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt.xlsx"
    notes.write_bytes(b"\x00\x01 not a workbook")
    with pytest.raises(OfficeError, match=r"notes\.txt\.xlsx"):
        convert(notes, "pdf", tmp_path / "out")


def test_convert_without_soffice_says_what_to_install(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: soffice is not installed
    with pytest.raises(OfficeError, match=r"libreoffice-calc-nogui"):
        convert(template, "pdf", tmp_path / "out")


# --- a template filled in LibreOffice and saved by it (one soffice run for the rest of the module) ---


@pytest.fixture(scope="module")
def filled(soffice: str, template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("lo_fill")
    output = folder / "filled.xlsx"
    spec = {
        "input": str(template),
        "output": str(output),
        "edits": [
            {"sheet": SHEET, "cell": f"{letter('status')}2", "choose": 2},
            {"sheet": SHEET, "cell": f"{letter('progress')}2", "type": NARRATIVE},
        ],
    }
    spec_path = folder / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    result = subprocess.run(
        [SYSTEM_PYTHON, str(FILL), str(spec_path)], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert result.returncode == 0, f"lo_fill failed ({result.returncode}): {result.stderr}"
    assert output.is_file()
    return output, json.loads(result.stdout)["written"]


def test_chosen_status_and_typed_narrative_arrive(filled: tuple[Path, dict[str, str]]) -> None:
    path, written = filled
    status_cell, progress_cell = f"{letter('status')}2", f"{letter('progress')}2"
    chosen = written[f"{SHEET}!{status_cell}"]
    assert chosen in plan_context("bwp2").lists["STATUS_LIST"], chosen
    assert written[f"{SHEET}!{progress_cell}"] == NARRATIVE
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert sheet[status_cell].value == chosen
    assert sheet[progress_cell].value == NARRATIVE
    assert sheet[progress_cell].data_type == "s"


def test_identity_and_manifest_survive_libreoffice(template: Path, filled: tuple[Path, dict[str, str]]) -> None:
    before = openpyxl.load_workbook(template)
    after = openpyxl.load_workbook(filled[0])
    assert after.sheetnames == before.sheetnames
    for name in (IDENTITY_SHEET, MANIFEST_SHEET):
        assert _values(after[name]) == _values(before[name]), f"{name}: content changed by LibreOffice"
        assert after[name].protection.sheet, f"{name}: LibreOffice dropped the sheet protection"
        # LibreOffice has no 'very hidden': it saves these sheets as plain 'hidden' (Format > Sheets > Show
        # lists them). They must at least stay out of sight.
        assert after[name].sheet_state in ("hidden", "veryHidden"), (name, after[name].sheet_state)


def test_libreoffice_filled_template_validates_without_errors(filled: tuple[Path, dict[str, str]]) -> None:
    findings = validate_file(filled[0])
    errors = [f for f in findings if f.severity in (Severity.ERROR, Severity.FATAL)]
    assert not errors, "\n".join(f"{f.code} {f.message}" for f in errors)
