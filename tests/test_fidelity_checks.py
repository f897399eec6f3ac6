"""Each check of the Excel-fidelity gate proves itself live: fed a deliberately broken file (a good file of the corpus
with one part changed, byte for byte as given), it fails, with the code or message that names the break. And a run
without the schemas or without Gnumeric stops loudly instead of passing.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from tests.fidelity import schemas
from tests.fidelity.excel_rules import CODES, rule_findings
from tests.fidelity.gnumeric import GnumericMissing, gnumeric_findings
from tests.fidelity.schemas import SchemasMissing, schema_findings
from tests.helpers import rewrite_zip

FIXTURE_010 = Path(__file__).resolve().parent / "fixtures" / "v0.1.0" / "master.xlsx"
SHEET = "xl/worksheets/sheet2.xml"  # 'A. Prevention' in a master or template; 'Summary' in the matrix
WORKBOOK = "xl/workbook.xml"


def broken(source: Path, target: Path, part: str, pattern: str, replacement: str, count: int = 1) -> Path:
    """A copy of `source` with `pattern` (a regular expression, which must occur) replaced in `part`."""
    text = zipfile.ZipFile(source).read(part).decode("utf-8")
    changed, made = re.subn(pattern, replacement, text, count=count)
    assert made, f"{pattern!r} is not in {part} of {source.name}"
    return rewrite_zip(source, target, {part: changed.encode("utf-8")})


# --- schemas -----------------------------------------------------------------------------------------------------

SCHEMA_BREAKS = {
    "unknown element in a sheet": ("master-bwp2", SHEET, r"<sheetData>", "<sheetData><bogus/>", "bogus"),
    "cells out of order": ("master-bwp2", SHEET, r"(<sheetViews>.*?</sheetViews>)(<sheetFormatPr[^>]*/>)", r"\2\1",
                           "sheetViews"),
    "a status that is not a number": ("master-bwp2", "xl/styles.xml", r'<cellXfs count="\d+"', '<cellXfs count="x"',
                                      "count"),
    "a chart axis with a bad value": ("matrix", "xl/charts/chart1.xml", r'<delete val="0" />', '<delete val="no" />',
                                      "delete"),
    "the ribbon with an unknown attribute": ("addin", "customUI/customUI14.xml", r"<button ", '<button colour="red" ',
                                             "colour"),
    "the core properties with a stray element": ("master-bwp2", "docProps/core.xml", r"</cp:coreProperties>",
                                                 "<cp:mood>fine</cp:mood></cp:coreProperties>", "mood"),
    "an unknown attribute that is not ignorable": ("lo-return", WORKBOOK, r"<workbookPr ",
                                                   '<workbookPr xmlns:q="urn:example" q:odd="1" ', "odd"),
}  # fmt: skip


@pytest.mark.parametrize("case", SCHEMA_BREAKS)
def test_the_schema_check_fails_on_a_broken_part(fidelity_corpus: dict[str, Path], tmp_path: Path, case: str) -> None:
    kind, part, pattern, replacement, named = SCHEMA_BREAKS[case]
    source = fidelity_corpus[kind]
    assert schema_findings(source) == []
    findings = schema_findings(broken(source, tmp_path / f"broken{source.suffix}", part, pattern, replacement))
    assert findings and all(f.startswith(f"{part}:") for f in findings), findings
    assert named in " ".join(findings), findings


def test_markup_compatibility_is_processed_as_office_does(fidelity_corpus: dict[str, Path], tmp_path: Path) -> None:
    """An ignorable namespace is dropped and an AlternateContent keeps its Fallback: valid. Without the mc:Ignorable
    declaration the same attribute fails (test above), so the processing is what makes the difference."""
    source = fidelity_corpus["master-bwp2"]
    mc = "http://schemas.openxmlformats.org/markup-compatibility/2006"
    head = f'<worksheet xmlns:mc="{mc}" xmlns:x14ac="urn:x14ac" mc:Ignorable="x14ac" '
    choice = (
        '<mc:AlternateContent><mc:Choice Requires="x14ac"><x14ac:thing/></mc:Choice>'
        '<mc:Fallback><sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25" /></mc:Fallback>'
        "</mc:AlternateContent>"
    )
    step = broken(source, tmp_path / "mc1.xlsx", SHEET, r"<worksheet ", head)
    valid = broken(
        step, tmp_path / "mc2.xlsx", SHEET, r'<sheetFormatPr baseColWidth="8" defaultRowHeight="15" />', choice
    )
    assert schema_findings(valid) == []
    no_fallback = broken(valid, tmp_path / "mc3.xlsx", SHEET, r"<mc:Fallback>.*?</mc:Fallback>", "")
    assert schema_findings(no_fallback) == []  # the sheetFormatPr is optional: dropping the choice is valid too
    wrong = broken(valid, tmp_path / "mc4.xlsx", SHEET, r"<mc:Fallback><sheetFormatPr ", "<mc:Fallback><sheetFormat ")
    assert any("sheetFormat'" in f for f in schema_findings(wrong))


def test_a_run_without_the_schemas_stops_loudly(
    fidelity_corpus: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schemas, "SCHEMAS", tmp_path / "shared" / "ooxml-schemas")
    with pytest.raises(SchemasMissing, match=r"ooxml-schemas.*beside the checkout"):
        schema_findings(fidelity_corpus["master-bwp2"])


# --- Gnumeric ----------------------------------------------------------------------------------------------------


def test_gnumeric_rejects_the_dropdowns_of_a_0_1_0_master() -> None:
    findings = gnumeric_findings(FIXTURE_010)
    invalid = [f for f in findings if f.endswith("Invalid expression")]
    assert len(invalid) == 36 and "'=ASB_LIST'" in invalid[0], findings[:3]


def test_gnumeric_reports_a_formula_it_cannot_parse(fidelity_corpus: dict[str, Path], tmp_path: Path) -> None:
    source = fidelity_corpus["matrix"]
    bad = broken(source, tmp_path / "bad.xlsx", "xl/worksheets/sheet1.xml", r'(<c r="A1"[^>]*?)( t="\w+")?>',
                 r'\1 t="str"><f>SUM(A1:</f>', )  # fmt: skip
    assert gnumeric_findings(bad), "an unparsable formula went unnoticed"


def test_gnumeric_reports_a_file_it_cannot_read(tmp_path: Path) -> None:
    notes = tmp_path / "notes.xlsx"
    notes.write_bytes(b"PK\x03\x04 not a workbook")
    assert gnumeric_findings(notes)


def test_a_run_without_gnumeric_stops_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GnumericMissing, match="apt-get install gnumeric"):
        gnumeric_findings(FIXTURE_010)


# --- Excel's rules -----------------------------------------------------------------------------------------------

LONG = "x" * 300
RULE_BREAKS: dict[str, tuple[str, str, str, str, str]] = {
    # case: (code, kind, part, pattern, replacement)
    "name with a space": ("NAME_SYNTAX", "master-bwp2", WORKBOOK, r'name="APA_LIST"', 'name="APA LIST"'),
    "name like a cell": ("NAME_SYNTAX", "master-bwp2", WORKBOOK, r'name="APA_LIST"', 'name="APA1"'),
    "name twice": ("NAME_DUPLICATE", "master-bwp2", WORKBOOK, r'name="APA_LIST"', 'name="STATUS_LIST"'),
    "scope beyond the sheets": ("NAME_SCOPE", "master-bwp2", WORKBOOK, r'localSheetId="1"', 'localSheetId="42"'),
    "print titles without scope": ("NAME_SCOPE", "master-bwp2", WORKBOOK,
                                   r'name="_xlnm.Print_Titles" localSheetId="\d+"', 'name="_xlnm.Print_Titles"'),
    "name on a missing sheet": ("NAME_REF", "master-bwp2", WORKBOOK, r"'Lists'!\$E", "'Gone'!$E"),
    "name on a deleted range": ("NAME_REF", "master-bwp2", WORKBOOK, r"'Lists'!\$E\$2:\$E\$\d+", "#REF!"),
    "print titles not whole rows": ("PRINT_TITLES", "master-bwp2", WORKBOOK, r"'A. Prevention'!\$1:\$1",
                                    "'A. Prevention'!$A$1:$B$2"),
    "print titles of another sheet": ("PRINT_TITLES", "template", WORKBOOK, r"'A. Prevention'!\$D:\$H",
                                      "'B. Protection'!$D:$H"),
    "filter name not hidden": ("FILTER_NAME", "master-bwp2", WORKBOOK, r'localSheetId="1" hidden="1"',
                               'localSheetId="1"'),
    "filter name off the filter": ("FILTER_NAME", "master-bwp2", WORKBOOK, r"'A. Prevention'!\$A\$1:\$[A-Z]+\$\d+",
                                   "'A. Prevention'!$A$1:$C$3"),
    "dropdown stored with =": ("LIST_EQUALS", "template", SHEET, r"<formula1>ASB_LIST</formula1>",
                               "<formula1>=ASB_LIST</formula1>"),
    "inline list too long": ("LIST_INLINE_LENGTH", "master-bwp2", SHEET, r"<formula1>ASB_LIST</formula1>",
                             f'<formula1>"{",".join(["SOMTC"] * 50)}"</formula1>'),
    "dropdown on no name": ("LIST_TARGET", "master-bwp2", SHEET, r"<formula1>ASB_LIST</formula1>",
                            "<formula1>NO_SUCH_LIST</formula1>"),
    "dropdown on a missing sheet": ("LIST_TARGET", "lo-return", SHEET, r"<formula1>ASB_LIST</formula1>",
                                    "<formula1>'Gone'!$A$2:$A$9</formula1>"),
    "error title too long": ("MESSAGE_LENGTH", "master-bwp2", SHEET, r'errorTitle="Not in the list"',
                             f'errorTitle="{LONG[:33]}"'),
    "input message too long": ("MESSAGE_LENGTH", "template", SHEET, r'prompt="[^"]*"', f'prompt="{LONG}"'),
    "a sheet named History": ("SHEET_NAME", "master-bwp2", WORKBOOK, r'name="Instructions"', 'name="History"'),
    "a sheet name too long": ("SHEET_NAME", "master-bwp2", WORKBOOK, r'name="Instructions"', f'name="{LONG[:32]}"'),
    "a sheet name with a slash": ("SHEET_NAME", "master-bwp2", WORKBOOK, r'name="Instructions"', 'name="In/out"'),
    "two sheets of one name": ("SHEET_NAME", "master-bwp2", WORKBOOK, r'name="Instructions"', 'name="a. prevention"'),
    "style count off": ("STYLE_COUNT", "master-bwp2", "xl/styles.xml", r'<cellXfs count="(\d+)"',
                        '<cellXfs count="999"'),
    "style beyond the table": ("STYLE_COUNT", "master-bwp2", SHEET, r'<c r="A1" s="\d+"', '<c r="A1" s="999"'),
    "shared strings count off": ("SST_COUNT", "lo-return", "xl/sharedStrings.xml", r'uniqueCount="\d+"',
                                 'uniqueCount="3"'),
    "comments without their drawing": ("COMMENTS_DRAWING", "annotated", SHEET, r"<legacyDrawing [^>]*/>", ""),
    "a comment without its note": ("COMMENTS_DRAWING", "annotated", "xl/drawings/commentsDrawing1.vml",
                                   r"<x:Row>\d+</x:Row>|<ns\d:Row>\d+</ns\d:Row>", "<x:Row>999</x:Row>"),
    "link with its place after #": ("HYPERLINK_FORM", "findings", "xl/worksheets/_rels/sheet1.xml.rels",
                                    r'Target="[^"]+"', "Target=\"returns 2026-H2/r.xlsx#'A. Prevention'!W3\""),
    "link with a backslash": ("HYPERLINK_FORM", "findings", "xl/worksheets/_rels/sheet1.xml.rels",
                              r'Target="[^"]+"', r'Target="returns\\report.xlsx"'),
    "chart on a missing sheet": ("CHART_REF", "matrix", "xl/charts/chart1.xml", r"<f>'Summary'!\$B", "<f>'Gone'!$B"),
    "chart without cached values": ("CHART_CACHE", "matrix", "xl/charts/chart1.xml", r"<numCache>.*?</numCache>", ""),
    "chart with too few cached values": ("CHART_CACHE", "matrix", "xl/charts/chart2.xml",
                                         r'<ptCount val="(?!1")\d+" />', '<ptCount val="1" />'),
    "chart categories as numbers": ("CHART_CATEGORY", "matrix", "xl/charts/chart1.xml",
                                    r"<cat><strRef>(<f>[^<]*</f>).*?</strRef></cat>",
                                    r"<cat><numRef>\1</numRef></cat>"),
    "chart axis hidden": ("CHART_AXIS", "matrix", "xl/charts/chart2.xml", r'<delete val="0" />', ""),
    "outline not declared": ("OUTLINE_UNDECLARED", "matrix", "xl/worksheets/sheet1.xml", r' outlineLevelRow="\d+"',
                             ""),
    "header too long": ("HEADER_LENGTH", "master-bwp2", SHEET, r"<oddHeader>", f"<oddHeader>{LONG}"),
    "name into another workbook": ("EXTERNAL_LINK", "master-bwp2", WORKBOOK, r"'Lists'!\$E", "[1]Lists!$E"),
    "external link part": ("EXTERNAL_LINK", "master-bwp2", WORKBOOK, r"</sheets>",
                           '</sheets><externalReferences><externalReference r:id="rId99"/></externalReferences>'),
}  # fmt: skip


def test_every_rule_has_a_live_case() -> None:
    assert {code for code, *_ in RULE_BREAKS.values()} == set(CODES)


@pytest.mark.parametrize("case", RULE_BREAKS)
def test_the_excel_rules_check_fails_on_a_broken_file(
    fidelity_corpus: dict[str, Path], tmp_path: Path, case: str
) -> None:
    code, kind, part, pattern, replacement = RULE_BREAKS[case]
    source = fidelity_corpus[kind]
    assert rule_findings(source) == []
    findings = rule_findings(broken(source, tmp_path / f"broken{source.suffix}", part, pattern, replacement))
    assert code in {f.code for f in findings}, [str(f) for f in findings]
