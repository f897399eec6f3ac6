"""The Excel add-in (issue 5): text sources in macros/, the built .xlam, LibreOffice's view of it, and the bridge
run against tests/xlwings_standin.py — a merge into the open workbook must leave what `tipwp merge` leaves."""

from __future__ import annotations

import importlib
import json
import random
import re
import shutil
import subprocess
import zipfile
from functools import partial
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from oletools.olevba import VBA_Parser
from typer.testing import CliRunner

from tests.helpers import letter
from tests.returns_kit import fill, issue, logs, master_values, realistic_values, row_places, template_rows
from tests.vba_project_check import problems, read_project, vba_project_bin
from tests.xlwings_standin import STANDIN_PDF_MARK, App, open_book
from xlsx_tools import __version__
from xlsx_tools.addin import bridge
from xlsx_tools.addin.build import (
    ADDIN_CONTENT_TYPE,
    CONFIG_SHEET,
    MODULE,
    RIBBON_PART,
    RIBBON_REL,
    VBA_PROJECT,
    macro_text,
    template_path,
)
from xlsx_tools.addin.cli import addin_app
from xlsx_tools.addin.excel_merge import blocks
from xlsx_tools.addin.install import config_text, install, install_plan
from xlsx_tools.addin.paths import PathError, local_path
from xlsx_tools.cli import app
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.sheet_names import HISTORY_SHEET
from xlsx_tools.workbook.master import build_master

pytestmark = pytest.mark.slow  # end to end, over 10 s in all: kept out of the fast loop

CUSTOMUI = "http://schemas.microsoft.com/office/2009/07/customui"
BUTTONS = {
    "Validate returns",
    "Merge returns",
    "Status matrix",
    "Issue templates",
    "Feedback to bodies",
    "Refresh lists",
    "Help",
}
SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).resolve().parent / "lo_addin_probe.py"
TIMESTAMPS = {"merged_at", "proposed_at", "time"}


def bas() -> str:
    return macro_text(f"{MODULE}.bas")


def buttons() -> list[ElementTree.Element]:
    root = ElementTree.fromstring(macro_text("customUI14.xml"))
    return list(root.iter(f"{{{CUSTOMUI}}}button"))


# ---- sources --------------------------------------------------------------------------------------------------------


def test_ribbon_is_customui14_with_the_six_buttons() -> None:
    root = ElementTree.fromstring(macro_text("customUI14.xml"))
    assert root.tag == f"{{{CUSTOMUI}}}customUI"
    tab = next(root.iter(f"{{{CUSTOMUI}}}tab"))
    assert tab.get("label") == "TIP Work Plan"
    assert {b.get("label") for b in buttons()} == BUTTONS
    assert len({b.get("id") for b in buttons()}) == len(BUTTONS)


def test_every_onaction_is_a_ribbon_sub_of_the_module() -> None:
    subs = set(re.findall(r"^Public Sub (\w+)\(control As IRibbonControl\)$", bas(), re.MULTILINE))
    for button in buttons():
        module, _, sub = (button.get("onAction") or "").partition(".")
        assert module == MODULE, button.get("onAction")
        assert sub in subs, f"{sub} has no 'Public Sub {sub}(control As IRibbonControl)' in {MODULE}.bas"
    assert re.search(rf'^Attribute VB_Name = "{MODULE}"$', bas(), re.MULTILINE)


def test_every_runpython_target_imports_and_exists() -> None:
    source = bas()
    imports = re.findall(r'command = "import ([\w.]+) as (\w+); \2\." & command', source)
    assert imports == [("xlsx_tools.addin.bridge", "tipwp")]
    module = importlib.import_module(imports[0][0])
    targets = re.findall(r'CallPython "[^"]*", "(\w+)\(', source)
    assert set(targets) == {"validate", "merge", "matrix", "issue", "feedback", "refresh_lists", "about"}
    for name in targets:
        assert callable(getattr(module, name)), name


NOT_EXCEL_ICONS = {"ReviewAcceptChange": "Word", "TableInsert": "PowerPoint and Word"}


