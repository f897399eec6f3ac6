"""The ribbon's VBA, executed (issue 13): macros/TipwpRibbon.bas runs in LibreOffice Basic (tests/lo_vba_run.py, with
stand-ins for what exists in Excel alone: STAND_INS below says which and why), every button is pressed, and every
command it hands to RunPython is compiled and run against the bridge with the xlwings stand-in
(tests/xlwings_standin.py), which must receive exactly the files chosen in the dialog."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests import lo_vba_run
from tests.returns_kit import fill, issue, master_values, realistic_values, template_rows
from tests.xlwings_standin import Book, open_book, run_python
from xlsx_tools import __version__
from xlsx_tools.addin import bridge
from xlsx_tools.resources import data_file
from xlsx_tools.workbook.master import build_master

SYSTEM_PYTHON = "/usr/bin/python3"
RUNNER = Path(__file__).resolve().parent / "lo_vba_run.py"
BUTTONS = (
    "ValidateReturns",
    "MergeReturns",
    "StatusMatrix",
    "IssueTemplates",
    "BodyFeedback",
    "RefreshLists",
    "ShowHelp",
)
TARGETS = {
    "ValidateReturns": "validate",
    "MergeReturns": "merge",
    "StatusMatrix": "matrix",
    "IssueTemplates": "issue",
    "BodyFeedback": "feedback",
    "RefreshLists": "refresh_lists",
    "ShowHelp": "about",
}
# The names tests/lo_vba_run.py stands in for, and why; every other name the module uses is LibreOffice Basic's own.
STAND_INS = {
    "RunPython": "xlwings' VBA function, in the Excel add-in only. Records the command; like the real one it first "
    "reads ActiveWorkbook.FullName, so with no workbook open it fails with run-time error 91 as in Excel.",
    "Application": "Excel's Application: StatusBar (recorded) and GetOpenFilename, which returns the scenario's files "
    "as Excel does with MultiSelect:=True (a 1-based array) or False for Cancel. LibreOffice's VBA layer has an "
    "Application too, but its GetOpenFilename would open a real dialog.",
    "ActiveWorkbook": "Excel's active workbook (Path, Name, FullName, Saved, Save), or Nothing.",
    "IRibbonControl": "the type of the argument Excel passes to an onAction Sub; LibreOffice has none.",
    "MsgBox": "VBA's own, which LibreOffice has, but a headless LibreOffice cancels every dialog (MsgBox returns 0 and "
    "shows nothing): the stand-in records the prompt and clicks the button the scenario names.",
}
# What a RunPython command may contain: xlwings hands it to `cmd.exe /C python -c "..."` on Windows, where " % ! ^ & |
# < > would be interpreted, and through AppleScript (split on |) to `sh -c "..."` on a Mac, where " $ ` \ would.
# A backslash may only begin a \uXXXX escape.
SAFE_COMMAND = re.compile(r"(?:[A-Za-z0-9 ._'(),;\[\]-]|\\u[0-9A-F]{4})*")

# File names as Excel's dialog returns them on Windows and on a Mac. No such files exist here: the bridge must get
# exactly these strings, and validation reports each as a file it cannot open.
FOREIGN = [
    r"C:\Users\Ana Santos\OneDrive - ASEAN Secretariat\TIP\Returns 2026-H2\SOMTC return.xlsx",  # OneDrive
    r"\\asean-fs01\TIP$\Returns\2026 H2\ACWC (final).xlsx",  # UNC path, $ share
    r"C:\Users\ana\new\returns\tab\x41\u00e9\N{BULLET}\U0001F600\0.xlsx",  # \n \r \t \x \u \N \U \0 escapes
    "\\\\?\\C:\\" + "\\".join(f"Sub-folder number {i:02d} of the returns" for i in range(12)) + "\\SOM-ED.xlsx",  # long
    r"C:\Users\ana\Law & Justice\100% %USERNAME% %TEMP% ^caret !bang!.xlsx",  # cmd.exe: & % ^ !
    '/Users/ana/Library/CloudStorage/OneDrive-ASEAN/TIP/the "final" | $HOME `id` ~0041 * ? [x] {y}; z.xlsx',  # Mac
    "/Users/ana/Documents/Nguyễn Thị Ngọc/Báo cáo ACWC – bản cuối.xlsx",  # accents, en dash
    "C:\\Users\\ana\\Documents\\تقرير\\דו״ח\\Doc.xlsx",  # right-to-left scripts
]
# Names for real files here (any character but / and NUL): validated and merged for real.
LOCAL = [
    "SOMTC return 2026-H2.xlsx",  # spaces
    "O'Neil's \"final\" return.xlsx",  # apostrophes and quotes
    "back\\slash \\new\\u00e9\\x41 return.xlsx",  # backslashes that look like Python escapes
    "Báo cáo ACWC – bản cuối.xlsx",  # accents
    "รายงาน ລາຍງານ របាយការណ៍ အစီရင်ခံစာ 报告.xlsx",  # Thai, Lao, Khmer, Burmese, Chinese
    "Law & Justice 100% %TEMP% $HOME `id` !! | ; ~0041 * ? [x].xlsx",  # shell, cmd.exe and old-scheme traps
    "📊 status 🇵🇭.xlsx",  # beyond U+FFFF: surrogate pairs in VBA
]


def deep(folder: Path) -> Path:
    """A folder whose path is longer than Windows' old 260-character limit."""
    for i in range(8):
        folder = folder / f"Sub-folder number {i:02d} of the returns of the sectoral bodies"
    return folder


