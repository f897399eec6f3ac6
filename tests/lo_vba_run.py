#!/usr/bin/python3
"""Run the ribbon's VBA (macros/TipwpRibbon.bas, read from the file) in a real LibreOffice Basic and record what
each button hands to Python.

    /usr/bin/python3 tests/lo_vba_run.py < scenarios.json > results.json

stdin: {"module": "/path/TipwpRibbon.bas", "scenarios": [SCENARIO, ...]} where a SCENARIO is
    {"button": "ValidateReturns",            one of the six Public Subs of the module
     "workbook": {"path": ..., "name": ..., "saved": true} or null (no workbook open in Excel),
     "chosen": ["C:\\...\\a.xlsx", ...] or null (the person cancels the file dialog),
     "answers": ["no", ...]}                 the buttons the person clicks in the message boxes, in turn

stdout: one result per scenario, in order: {"commands": [what RunPython got], "messages": [{"prompt", "buttons",
"title"}], "status_bar": [every value assigned to Application.StatusBar], "dialogs": [title of each file dialog],
"saves": n (ActiveWorkbook.Save calls), "error": "" or the Basic run-time error "number: description"}.

How: a headless soffice with a throw-away profile (tests/lo_probe.py), a new hidden Calc document, one Basic library
in it holding the module's text with `Option VBASupport 1` (LibreOffice's VBA mode, what its own importer puts at the
top of a module it reads from an Excel file) and the stand-ins below. LibreOffice's Basic interpreter runs the VBA;
nothing of it is re-implemented in Python.

The stand-ins replace only names that exist in Excel alone (or, for MsgBox, cannot work headless); which they are
and why each is one is listed in tests/test_addin_vba.py (STAND_INS), which also checks that list against the code
below. Everything else the module calls is LibreOffice's own VBA runtime: Mid$, AscW, Hex$, Right$, Len, IsArray,
LBound/UBound, CStr, the vb* constants, Select Case, Is Nothing. MsgBox's stand-in is appended to the module's text
(after the module's own code, nothing of which is changed) because LibreOffice Basic resolves run-time library names
such as MsgBox before the procedures of other modules; only the calling module's own procedures come first.

`Attribute VB_Name = ...` lines are the .bas export header, not VBA statements: Excel's VBA editor consumes them on
import and LibreOffice's own importer turns them into `Rem Attribute ...` lines; this does the same.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lo_probe import _property, _shutdown, desktop_of, emit, start_soffice

LIBRARY = "TipwpAddin"
MODULE = "TipwpRibbon"
BUTTONS = (
    "ValidateReturns",
    "MergeReturns",
    "StatusMatrix",
    "IssueTemplates",
    "BodyFeedback",
    "RefreshLists",
    "ShowHelp",
)

MSGBOX_STANDIN = """
' ---- appended by tests/lo_vba_run.py: the MsgBox stand-in (see there why it lives in this module) ----
Private Function MsgBox(ByVal Prompt As String, Optional ByVal Buttons As Long = 0, Optional ByVal Title As String = "")
    MsgBox = ExcelStandIns.Told(Prompt, Buttons, Title)
End Function
"""

XLWINGS_STANDIN = """Option VBASupport 1
Option Explicit
' Stand-in for xlwings' RunPython (see tests/lo_vba_run.py).
Public Function RunPython(PythonCommand As String)
    Dim onPath As String
    onPath = ActiveWorkbook.FullName  ' as xlwings does: error 91 when no workbook is open
    ExcelStandIns.Ran PythonCommand
End Function
"""

APPLICATION_CLASS = """Option VBASupport 1
Option ClassModule
Option Explicit
' Stand-in for Excel's Application: StatusBar and GetOpenFilename only (see tests/lo_vba_run.py).
Private shown As Variant

Public Property Get StatusBar() As Variant
    StatusBar = shown
End Property

Public Property Let StatusBar(ByVal value As Variant)
    shown = value
    ExcelStandIns.StatusShown value
