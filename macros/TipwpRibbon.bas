Attribute VB_Name = "TipwpRibbon"
' TIP Work Plan ribbon. Thin on purpose: check a workbook is open and the master saved, let the user pick files, set
' the status bar, call RunPython into xlsx_tools.addin.bridge. All logic lives in Python (xlsx_tools); errors come back
' as message boxes.
'
' The hand-off to Python (this side of it; xlsx_tools.addin.bridge documents the other): every text put into a
' RunPython command - the add-in version and each chosen file - is written by PyText as a Python string literal in
' which ASCII letters, digits, space, "-", "." and "_" stand for themselves and every other UTF-16 unit is \uXXXX.
' The command is then valid Python for any file name, and it holds nothing that cmd.exe (xlwings runs
' `python -c "<command>"` through cmd.exe /C on Windows: " % ! ^ & | < >) or the Mac hand-over (AppleScript splits on
' |, then sh: " $ ` \) would interpret. Tested by running this module in LibreOffice Basic: tests/test_addin_vba.py.
Option Explicit

' Must equal xlsx_tools.__version__; the bridge refuses to run and says what to do when they differ.
Private Const ADDIN_VERSION As String = "0.1.0"
Private Const TITLE As String = "TIP Work Plan"
' cmd.exe takes at most 8191 characters, and xlwings adds the Python path, PYTHONPATH and the workbook names to our
' command: a longer command is refused with a message rather than cut off by Windows.
Private Const MAX_COMMAND As Long = 6000

Public Sub ValidateReturns(control As IRibbonControl)
    Dim files As String
    If Not WorkbookIsOpen() Then Exit Sub
    files = PickReturns("Choose the returns to validate")
    If files = "" Then Exit Sub
    CallPython "Validating returns...", "validate(" & PyText(ADDIN_VERSION) & ", " & files & ")"
End Sub

Public Sub MergeReturns(control As IRibbonControl)
    Dim files As String
    If Not MasterIsSaved() Then Exit Sub
    files = PickReturns("Choose the returns to merge into " & ActiveWorkbook.Name)
    If files = "" Then Exit Sub
    CallPython "Merging returns...", "merge(" & PyText(ADDIN_VERSION) & ", " & files & ")"
End Sub

Public Sub StatusMatrix(control As IRibbonControl)
    If Not MasterIsSaved() Then Exit Sub
    CallPython "Writing the status matrix...", "matrix(" & PyText(ADDIN_VERSION) & ")"
End Sub

Public Sub IssueTemplates(control As IRibbonControl)
    If Not MasterIsSaved() Then Exit Sub
    CallPython "Issuing return templates...", "issue(" & PyText(ADDIN_VERSION) & ")"
End Sub

Public Sub BodyFeedback(control As IRibbonControl)
    If Not MasterIsSaved() Then Exit Sub
    CallPython "Writing feedback for every body...", "feedback(" & PyText(ADDIN_VERSION) & ")"
End Sub

Public Sub RefreshLists(control As IRibbonControl)
    If Not MasterIsSaved() Then Exit Sub
    CallPython "Refreshing the dropdown lists...", "refresh_lists(" & PyText(ADDIN_VERSION) & ")"
End Sub

Public Sub ShowHelp(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then
        MsgBox "TIP Work Plan add-in " & ADDIN_VERSION & "." & vbNewLine & vbNewLine & _
            "Open a workbook (the master) and click Help again to check that Python and tipwp are ready: " & _
            "Excel runs Python for the workbook that is open.", vbInformation, TITLE
        Exit Sub
    End If
    CallPython "Checking versions...", "about(" & PyText(ADDIN_VERSION) & ")"
End Sub

' xlwings' RunPython works on the active workbook: without one it would stop with run-time error 91.
Private Function WorkbookIsOpen() As Boolean
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open the master workbook first (or any workbook), then click the button again.", vbExclamation, TITLE
        Exit Function
    End If
    WorkbookIsOpen = True
End Function

Private Function MasterIsSaved() As Boolean
    If Not WorkbookIsOpen() Then Exit Function
    If ActiveWorkbook.Path = "" Then
        MsgBox "Save the master workbook first (File > Save As), then click the button again.", vbExclamation, TITLE
        Exit Function
    End If
    If Not ActiveWorkbook.Saved Then
        If MsgBox("The master has unsaved changes. Save it now?", vbYesNo + vbQuestion, TITLE) = vbNo Then Exit Function
        ActiveWorkbook.Save
    End If
    MasterIsSaved = True
End Function

' The chosen files as a Python list of PyText literals; "" when the person cancels.
Private Function PickReturns(ByVal prompt As String) As String
    Dim chosen As Variant, i As Long, out As String
    chosen = Application.GetOpenFilename("Excel workbooks (*.xlsx;*.xlsm),*.xlsx;*.xlsm", , prompt, , True)
    If Not IsArray(chosen) Then Exit Function
    For i = LBound(chosen) To UBound(chosen)
        If i > LBound(chosen) Then out = out & ", "
        out = out & PyText(CStr(chosen(i)))
    Next i
    PickReturns = "[" & out & "]"
End Function

' text as a Python string literal: the hand-off scheme described at the top of this module.
Private Function PyText(ByVal text As String) As String
    Dim i As Long, c As String, code As Long, out As String
    For i = 1 To Len(text)
        c = Mid$(text, i, 1)
        code = AscW(c) And &HFFFF&
        ' 0-9, A-Z, a-z, space, "-", ".", "_". (Not as a comment after the Case list: LibreOffice Basic, which runs
        ' this module in the tests, then silently drops the statements of that Case.)
        Select Case code
            Case 48 To 57, 65 To 90, 97 To 122, 32, 45, 46, 95
                out = out & c
            Case Else
                out = out & "\u" & Right$("000" & Hex$(code), 4)
        End Select
    Next i
    PyText = "'" & out & "'"
End Function

Private Sub CallPython(ByVal status As String, ByVal command As String)
    command = "import xlsx_tools.addin.bridge as tipwp; tipwp." & command
    If Len(command) > MAX_COMMAND Then
        MsgBox "The names of the chosen files are too long to hand to Python in one go. Choose fewer files at a " & _
            "time (for example half of them) and click the button again.", vbExclamation, TITLE
        Exit Sub
    End If
    Application.StatusBar = status
    RunPython command
    Application.StatusBar = False
End Sub
