Attribute VB_Name = "TipwpRibbon"
' TIP Work Plan ribbon. Thin on purpose: check the master is saved, let the user pick files, set the status bar,
' call RunPython into xlsx_tools.addin.bridge. All logic lives in Python (xlsx_tools); errors come back as message boxes.
Option Explicit

' Must equal xlsx_tools.__version__; the bridge refuses to run and says what to do when they differ.
Private Const ADDIN_VERSION As String = "0.1.0"
Private Const TITLE As String = "TIP Work Plan"

Public Sub ValidateReturns(control As IRibbonControl)
    Dim files As String
    files = PickReturns("Choose the returns to validate")
    If files = "" Then Exit Sub
    CallPython "Validating returns...", "validate(" & ADDIN_VERSION & ", " & files & ")"
End Sub

Public Sub MergeReturns(control As IRibbonControl)
    Dim files As String
    If Not MasterIsSaved() Then Exit Sub
    files = PickReturns("Choose the returns to merge into " & ActiveWorkbook.Name)
    If files = "" Then Exit Sub
    CallPython "Merging returns...", "merge(" & ADDIN_VERSION & ", " & files & ")"
End Sub

Public Sub StatusMatrix(control As IRibbonControl)
    If Not MasterIsSaved() Then Exit Sub
    CallPython "Writing the status matrix...", "matrix(" & ADDIN_VERSION & ")"
End Sub

Public Sub IssueTemplates(control As IRibbonControl)
    If Not MasterIsSaved() Then Exit Sub
    CallPython "Issuing return templates...", "issue(" & ADDIN_VERSION & ")"
End Sub

Public Sub RefreshLists(control As IRibbonControl)
    If Not MasterIsSaved() Then Exit Sub
    CallPython "Refreshing the dropdown lists...", "refresh_lists(" & ADDIN_VERSION & ")"
End Sub

Public Sub ShowHelp(control As IRibbonControl)
    CallPython "Checking versions...", "about(" & ADDIN_VERSION & ")"
End Sub

Private Function MasterIsSaved() As Boolean
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open the master workbook first, then click the button again.", vbExclamation, TITLE
        Exit Function
    End If
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

' The chosen files, each escaped by EscapeText, separated by * (never part of a file name);  when cancelled.
Private Function PickReturns(ByVal prompt As String) As String
    Dim chosen As Variant, i As Long, out As String
    chosen = Application.GetOpenFilename("Excel workbooks (*.xlsx;*.xlsm),*.xlsx;*.xlsm", , prompt, , True)
    If Not IsArray(chosen) Then Exit Function
    For i = LBound(chosen) To UBound(chosen)
        If i > LBound(chosen) Then out = out & "*"
        out = out & EscapeText(CStr(chosen(i)))
    Next i
    PickReturns = out
End Function

' Keeps letters, digits and a few safe characters; every other character becomes ~XXXX (its UTF-16 code in hex),
' so that quotes, accents and non-Latin names survive the Python command line.
Private Function EscapeText(ByVal text As String) As String
    Dim i As Long, c As String, out As String
    For i = 1 To Len(text)
        c = Mid$(text, i, 1)
        If c Like "[A-Za-z0-9 ._:()\/-]" Then
            out = out & c
        Else
            out = out & "~" & Right$("000" & Hex$(AscW(c) And &HFFFF&), 4)
        End If
    Next i
    EscapeText = out
End Function

Private Sub CallPython(ByVal status As String, ByVal command As String)
    Application.StatusBar = status
    RunPython "import xlsx_tools.addin.bridge as tipwp; tipwp." & command
    Application.StatusBar = False
End Sub