class World:
    """A saved master in an awkwardly named folder, and real returns under awkward names."""

    def __init__(self, root: Path) -> None:
        self.root = root
        folder = root / "Bohol TIP – O'Neil & 100% master"
        folder.mkdir(parents=True)
        self.master = folder / "master 2026.xlsx"
        build_master(self.master, plan_id="bwp2", period="2026-H2")
        templates = issue(self.master, root / "issued", period="2026-H2", asbs=("SOMTC", "SOM-ED", "ACWC"))
        rng = random.Random(13)
        filled = [fill(t, realistic_values(template_rows(t)[:10], rng)) for t in templates.values()]
        inbox = root / "inbox ünïcode"
        inbox.mkdir()
        long_folder = deep(root / "long")
        long_folder.mkdir(parents=True)
        self.local = [inbox / name for name in LOCAL] + [long_folder / "SOM-ED return.xlsx"]
        for number, target in enumerate(self.local):
            shutil.copy(filled[number % len(filled)], target)
        assert len(str(self.local[-1])) > 400
        self.merged = self.local[:3]  # one return of each body, under awkward names

    def fresh_master(self) -> Path:
        """A copy of the master to run a command against (commands write to it)."""
        copy = self.root / f"run-{len(list(self.root.glob('run-*')))}" / self.master.name
        copy.parent.mkdir()
        shutil.copy(self.master, copy)
        return copy

    def workbook(self, saved: bool = True) -> dict[str, Any]:
        master = self.master
        return {"path": str(master.parent), "name": master.name, "fullname": str(master), "saved": saved}


def scenario(button: str, workbook: dict[str, Any] | None, chosen: Sequence[str] | None = None, **more: Any) -> dict:
    return {"button": button, "workbook": workbook, "chosen": list(chosen) if chosen is not None else None, **more}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("vba"))


def module_under_test() -> Path:
    """macros/TipwpRibbon.bas; TIPWP_RIBBON_BAS=FILE runs the tests against another version of it, e.g. the one
    before issue 13: git show 203471b:macros/TipwpRibbon.bas > /tmp/old.bas."""
    return Path(os.environ.get("TIPWP_RIBBON_BAS") or data_file("macros", "TipwpRibbon.bas"))


