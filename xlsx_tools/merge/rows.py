"""Find a return's rows in the plan and collect what they say: reported values, plan-text edits, new activities.

Rows are found by Row ID; where the ids were lost or left behind (rows copied into a fresh workbook, a sheet
re-created, rows sorted without the hidden Row ID column) they are matched on the layout's `match_on` plan columns,
so values follow the activity they were typed beside. Values whose cells failed validation are held back.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field, replace

from xlsx_tools.findings import Finding, Severity
from xlsx_tools.layout.cells import normal_text
from xlsx_tools.merge.model import Proposal, Submission, SubmittedValue
from xlsx_tools.merge.proposals import NEW_ACTIVITY, PLAN_TEXT
from xlsx_tools.plan.context import PlanContext
from xlsx_tools.plan.status_words import load_status_map
from xlsx_tools.returns.manifest import Manifest
from xlsx_tools.sheet_names import INSTRUCTIONS_SHEET, LISTS_SHEET
from xlsx_tools.validate.validator import EXCEL_CELL_LIMIT
from xlsx_tools.workbook.cell_text import excel_text
from xlsx_tools.workbook.reader import SheetData, WorkbookData
from xlsx_tools.workbook.sheet_xml import column_letters
from xlsx_tools.workbook.values import value_text

STATUS_LIST = "STATUS_LIST"


def row_sheets(book: WorkbookData, context: PlanContext) -> list[SheetData]:
    """Sheets whose header row is the layout's, whatever they are called."""
    labels = set(context.sheet.headers)
    return [
        sheet
        for sheet in book.sheets.values()
        if not sheet.name.startswith("_")
        and sheet.name not in (INSTRUCTIONS_SHEET, LISTS_SHEET)
        and len(labels.intersection(sheet.headers)) >= len(labels) // 2
    ]


@dataclass(frozen=True)
class Record:
    sheet: str
    excel_row: int
    columns: dict[str, str]  # layout key → column letter, for the layout's columns this row reaches
    texts: dict[str, str]  # layout key → the text of each filled cell (dates as ISO dates; formulas as their text;
    # characters a cell cannot hold left out, cell_text.excel_text: the validator reported them, CELL_305)
    extra: dict[str, tuple[str, str]] = field(default_factory=dict)  # header (or "column X") → (cell, text): a
    # filled cell of a column the layout does not know

    def text(self, key: str) -> str:
        return self.texts.get(key, "")

    def address(self, key: str) -> str:
        return f"{self.columns[key]}{self.excel_row}"


def records_of(book: WorkbookData, context: PlanContext) -> list[Record]:
    """Rows of every sheet whose header row is the layout's, whatever the sheet is called."""
    out: list[Record] = []
    headers = context.sheet.keys_by_label
    for sheet in row_sheets(book, context):
        positions = {headers[label]: i for i, label in enumerate(sheet.headers) if label in headers}
        known = set(positions.values())
        reach = max(positions.values(), default=-1)  # the last layout column
        letters = column_letters(max([reach + 1, *(len(v) for _, v in sheet.values)]))
        columns = {key: letters[i] for key, i in positions.items()}
        named = dict(enumerate(sheet.headers))
        labels = [excel_text(named.get(i) or f"column {letter}") for i, letter in enumerate(letters)]  # extra columns
        others: list[int] = []  # the positions of other columns, up to the widest row so far (`scanned`)
        scanned = 0
        for excel_row, values in sheet.values:
            width = len(values)
            located = positions if reach < width else {k: i for k, i in positions.items() if i < width}
            texts = {key: excel_text(value_text(values[i])) for key, i in located.items() if values[i] != ""}
            if width > scanned:
                others, scanned = [i for i in range(width) if i not in known], width
            extra = {
                labels[i]: (f"{letters[i]}{excel_row}", excel_text(value_text(values[i])))
                for i in others
                if i < width and values[i] != ""
            }
            row_columns = columns if located is positions else {k: columns[k] for k in located}
            out.append(Record(sheet.name, excel_row, row_columns, texts, extra))
    return out


def body_and_period(name: str, records: list[Record], context: PlanContext) -> tuple[str, str, Finding | None]:
    bodies = {r.text(context.sheet.body_key) for r in records} - {""}
    periods = {r.text(context.sheet.period_key) for r in records} - {""}
    if len(bodies) == 1 and len(periods) == 1:
        body = context.references.registry.resolve(next(iter(bodies)))
        if body is not None:
            return body.code, next(iter(periods)), None
    detail = (
        f"{name} has no template manifest, and its rows name bodies {sorted(bodies) or 'none'} "
        f"and periods {sorted(periods) or 'none'}"
    )
    return "", "", Finding("MERGE_512", file=name, detail=detail)


