"""Per-body return templates issued from a real master: rows, prefilled cells, manifest, validation, LibreOffice."""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.test_cli import tipwp
from xlsx_tools.layout.cells import fingerprint, plan_cells
from xlsx_tools.plan.loader import load_plan
from xlsx_tools.returns.issue import MANIFEST_SHEET, IssueError, issue_templates
from xlsx_tools.validate.checks import validate_file
from xlsx_tools.validate.context import plan_context

PILLARS = ["A. Prevention", "B. Protection", "C. Law enforcement", "D. Cooperation"]


@pytest.fixture(scope="module")
def issued(master_bwp2: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("returns")
    return {t.asb: t.path for t in issue_templates(master_bwp2, "2026-H2", out, due="2027-01-31")}


def expected_rows(asb: str) -> list[str]:
    """Rows naming the body as coordinating, co-coordinating or supporting ASB, computed from the plan itself."""
    ids = []
    for _, row in load_plan("bwp2").rows():
        names = {
            row.text("coordinating_asb"),
            *row.text("co_coordinating_asb").split("; "),
            *row.items("supporting_asb"),
        }
        if asb in names:
            ids.append(row.row_id)
    return ids


def template_ids(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    return [r[0] for name in PILLARS for r in book[name].iter_rows(min_row=2, values_only=True) if r[0]]


def test_one_template_per_body_named_in_the_plan(issued: dict[str, Path]) -> None:
    assert {"SOMTC", "ACWC", "AICHR", "SLOM", "TELMIN", "SOM-ED"} <= set(issued)
    assert "Relevant ASBs" not in issued  # collective terms get no template
    assert issued["SOM-ED"].name == "2026-H2_SOM-ED_return.xlsx"
    assert all(p.suffix == ".xlsx" for p in issued.values())


@pytest.mark.parametrize("asb", ["SOMTC", "ACWC", "TELMIN", "SOMHD"])
def test_template_holds_exactly_the_bodys_rows(issued: dict[str, Path], asb: str) -> None:
    assert template_ids(issued[asb]) == expected_rows(asb)


def test_body_and_period_are_prefilled_and_manifest_fingerprints_match(issued: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(issued["TELMIN"])
    sheet = book["A. Prevention"]
    headers = [c.value for c in sheet[1]]
    row = dict(zip(headers, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert row["Row ID"] == "A.7.3-01" and row["Reporting ASB"] == "TELMIN" and row["Reporting period"] == "2026-H2"
    assert row["Status"] is None
    identity = {k: v for k, v, *_ in book["_tipwp"].iter_rows(values_only=True)}
    assert identity["kind"] == "return" and identity["asb"] == "TELMIN" and identity["due"] == "2027-01-31"
    manifest = book[MANIFEST_SHEET]
    assert manifest.sheet_state == "veryHidden"
    values = [r for r in manifest.iter_rows(values_only=True)]
    meta = {r[0]: r[1] for r in values if r and r[0] and r[1] and r[0] != "row_id" and len(r) >= 2}
    assert meta["template_id"] == identity["template_id"]
    entries = values[[r[0] for r in values].index("row_id") + 1 :]
    context = plan_context("bwp2")
    plan_row = context.rows_by_id["A.7.3-01"]
    assert entries == [("A.7.3-01", "A. Prevention", fingerprint(context.sheet, plan_cells(context.sheet, plan_row)))]


def test_a_fresh_template_validates_clean(issued: dict[str, Path]) -> None:
    findings = validate_file(issued["ACWC"])
    assert [f for f in findings if f.severity.value != "warning"] == []


def test_unknown_body_is_refused_with_a_suggestion(master_bwp2: Path, tmp_path: Path) -> None:
    with pytest.raises(IssueError, match="Did you mean SOMTC"):
        issue_templates(master_bwp2, "2026-H2", tmp_path, asbs=["SOMTCC"])
    assert list(tmp_path.iterdir()) == []


def test_cli_issue_for_chosen_bodies(master_bwp2: Path, tmp_path: Path) -> None:
    result = tipwp("issue", master_bwp2, "--period", "2026-h2", "--out", tmp_path, "--asb", "somed", "--asb", "ACWC")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-H2_ACWC_return.xlsx", "2026-H2_SOM-ED_return.xlsx"]
    assert tipwp("issue", master_bwp2, "--period", "2026-H3", "--out", tmp_path).returncode == 2


def test_template_opens_in_libreoffice(issued: dict[str, Path], soffice: str, tmp_path: Path) -> None:
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    subprocess.run(
        [
            soffice,
            profile,
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(issued["ACWC"]),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = tmp_path / "out" / issued["ACWC"].name
    assert template_ids(converted) == template_ids(issued["ACWC"])
