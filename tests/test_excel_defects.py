"""The five details of our files that Excel and other strict readers take differently from LibreOffice (issue 14),
each checked on the real file of its kind (tests/fidelity/corpus.py): dropdown sources stored without '=', matrix
charts that show their axes and carry cached values, outline levels declared, findings links in Excel's form, and no
sheet named History; and one the gate found besides: print titles that LibreOffice saved twice.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
from lxml import etree

from tests.fidelity.gnumeric import gnumeric_xml
from tests.fidelity.package import open_package

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WRITTEN_WITH_DROPDOWNS = ("master-bwp2", "master-bwp1", "template", "merged-master", "backup", "annotated")
GNUMERIC_LIST = re.compile(
    r'<gnm:Validation [^>]*Type="GNM_VALIDATION_TYPE_IN_LIST"[^>]*>\s*<gnm:Expression0>([^<]*)</gnm:Expression0>'
)


def _list_sources(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [
        str(validation.formula1)
        for sheet in book.worksheets
        for validation in sheet.data_validations.dataValidation
        if validation.type == "list"
    ]


def test_dropdown_sources_are_stored_without_equals(fidelity_corpus: dict[str, Path]) -> None:
    for kind in WRITTEN_WITH_DROPDOWNS:
        sources = _list_sources(fidelity_corpus[kind])
        assert sources, f"{kind}: no dropdowns at all"
        stored_with_equals = [s for s in sources if s.startswith("=")]
        assert not stored_with_equals, f"{kind}: {len(stored_with_equals)} of {len(sources)}: {stored_with_equals[:3]}"


def test_gnumeric_keeps_every_dropdown_of_the_master(fidelity_corpus: dict[str, Path], tmp_path: Path) -> None:
    """Gnumeric turned '=ASB_LIST' into error("=ASB_LIST"): the dropdowns were gone."""
    held = GNUMERIC_LIST.findall(gnumeric_xml(fidelity_corpus["master-bwp2"], tmp_path))
    names = set(openpyxl.load_workbook(fidelity_corpus["master-bwp2"]).defined_names)
    assert held, "Gnumeric holds no list validation"
    broken = [expression for expression in held if expression not in names]
    assert not broken, f"{len(broken)} of {len(held)} dropdowns lost: {sorted(set(broken))}"


def _charts(path: Path) -> list[etree._Element]:
    with open_package(path) as package:
        return [package.xml(n) for n in package.names if n.startswith("xl/charts/chart")]


def _cells(sheet: Any, formula: str) -> list[Any]:
    area = formula.split("!")[1].replace("$", "")
    rows = sheet[area] if ":" in area else ((sheet[area],),)
    return [cell.value for row in rows for cell in row]


def _chart_problems(chart: etree._Element, summary: Any) -> list[str]:
    problems = []
    for axis in (a for tag in ("catAx", "valAx") for a in chart.iter(f"{C}{tag}")):
        deleted = axis.find(f"{C}delete")
        if deleted is None or deleted.get("val") not in ("0", "false"):
            problems.append(f"{etree.QName(axis).localname} without <c:delete val='0'/> (Excel hides it)")
    for series in chart.iter(f"{C}ser"):
        categories = series.find(f"{C}cat")
        if categories is None or categories.find(f"{C}strRef") is None:
            problems.append("text categories referenced as numbers (numRef)")
        for ref in series.iter(f"{C}strRef", f"{C}numRef"):
            formula = ref.findtext(f"{C}f") or ""
            cache = ref.find(f"{C}strCache" if ref.tag == f"{C}strRef" else f"{C}numCache")
            if cache is None:
                problems.append(f"{formula}: no cached values")
                continue
            number = ref.tag == f"{C}numRef"
            cached = [float(v) if number else v for v in (p.findtext(f"{C}v") for p in cache.iter(f"{C}pt"))]
            expected = [float(v) if number else str(v) for v in _cells(summary, formula) if v is not None]
            count = cache.find(f"{C}ptCount")
            if cached != expected or count is None or count.get("val") != str(len(_cells(summary, formula))):
                problems.append(f"{formula}: cached {cached}, the cells hold {expected}")
    return problems


def test_matrix_charts_show_their_axes_and_carry_their_values(fidelity_corpus: dict[str, Path]) -> None:
    charts = _charts(fidelity_corpus["matrix"])
    summary = openpyxl.load_workbook(fidelity_corpus["matrix"])["Summary"]
    assert len(charts) == 2
    problems = [problem for chart in charts for problem in _chart_problems(chart, summary)]
    assert not problems, f"{len(problems)} problems: {sorted(set(problems))[:8]}"


def test_matrix_declares_its_outline_levels(fidelity_corpus: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(fidelity_corpus["matrix"])["Matrix"]
    used = max(d.outlineLevel or 0 for d in sheet.row_dimensions.values())
    assert used == 3
    assert sheet.sheet_format.outlineLevelRow == used


def test_findings_links_are_a_percent_encoded_file_and_a_location(fidelity_corpus: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(fidelity_corpus["findings"])
    links = [cell.hyperlink for row in book["Findings"].iter_rows() for cell in row if cell.hyperlink]
    assert links
    for link in links:
        assert link.target == "returns%202026-H2/SOMTC%20return%20%28filled%29.xlsx", link.target
        assert re.fullmatch(r"'A\. Prevention'![A-Z]+\d+", link.location or ""), link.location


def test_no_sheet_is_named_history(fidelity_corpus: dict[str, Path]) -> None:
    """Excel reserves "History" (change tracking of shared workbooks): a person cannot make or rename a sheet to it."""
    for kind in ("merged-master", "backup"):
        names = openpyxl.load_workbook(fidelity_corpus[kind], read_only=True).sheetnames
        assert "history" not in [n.lower() for n in names], f"{kind}: {names}"
        assert "Value history" in names, f"{kind}: {names}"


def test_print_titles_are_named_once_columns_first_even_after_libreoffice(fidelity_corpus: dict[str, Path]) -> None:
    """Found by the gate: with openpyxl's rows-first print titles ('A. Prevention'!$1:$1,'A. Prevention'!$D:$H)
    LibreOffice 7.4 kept our name beside its own, so a return saved there named its print titles twice per sheet,
    which Excel repairs. Written columns first, as Excel writes them, LibreOffice keeps one."""
    for kind in ("template", "lo-return", "annotated"):
        with open_package(fidelity_corpus[kind]) as package:
            names = [
                (n.get("localSheetId"), n.text or "")
                for n in package.xml("xl/workbook.xml").iter(f"{{{MAIN}}}definedName")
                if n.get("name") == "_xlnm.Print_Titles"
            ]
        scopes = [scope for scope, _ in names]
        assert len(names) == 4 and len(set(scopes)) == len(scopes), f"{kind}: {names}"
        assert all(re.fullmatch(r"'[^']+'!\$D:\$H,'[^']+'!\$1:\$1", text) for _, text in names), f"{kind}: {names}"