End Property

Public Function GetOpenFilename(Optional FileFilter As Variant, Optional FilterIndex As Variant, _
        Optional Title As Variant, Optional ButtonText As Variant, Optional MultiSelect As Variant) As Variant
    GetOpenFilename = ExcelStandIns.Chosen(CStr(Title))
End Function
"""

WORKBOOK_CLASS = """Option VBASupport 1
Option ClassModule
Option Explicit
' Stand-in for an Excel Workbook: Path, Name, FullName, Saved, Save (see tests/lo_vba_run.py).
Public Path As String
Public Name As String
Public FullName As String
Public Saved As Boolean

Public Sub Save()
    Saved = True
    ExcelStandIns.SavedOnce
End Sub
"""

RIBBON_CONTROL_CLASS = """Option VBASupport 1
Option ClassModule
' Stand-in for Office's IRibbonControl (Id, Tag, Context), the argument of every onAction Sub.
Public Id As String
Public Tag As String
Public Context As Object
"""

STANDINS = """Option VBASupport 1
Option Explicit
' The Excel-only globals (see tests/lo_vba_run.py), the recorder and the driver that presses a button.
Public Application As New ExcelApplication
Public ActiveWorkbook As Object

Private commands As String, messages As String, statuses As String, dialogs As String
Private files As Variant, cancelled As Boolean, answers As Variant, answered As Long, saves As Long
Private Const SEP As String = "{SEP}"

Private Sub Add(ByRef record As String, ByVal item As String)
    record = record & item & SEP
End Sub

Public Sub Ran(ByVal command As String)
    Add commands, command
End Sub

Public Sub StatusShown(ByVal value As Variant)
    If VarType(value) = vbBoolean Then
        Add statuses, "False"
    Else
        Add statuses, "text:" & CStr(value)
    End If
End Sub

Public Sub SavedOnce()
    saves = saves + 1
End Sub

Public Function Chosen(ByVal title As String) As Variant
    Dim i As Long, out() As Variant
    Add dialogs, title
    If cancelled Then
        Chosen = False
        Exit Function
    End If
    ReDim out(1 To UBound(files) - LBound(files) + 1)
    For i = LBound(files) To UBound(files)
        out(i - LBound(files) + 1) = files(i)
    Next i
    Chosen = out
End Function

Public Function Told(ByVal prompt As String, ByVal buttons As Long, ByVal title As String) As Long
    Dim answer As String
    Add messages, CStr(buttons) & SEP & title & SEP & prompt
    answer = "ok"
    If answered <= UBound(answers) Then answer = answers(answered)
    answered = answered + 1
    Select Case answer
        Case "yes": Told = vbYes
        Case "no": Told = vbNo
        Case "cancel": Told = vbCancel
        Case Else: Told = vbOK
    End Select
End Function

Public Sub Arrange(ByVal isOpen As Boolean, ByVal bookPath As String, ByVal bookName As String, _
        ByVal bookFullName As String, ByVal isSaved As Boolean, ByVal cancel As Boolean, _
        chosenFiles As Variant, clicks As Variant)
    commands = "" : messages = "" : statuses = "" : dialogs = "" : answered = 0 : saves = 0
    files = chosenFiles
    cancelled = cancel
    answers = clicks
    If isOpen Then
        Set ActiveWorkbook = New Workbook
        ActiveWorkbook.Path = bookPath
        ActiveWorkbook.Name = bookName
        ActiveWorkbook.FullName = bookFullName
        ActiveWorkbook.Saved = isSaved
    Else
        Set ActiveWorkbook = Nothing
    End If
End Sub