def _moved_row(record: Record, row_id: str, seen: set[str], context: PlanContext) -> str:
    """The plan row whose text a row carries when that text is another row's (rows sorted without the hidden
    Row ID column): values follow the text they were typed beside, not the id left behind. "" when none."""
    keys = context.sheet.match_on
    if not keys or any(k not in record.columns for k in keys):
        return ""
    expected = context.plan_texts[row_id]
    if all(record.text(k) == expected.get(k, "") for k in keys):
        return ""  # the row's own text, as issued (most rows): no need to compare normalised words
    by_all, _, by_id = context.match_index
    given = tuple(normal_text(record.text(k)) for k in keys)
    if given == by_id.get(row_id):
        return ""
    others = [r for r in by_all.get(given, []) if r != row_id and r not in seen]
    return others[0] if len(others) == 1 else ""


def collect_rows(
    submission: Submission, records: list[Record], manifest: Manifest | None, context: PlanContext
) -> None:
    name = submission.source.file
    sheet_layout = context.sheet
    errors = {(f.sheet, f.cell): f.code for f in submission.findings if f.severity is Severity.ERROR and f.cell}
    keys = sheet_layout.match_on
    seen: set[str] = set()
    moved: set[tuple[str, int]] = set()  # (sheet, excel row) of rows matched by text despite a valid Row ID
    for record in records:
        row_id = record.text("row_id")
        how = "id"
        other = _moved_row(record, row_id, seen, context) if row_id in context.rows_by_id else ""
        if other:
            moved.add((record.sheet, record.excel_row))
            row_id, how = other, "text"
        elif row_id in seen:
            how = "duplicate"
        elif row_id not in context.rows_by_id:  # no Row ID, or one the plan does not know
            by_all, by_last, _ = context.match_index  # worked out once, on the first row that needs it
            matched = by_all.get(tuple(normal_text(record.text(k)) for k in keys), [])
            if len(matched) != 1 and keys:
                matched = by_last.get(normal_text(record.text(keys[-1])), []) if record.text(keys[-1]) else []
            if len(matched) != 1 or matched[0] in seen:
                if not _sorted_apart(submission, record, row_id, context):  # sorted into a spare row
                    _propose_new(submission, record, context)
                continue
            row_id, how = matched[0], "text"
        if how == "text":
            left = f" (its Row ID {record.text('row_id')} belongs to another activity)" if other else ""
            cell = record.address("row_id") if "row_id" in record.columns else f"A{record.excel_row}"
            detail = f"row {record.excel_row} matched to plan row {row_id} by its activity code and text{left}"
            _flag(submission, record, "MERGE_507", cell, row_id, detail)
        if how != "duplicate":
            seen.add(row_id)
            _propose_edits(submission, record, row_id, context)
        _propose_extra(submission, record, row_id)
        claims = "" if how == "duplicate" else _sorted_apart(submission, record, row_id, context)
        claims = claims or _other_period(submission, record, row_id, context)
        for column in sheet_layout.value_columns:
            text = record.texts.get(column.key)
            if text is None:
                continue  # an empty cell, or no such column
            if column.list_name == STATUS_LIST:  # "On-going" is Ongoing: validation warned (CELL_322)
                text = load_status_map().variant_of(text, context.lists.get(STATUS_LIST, ())) or text
            address = record.address(column.key)
            held = "ROW_202" if how == "duplicate" else claims or errors.get((record.sheet, address), "")
            if len(text) <= EXCEL_CELL_LIMIT:
                submission.values.append(SubmittedValue(row_id, column.key, text, record.sheet, address, held))
                continue
            held = held or "CELL_304"  # kept whole in the History, in parts a cell can hold
            pieces = _pieces(text)
            for part, piece in enumerate(pieces, start=1):
                note = f"{held}, part {part} of {len(pieces)}"
                submission.values.append(SubmittedValue(row_id, column.key, piece, record.sheet, address, note))
    if moved:  # their plan text is the plan's, only the Row ID was left behind: not an edit
        submission.findings = [
            f
            for f in submission.findings
            if not (f.code == "ROW_204" and (f.sheet, int(re.sub(r"[A-Z]+", "", f.cell) or 0)) in moved)
        ]
    if manifest is not None:
        for row_id, (sheet, _) in manifest.rows.items():
            if row_id not in seen:
                submission.findings.append(
                    Finding("MERGE_506", file=name, sheet=sheet, row_id=row_id, detail=f"row {row_id} is missing")
                )
    reported: set[tuple[str, str]] = set()
    for value in submission.values:
        if value.held and (value.sheet, value.cell) not in reported:
            reported.add((value.sheet, value.cell))
            at = {"file": name, "sheet": value.sheet, "cell": value.cell, "row_id": value.row_id}
            if value.held == "ROW_202":  # a row given twice (a duplicated sheet): an error, not a quiet warning
                detail = f"{value.row_id} is given again here; only its first row counts"
                submission.findings.append(Finding("ROW_202", **at, detail=detail))
            detail = f"{value.value[:60]!r} held back ({value.held.split(',')[0]})"
            submission.findings.append(Finding("MERGE_513", **at, value=value.value, detail=detail))


