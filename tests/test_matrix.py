"""The status matrix (`tipwp matrix`) on a master with known returns across three periods: cells, colours and notes,
outline levels, summary counts, completeness (on time / late / missing), change lists, print setup, charts, the PDF,
the 2017–2020 plan's free-text statuses, and the command line.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.returns_kit import fill, row_places
from xlsx_tools.cli import app
from xlsx_tools.layout.measure import text_height
from xlsx_tools.matrix.core import NO_REPORT, OTHER, load_status_map
from xlsx_tools.matrix.run import MatrixError, MatrixResult, build_matrix
from xlsx_tools.matrix.writer import LEGEND
from xlsx_tools.merge.run import merge_returns, open_new_period
from xlsx_tools.plan.context import plan_context
from xlsx_tools.returns.issue import issue_templates
from xlsx_tools.workbook.master import build_master
from xlsx_tools.workbook.styles import FONT_SIZE

pytestmark = pytest.mark.slow  # end to end, over 10 s in all: kept out of the fast loop

UTC = dt.timezone.utc
TODAY = dt.date(2027, 8, 10)
SHARED = "A.1.1-01"  # coordinated by SOMTC, supported by ACWC and SOM-ED
STOPPED = "A.1.1-02"  # SOMTC: Ongoing → Postponed → Discontinued
STEADY = "A.1.1-03"  # SOMTC: Ongoing in all three periods
ACWC_ROW = "A.1.2-01"  # coordinated by ACWC: Concept note twice, then nothing


def _merge(master: Path, template: Path, when: dt.datetime) -> None:
    result = merge_returns(master, [template], now=when)
    assert result.written and result.report.exit_code == 0, result.report.findings


def _issue(master: Path, period: str, folder: Path, asbs: list[str], due: str) -> dict[str, Path]:
    return {t.asb: t.path for t in issue_templates(master, period, folder / period, asbs=asbs, due=due)}


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("matrix")
    path = folder / "master.xlsx"
    build_master(path, plan_id="bwp2", period="2026-H1")
    # 2026-H1: SOMTC on time, ACWC late, SOM-ED never
    h1 = _issue(path, "2026-H1", folder, ["SOMTC", "ACWC", "SOM-ED"], due="2026-07-31")
    fill(
        h1["SOMTC"],
        {
            SHARED: {"status": "Ongoing", "progress": "Two workshops held."},
            STOPPED: {"status": "Ongoing"},
            STEADY: {"status": "Ongoing", "progress": "Campaign running."},
        },
    )
    fill(h1["ACWC"], {ACWC_ROW: {"status": "Concept note / seeking funding"}})
    _merge(path, h1["SOMTC"], dt.datetime(2026, 7, 20, 9, tzinfo=UTC))
    _merge(path, h1["ACWC"], dt.datetime(2026, 8, 20, 9, tzinfo=UTC))
    # 2026-H2: both on time
    assert open_new_period(path, "2026-H2", now=dt.datetime(2026, 9, 1, tzinfo=UTC)).written
    h2 = _issue(path, "2026-H2", folder, ["SOMTC", "ACWC"], due="2027-01-31")
    fill(
        h2["SOMTC"],
        {
            SHARED: {"status": "Completed", "progress": "Regional curriculum adopted.", "event_dates": "2026-09-01"},
            STOPPED: {"status": "Postponed", "progress": "No venue."},
            STEADY: {"status": "Ongoing"},
        },
    )
    fill(h2["ACWC"], {ACWC_ROW: {"status": "Concept note / seeking funding"}})
    _merge(path, h2["SOMTC"], dt.datetime(2027, 1, 10, tzinfo=UTC))
    _merge(path, h2["ACWC"], dt.datetime(2027, 1, 31, 23, tzinfo=UTC))  # on the due date: on time
    # 2027-H1 (left open): SOMTC late, ACWC missing
    assert open_new_period(path, "2027-H1", now=dt.datetime(2027, 2, 1, tzinfo=UTC)).written
    h3 = _issue(path, "2027-H1", folder, ["SOMTC"], due="2027-07-31")
    fill(
        h3["SOMTC"],
        {
            SHARED: {"status": "Completed", "event_dates": "2026-09-01", "progress": "Curriculum in use."},
            STOPPED: {"status": "Discontinued", "progress": "Dropped by the Working Group."},
            STEADY: {"status": "Ongoing"},
        },
    )
    _merge(path, h3["SOMTC"], dt.datetime(2027, 8, 5, tzinfo=UTC))
    return path


@pytest.fixture(scope="module")
def open_period(master: Path) -> MatrixResult:
    """The matrix of the open period 2027-H1, with its PDF."""
    return build_matrix(master, out=master.parent / "out" / "matrix-2027-H1.xlsx", pdf=True, today=TODAY)


@pytest.fixture(scope="module")
def past_period(master: Path) -> MatrixResult:
    return build_matrix(master, "2026-H2", master.parent / "out" / "matrix-2026-H2.xlsx", today=TODAY)


def _places(sheet: Any) -> tuple[dict[str, int], dict[str, int]]:
    """(row id → excel row, period → column) of the Matrix sheet."""
    columns = {str(c.value): c.column for c in sheet[2] if c.value}
    rows = {str(sheet.cell(row=r, column=1).value): r for r in range(3, sheet.max_row + 1)}
    return rows, columns


def _cell(book: Any, row_id: str, period: str) -> Any:
    sheet = book["Matrix"]
    rows, columns = _places(sheet)
    return sheet.cell(row=rows[row_id], column=columns[period])


def _colour(cell: Any) -> str:
    return str(cell.fill.fgColor.rgb)[-6:] if cell.fill and cell.fill.fill_type == "solid" else ""


def test_matrix_cells_show_status_colour_and_narrative(open_period: MatrixResult) -> None:
    book = openpyxl.load_workbook(open_period.workbook)
    rows, columns = _places(book["Matrix"])
    # columns from the first period with any report (not the plan's start in 2023) to the chosen period
    assert [p for p in columns if p[:2] == "20"] == ["2026-H1", "2026-H2", "2027-H1"]
    cell = _cell(book, SHARED, "2026-H1")
    assert (cell.value, _colour(cell)) == ("Ongoing", LEGEND["Ongoing"])
    assert "Two workshops held." in cell.comment.text and "SOMTC" in cell.comment.text
    cell = _cell(book, SHARED, "2026-H2")
    assert (cell.value, _colour(cell)) == ("Completed", LEGEND["Completed"])
    assert "Regional curriculum adopted." in cell.comment.text
    cell = _cell(book, SHARED, "2027-H1")  # the open period comes from the master's cells
    assert cell.value == "Completed" and "Curriculum in use." in cell.comment.text
    cell = _cell(book, STOPPED, "2027-H1")
    assert (cell.value, _colour(cell)) == ("Discontinued", LEGEND["Discontinued"])
    assert _cell(book, STOPPED, "2026-H2").value == "Postponed"
    assert _cell(book, ACWC_ROW, "2026-H1").value == "Concept note / seeking funding"
    # a status on two lines gets a row tall enough for it, even where the plan gives the row no activity text
    height = book["Matrix"].row_dimensions[_cell(book, ACWC_ROW, "2026-H1").row].height
    assert height is not None and height >= text_height(2, FONT_SIZE), height
    for row_id, period in ((ACWC_ROW, "2027-H1"), ("B.1.1-01", "2026-H2")):
        cell = _cell(book, row_id, period)
        assert (cell.value, _colour(cell), cell.comment) == (NO_REPORT, LEGEND[NO_REPORT], None)
    assert _cell(book, STEADY, "2026-H2").comment is None  # a status with no narrative: no note
    # the legend is on the sheet, every category with its colour
    sheet = book["Matrix"]
    legend = {
        str(c.value): _colour(c)
        for row in sheet.iter_rows(min_row=max(r for k, r in rows.items() if k != "None") + 1)
        for c in row
        if c.value
    }
    for category, colour in LEGEND.items():
        assert legend[category] == colour


def test_outline_levels_group_pillar_outcome_type(open_period: MatrixResult) -> None:
    sheet = openpyxl.load_workbook(open_period.workbook)["Matrix"]
    rows, _ = _places(sheet)
    levels = {key: sheet.row_dimensions[row].outlineLevel for key, row in rows.items()}
    assert levels["A. Prevention of Trafficking in Persons"] == 0
    assert levels["A.1"] == 1 and levels["A.1.1"] == 2 and levels[SHARED] == 3 and levels["D.7"] == 1
    # group headers come first, then their rows; every activity row of the plan is there once
    assert rows["A.1"] < rows["A.1.1"] < rows[SHARED] < rows["A.1.2"] < rows[ACWC_ROW]
    plan_rows = [row.row_id for _, row in plan_context("bwp2").plan.rows()]
    assert [k for k in rows if k in set(plan_rows)] == plan_rows
    assert sheet.sheet_properties.outlinePr.summaryBelow is False
    assert sheet.freeze_panes == "D3"
    # each level keeps its look across the row: pillar white on dark blue (its label a size larger), groups shaded
    pillar, outcome, row = rows["A. Prevention of Trafficking in Persons"], rows["A.1"], rows[SHARED]
    label, across = sheet.cell(row=pillar, column=1), sheet.cell(row=pillar, column=6)
    assert (_colour(label), _colour(across)) == ("1F4E78", "1F4E78")
    assert label.font.b and str(label.font.color.rgb).endswith("FFFFFF") and label.font.sz == 12
    assert across.font.b and str(across.font.color.rgb).endswith("FFFFFF") and across.font.sz != 12
    assert (
        _colour(sheet.cell(row=outcome, column=5)) == "DDEBF7" and sheet.cell(row=outcome, column=2).alignment.wrap_text
    )
    activity, status = sheet.cell(row=row, column=2), sheet.cell(row=row, column=4)
    assert activity.alignment.wrap_text and activity.border.left.style == "thin" and _colour(activity) == ""
    assert status.alignment.horizontal == "center" and status.border.top.style == "thin"


def test_summary_counts_of_the_open_period(open_period: MatrixResult) -> None:
    summary = open_period.summary
    pillars = summary.by_pillar.set_index("Pillar")
    prevention = pillars.loc["A. Prevention of Trafficking in Persons"]
    assert (prevention["Completed"], prevention["Discontinued"], prevention["Ongoing"]) == (1, 1, 1)
    assert prevention[NO_REPORT] == prevention["Rows"] - 3 == 30
    assert pillars.loc["B. Protection of Victims", NO_REPORT] == pillars.loc["B. Protection of Victims", "Rows"]
    assert int(summary.by_pillar["Rows"].sum()) == 130
    assert summary.counts["Completed"] == 1 and summary.counts[NO_REPORT] == 127
    outcome = summary.by_outcome.set_index("Outcome")
    a1 = next(label for label in outcome.index if label.startswith("A.1 "))
    assert outcome.loc[a1, "Completed"] == 1 and outcome.loc[a1, "Completed %"] == round(100 / outcome.loc[a1, "Rows"])
    coordinators = summary.by_coordinator.set_index("Coordinating ASB")
    assert coordinators.loc["SOMTC", "Completed"] == 1 and coordinators.loc["ACWC", NO_REPORT] >= 1
    assert "(none in the plan)" in coordinators.index  # A.1.3 and friends have no coordinating body
    apa = summary.apa.set_index("APA paragraph")
    assert apa.loc["IV.A(a)", "Completed"] == 1  # A.1.1-01 cites IV.A(a) and IV.A(j)
    assert apa.loc["IV.A(j)", "Completed"] == 1
    actip = summary.actip.set_index("ACTIP article")
    assert actip.loc["Art. 12(b)", "Completed"] == 1
    no_report = set(summary.no_report["Row ID"])
    assert ACWC_ROW in no_report and SHARED not in no_report and len(no_report) == 127


def test_completeness_on_time_late_missing(open_period: MatrixResult, past_period: MatrixResult) -> None:
    now = open_period.summary.completeness.set_index("ASB")
    assert now.loc["SOMTC", "Return"] == "late"  # merged 2027-08-05, due 2027-07-31
    assert (now.loc["SOMTC", "Received"], now.loc["SOMTC", "Due"]) == ("2027-08-05", "2027-07-31")
    assert now.loc["ACWC", "Return"] == "missing" and now.loc["SOM-ED", "Return"] == "missing"
    assert now.loc["SOMTC", "Rows reported"] == 3
    # expected bodies: every coordinating or supporting body of a row, as registry codes
    assert {"SOMTC", "ACWC", "SOM-ED", "SLOM", "AICHR"} <= set(now.index)
    assert not any(";" in body or " " in body for body in now.index)
    before = past_period.summary.completeness.set_index("ASB")
    assert before.loc["SOMTC", "Return"] == "on time"
    assert before.loc["ACWC", "Return"] == "on time"  # on the due date itself
    assert before.loc["SOM-ED", "Return"] == "missing"
    folder = open_period.workbook.parent  # an existing folder as --out: the default name inside it
    first = build_matrix(folder.parent / "master.xlsx", "2026-H1", folder)
    assert first.workbook == folder / "status-matrix-2026-H1.xlsx"
    first_table = first.summary.completeness.set_index("ASB")
    assert (first_table.loc["SOMTC", "Return"], first_table.loc["ACWC", "Return"]) == ("on time", "late")
    assert first_table.loc["SOM-ED", "Return"] == "missing"


def test_change_lists(open_period: MatrixResult, past_period: MatrixResult) -> None:
    now, before = open_period.summary, past_period.summary
    assert (now.previous, before.previous) == ("2026-H2", "2026-H1")
    assert list(now.newly_completed["Row ID"]) == []  # A.1.1-01 was already completed
    assert list(before.newly_completed["Row ID"]) == [SHARED]
    assert before.newly_completed.iloc[0][["Before", "Now"]].tolist() == ["Ongoing", "Completed"]
    assert list(before.newly_stopped["Row ID"]) == [STOPPED]
    stopped = now.newly_stopped.set_index("Row ID")
    assert list(stopped.index) == [STOPPED] and stopped.loc[STOPPED, "Before"] == "Postponed"
    unchanged = now.unchanged.set_index("Row ID")
    assert set(unchanged.index) == {STEADY}  # SHARED is Completed twice: done, not stuck
    assert unchanged.loc[STEADY, ["Periods unchanged", "Since"]].tolist() == [3, "2026-H1"]
    assert set(before.unchanged["Row ID"]) == {STEADY, ACWC_ROW}


def test_summary_sheet_charts_and_print_setup(open_period: MatrixResult) -> None:
    book = openpyxl.load_workbook(open_period.workbook)
    assert book.sheetnames == ["Matrix", "Summary", "Progress report", "Funding needs"]
    summary = book["Summary"]
    texts = [str(c.value) for row in summary.iter_rows() for c in row if c.value is not None]
    for title in ("Status by pillar", "Reporting completeness by ASB", "Newly postponed or discontinued since 2026-H2"):
        assert any(t.startswith(title) for t in texts), title
    assert f"{STOPPED} " in " ".join(texts)  # the change list names the row
    charts = summary._charts
    assert len(charts) == 2
    assert charts[0].grouping == "stacked" and charts[0].type == "bar"
    sizes = [(c.anchor.ext.width / 360_000, c.anchor.ext.height / 360_000) for c in charts]  # EMU → cm, as saved
    assert all(width >= 30 and height >= 14 for width, height in sizes), sizes  # readable when printed
    assert {font.name for font in book._fonts} == {"Arial"}  # an unnamed font prints in LibreOffice's serif default
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == ("landscape", 8, 1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert "Bohol TIP Work Plan 2.0" in sheet.oddHeader.left.text
        assert "2027-H1" in sheet.oddHeader.right.text
        assert "Generated 2027-08-10" in sheet.oddFooter.left.text and "&P" in sheet.oddFooter.right.text
        assert sheet.page_margins.top - sheet.page_margins.header >= 0.5  # inches: the header clears the title
    matrix = book["Matrix"]
    assert str(matrix.print_title_rows) == "$1:$2" and str(matrix.print_title_cols) == "$A:$C"


def _png_samples(png: Path) -> bytes:
    """The samples of an 8-bit grayscale or RGB PNG (what `pdftoppm -png` writes), with the row filters undone."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, width, height, bpp = 8, b"", 0, 0, 1
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (0, 2), "expected an 8-bit grayscale or RGB PNG"
            bpp = 1 if colour == 0 else 3
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    stride = width * bpp
    raw, pixels, previous = zlib.decompress(idat), bytearray(), bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for x in range(stride):
            left = row[x - bpp] if x >= bpp else 0
            up, corner = previous[x], previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                row[x] = (row[x] + left) & 0xFF
            elif kind == 2:
                row[x] = (row[x] + up) & 0xFF
            elif kind == 3:
                row[x] = (row[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[x] = (row[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        pixels += row
        previous = row
    return bytes(pixels)


def test_pdf_renders_to_pages_and_the_first_is_not_blank(open_period: MatrixResult, tmp_path: Path) -> None:
    pdf = open_period.pdf
    assert pdf is not None and pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-r", "20", "-gray", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 2 <= len(pages) <= 40, len(pages)  # 130 rows on A3 fitted to width, plus the summary
    pixels = _png_samples(pages[0])
    dark = sum(1 for p in pixels if p < 200)
    assert dark > len(pixels) // 100, "page 1 is (nearly) blank"


def test_status_map_of_the_old_plan(tmp_path: Path) -> None:
    status_map = load_status_map()
    assert status_map.map("Develop concept note for funding source.") == "Concept note / seeking funding"
    assert status_map.map("Activities are part of the AICHR Work Plan.") == "Ongoing"
    assert status_map.map("To be convened on the end of May.") == "Not started"
    assert status_map.map("on-going") == "Ongoing"
    assert status_map.map("Resources required for dissemination.") is None  # not clear: kept as text
    # a 2017-2020 master whose status cells hold free text typed before the dropdown existed
    path = tmp_path / "master-2017.xlsx"
    build_master(path, plan_id="bwp1", period="2018-H1")
    book = openpyxl.load_workbook(path)
    places = row_places(book, "bwp1")
    typed = {
        "A.a.1.1": "Develop concept note for funding source.",
        "A.a.1.2": "Resources required for dissemination.",
        "A.a.1.3": "Ongoing",
    }
    for row_id, status in typed.items():
        sheet, excel_row, columns = places[row_id]
        book[sheet].cell(row=excel_row, column=columns["status"]).value = status
    book.save(path)
    assert build_matrix(path, out=tmp_path / "m.xlsx", today=TODAY).data.periods == ["2018-H1"]  # first report
    result = build_matrix(path, out=tmp_path / "m.xlsx", today=TODAY, first="2017-H1")  # --from 2017-H1
    assert result.data.periods[0] == "2017-H1" and result.data.periods[-1] == "2018-H1"
    matrix = openpyxl.load_workbook(result.workbook)
    mapped = _cell(matrix, "A.a.1.1", "2018-H1")
    assert (mapped.value, _colour(mapped)) == (
        "Concept note / seeking funding",
        LEGEND["Concept note / seeking funding"],
    )
    assert "Status as reported: Develop concept note for funding source." in mapped.comment.text
    kept = _cell(matrix, "A.a.1.2", "2018-H1")
    assert (kept.value, _colour(kept)) == ("Resources required for dissemination.", "")
    assert _cell(matrix, "A.a.1.3", "2018-H1").value == "Ongoing"
    assert result.summary.counts[OTHER] == 1 and result.summary.counts["Ongoing"] == 1
    assert _cell(matrix, "A.a.1.1", "2017-H2").value == NO_REPORT


def test_cli_matrix(master: Path, tmp_path: Path) -> None:
    out = tmp_path / "status-matrix-2026-H2.xlsx"
    result = CliRunner().invoke(app, ["matrix", str(master), "--period", "2026-H2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "2026-H2" in result.output and "130 rows" in result.output
    assert "on time" in result.output
    bad = CliRunner().invoke(app, ["matrix", str(master), "--period", "2026-H3", "--out", str(out)])
    assert bad.exit_code == 2 and "not a reporting period" in bad.output
    with pytest.raises(MatrixError, match="outside the plan"):
        build_matrix(master, "2031-H1", tmp_path / "x.xlsx")


def test_libreoffice_opens_the_workbook_and_keeps_its_charts(
    soffice: str, open_period: MatrixResult, tmp_path: Path
) -> None:
    from xlsx_tools.office import convert

    saved = convert(open_period.workbook, "xlsx:Calc MS Excel 2007 XML", tmp_path)
    book = openpyxl.load_workbook(saved)
    assert book.sheetnames == ["Matrix", "Summary", "Progress report", "Funding needs"]
    assert len(book["Summary"]._charts) == 2
    assert _cell(book, SHARED, "2026-H2").value == "Completed"
    assert "Regional curriculum adopted." in _cell(book, SHARED, "2026-H2").comment.text


CHART_PROBE = Path(__file__).resolve().parent / "lo_chart_probe.py"


def _probe_charts(*args: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["/usr/bin/python3", str(CHART_PROBE), *map(str, args)], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, f"lo_chart_probe failed ({result.returncode}): {result.stderr}"
    return json.loads(result.stdout)


def test_charts_survive_in_libreoffice_model_and_its_save(
    soffice: str, open_period: MatrixResult, tmp_path: Path
) -> None:
    """LibreOffice's own chart model (UNO) holds both charts with the Summary's figures, before and after it saves."""
    summary = open_period.summary
    pillars = summary.by_pillar
    series = [c for c in pillars.columns if c in LEGEND]
    expected_status = {
        "diagram": "com.sun.star.chart.BarDiagram",
        "stacked": True,
        "horizontal": True,
        "title": "Status by pillar, 2027-H1",
        "series": series,
        "categories": list(pillars["Pillar"]),
        "data": [[float(v) for v in row] for row in pillars[series].itertuples(index=False)],
    }
    completeness = summary.completeness
    expected_completeness = {
        "diagram": "com.sun.star.chart.BarDiagram",
        "stacked": False,
        "title": "Rows reported by ASB (%), 2027-H1",
        "series": ["Reported %"],
        "categories": list(completeness["ASB"]),
        "data": [[float(v)] for v in completeness["Reported %"]],
    }
    saved = tmp_path / "saved-by-libreoffice.xlsx"
    for probed in (_probe_charts(open_period.workbook, saved), _probe_charts(saved)):
        assert probed["sheets"] == ["Matrix", "Summary", "Progress report", "Funding needs"]
        assert set(probed["charts"]) == {"Summary"}
        status, complete = probed["charts"]["Summary"]
        assert {k: status[k] for k in expected_status} == expected_status
        assert {k: complete[k] for k in expected_completeness} == expected_completeness
        assert status["ranges"] and all(r.startswith("Summary.") for r in status["ranges"])