def press(scenarios: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Press the buttons in one LibreOffice; each scenario's result by its name."""
    request = {"module": str(module_under_test()), "scenarios": list(scenarios.values())}
    command = [SYSTEM_PYTHON, str(RUNNER)]
    result = subprocess.run(command, input=json.dumps(request), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return {name: {**scenarios[name], **got} for name, got in zip(scenarios, json.loads(result.stdout), strict=True)}


def all_scenarios(world: World) -> dict[str, dict[str, Any]]:
    saved = world.workbook()
    local = [str(p) for p in world.local]
    out = {
        "validate local": scenario("ValidateReturns", saved, local),
        "validate foreign": scenario("ValidateReturns", saved, FOREIGN),
        "merge local": scenario("MergeReturns", saved, [str(p) for p in world.merged]),
        "merge foreign": scenario("MergeReturns", saved, FOREIGN),
        "matrix": scenario("StatusMatrix", saved),
        "issue": scenario("IssueTemplates", saved),
        "feedback": scenario("BodyFeedback", saved),
        "refresh": scenario("RefreshLists", saved),
        "help": scenario("ShowHelp", saved),
        "merge unsaved, save": scenario("MergeReturns", world.workbook(saved=False), local[:1], answers=["yes"]),
        "merge unsaved, don't": scenario("MergeReturns", world.workbook(saved=False), local[:1], answers=["no"]),
        "merge never saved": scenario(
            "MergeReturns", {"path": "", "name": "Book1", "fullname": "Book1", "saved": False}, local[:1]
        ),
        "validate cancelled": scenario("ValidateReturns", saved, None),
        "merge cancelled": scenario("MergeReturns", saved, None),
        "validate too many": scenario("ValidateReturns", saved, [FOREIGN[3].replace("Sub", "ລາຍງານ")] * 20),
    }
    for button in BUTTONS:
        out[f"no workbook: {button}"] = scenario(button, None, local[:1])
    for name in FOREIGN:
        out[f"one file: {name}"] = scenario("ValidateReturns", saved, [name])
    for path in world.local[: len(LOCAL)]:
        out[f"one file: {path.name}"] = scenario("ValidateReturns", saved, [str(path)])
    return out


@pytest.fixture(scope="module")
def pressed(world: World, soffice: str) -> dict[str, dict[str, Any]]:
    return press(all_scenarios(world))


Spy = dict[str, list[list[Path]]]


def spying(monkeypatch: pytest.MonkeyPatch, call_through: bool) -> Spy:
    """Record the files the bridge's validate and merge actions receive. With `call_through` the real action then
    runs; without, the action only says what it received: the FOREIGN names are Windows and Mac paths that do not
    exist here (a Windows long path is even one over-long file name to Linux), and what the actions do with files
    that cannot be opened is tested in test_bad_files.py and test_addin.py."""
    received: Spy = {"validate": [], "merge": []}

    def recording(name: str, action: Callable[..., str]) -> Callable[..., str]:
        def run(book: Any, files: Sequence[Path], *args: Any, **kwargs: Any) -> str:
            received[name].append(list(files))
            return action(book, files, *args, **kwargs) if call_through else f"received {len(files)} file(s)"

        return run

    monkeypatch.setattr(bridge, "validate_in_book", recording("validate", bridge.validate_in_book))
    monkeypatch.setattr(bridge, "merge_in_book", recording("merge", bridge.merge_in_book))
    return received


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return spying(monkeypatch, call_through=True)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return spying(monkeypatch, call_through=False)


def run_command(result: dict[str, Any], master: Path) -> Book:
    """Hand the one recorded command to Python as xlwings would, with `master` open in (stand-in) Excel."""
    assert result["error"] == "", result["error"]
    assert len(result["commands"]) == 1, result
    book = open_book(master)
    run_python(result["commands"][0], book)
    return book


def code_names(basic: str) -> set[str]:
    """The identifiers of Basic code, without its comments and string literals."""
    code = re.sub(r'"[^"\n]*"', '""', basic)
    code = re.sub(r"'[^\n]*", "", code)
    return set(re.findall(r"\b[A-Za-z_]\w*\b", code))


def test_the_stand_ins_are_the_listed_excel_only_names() -> None:
    """Each listed stand-in is used by the module and defined by the runner, and the runner defines nothing else the
    module uses: the rest of what the VBA calls is LibreOffice's own."""
    used = code_names(module_under_test().read_text(encoding="utf-8"))
    modules = "\n".join([lo_vba_run.XLWINGS_STANDIN, lo_vba_run.STANDINS])  # their Public names are global
    defined = set(re.findall(r"^Public (?:Function |Sub )?(\w+)", modules, re.MULTILINE))
    defined |= set(re.findall(r"^Private Function (\w+)", lo_vba_run.MSGBOX_STANDIN, re.MULTILINE))  # in the module
    defined |= {"IRibbonControl", "ExcelApplication", "Workbook"}  # class modules: their names are types
    assert set(STAND_INS) <= used
    assert defined & used == set(STAND_INS)


# ---- the commands ---------------------------------------------------------------------------------------------------


def test_every_button_runs_and_hands_over_a_command_python_and_the_shells_accept(
    pressed: dict[str, dict[str, Any]],
) -> None:
    ran = set()
    for name, result in pressed.items():
        assert result["error"] == "", f"{name}: VBA run-time error {result['error']}"
        for command in result["commands"]:
            compile(command, f"<RunPython: {name}>", "exec")
            assert SAFE_COMMAND.fullmatch(command), f"{name}: {command!r}"
            target = f"import xlsx_tools.addin.bridge as tipwp; tipwp.{TARGETS[result['button']]}("
            assert command.startswith(target), command
            ran.add(result["button"])
    assert ran == set(BUTTONS)


def test_the_mac_shell_passes_the_command_unchanged(pressed: dict[str, dict[str, Any]]) -> None:
    """xlwings' AppleScript splits its parameters on | and runs: python -c "import xlwings.utils;...;COMMAND" in sh."""
    commands = [c for r in pressed.values() for c in r["commands"]]
    for command in commands:
        assert "|" not in command
        shell = subprocess.run(
            ["sh", "-c", f'printf %s "{command}"'], capture_output=True, text=True, timeout=10, check=True
        )
        assert shell.stdout == command


@pytest.mark.parametrize("name", LOCAL)
def test_each_awkward_local_name_is_validated(
    name: str, pressed: dict[str, dict[str, Any]], world: World, spy: Spy
) -> None:
    book = run_command(pressed[f"one file: {name}"], world.fresh_master())
    assert [[p.name for p in files] for files in spy["validate"]] == [[name]]
    assert book.app.alerts[-1].startswith("1 file(s) checked: 0 unusable"), book.app.alerts


@pytest.mark.parametrize("name", FOREIGN)
def test_each_foreign_name_reaches_the_bridge_exactly(
    name: str, pressed: dict[str, dict[str, Any]], world: World, receiver: Spy
) -> None:
    book = run_command(pressed[f"one file: {name}"], world.fresh_master())
    assert [[str(p) for p in files] for files in receiver["validate"]] == [[name]]
    assert book.app.alerts == ["received 1 file(s)"]


def test_validate_gets_exactly_the_files_chosen_and_checks_them(
    pressed: dict[str, dict[str, Any]], world: World, spy: Spy
) -> None:
    book = run_command(pressed["validate local"], world.fresh_master())
    assert spy["validate"] == [world.local]
    assert book.app.alerts[-1].startswith(f"{len(world.local)} file(s) checked: 0 unusable"), book.app.alerts


def test_validate_and_merge_get_the_foreign_names_unchanged(
    pressed: dict[str, dict[str, Any]], world: World, receiver: Spy
) -> None:
    run_command(pressed["validate foreign"], world.fresh_master())
    run_command(pressed["merge foreign"], world.fresh_master())
    assert [[str(p) for p in files] for files in receiver["validate"]] == [FOREIGN]
    assert [[str(p) for p in files] for files in receiver["merge"]] == [FOREIGN]


def test_merge_of_returns_with_awkward_names_through_the_ribbon(
    pressed: dict[str, dict[str, Any]], world: World, spy: Spy
) -> None:
    master = world.fresh_master()
    before = master_values(master)
    book = run_command(pressed["merge local"], master)
    assert spy["merge"] == [world.merged]
    message = book.app.alerts[-1]
    assert "Saved." in message and message.count("accepted") == len(world.merged), message
    for path in world.merged:
        assert f"- {path.name}: " in message
    assert master_values(master) != before
    assert book.app.books.active.saves == 1  # the new master was opened again after its record sheets were added


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("matrix", "Status matrix for 2026-H2 written"),
        ("issue", "return template(s) for 2026-H2 written to"),
        ("feedback", "feedback workbook(s) for 2026-H2 written to"),
        ("refresh", "Dropdown lists refreshed"),
        ("help", f"tipwp {__version__} (Python"),
    ],
)
def test_the_other_buttons_run_their_bridge_function(
    name: str, expected: str, pressed: dict[str, dict[str, Any]], world: World
) -> None:
    book = run_command(pressed[name], world.fresh_master())
    assert expected in book.app.alerts[-1], book.app.alerts