def _sorted_apart(submission: Submission, record: Record, row_id: str, context: PlanContext) -> str:
    """A row whose orange cells were sorted apart from its activity (only the columns to fill selected and sorted,
    which a protected sheet in LibreOffice allows): its hidden check cell moved with them and names another row.
    Reported (ROW_211, on the row's status cell) and its values held back, since which activity they were typed for
    is no longer certain. Returns the held-back note; "" for a row whose check is its own or empty (a spare row,
    or a return issued by an older tipwp, which has no check column)."""
    key = context.sheet.check_key
    check = record.text(key).strip()  # "" where the layout or the row has no check column
    if not check or check == row_id:
        return ""
    activity = context.plan_texts.get(check, {}).get(context.sheet.match_on[-1], "") if context.sheet.match_on else ""
    typed_for = f"{check} ({textwrap.shorten(activity, 60, placeholder=' …')})" if activity else check
    where = f"row {record.excel_row}" + (f" ({row_id})" if row_id else " (a spare row)")
    detail = f"{where} holds the orange cells issued beside {typed_for}: the columns to fill were sorted on their own"
    status = context.sheet.value_columns[0].key if context.sheet.value_columns else key
    cell = record.address(status) if status in record.columns else f"A{record.excel_row}"
    _flag(submission, record, "ROW_211", cell, row_id, detail)
    return "ROW_211"


def _other_period(submission: Submission, record: Record, row_id: str, context: PlanContext) -> str:
    """A row whose period cell names another period than its file (a row pasted from another period's return):
    reported (ROW_210, naming the cell and the period it claims) and its values held back, so that they count for
    neither period. Returns the held-back note for its values, "" for a row of the file's own period."""
    key = context.sheet.period_key
    claimed = record.text(key).strip()
    period = submission.source.period
    if not claimed or not period or claimed.upper() == period.upper():
        return ""
    detail = (
        f"row {record.excel_row} ({row_id}) says it reports for {claimed}, but {submission.source.file} is the "
        f"return for {period}: its values are kept out of {period}"
    )
    column = context.sheet.labels.get(key, key)
    _flag(submission, record, "ROW_210", record.address(key), row_id, detail, column=column, value=claimed)
    return f"ROW_210, claims {claimed}"


def _propose_edits(submission: Submission, record: Record, row_id: str, context: PlanContext) -> None:
    expected = context.plan_texts[row_id]
    for column in context.sheet.plan_columns:
        if column.key not in record.columns:
            continue
        given, planned = record.text(column.key), expected.get(column.key, "")
        if given != planned:
            proposal = Proposal(PLAN_TEXT, row_id, column.key, planned, given, record.sheet, record.address(column.key))
            _propose(submission, record, proposal, f"'{column.header}' differs from the plan")


def _propose_new(submission: Submission, record: Record, context: PlanContext) -> None:
    """A row that matches no plan row: a new activity, kept whole for review (if it says anything)."""
    meta = (context.sheet.period_key, context.sheet.body_key, "row_id")
    said = {k: (record.address(k), text) for k, text in record.texts.items() if k not in meta}
    said.update(record.extra)
    if not said:
        return
    # one proposal per row, its cells as "Header: text" lines in the sheet's order (xlsx_tools.merge.proposals
    # reads them back when the secretariat accepts it)
    labels = context.sheet.labels
    text = "\n".join(f"{labels.get(key, key)}: {value}" for key, (_, value) in said.items())
    proposal = Proposal(NEW_ACTIVITY, "", "", "", text, record.sheet, f"A{record.excel_row}")
    _propose(submission, record, proposal, "a new activity")


def _propose_extra(submission: Submission, record: Record, row_id: str) -> None:
    """Cells of columns the layout does not know (an inserted column): kept for review, never dropped."""
    for label, (address, text) in record.extra.items():
        proposal = Proposal("extra column", row_id, label, "", text, record.sheet, address)
        _propose(submission, record, proposal, f"a value in the extra column '{label}'")


def _propose(submission: Submission, record: Record, proposal: Proposal, what: str) -> None:
    """Add a proposal and its finding (MERGE_508); text longer than a cell holds goes in as several parts, so none
    of it is cut off."""
    pieces = _pieces(proposal.proposed)
    for part, piece in enumerate(pieces, start=1):
        kind = f"{proposal.kind} (part {part} of {len(pieces)})" if len(pieces) > 1 else proposal.kind
        submission.proposals.append(replace(proposal, kind=kind, proposed=piece))
    _flag(submission, record, "MERGE_508", proposal.cell, proposal.row_id, f"row {record.excel_row}: {what}")


def _pieces(text: str) -> list[str]:
    """`text` cut into parts Excel can hold in a cell (at most 32,767 characters each)."""
    return [text[i : i + EXCEL_CELL_LIMIT] for i in range(0, len(text), EXCEL_CELL_LIMIT)] or [text]


def _flag(submission: Submission, record: Record, code: str, cell: str, row_id: str, detail: str, **more: str) -> None:
    """Add a finding on a cell of `record`'s row."""
    submission.findings.append(
        Finding(code, file=submission.source.file, sheet=record.sheet, cell=cell, row_id=row_id, detail=detail, **more)
    )
