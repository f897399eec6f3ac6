"""The `tipwp` command as a person runs it: real processes, real files, exit codes and outputs."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import edit, letter, set_cells

pytestmark = pytest.mark.slow  # end to end, over 10 s in all: kept out of the fast loop

A = "A. Prevention"


def tipwp(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xlsx_tools.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={
            "COLUMNS": "200",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        },
    )


def test_init_writes_the_20_master(tmp_path: Path) -> None:
    result = tipwp("init", tmp_path / "master.xlsx")
    assert result.returncode == 0, result.stderr
    assert "130 activity rows" in result.stdout
    assert openpyxl.load_workbook(tmp_path / "master.xlsx").sheetnames[1] == A


def test_init_bwp1(tmp_path: Path) -> None:
    result = tipwp("init", tmp_path / "old.xlsx", "--plan", "bwp1")
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(tmp_path / "old.xlsx")
    assert {k: v for k, v, *_ in book["_tipwp"].iter_rows(values_only=True)}["plan_id"] == "bwp1"


def test_init_refuses_bad_arguments(tmp_path: Path) -> None:
    assert tipwp("init", tmp_path / "m.xlsx", "--plan", "bwp9").returncode == 2
    bad_period = tipwp("init", tmp_path / "m.xlsx", "--period", "2026-Q3")
    assert bad_period.returncode == 2 and "YEAR-H1" in bad_period.stderr
    assert not (tmp_path / "m.xlsx").exists()


def test_validate_clean_master_exits_0_with_warnings(master_bwp2: Path) -> None:
    result = tipwp("validate", master_bwp2)
    assert result.returncode == 0, result.stdout
    assert "PLAN_401" in result.stdout and "0 errors" in result.stdout


def test_validate_json_report_and_annotate(master_copy: Path, tmp_path: Path) -> None:
    status = f"{letter('status')}3"
    set_cells(master_copy, A, {status: "Done?", f"{letter('reporting_asb')}3": "SOMTCC"})
    report = tmp_path / "findings.xlsx"
    result = tipwp("validate", master_copy, "--json", "--report", report, "--annotate")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert {(f["code"], f["cell"]) for f in errors} == {
        ("CELL_320", status),
        ("CELL_310", f"{letter('reporting_asb')}3"),
    }
    asb = next(f for f in errors if f["code"] == "CELL_310")
    assert asb["suggestion"] == "SOMTC" and asb["sheet"] == A and asb["column"] == "Reporting ASB"

    rows = list(openpyxl.load_workbook(report)["Findings"].iter_rows(values_only=True))
    assert len(rows) == 1 + len(data["findings"])
    findings_sheet = openpyxl.load_workbook(report)["Findings"]
    linked = [(c.hyperlink.target, c.hyperlink.location) for c in findings_sheet["E"][1:] if c.hyperlink]
    assert (master_copy.name, f"'{A}'!{status}") in linked

    annotated = openpyxl.load_workbook(master_copy.with_name("return.checked.xlsx"))[A]
    assert "CELL_320" in annotated[status].comment.text
    assert annotated[status].fill.fgColor.rgb.endswith("FF9999")
    assert openpyxl.load_workbook(master_copy)[A][status].comment is None  # the original is untouched


def test_validate_unusable_file_exits_2_and_says_why(tmp_path: Path, master_bwp2: Path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    result = tipwp("validate", tmp_path / "broken.xlsx", master_bwp2)
    assert result.returncode == 2
    assert "broken.xlsx" in result.stdout and "FILE_005" in result.stdout
    assert "2 file(s) checked" in result.stdout


def test_console_output_can_be_limited_and_says_so(master_copy: Path) -> None:
    set_cells(master_copy, A, {f"{letter('status')}{r}": "??" for r in range(2, 30)})
    result = tipwp("validate", master_copy, "--limit", "5")
    assert result.returncode == 1
    assert "Showing 5 of" in result.stdout


def test_lists_refresh_keeps_entered_data(master_copy: Path) -> None:
    progress = f"{letter('progress')}2"
    set_cells(master_copy, A, {progress: "Workshop held", f"{letter('status')}2": "Ongoing"})

    def shrink(book: openpyxl.Workbook) -> None:  # an old workbook whose ASB list lacks later bodies
        book.defined_names["ASB_LIST"].attr_text = "'Lists'!$A$2:$A$4"
        for row in range(5, 40):
            book["Lists"][f"A{row}"].value = None

    edit(master_copy, shrink)
    result = tipwp("lists", "refresh", master_copy)
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(master_copy)
    assert book[A][progress].value == "Workshop held"
    assert book[A][f"{letter('status')}2"].value == "Ongoing"
    ((_, ref),) = book.defined_names["ASB_LIST"].destinations
    assert ref != "$A$2:$A$4"
    assert "TELMIN" in [c.value for row in book["Lists"][ref.replace("$", "")] for c in row]
    assert any(v.formula1 == "ASB_LIST" for v in book[A].data_validations.dataValidation)
    assert book[A].protection.sheet is True


def test_help_lists_the_commands() -> None:
    result = tipwp("--help")
    assert result.returncode == 0
    for command in ("init", "validate", "lists", "rules"):
        assert command in result.stdout


def test_period_and_merge_dry_run_from_the_command_line(master_copy: Path, tmp_path: Path) -> None:
    from tests.returns_kit import fill, issue

    master = tmp_path / "master.xlsx"
    master_copy.rename(master)
    template = issue(master, tmp_path / "t", asbs=("SOMTC",))["SOMTC"]
    fill(template, {"A.1.1-01": {"status": "Ongoing"}})
    dry = tipwp("merge", master, template, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "(A.1.1-01, Status): (empty) -> Ongoing" in dry.stdout and "nothing was written" in dry.stdout
    opened = tipwp("period", master, "2027-H1")
    assert opened.returncode == 0, opened.stderr
    assert "open for 2027-H1" in opened.stdout
    again = tipwp("period", master, "2027-H1")
    assert "already open for 2027-H1" in again.stdout
    late = tipwp("merge", master, template, "--received", "2027-02-03")  # a 2026-H2 return, after 2027-H1 opened
    assert late.returncode == 0 and "MERGE_530" in late.stdout, late.stdout
    back = tipwp("period", master, "2026-H2")
    assert back.returncode == 1 and "MERGE_531" in back.stdout
    bad = tipwp("merge", master, template, "--received", "3rd of May")
    assert bad.returncode == 2 and "YEAR-MONTH-DAY" in bad.stdout + bad.stderr


def test_render_writes_a_png_of_page_one(soffice: str, master_bwp2: Path, tmp_path: Path) -> None:
    result = tipwp("render", master_bwp2, "--sheet", A, "--out", tmp_path / "page1.png")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "page1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reading_commands_never_import_openpyxl_or_pandas(master_copy: Path, tmp_path: Path) -> None:
    """Each ribbon click starts a fresh Python: validating and a dry-run merge read with calamine only, so they do
    not pay openpyxl's and pandas' imports (a third of a second) — those come in only to write a workbook."""
    from tests.returns_kit import fill, issue

    template = issue(master_copy, tmp_path / "t", asbs=("SOMTC",))["SOMTC"]
    fill(template, {"A.1.1-01": {"status": "Ongoing"}})
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from xlsx_tools.validate.run import validate_files\n"
        "from xlsx_tools.merge.run import MergeOptions, merge_returns\n"
        f"report = validate_files([Path({str(template)!r})])\n"
        f"result = merge_returns(Path({str(master_copy)!r}), [Path({str(template)!r})], MergeOptions(dry_run=True))\n"
        "assert result.changes and not result.written, result.report.findings\n"
        "print(sorted(m for m in ('openpyxl', 'pandas', 'numpy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def imported_after(argv: list[str], package: str) -> tuple[str, list[str]]:
    """(what `tipwp ARGV` printed, the modules of `package` it imported), in a fresh Python as a ribbon click runs."""
    script = (
        "import sys\n"
        f"sys.argv = ['tipwp', *{argv!r}]\n"
        "from xlsx_tools.cli import app\n"
        "try:\n"
        "    app()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('IMPORTED', sorted(m for m in sys.modules if m.split('.')[0] == {package!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed, _, imported = done.stdout.rpartition("IMPORTED ")
    return printed, ast.literal_eval(imported.strip())


def test_help_answers_without_importing_rich() -> None:
    """Each ribbon click starts a fresh Python: the help is plain text, so rich's 70 ms of imports are not paid."""
    printed, imported = imported_after(["--help"], "rich")
    assert "Commands:" in printed and "merge" in printed
    assert imported == []


def test_a_command_is_dispatched_without_pydantic() -> None:
    """typer 0.29 coerces every parameter through pydantic (about 0.09 s of each command, a tenth of a merge);
    pyproject.toml keeps typer below it, and this says so if that bound is lifted."""
    assert imported_after(["version"], "pydantic")[1] == []