def test_icons_are_the_excel_ids_listed_with_their_source() -> None:
    """macros/README.md keeps the list of imageMso ids, each with the Excel control it comes from."""
    readme = macro_text("README.md")
    assert "excelcontrols.xlsx" in readme and "office-fluent-ui-command-identifiers" in readme
    listed = dict(re.findall(r"^\| ([A-Z][\w ]+?) \| `(\w+)` \| [^|]*\w[^|]* \|$", readme, re.MULTILINE))
    assert listed == {b.get("label"): b.get("imageMso") for b in buttons()}
    assert not set(listed.values()) & set(NOT_EXCEL_ICONS)


def test_addin_version_is_the_package_version() -> None:
    assert re.search(rf'ADDIN_VERSION As String = "{re.escape(__version__)}"', bas())


# ---- the built add-in -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("addin") / "tipwp.xlam"
    result = CliRunner().invoke(addin_app, ["build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_built_addin_is_a_package_with_our_ribbon(built: Path) -> None:
    with zipfile.ZipFile(built) as package:
        assert package.testzip() is None
        types = ElementTree.fromstring(package.read("[Content_Types].xml"))
        overrides = {o.get("PartName"): o.get("ContentType") for o in types if o.tag.endswith("Override")}
        assert overrides["/xl/workbook.xml"] == ADDIN_CONTENT_TYPE
        assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
        defaults = {d.get("Extension"): d.get("ContentType") for d in types if d.tag.endswith("Default")}
        assert defaults["xml"] == "application/xml"  # covers customUI/customUI14.xml
        rels = ElementTree.fromstring(package.read("_rels/.rels"))
        ribbon = [r.get("Target") for r in rels if "ui/extensibility" in (r.get("Type") or "")]
        assert ribbon == [RIBBON_PART]
        assert [r.get("Type") for r in rels if r.get("Target") == RIBBON_PART] == [RIBBON_REL]
        assert package.read(RIBBON_PART).decode() == macro_text("customUI14.xml")
        assert "customUI/customUI.xml" not in package.namelist()


def test_vba_module_read_by_olevba_equals_the_bas(built: Path) -> None:
    parser = VBA_Parser(str(built))
    try:
        modules = {name: code.replace("\r\n", "\n") for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()
    assert modules[f"{MODULE}.bas"] == bas()
    assert 'Public Const PROJECT_NAME As String = "tipwp"' in modules["xlwings.bas"]
    assert "Function RunPython(" in modules["xlwings.bas"] or "Sub RunPython(" in modules["xlwings.bas"]
    assert "RibbonMyAddin.bas" not in modules
    assert not [name for name, code in modules.items() if "myaddin" in code.lower()]


def test_built_addin_passes_the_vba_project_byte_check(built: Path) -> None:
    """Excel compiles from source (cache version 0xFFFF, no compiled code in the modules we rewrite) and the streams
    that name the modules agree; tests/vba_project_check.py says why each matters."""
    project = read_project(vba_project_bin(built))
    assert problems(project, (MODULE, "xlwings"), VBA_PROJECT) == []
    assert {MODULE, "xlwings"} <= set(project.dir_modules)


def test_the_byte_check_finds_what_the_template_still_carries() -> None:
    """The same check on xlwings' template: its ribbon module holds compiled code and its project is MyAddin."""
    found = problems(read_project(vba_project_bin(template_path())), ("RibbonMyAddin", "xlwings"), VBA_PROJECT)
    assert len(found) == 2, found
    assert "RibbonMyAddin" in found[0] and "compiled code" in found[0] and "MyAddin" in found[1]


def test_built_addin_carries_our_names_not_the_templates(built: Path) -> None:
    with zipfile.ZipFile(built) as package:
        workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
        sheets = [s.get("name") for s in workbook.iter() if s.tag.endswith("}sheet")]
        assert sheets == [CONFIG_SHEET] == ["_tipwp.conf"]
        for name in package.namelist():
            if name != "xl/vbaProject.bin":
                assert b"myaddin" not in package.read(name).lower(), name
    project = read_project(vba_project_bin(built))
    assert project.dir_project_name == project.project_stream_name == VBA_PROJECT == "tipwp"


def test_libreoffice_opens_the_addin_and_lists_the_module(soffice: str, built: Path) -> None:
    result = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE), str(built)], capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr
    probed = json.loads(result.stdout)
    libraries = probed["libraries"]
    assert probed["sheets"] == [CONFIG_SHEET]
    project = libraries[VBA_PROJECT]
    assert {MODULE, "xlwings"} <= set(project)
    seen = [line for line in project[MODULE].split("\n") if not line.startswith(("Rem Attribute", "Option VBASupport"))]
    expected = [line for line in bas().rstrip("\n").split("\n") if not line.startswith("Attribute ")]
    assert seen[: len(expected)] == expected


def test_install_on_linux_says_what_it_would_do(tmp_path: Path) -> None:
    lines = install(install_plan("linux", home=tmp_path))
    assert "nothing was installed" in lines[0]
    assert not any(tmp_path.iterdir())
    result = CliRunner().invoke(addin_app, ["install"])
    assert result.exit_code == 0 and "AddIns" in result.output


def test_install_on_windows_writes_addin_and_xlwings_settings(tmp_path: Path) -> None:
    env = {"APPDATA": str(tmp_path / "Roaming"), "USERPROFILE": str(tmp_path)}
    plan = install_plan("win32", home=tmp_path, env=env)
    assert plan.addin == tmp_path / "Roaming" / "Microsoft" / "AddIns" / "tipwp.xlam"
    assert plan.config == tmp_path / ".tipwp" / "tipwp.conf"
    install(plan)
    assert zipfile.is_zipfile(plan.addin)
    assert plan.config.read_text(encoding="utf-8") == config_text(plan.settings)
    assert plan.config.read_text(encoding="utf-8").startswith('"INTERPRETER_WIN","')


# ---- bridge plumbing ------------------------------------------------------------------------------------------------


def test_text_from_vba_joins_surrogate_pairs_and_keeps_lone_ones() -> None:
    """The Python end of the hand-off (the VBA end runs in LibreOffice: tests/test_addin_vba.py)."""
    assert bridge.from_vba("\ud83d\udcca \u00e9") == "📊 é"
    assert bridge.from_vba("a\udc00b") == "a\udc00b"  # a lone surrogate (possible in a Windows file name) survives
    assert bridge.paths_from_vba(["C:\\x\\O'Neil \ud83d\ude00.xlsx"]) == [Path("C:\\x\\O'Neil 😀.xlsx")]


def test_version_mismatch_is_explained_not_run(tmp_path: Path) -> None:
    book = App().books.open(_master(tmp_path))
    ran: list[object] = []

    def action(opened: object) -> str:
        ran.append(opened)
        return "done"

    message = bridge.run_action(book, "0.0.1", action)
    assert not ran
    assert "0.0.1" in message and __version__ in message and "tipwp addin install" in message
    assert book.app.alerts == [message] and book.app.status_bar is False


def test_program_errors_become_plain_words(tmp_path: Path) -> None:
    book = open_book(_master(tmp_path))

    def broken(_: object) -> str:
        raise KeyError("boom")

    message = bridge.run_action(book, __version__, broken)
    assert "Traceback" not in message and "program error" in message
    assert "KeyError" in bridge.error_log().read_text(encoding="utf-8")


def test_onedrive_urls_resolve_to_the_synced_copy(tmp_path: Path) -> None:
    business = tmp_path / "OneDrive - ASEAN"
    (business / "TIP").mkdir(parents=True)
    (business / "TIP" / "master 2026.xlsx").write_bytes(b"x")
    url = "https://asean-my.sharepoint.com/personal/ana_asean_org/Documents/TIP/master%202026.xlsx"
    assert local_path(url, {"OneDriveCommercial": str(business)}) == business / "TIP" / "master 2026.xlsx"
    personal = tmp_path / "OneDrive"
    personal.mkdir()
    (personal / "m.xlsx").write_bytes(b"x")
    assert local_path("https://d.docs.live.net/abc123/m.xlsx", {"OneDrive": str(personal)}) == personal / "m.xlsx"
    team = tmp_path / "ASEAN Secretariat" / "TIP Unit - Documents"
    team.mkdir(parents=True)
    (team / "m.xlsx").write_bytes(b"x")
    url = "https://asean.sharepoint.com/sites/TIP Unit/Shared Documents/m.xlsx"
    assert local_path(url, {"USERPROFILE": str(tmp_path)}) == team / "m.xlsx"
    with pytest.raises(PathError, match="no synced copy"):
        local_path("https://example.sharepoint.com/sites/x/Shared%20Documents/gone.xlsx", {"USERPROFILE": "/nowhere"})


def test_blocks_make_one_write_per_rectangle() -> None:
    cells = {(2, 3): "a", (2, 4): "b", (3, 3): "c", (3, 4): "d", (5, 3): "e", (2, 9): "f"}
    assert sorted(blocks(cells)) == [(2, 3, [["a", "b"], ["c", "d"]]), (2, 9, [["f"]]), (5, 3, [["e"]])]


# ---- a real merge, through the stand-in, against `tipwp merge` ------------------------------------------------------


def _master(folder: Path, period: str = "2026-H2") -> Path:
    path = folder / "master.xlsx"
    build_master(path, plan_id="bwp2", period=period)
    return path


def _returns(master: Path, folder: Path, round_no: int, rng: random.Random) -> list[Path]:
    templates = issue(master, folder / f"issued{round_no}", period="2026-H2", asbs=("SOMTC", "SOM-ED", "ACWC"))
    return [
        fill(template, realistic_values(template_rows(template)[: 12 + 3 * round_no], rng, round_no))
        for template in templates.values()
    ]


def _comparable(master: Path) -> tuple[dict[str, dict[str, str]], dict[str, list[dict[str, str]]]]:
    records = {
        title: [{k: v for k, v in row.items() if k not in TIMESTAMPS} for row in rows]
        for title, rows in logs(master).items()
    }
    return master_values(master), records


@pytest.mark.parametrize("first_period", ["", "2026-H2"], ids=["opens-period", "period-open"])
def test_merge_in_excel_equals_tipwp_merge(tmp_path: Path, first_period: str) -> None:
    """Round 1 opens the master (period set when it had none; a new master's record sheets are first added by
    tipwp's own writer, formatted and protected, with the master closed), round 2 rewrites the protected record sheets
    written by round 1 of the CLI. Each round: stand-in Excel merge vs `merge_returns`, same files."""
    rng = random.Random(5)
    base = _master(tmp_path, first_period)
    via_excel, via_cli = tmp_path / "excel", tmp_path / "cli"
    via_excel.mkdir()
    via_cli.mkdir()
    excel_master = Path(shutil.copy(base, via_excel / "master.xlsx"))
    cli_master = Path(shutil.copy(base, via_cli / "master.xlsx"))
    for round_no in range(2):
        files = _returns(base, tmp_path, round_no, rng)
        if round_no == 1:
            shutil.copy(cli_master, excel_master)  # start round 2 from the CLI's protected, formatted record sheets
        first = open_book(excel_master)
        message = bridge.run_action(first, __version__, partial(bridge.merge_in_book, files=files))
        book = first.app.books.active  # the master as Excel shows it now
        assert (book is first) == (round_no == 1)  # closed and opened again only to add the record sheets
        cli = merge_returns(cli_master, files)
        assert cli.written and book.saves == 1, message
        assert "Saved." in message and "accepted" in message
        assert _comparable(excel_master) == _comparable(cli_master)
        assert any(v.get("status") for v in master_values(excel_master).values())
        for title in (HISTORY_SHEET, "Audit"):
            assert logs(excel_master)[title], title
        assert book.sheets[HISTORY_SHEET].api.calls == ["Unprotect", "Protect"]
        assert book.impl[HISTORY_SHEET].protection.sheet
        decision = book.impl["Conflicts"]["G2"]  # ready for the secretariat's decisions, as `tipwp merge` leaves it
        assert not decision.protection.locked and decision.fill.fgColor.rgb.endswith("FFF2CC")


def test_merge_in_excel_applies_accepted_proposals_as_tipwp_merge(tmp_path: Path) -> None:
    """An accepted proposal is put into the plan by a merge from the ribbon as by `tipwp merge`. Excel cannot add
    plan rows through the bridge, so the master is saved, closed, changed on disk like `tipwp proposals apply` and
    opened again; its decision is never marked applied without its change."""
    base = _master(tmp_path)
    templates = issue(base, tmp_path / "issued", period="2026-H2", asbs=("SOMTC", "ACWC"))
    edit = fill(templates["SOMTC"], {"A.1.1-01": {"indicators": "Number of regional studies"}})
    assert merge_returns(base, [edit]).written
    book = openpyxl.load_workbook(base)
    sheet = book["Proposals"]
    header = [c.value for c in sheet[1]]
    listed = [row for row in range(2, sheet.max_row + 1) if sheet.cell(row, header.index("Kind") + 1).value]
    assert len(listed) == 1
    sheet.cell(row=listed[0], column=header.index("Decision") + 1).value = "Accepted"
    book.save(base)
    acwc = fill(templates["ACWC"], realistic_values(template_rows(templates["ACWC"])[:10], random.Random(3), 1))
    excel_master, cli_master = (Path(shutil.copy(base, tmp_path / f"{name}.xlsx")) for name in ("excel", "cli"))

    excel = open_book(excel_master)
    message = bridge.run_action(excel, __version__, partial(bridge.merge_in_book, files=[acwc]))
    assert merge_returns(cli_master, [acwc]).written
    assert _comparable(excel_master) == _comparable(cli_master)
    assert master_values(excel_master)["A.1.1-01"]["indicators"] == "Number of regional studies"
    assert "applied" in logs(excel_master)["Proposals"][0]["decision"]
    assert "A.1.1-01 changed" in message and "opened again" in message, message
    assert [b.fullname for b in excel.app.books.items] == [str(excel_master)]  # the master is open again


def _accept_all(master: Path) -> None:
    """The secretariat types Accepted beside every proposal of the master's Proposals sheet."""
    book = openpyxl.load_workbook(master)
    sheet = book["Proposals"]
    header = [c.value for c in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, header.index("Kind") + 1).value:
            sheet.cell(row=row, column=header.index("Decision") + 1).value = "Accepted"
    book.save(master)


def test_an_accepted_activity_without_a_type_is_marked_once_as_by_tipwp_merge(tmp_path: Path) -> None:
    """A new activity typed without its Type cannot become a plan row: the ribbon says so on the Proposals sheet as
    `tipwp merge` does, once, even when the returns themselves change nothing (merged before)."""
    base = _master(tmp_path)
    acwc = issue(base, tmp_path / "issued", period="2026-H2", asbs=("ACWC",))["ACWC"]
    book = openpyxl.load_workbook(acwc)
    sheet, last, _ = max(row_places(book).values(), key=lambda place: (place[0] == "A. Prevention", place[1]))
    book[sheet][f"{letter('activity')}{last + 1}"] = "Regional study on online recruitment"  # no Type given
    book.save(acwc)
    assert merge_returns(base, [acwc]).written
    _accept_all(base)
    excel_master, cli_master = (Path(shutil.copy(base, tmp_path / f"{name}.xlsx")) for name in ("excel", "cli"))
    applied = CliRunner().invoke(app, ["proposals", "apply", str(shutil.copy(base, tmp_path / "apply.xlsx"))])
    assert "ACWC's new activity: Accepted (not applied: give the Type" in applied.output, applied.output
    assert "1 accepted proposal(s) not applied." in applied.output

    excel = open_book(excel_master)
    message = bridge.run_action(excel, __version__, partial(bridge.merge_in_book, files=[acwc]))
    assert "Nothing to change from the returns." in message and "not touched" not in message, message
    assert "not applied: give the Type" in message
    assert merge_returns(cli_master, [acwc]).written
    assert _comparable(excel_master) == _comparable(cli_master)
    merge_returns(cli_master, [acwc])  # merging again does not say it again
    (decision,) = [p["decision"] for p in logs(cli_master)["Proposals"]]
    assert decision.startswith("Accepted (not applied: give the Type") and decision.count("not applied") == 1


def test_merge_into_a_workbook_that_is_no_master_leaves_it_open(tmp_path: Path) -> None:
    template = issue(_master(tmp_path), tmp_path / "issued", period="2026-H2", asbs=("ACWC",))["ACWC"]
    book = open_book(template)
    message = bridge.run_action(book, __version__, partial(bridge.merge_in_book, files=[template]))
    assert "not a master" in message.lower() and book.app.books.items == [book], message


def test_proposals_apply_on_a_master_it_cannot_write_lists_no_change(tmp_path: Path) -> None:
    base = _master(tmp_path)
    somtc = issue(base, tmp_path / "issued", period="2026-H2", asbs=("SOMTC",))["SOMTC"]
    assert merge_returns(base, [fill(somtc, {"A.1.1-01": {"indicators": "Number of regional studies"}})]).written
    _accept_all(base)
    base.chmod(0o444)
    result = CliRunner().invoke(app, ["proposals", "apply", str(base)])
    assert result.exit_code == 2 and "MERGE_520" in result.output, result.output
    assert "plan text now" not in result.output  # nothing is listed as applied when nothing was written


def test_merge_refuses_a_master_that_is_not_saved_on_disk(tmp_path: Path) -> None:
    book = open_book(_master(tmp_path))
    book.fullname = "https://example.sharepoint.com/sites/x/Shared%20Documents/master.xlsx"
    message = bridge.run_action(book, __version__, lambda b: bridge.merge_in_book(b, [tmp_path / "r.xlsx"]))
    assert "web address" in message and book.saves == 0


def test_issue_and_refresh_lists_through_the_bridge(tmp_path: Path) -> None:
    master = _master(tmp_path)
    book = open_book(master)
    message = bridge.run_action(book, __version__, bridge.issue_in_book)
    assert "return template(s) for 2026-H2" in message
    assert list((tmp_path / "returns-2026-H2").glob("*.xlsx"))
    message = bridge.run_action(book, __version__, bridge.refresh_lists_in_book)
    assert message.startswith("Dropdown lists refreshed")
    assert book.app.books.active.fullname == str(master) and book not in book.app.books.items


def test_validate_through_the_bridge_opens_the_findings(tmp_path: Path) -> None:
    master = _master(tmp_path)
    files = _returns(master, tmp_path, 0, random.Random(1))
    bad = fill(files[0], {template_rows(files[0])[0]: {"status": "Done?"}}, out=tmp_path / "bad.xlsx")
    book = open_book(master)
    message = bridge.run_action(book, __version__, lambda b: bridge.validate_in_book(b, [*files, bad]))
    assert "4 file(s) checked" in message and "validation-findings.xlsx" in message
    assert book.app.books.active.name == "validation-findings.xlsx"


# ---- the status matrix's PDF from Excel -----------------------------------------------------------------------------


def test_status_matrix_pdf_is_made_by_excel(tmp_path: Path) -> None:
    book = open_book(_master(tmp_path))
    message = bridge.run_action(book, __version__, bridge.matrix_in_book)
    pdf = tmp_path / "status-matrix-2026-H2.pdf"
    assert f"PDF for the meeting: {pdf} (made by Excel)." in message
    assert book.app.pdf_exports == [pdf]
    assert pdf.read_bytes().startswith(b"%PDF-") and STANDIN_PDF_MARK in pdf.read_bytes()
    assert book.app.books.active.name == "status-matrix-2026-H2.xlsx"


def test_status_matrix_pdf_falls_back_to_libreoffice_when_excel_refuses(soffice: str, tmp_path: Path) -> None:
    book = open_book(_master(tmp_path))
    book.app.pdf_refusal = OSError("no printer driver is installed")
    message = bridge.run_action(book, __version__, bridge.matrix_in_book)
    pdf = tmp_path / "status-matrix-2026-H2.pdf"
    assert f"PDF for the meeting: {pdf} (made by LibreOffice, because Excel could not export" in message
    assert "no printer driver is installed" in message
    assert pdf.read_bytes().startswith(b"%PDF-") and STANDIN_PDF_MARK not in pdf.read_bytes()
    assert book.app.pdf_exports == []


def test_status_matrix_says_when_neither_excel_nor_libreoffice_can_make_the_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = tmp_path / "empty-path"
    nowhere.mkdir()
    monkeypatch.setenv("PATH", str(nowhere))  # no soffice on the PATH, as on most Windows machines
    master = _master(tmp_path)
    book = open_book(master)
    book.app.pdf_refusal = OSError("no printer driver is installed")
    message = bridge.run_action(book, __version__, bridge.matrix_in_book)
    assert "Status matrix for 2026-H2 written to" in message  # the workbook itself is made and opened
    assert "No PDF was made: Excel could not export the PDF (no printer driver is installed)" in message
    assert "LibreOffice is not installed" in message and "File > Export > Create PDF/XPS" in message
    assert f'tipwp matrix "{master}" --pdf' in message
    assert not list(tmp_path.glob("*.pdf"))