def test_the_status_bar_is_set_while_python_runs_and_given_back(pressed: dict[str, dict[str, Any]]) -> None:
    for name, result in pressed.items():
        if result["commands"]:
            assert len(result["status_bar"]) == 2, name
            assert result["status_bar"][0].startswith("text:") and result["status_bar"][1] == "False", name


# ---- what the buttons do before Python ------------------------------------------------------------------------------


@pytest.mark.parametrize("button", BUTTONS)
def test_with_no_workbook_open_every_button_explains(button: str, pressed: dict[str, dict[str, Any]]) -> None:
    result = pressed[f"no workbook: {button}"]
    assert result["error"] == "", f"{button}: VBA run-time error {result['error']}"
    assert result["commands"] == [] and result["dialogs"] == []
    assert len(result["messages"]) == 1
    assert "Open" in result["messages"][0]["prompt"] and result["messages"][0]["title"] == "TIP Work Plan"


def test_an_unsaved_master_is_saved_only_when_the_person_says_yes(pressed: dict[str, dict[str, Any]]) -> None:
    yes, no = pressed["merge unsaved, save"], pressed["merge unsaved, don't"]
    for result in (yes, no):
        assert [m["buttons"] for m in result["messages"]] == [4 + 32]  # vbYesNo + vbQuestion
        assert "unsaved changes" in result["messages"][0]["prompt"]
    assert yes["saves"] == 1 and len(yes["commands"]) == 1
    assert no["saves"] == 0 and no["commands"] == [] and no["dialogs"] == []


def test_a_master_never_saved_is_not_merged(pressed: dict[str, dict[str, Any]]) -> None:
    result = pressed["merge never saved"]
    assert result["commands"] == [] and "Save the master workbook first" in result["messages"][0]["prompt"]


@pytest.mark.parametrize("name", ["validate cancelled", "merge cancelled"])
def test_cancelling_the_file_dialog_runs_nothing(name: str, pressed: dict[str, dict[str, Any]]) -> None:
    result = pressed[name]
    assert len(result["dialogs"]) == 1 and result["commands"] == [] and result["messages"] == []
    assert result["status_bar"] == []


def test_too_long_a_command_for_cmd_exe_is_refused_with_a_message(pressed: dict[str, dict[str, Any]]) -> None:
    result = pressed["validate too many"]
    assert result["commands"] == [] and result["status_bar"] == []
    assert "fewer files" in result["messages"][0]["prompt"]


def test_the_merge_dialog_names_the_master(pressed: dict[str, dict[str, Any]], world: World) -> None:
    assert pressed["merge local"]["dialogs"] == [f"Choose the returns to merge into {world.master.name}"]
