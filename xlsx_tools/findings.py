"""The one catalogue of findings, with stable codes.

Every problem the tools can report is declared here once: its code, severity, a short title, and the fix a
non-technical person should make. Tests and the --json output match on codes, never on wording. A Finding is a
value (not an exception) carrying its location: file, sheet, cell, column label and the offending value.

Code families: FILE_0xx the file cannot be used at all · BOOK_1xx workbook structure · ROW_2xx rows ·
CELL_3xx cell values · PLAN_4xx gaps in the source plan itself (warnings, carried not invented) ·
MERGE_5xx merging returns into the master · TOOL_9xx a fault of tipwp itself, never of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from xlsx_tools.sheet_names import HISTORY_SHEET


class Severity(str, Enum):
    ERROR = "error"  # must be fixed before the file can be merged
    WARNING = "warning"  # worth a look; does not fail validation
    FATAL = "fatal"  # the file cannot be read at all (exit code 2)


@dataclass(frozen=True)
class Entry:
    code: str
    severity: Severity
    title: str
    fix: str


def _e(code: str, severity: Severity, title: str, fix: str) -> Entry:
    return Entry(code, severity, title, fix)


E, W, F = Severity.ERROR, Severity.WARNING, Severity.FATAL

CATALOGUE: dict[str, Entry] = {
    e.code: e
    for e in (
        _e("FILE_001", F, "file not found", "Check the file name and folder, then run the command again."),
        _e(
            "FILE_002",
            F,
            "file is empty (0 bytes)",
            "The file was not saved or not attached properly; ask the sender to send it again.",
        ),
        _e(
            "FILE_003",
            F,
            "not a spreadsheet",
            "Open the file in Excel and save it as 'Excel Workbook (*.xlsx)'.",
        ),
        _e(
            "FILE_004",
            F,
            "file is password-protected (encrypted)",
            "Ask the sender to remove the password (File > Info > Protect Workbook > Encrypt with Password) "
            "and send it again.",
        ),
        _e(
            "FILE_005",
            F,
            "file is damaged or incomplete",
            "The file is truncated or corrupt; ask the sender to save it again and re-send it.",
        ),
        _e(
            "FILE_006",
            F,
            "old or other spreadsheet format",
            "Open the file in Excel or LibreOffice and save it as 'Excel Workbook (*.xlsx)'.",
        ),
        _e(
            "FILE_007",
            F,
            "file is suspiciously large when unpacked",
            "The file unpacks to far more data than a work plan holds; do not open it, "
            "ask the sender for a fresh copy.",
        ),
        _e(
            "FILE_008",
            F,
            "file contains unsafe XML",
            "The file declares external entities; do not open it, ask the sender for a fresh copy saved from Excel.",
        ),
        _e(
            "FILE_009",
            F,
            "workbook contains macros",
            "Save it as 'Excel Workbook (*.xlsx)' (without macros) and send that copy.",
        ),
        _e(
            "FILE_010",
            F,
            "a sheet reaches far beyond its table",
            "Something was typed or pasted far below or to the right of the table. On that sheet press Ctrl+End "
            "to find the last cell, delete the rows and columns after the table, save and send the file again.",
        ),
        _e(
            "FILE_011",
            F,
            "not a workbook file",
            "This name points to a pipe, a device or another special file, not a saved workbook; name the .xlsx "
            "file itself.",
        ),
        _e(
            "BOOK_101",
            E,
            "not a TIP Work Plan workbook",
            "Use a master or return template made by tipwp; the hidden '_tipwp' sheet that identifies it is missing.",
        ),
        _e(
            "BOOK_102",
            E,
            "a pillar sheet is missing",
            "Do not delete or rename the pillar sheets; copy your entries into a fresh template.",
        ),
        _e(
            "BOOK_103",
            W,
            "unexpected sheet",
            "Extra sheets are ignored; move anything important into the pillar sheets.",
        ),
        _e(
            "BOOK_104",
            E,
            "a column is missing",
            "Do not delete or rename columns; restore the header from a fresh template.",
        ),
        _e(
            "BOOK_105",
            W,
            "unexpected column",
            "Extra columns are not read as report columns (a merge keeps their text on the Proposals sheet); put "
            "the information in the Progress narrative instead.",
        ),
        _e(
            "BOOK_106",
            W,
            "columns were moved",
            "Columns are read by their header, so this still works; keep the template's order next time.",
        ),
        _e(
            "BOOK_107",
            E,
            "merged cells",
            "Unmerge the cells (Home > Merge & Center > Unmerge) so each row has its own values.",
        ),
        _e(
            "BOOK_108",
            E,
            "the workbook's identity is incomplete",
            "The hidden '_tipwp' sheet was edited; use a fresh template.",
        ),
        _e(
            "BOOK_109",
            W,
            "sheet protection removed",
            "The sheet was unprotected; locked plan columns may have been edited. Re-check them against the plan.",
        ),
        _e(
            "BOOK_110",
            E,
            "header row not found",
            "Row 1 must hold the column headers of the template; restore it from a fresh template.",
        ),
        _e(
            "ROW_201",
            E,
            "row has no Row ID",
            "Each row needs its hidden Row ID (column A); restore it from a fresh template. "
            "New activities are proposed to the secretariat, not added without an ID.",
        ),
        _e(
            "ROW_202",
            E,
            "Row ID used twice",
            "A row was copied; delete the duplicate or give the new activity an empty Row ID in a proposal.",
        ),
        _e(
            "ROW_203",
            E,
            "Row ID not in the plan",
            "The Row ID does not belong to this plan version; use a fresh template.",
        ),
        _e(
            "ROW_204",
            W,
            "plan text was changed",
            "Plan columns are locked; propose changes to the secretariat instead of editing them.",
        ),
        _e(
            "ROW_210",
            E,
            "row claims another reporting period than its file",
            "Its values are kept out of this period (held back in the Value history). Report each period in the "
            "template issued for it; copy this row's values into the right period's template.",
        ),
        _e(
            "ROW_211",
            E,
            "the columns to fill were sorted apart from their activities",
            "Statuses and narratives now sit beside other activities, so their values are held back. Undo the sort "
            "(or start again from the return as issued), check each row, and send the return again. A return is "
            "never sorted.",
        ),
        _e(
            "CELL_301",
            E,
            "cell contains a formula",
            "Type the value itself instead of a formula (copy, then Paste Special > Values).",
        ),
        _e(
            "CELL_302",
            E,
            "cell shows an Excel error",
            "Replace the error value (#REF!, #N/A, …) with the real value.",
        ),
        _e(
            "CELL_303",
            W,
            "text would be run as a formula",
            "Text starting with =, +, - or @ is treated as a formula by Excel; "
            "start with a word or put an apostrophe (') first.",
        ),
        _e(
            "CELL_304",
            E,
            "text is longer than an Excel cell can hold",
            "Excel cells hold at most 32,767 characters; shorten the text or attach a document.",
        ),
        _e(
            "CELL_305",
            W,
            "invisible control characters",
            "The text holds invisible characters pasted from another program (a merge leaves them out, or makes "
            "line breaks of them); retype the text if it looks wrong.",
        ),
        _e("CELL_306", E, "value is required", "Fill in this cell."),
        _e("CELL_310", E, "unknown sectoral body", "Choose the body from the dropdown list."),
        _e(
            "CELL_311",
            W,
            "sectoral body written with another name",
            "Use the registry's code from the dropdown list.",
        ),
        _e("CELL_320", E, "not a status", "Choose a status from the dropdown list."),
        _e(
            "CELL_322",
            W,
            "status written another way",
            "It is read as the status named; next time choose the status from the dropdown list.",
        ),
        _e(
            "CELL_321",
            E,
            "Completed without evidence",
            "A 'Completed' row needs a progress narrative and the date of the event.",
        ),
        _e(
            "CELL_330",
            E,
            "not a reporting period",
            "Write the period as YEAR-H1 (January-June) or YEAR-H2 (July-December), e.g. 2026-H2.",
        ),
        _e(
            "CELL_331",
            E,
            "reporting period outside the plan",
            "Choose a period from the dropdown list; it must fall within the plan's years.",
        ),
        _e(
            "CELL_340",
            E,
            "date not understood",
            "Write a date such as 6 June 2017, 2017-06-06 or a range such as June 6-8, 2017.",
        ),
        _e(
            "CELL_341",
            E,
            "date outside the plan's timeframe",
            "Check the year; events must fall within the plan's years.",
        ),
        _e(
            "CELL_342",
            E,
            "event dated after the reported period",
            "Dates of events held name events that took place in the period; write a planned event in the "
            "Progress narrative, or correct the date.",
        ),
        _e(
            "CELL_350",
            E,
            "unknown APA provision",
            "Write APA paragraphs as IV.A(a) … IV.D(l); choose from the dropdown list.",
        ),
        _e(
            "CELL_351",
            E,
            "not an ACTIP article reference",
            "Write ACTIP references as 'Art. 12(b)'; separate several with ';'.",
        ),
        _e("CELL_360", E, "wrong kind of value", "Type plain text in this cell."),
        _e(
            "PLAN_401",
            W,
            "no coordinating (lead) body in the source plan",
            "The source plan names none here; the secretariat should agree one with the bodies concerned.",
        ),
        _e(
            "PLAN_402",
            W,
            "no activity/project listed in the source plan",
            "The source lists no activity for this type yet; bodies may propose one.",
        ),
        _e(
            "PLAN_403",
            W,
            "this plan cell is blank in the source plan",
            "The source document leaves it blank; the secretariat may complete it in the next plan revision.",
        ),
        _e(
            "MERGE_501",
            E,
            "return made for a period not yet open",
            "The master is open for an earlier period. Open the return's period first (tipwp period), or ask the "
            "body to fill the template of the open period; merge with --accept-period only if the values belong "
            "to the master's open period.",
        ),
        _e(
            "MERGE_530",
            W,
            "late return for an earlier period, merged into that period",
            "Nothing to do: its values are in the Value history under the period it was made for, and that "
            "period's status matrix shows them (tipwp matrix MASTER --period PERIOD); the master's cells show the "
            "open period.",
        ),
        _e(
            "MERGE_531",
            E,
            "a period before the open one cannot be opened",
            "Periods are opened in order; nothing was changed. Give a later period (e.g. the next half-year). A "
            "late return for an earlier period is merged into its own period without reopening it.",
        ),
        _e(
            "MERGE_502",
            E,
            "return made for another plan or plan version",
            "Issue a fresh template from this master, or merge with --map-version to map the rows that still exist.",
        ),
        _e(
            "MERGE_503",
            W,
            "not an issued template; body and period read from the rows",
            "The file has no template manifest (rows were copied into another workbook); check the summary, and "
            "use the issued template next time.",
        ),
        _e(
            "MERGE_504",
            E,
            "template manifest does not match the file",
            "The hidden manifest was edited or belongs to another template; ask the body to copy its entries into "
            "the template that was issued to it.",
        ),
        _e(
            "MERGE_505",
            W,
            "this file was already merged",
            "Nothing to do: the same file (same content) is already in the master's history.",
        ),
        _e(
            "MERGE_506",
            W,
            "a row of the template is missing (counted as no report)",
            "The row was deleted from the return; ask the body whether it has anything to report for it.",
        ),
        _e(
            "MERGE_507",
            W,
            "row matched by its activity code and text (Row ID lost)",
            "Rows were copied, sorted or re-created; the values were merged, but check this row in the master.",
        ),
        _e(
            "MERGE_508",
            W,
            "proposal kept for review",
            "A change to plan text or a new activity is not applied; the secretariat decides on the Proposals sheet.",
        ),
        _e(
            "MERGE_509",
            W,
            "conflicting reports",
            "Two bodies reported different values; the coordinating body's value is shown. Type a decision on the "
            "Conflicts sheet; the next merge applies it.",
        ),
        _e(
            "MERGE_510",
            F,
            "the master is being written by another merge",
            "Wait for the other merge to finish. If none is running, delete the lock file named in the message.",
        ),
        _e(
            "MERGE_511",
            F,
            "the master cannot be merged into",
            "Use the master workbook made by tipwp init (or restore the latest backup), then merge again.",
        ),
        _e(
            "MERGE_512",
            E,
            "the return names no single body or period",
            "Use the template issued to the body: its rows carry one body and one reporting period.",
        ),
        _e(
            "MERGE_514",
            E,
            "not a return",
            "This is a master or another kind of workbook; merge the return templates the bodies sent back.",
        ),
        _e(
            "MERGE_513",
            W,
            "value held back",
            f"The value is kept in the {HISTORY_SHEET} sheet but not shown in the master until it is corrected; fix "
            "the cell in the return and send it again.",
        ),
        _e(
            "MERGE_515",
            W,
            "record sheet renamed",
            "Nothing to do: a master made by an older tipwp is brought up to date when it is next written. Refer to "
            f"the sheet by its new name ({HISTORY_SHEET}) from now on.",
        ),
        _e(
            "MERGE_520",
            F,
            "the master could not be written",
            "Nothing was changed: the master is as it was before this merge. Make the master, its folder and its "
            "backups folder writable for you (or ask their owner), free some disk space, then merge again.",
        ),
        _e(
            "MERGE_521",
            E,
            "the return would overfill the master's record sheets",
            "The return adds far more lines than a work plan's report (rows typed or pasted below the plan?); ask "
            "the body to report on the template's rows and send it again.",
        ),
        _e(
            "MERGE_522",
            F,
            "the master's record sheets are full",
            "Start a new master for the next period (tipwp init, then tipwp period) and keep this one as the "
            "archive; nothing was changed.",
        ),
        _e(
            "MERGE_523",
            E,
            "an older copy of a return already merged",
            "The body sent a newer copy, which stays in the master. If this copy is the right one, ask the body to "
            "open it, save it again and send it.",
        ),
        _e(
            "MERGE_524",
            F,
            "a record sheet of the master was damaged",
            "A column of a record sheet was renamed or deleted, or its lines were deleted or changed, so it cannot "
            "be read back as the merge wrote it; nothing was changed. Restore the master from the backup named here "
            "(or undo the edit), then merge again the returns merged since that backup.",
        ),
        _e(
            "MERGE_525",
            E,
            "the return is not the template the master issued",
            "Its hidden identity (body, period, due date or list of rows) differs from what this master issued, so "
            "nothing in it was merged: a body reports only for itself, for the period and on the rows it was sent. "
            "Ask the sender to report in the template issued to it (tipwp issue makes a new one).",
        ),
        _e(
            "MERGE_526",
            E,
            "a row of another body's share, held back",
            "The return reports on a plan row that was not issued to its sender (pasted from another body's "
            "template?): the values are kept in the history but not shown, and never count as the other body's "
            "report. If the sender does work on this activity, add it to the plan's bodies, or have the row's "
            "body report it.",
        ),
        _e(
            "TOOL_901",
            F,
            "tipwp failed on this file (a fault of the tool, not of the file)",
            "This is a bug in tipwp, not a problem with the file: the sender need do nothing. Send the details "
            "named here to whoever looks after tipwp; the other files were processed as usual.",
        ),
    )
}


class Finding(NamedTuple):
    """One problem, located as precisely as the input allows (a named tuple: immutable, and cheap to make by the
    hundred, as a merge with many conflicts does)."""

    code: str
    file: str = ""
    sheet: str = ""
    cell: str = ""  # A1-style address, "" for file/sheet level findings
    column: str = ""  # the header label of the cell's column
    value: str = ""  # the offending value, shortened for display
    detail: str = ""  # what exactly is wrong, in plain words
    suggestion: str = ""  # "did you mean …?" where one exists
    row_id: str = ""

    @property
    def entry(self) -> Entry:
        return CATALOGUE[self.code]

    @property
    def severity(self) -> Severity:
        return self.entry.severity

    @property
    def location(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.cell:
            parts.append(f"cell {self.cell}" + (f" ({self.column})" if self.column else ""))
        elif self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    @property
    def message(self) -> str:
        """Where, what, and how to fix it, in one sentence a non-technical person can act on."""
        what = self.detail or self.entry.title
        if self.value and not self.detail:
            what = f"{_short(self.value)!r}: {what}"
        text = f"{self.location}: {what}." if self.location else f"{what}."
        if self.suggestion:
            text += f" Did you mean {self.suggestion}?"
        return f"{text} {self.entry.fix}"

    def as_dict(self) -> dict[str, str]:
        data = dict(self._asdict())
        data.update(severity=self.severity.value, title=self.entry.title, message=self.message)
        return data


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass
class Report:
    """All findings of one run. Never capped silently: `capped` says how many were left out."""

    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    capped: int = 0

    def add(self, finding: Finding) -> None:
        if finding.code not in CATALOGUE:
            raise KeyError(f"finding code {finding.code} is not in the catalogue")
        self.findings.append(finding)

    def extend(self, findings: list[Finding]) -> None:
        for finding in findings:
            self.add(finding)

    @property
    def fatal(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.FATAL]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def exit_code(self) -> int:
        """0 clean (warnings allowed), 1 findings to fix, 2 a file could not be used at all."""
        if self.fatal:
            return 2
        return 1 if self.errors else 0

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]