Public Function Press(ByVal button As String) As String
    Dim control As New IRibbonControl
    control.Id = button
    On Error GoTo failed
    Select Case button
        Case "ValidateReturns": TipwpRibbon.ValidateReturns control
        Case "MergeReturns": TipwpRibbon.MergeReturns control
        Case "StatusMatrix": TipwpRibbon.StatusMatrix control
        Case "IssueTemplates": TipwpRibbon.IssueTemplates control
        Case "BodyFeedback": TipwpRibbon.BodyFeedback control
        Case "RefreshLists": TipwpRibbon.RefreshLists control
        Case "ShowHelp": TipwpRibbon.ShowHelp control
        Case Else: Press = "no such button: " & button
    End Select
    Exit Function
failed:
    Press = Err.Number & ": " & Err.Description
End Function

Public Function Recorded() As Variant
    Recorded = Array(commands, messages, statuses, dialogs, CStr(saves))
End Function
"""

# A separator no file name or message contains (U+E000, a private-use character), so logs come back as one string.
SEP = "\ue000"


def module_text(bas: Path) -> str:
    lines = bas.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n")
    lines = ["Rem " + line if line.startswith("Attribute ") else line for line in lines]
    return "Option VBASupport 1\n" + "\n".join(lines) + MSGBOX_STANDIN


def _split(log: str) -> list[str]:
    return log.split(SEP)[:-1] if log else []


def _messages(log: str) -> list[dict[str, object]]:
    parts = _split(log)
    return [{"buttons": int(parts[i]), "title": parts[i + 1], "prompt": parts[i + 2]} for i in range(0, len(parts), 3)]


def run(request: dict[str, object]) -> list[dict[str, object]]:
    bas = Path(str(request["module"]))
    scenarios = request["scenarios"]
    assert isinstance(scenarios, list)
    process, pipe, profile = start_soffice("lo_vba")
    desktop = document = None
    try:
        desktop = desktop_of(process, pipe)
        document = desktop.loadComponentFromURL(  # type: ignore[attr-defined]
            "private:factory/scalc", "_blank", 0, (_property("Hidden", True),)
        )
        library = document.BasicLibraries.createLibrary(LIBRARY)
        modules = {
            MODULE: module_text(bas),
            "xlwings": XLWINGS_STANDIN,
            "ExcelApplication": APPLICATION_CLASS,
            "Workbook": WORKBOOK_CLASS,
            "IRibbonControl": RIBBON_CONTROL_CLASS,
            "ExcelStandIns": STANDINS.replace("{SEP}", SEP),
        }
        for name, text in modules.items():
            library.insertByName(name, text)
        provider = document.getScriptProvider()

        def script(name: str) -> object:
            url = f"vnd.sun.star.script:{LIBRARY}.ExcelStandIns.{name}?language=Basic&location=document"
            return provider.getScript(url)

        arrange, press, recorded = script("Arrange"), script("Press"), script("Recorded")
        results = []
        for scenario in scenarios:
            book = scenario.get("workbook")
            chosen = scenario.get("chosen")
            arrange.invoke(  # type: ignore[attr-defined]
                (
                    book is not None,
                    (book or {}).get("path", ""),
                    (book or {}).get("name", ""),
                    (book or {}).get("fullname", ""),
                    bool((book or {}).get("saved", True)),
                    chosen is None,
                    tuple(chosen or ("",)),
                    tuple(scenario.get("answers") or ("ok",)),
                ),
                (),
                (),
            )
            error = press.invoke((scenario["button"],), (), ())[0]  # type: ignore[attr-defined]
            commands, messages, statuses, dialogs, saves = recorded.invoke((), (), ())[0]  # type: ignore[attr-defined]
            results.append(
                {
                    "error": error or "",
                    "commands": _split(commands),
                    "messages": _messages(messages),
                    "status_bar": _split(statuses),
                    "dialogs": _split(dialogs),
                    "saves": int(saves),
                }
            )
        return results
    finally:
        _shutdown(process, desktop, document)
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: /usr/bin/python3 tests/lo_vba_run.py < scenarios.json", file=sys.stderr)
        return 2
    request = json.load(sys.stdin)
    return emit("lo_vba_run", lambda: run(request))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
