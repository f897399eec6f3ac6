"""The Excel-fidelity gate (issue 14): every kind of file tipwp writes (tests/fidelity/corpus.py), made by the real
code, passes the three strongest proxies for Excel that run without it: the ECMA-376 / OPC / ribbon schemas, Gnumeric
as a third real reader, and Excel's own rules that schemas do not catch. tests/test_fidelity_checks.py shows that
each check fails on a broken file; tests/test_excel_defects.py pins the defects the gate found.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import REPO
from tests.fidelity.corpus import KINDS
from tests.fidelity.excel_rules import rule_findings
from tests.fidelity.gnumeric import KNOWN_LIMITS, LIBREOFFICE_TRAITS, gnumeric_findings, gnumeric_xml
from tests.fidelity.package import open_package
from tests.fidelity.schemas import SCHEMA_FILES, SCHEMAS, part_findings, require_schemas, schema_findings
from xlsx_tools.sheet_names import HISTORY_SHEET

RIBBON_PART = "customUI/customUI14.xml"
RIBBON_NS = "http://schemas.microsoft.com/office/2009/07/customui"


def test_the_schemas_are_the_ones_beside_the_checkout() -> None:
    """CI has ../shared; without it require_schemas raises (tests/test_fidelity_checks.py), it never skips."""
    assert require_schemas() == REPO.parent / "shared" / "ooxml-schemas" == SCHEMAS
    assert SCHEMA_FILES[RIBBON_NS] == "customui14.patched.xsd"


def test_files_are_written_as_an_installation_without_lxml_writes_them() -> None:
    """lxml is a test dependency only; openpyxl would write through it (and differently) if the tests let it."""
    import openpyxl.xml

    assert openpyxl.xml.LXML is False


def test_the_corpus_holds_every_kind_with_what_the_gate_is_for(fidelity_corpus: dict[str, Path]) -> None:
    assert set(fidelity_corpus) == set(KINDS)
    with zipfile.ZipFile(fidelity_corpus["lo-return"]) as saved:
        assert "LibreOffice" in saved.read("docProps/app.xml").decode("utf-8")
    for kind, part in (("annotated", "xl/comments/comment1.xml"), ("matrix", "xl/charts/chart2.xml")):
        assert part in zipfile.ZipFile(fidelity_corpus[kind]).namelist(), kind
    findings = openpyxl.load_workbook(fidelity_corpus["findings"])["Findings"]
    assert any(cell.hyperlink for row in findings.iter_rows() for cell in row)
    for kind in ("merged-master", "backup"):
        assert HISTORY_SHEET in openpyxl.load_workbook(fidelity_corpus[kind], read_only=True).sheetnames, kind
    assert fidelity_corpus["backup"].parent.name == "backups"
    assert RIBBON_PART in zipfile.ZipFile(fidelity_corpus["addin"]).namelist()


@pytest.mark.parametrize("kind", KINDS)
def test_every_xml_part_is_valid_against_the_schemas(fidelity_corpus: dict[str, Path], kind: str) -> None:
    findings = schema_findings(fidelity_corpus[kind])
    assert not findings, "\n".join(findings[:20])


@pytest.mark.parametrize("kind", KINDS)
def test_gnumeric_reads_it_without_complaint(fidelity_corpus: dict[str, Path], kind: str) -> None:
    allowed = KNOWN_LIMITS + (LIBREOFFICE_TRAITS if kind == "lo-return" else ())
    findings = gnumeric_findings(fidelity_corpus[kind], allowed)
    assert not findings, "\n".join(findings[:20])


@pytest.mark.parametrize("kind", KINDS)
def test_it_keeps_the_excel_rules(fidelity_corpus: dict[str, Path], kind: str) -> None:
    findings = rule_findings(fidelity_corpus[kind])
    assert not findings, "\n".join(str(f) for f in findings[:20])


def test_the_ribbon_is_checked_against_the_patched_customui_schema(fidelity_corpus: dict[str, Path]) -> None:
    with open_package(fidelity_corpus["addin"]) as package:
        root = package.xml(RIBBON_PART)
        assert root.tag == f"{{{RIBBON_NS}}}customUI"
        assert len(list(root.iter(f"{{{RIBBON_NS}}}button"))) > 0
        assert part_findings(package, RIBBON_PART) == []


def test_gnumeric_holds_the_dropdowns_comments_and_charts(fidelity_corpus: dict[str, Path], tmp_path: Path) -> None:
    """What the allowed Gnumeric messages do not cost: the content behind them is read."""
    for kind in ("master-bwp2", "annotated", "matrix"):
        (tmp_path / kind).mkdir()
        held = gnumeric_xml(fidelity_corpus[kind], tmp_path / kind)
        with zipfile.ZipFile(fidelity_corpus[kind]) as package:
            comments = sum(
                package.read(n).decode("utf-8").count("<comment ") for n in package.namelist() if "comments" in n
            )
            charts = len([n for n in package.namelist() if n.startswith("xl/charts/chart")])
        assert held.count("<gnm:CellComment") == comments, kind
        assert held.count("<gnm:SheetObjectGraph") == charts, kind
        if kind != "matrix":
            assert re.search(r'Type="GNM_VALIDATION_TYPE_IN_LIST"', held), kind
