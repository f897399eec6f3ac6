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
    severity: Severity
    title: str
    fix: str


E, W, F = Severity.ERROR, Severity.WARNING, Severity.FATAL

CATALOGUE: dict[str, Entry] = {
    "FILE_001": Entry(F, "file not found", "Check the file name and folder, then run the command again."),
    "FILE_002": Entry(
        F,
        "file is empty (0 bytes)",
        "The file was not saved or not attached properly; ask the sender to send it again.",
    ),
    "FILE_003": Entry(F, "not a spreadsheet", "Open the file in Excel and save it as 'Excel Workbook (*.xlsx)'."),
    "FILE_004": Entry(
        F,
        "file is password-protected (encrypted)",
        "Ask the sender to remove the password (File > Info > Protect Workbook > Encrypt with Password) "
        "and send it again.",
    ),
    "FILE_005": Entry(
        F,
        "file is damaged or incomplete",
        "The file is truncated or corrupt; ask the sender to save it again and re-send it.",
    ),
    "FILE_006": Entry(
        F,
        "old or other spreadsheet format",
        "Open the file in Excel or LibreOffice and save it as 'Excel Workbook (*.xlsx)'.",
    ),
    "FILE_007": Entry(
        F,
        "file is suspiciously large when unpacked",
        "The file unpacks to far more data than a work plan holds; do not open it, ask the sender for a fresh copy.",
    ),
    "FILE_008": Entry(
        F,
        "file contains unsafe XML",
        "The file declares external entities; do not open it, ask the sender for a fresh copy saved from Excel.",
    ),
    "FILE_009": Entry(
        F, "workbook contains macros", "Save it as 'Excel Workbook (*.xlsx)' (without macros) and send that copy."
    ),
    "FILE_010": Entry(
        F,
        "a sheet reaches far beyond its table",
        "Something was typed or pasted far below or to the right of the table. On that sheet press Ctrl+End "
        "to find the last cell, delete the rows and columns after the table, save and send the file again.",
    ),
    "FILE_011": Entry(
        F,
        "not a workbook file",
        "This name points to a pipe, a device or another special file, not a saved workbook; name the .xlsx "
        "file itself.",
    ),
    "BOOK_101": Entry(
        E,
        "not a TIP Work Plan workbook",
        "Use a master or return template made by tipwp; the hidden '_tipwp' sheet that identifies it is missing.",
    ),
    "BOOK_102": Entry(
        E,
        "a pillar sheet is missing",
        "Do not delete or rename the pillar sheets; copy your entries into a fresh template.",
    ),
    "BOOK_103": Entry(
        W, "unexpected sheet", "Extra sheets are ignored; move anything important into the pillar sheets."
    ),
    "BOOK_104": Entry(
        E, "a column is missing", "Do not delete or rename columns; restore the header from a fresh template."
    ),
    "BOOK_105": Entry(
        W,
        "unexpected column",
        "Extra columns are not read as report columns (a merge keeps their text on the Proposals sheet); put "
        "the information in the Progress narrative instead.",
    ),
    "BOOK_106": Entry(
        W,
        "columns were moved",
        "Columns are read by their header, so this still works; keep the template's order next time.",
    ),
    "BOOK_107": Entry(
        E, "merged cells", "Unmerge the cells (Home > Merge & Center > Unmerge) so each row has its own values."
    ),
    "BOOK_108": Entry(
        E, "the workbook's identity is incomplete", "The hidden '_tipwp' sheet was edited; use a fresh template."
    ),
    "BOOK_109": Entry(
        W,
        "sheet protection removed",
        "The sheet was unprotected; locked plan columns may have been edited. Re-check them against the plan.",
    ),
    "BOOK_110": Entry(
        E,
        "header row not found",
        "Row 1 must hold the column headers of the template; restore it from a fresh template.",
    ),
    "ROW_201": Entry(
        E,
        "row has no Row ID",
        "Each row needs its hidden Row ID (column A); restore it from a fresh template. "
        "New activities are proposed to the secretariat, not added without an ID.",
    ),
    "ROW_202": Entry(
        E,
        "Row ID used twice",
        "A row was copied; delete the duplicate or give the new activity an empty Row ID in a proposal.",
    ),
    "ROW_203": Entry(
        E, "Row ID not in the plan", "The Row ID does not belong to this plan version; use a fresh template."
    ),
    "ROW_204": Entry(
        W,
        "plan text was changed",
        "Plan columns are locked; propose changes to the secretariat instead of editing them.",
    ),
    "ROW_210": Entry(
        E,
        "row claims another reporting period than its file",
        "Its values are kept out of this period (held back in the Value history). Report each period in the "
        "template issued for it; copy this row's values into the right period's template.",
    ),
    "ROW_211": Entry(
        E,
        "the columns to fill were sorted apart from their activities",
        "Statuses and narratives now sit beside other activities, so their values are held back. Undo the sort "
        "(or start again from the return as issued), check each row, and send the return again. A return is "
        "never sorted.",
    ),
    "CELL_301": Entry(
        E, "cell contains a formula", "Type the value itself instead of a formula (copy, then Paste Special > Values)."
    ),
    "CELL_302": Entry(E, "cell shows an Excel error", "Replace the error value (#REF!, #N/A, …) with the real value."),
    "CELL_303": Entry(
        W,
        "text would be run as a formula",
        "Text starting with =, +, - or @ is treated as a formula by Excel; "
        "start with a word or put an apostrophe (') first.",
    ),
    "CELL_304": Entry(
        E,
        "text is longer than an Excel cell can hold",
        "Excel cells hold at most 32,767 characters; shorten the text or attach a document.",
    ),
    "CELL_305": Entry(
        W,
        "invisible control characters",
        "The text holds invisible characters pasted from another program (a merge leaves them out, or makes "
        "line breaks of them); retype the text if it looks wrong.",
    ),
    "CELL_306": Entry(E, "value is required", "Fill in this cell."),
    "CELL_310": Entry(E, "unknown sectoral body", "Choose the body from the dropdown list."),
    "CELL_311": Entry(W, "sectoral body written with another name", "Use the registry's code from the dropdown list."),
    "CELL_320": Entry(E, "not a status", "Choose a status from the dropdown list."),
    "CELL_322": Entry(
        W,
        "status written another way",
        "It is read as the status named; next time choose the status from the dropdown list.",
    ),
    "CELL_321": Entry(
        E, "Completed without evidence", "A 'Completed' row needs a progress narrative and the date of the event."
    ),
    "CELL_330": Entry(
        E,
        "not a reporting period",
        "Write the period as YEAR-H1 (January-June) or YEAR-H2 (July-December), e.g. 2026-H2.",
    ),
    "CELL_331": Entry(
        E,
        "reporting period outside the plan",
        "Choose a period from the dropdown list; it must fall within the plan's years.",
    ),
    "CELL_340": Entry(
        E, "date not understood", "Write a date such as 6 June 2017, 2017-06-06 or a range such as June 6-8, 2017."
    ),
    "CELL_341": Entry(
        E, "date outside the plan's timeframe", "Check the year; events must fall within the plan's years."
    ),
    "CELL_342": Entry(
        E,
        "event dated after the reported period",
        "Dates of events held name events that took place in the period; write a planned event in the "
        "Progress narrative, or correct the date.",
    ),
    "CELL_350": Entry(
        E, "unknown APA provision", "Write APA paragraphs as IV.A(a) … IV.D(l); choose from the dropdown list."
    ),
    "CELL_351": Entry(
        E, "not an ACTIP article reference", "Write ACTIP references as 'Art. 12(b)'; separate several with ';'."
    ),
    "CELL_360": Entry(E, "wrong kind of value", "Type plain text in this cell."),
    "PLAN_401": Entry(
        W,
        "no coordinating (lead) body in the source plan",
        "The source plan names none here; the secretariat should agree one with the bodies concerned.",
    ),
    "PLAN_402": Entry(
        W,
        "no activity/project listed in the source plan",
        "The source lists no activity for this type yet; bodies may propose one.",
    ),
    "PLAN_403": Entry(
        W,
        "this plan cell is blank in the source plan",
        "The source document leaves it blank; the secretariat may complete it in the next plan revision.",
    ),
    "MERGE_501": Entry(
        E,
        "return made for a period not yet open",
        "The master is open for an earlier period. Open the return's period first (tipwp period), or ask the "
        "body to fill the template of the open period; merge with --accept-period only if the values belong "
        "to the master's open period.",
    ),
    "MERGE_530": Entry(
        W,
        "late return for an earlier period, merged into that period",
        "Nothing to do: its values are in the Value history under the period it was made for, and that "
        "period's status matrix shows them (tipwp matrix MASTER --period PERIOD); the master's cells show the "
        "open period.",
    ),
    "MERGE_531": Entry(
        E,
        "a period before the open one cannot be opened",
        "Periods are opened in order; nothing was changed. Give a later period (e.g. the next half-year). A "
        "late return for an earlier period is merged into its own period without reopening it.",
    ),
    "MERGE_502": Entry(
        E,
        "return made for another plan or plan version",
        "Issue a fresh template from this master, or merge with --map-version to map the rows that still exist.",
    ),
    "MERGE_503": Entry(
        W,
        "not an issued template; body and period read from the rows",
        "The file has no template manifest (rows were copied into another workbook); check the summary, and "
        "use the issued template next time.",
    ),
    "MERGE_504": Entry(
        E,
        "template manifest does not match the file",
        "The hidden manifest was edited or belongs to another template; ask the body to copy its entries into "
        "the template that was issued to it.",
    ),
    "MERGE_505": Entry(
        W,
        "this file was already merged",
        "Nothing to do: the same file (same content) is already in the master's history.",
    ),
    "MERGE_506": Entry(
        W,
        "a row of the template is missing (counted as no report)",
        "The row was deleted from the return; ask the body whether it has anything to report for it.",
    ),
    "MERGE_507": Entry(
        W,
        "row matched by its activity code and text (Row ID lost)",
        "Rows were copied, sorted or re-created; the values were merged, but check this row in the master.",
    ),
    "MERGE_508": Entry(
        W,
        "proposal kept for review",
        "A change to plan text or a new activity is not applied; the secretariat decides on the Proposals sheet.",
    ),
    "MERGE_509": Entry(
        W,
        "conflicting reports",
        "Two bodies reported different values; the coordinating body's value is shown. Type a decision on the "
        "Conflicts sheet; the next merge applies it.",
    ),
    "MERGE_510": Entry(
        F,
        "the master is being written by another merge",
        "Wait for the other merge to finish. If none is running, delete the lock file named in the message.",
    ),
    "MERGE_511": Entry(
        F,
        "the master cannot be merged into",
        "Use the master workbook made by tipwp init (or restore the latest backup), then merge again.",
    ),
    "MERGE_512": Entry(
        E,
        "the return names no single body or period",
        "Use the template issued to the body: its rows carry one body and one reporting period.",
    ),
    "MERGE_514": Entry(
        E,
        "not a return",
        "This is a master or another kind of workbook; merge the return templates the bodies sent back.",
    ),
    "MERGE_513": Entry(
        W,
        "value held back",
        f"The value is kept in the {HISTORY_SHEET} sheet but not shown in the master until it is corrected; fix "
        "the cell in the return and send it again.",
    ),
    "MERGE_515": Entry(
        W,
        "record sheet renamed",
        "Nothing to do: a master made by an older tipwp is brought up to date when it is next written. Refer to "
        f"the sheet by its new name ({HISTORY_SHEET}) from now on.",
    ),
    "MERGE_520": Entry(
        F,
        "the master could not be written",
        "Nothing was changed: the master is as it was before this merge. Make the master, its folder and its "
        "backups folder writable for you (or ask their owner), free some disk space, then merge again.",
    ),
    "MERGE_521": Entry(
        E,
        "the return would overfill the master's record sheets",
        "The return adds far more lines than a work plan's report (rows typed or pasted below the plan?); ask "
        "the body to report on the template's rows and send it again.",
    ),
    "MERGE_522": Entry(
        F,
        "the master's record sheets are full",
        "Start a new master for the next period (tipwp init, then tipwp period) and keep this one as the "
        "archive; nothing was changed.",
    ),
    "MERGE_523": Entry(
        E,
        "an older copy of a return already merged",
        "The body sent a newer copy, which stays in the master. If this copy is the right one, ask the body to "
        "open it, save it again and send it.",
    ),
    "MERGE_524": Entry(
        F,
        "a record sheet of the master was damaged",
        "A column of a record sheet was renamed or deleted, or its lines were deleted or changed, so it cannot "
        "be read back as the merge wrote it; nothing was changed. Restore the master from the backup named here "
        "(or undo the edit), then merge again the returns merged since that backup.",
    ),
    "MERGE_525": Entry(
        E,
        "the return is not the template the master issued",
        "Its hidden identity (body, period, due date or list of rows) differs from what this master issued, so "
        "nothing in it was merged: a body reports only for itself, for the period and on the rows it was sent. "
        "Ask the sender to report in the template issued to it (tipwp issue makes a new one).",
    ),
    "MERGE_526": Entry(
        E,
        "a row of another body's share, held back",
        "The return reports on a plan row that was not issued to its sender (pasted from another body's "
        "template?): the values are kept in the history but not shown, and never count as the other body's "
        "report. If the sender does work on this activity, add it to the plan's bodies, or have the row's "
        "body report it.",
    ),
    "TOOL_901": Entry(
        F,
        "tipwp failed on this file (a fault of the tool, not of the file)",
        "This is a bug in tipwp, not a problem with the file: the sender need do nothing. Send the details "
        "named here to whoever looks after tipwp; the other files were processed as usual.",
    ),
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
