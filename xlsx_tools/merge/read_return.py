"""Read one returned file into a `Submission`, or a `Refusal` that says why it cannot be merged.

Nothing in a return is executed or fetched: the bytes are sniffed first (xlsx_tools.workbook.safety), formulas are
read as their text, and every cell is validated with the same rules as `tipwp validate`. Rows are found by Row ID;
where the ids were lost (rows copied into a fresh workbook, a sheet re-created, rows sorted) they are matched on the
layout's `match_on` plan columns. Values that fail validation are held back: kept in the history, not shown.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from xlsx_tools.findings import Finding, Severity
from xlsx_tools.layout.cells import fingerprint, plan_cells
from xlsx_tools.merge.model import Proposal, Refusal, Source, Submission, SubmittedValue
from xlsx_tools.validate.context import PlanContext
from xlsx_tools.validate.validator import EXCEL_CELL_LIMIT
from xlsx_tools.workbook.identity import INSTRUCTIONS_SHEET, LISTS_SHEET
from xlsx_tools.workbook.reader import Cell, SheetData, WorkbookData

MANIFEST_SHEET = "_manifest"


@dataclass(frozen=True)
class MergeTarget:
    """What a return must agree with: the master's plan, version and open period, and the options that relax it."""

    context: PlanContext
    plan_version: str
    period: str
    accept_period: bool = False
    map_version: bool = False


@dataclass(frozen=True)
class Manifest:
    values: dict[str, str]
    rows: dict[str, tuple[str, str]]  # row id → (sheet, fingerprint)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(sheet: SheetData | None) -> Manifest | None:
    if sheet is None:
        return None
    values: dict[str, str] = {}
    rows: dict[str, tuple[str, str]] = {}
    in_table = False
    lines = [sheet.headers] + [[str(c.value) for c in cells] for _, cells in sheet.rows]
    for line in lines:
        texts = [str(t) for t in line] + ["", "", ""]
        if texts[0] == "row_id":
            in_table = True
        elif in_table and texts[0]:
            rows[texts[0]] = (texts[1], texts[2])
        elif texts[0]:
            values[texts[0]] = texts[1]
    return Manifest(values, rows)


def read_return(path: Path, target: MergeTarget) -> Submission | Refusal:
    """Check, read and validate one file. Never raises for bad input."""
    from xlsx_tools.workbook.reader import read_workbook
    from xlsx_tools.workbook.safety import check_file

    name = path.name
    fatal = check_file(path)
    if fatal:
        return Refusal(name, _sha_or_blank(path), [fatal])
    sha = file_sha256(path)
    try:
        book = read_workbook(path)
    except Exception as exc:  # any reader failure is a damaged file, reported with its location
        return Refusal(name, sha, [Finding("FILE_005", file=name, detail=f"it could not be read ({exc})")])
    return submission_from_book(book, sha, target, validate_return(book, target.context))


def validate_return(book: WorkbookData, context: PlanContext) -> list[Finding]:
    """The validator's findings, plus those of sheets that hold plan rows under another name (renamed, re-created)."""
    from xlsx_tools.validate.checks import validate_book, validate_sheet

    findings = validate_book(book, context.plan.id, known=context)
    pillars = {p.sheet_name for p in context.plan.pillars}
    seen_ids: dict[str, str] = {}
    for sheet in _row_sheets(book, context):
        if sheet.name not in pillars:
            findings.extend(validate_sheet(str(book.path), sheet, context, seen_ids))
    return findings


def _row_sheets(book: WorkbookData, context: PlanContext) -> list[SheetData]:
    """Sheets whose header row is the layout's, whatever they are called."""
    labels = set(context.sheet.headers)
    return [
        sheet
        for sheet in book.sheets.values()
        if not sheet.name.startswith("_")
        and sheet.name not in (INSTRUCTIONS_SHEET, LISTS_SHEET)
        and len(labels.intersection(sheet.headers)) >= len(labels) // 2
    ]


def _sha_or_blank(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError:
        return ""


def submission_from_book(
    book: WorkbookData, sha: str, target: MergeTarget, validation: list[Finding]
) -> Submission | Refusal:
    name = book.path.name
    context = target.context
    # gaps of the source plan (PLAN_4xx) are the plan's, not the return's: `tipwp validate master.xlsx` lists them
    findings = [_rename(f, name) for f in validation if not f.code.startswith("PLAN_")]
    manifest = read_manifest(book.sheets.get(MANIFEST_SHEET))
    identity = book.identity
    if identity.get("kind") and identity.get("kind") != "return":
        kind = identity.get("kind")
        findings.append(Finding("MERGE_514", file=name, detail=f"{name} is a {kind} workbook, not a return"))
        return Refusal(name, sha, findings)
    records = list(_records(book, context))
    if manifest is None:
        if identity:
            findings.append(Finding("MERGE_504", file=name, detail="the hidden template manifest was removed"))
            return Refusal(name, sha, findings)
        asb, period, problem = _body_and_period(name, records, context)
        if problem:
            return Refusal(name, sha, [*findings, problem])
        findings.append(Finding("MERGE_503", file=name, detail=f"{name}: body {asb} and period {period} from its rows"))
        source = Source(asb=asb, file=name, sha256=sha, period=period, plan_version=target.plan_version)
    else:
        source, problems = _check_manifest(name, sha, manifest, identity, target)
        if problems:
            return Refusal(name, sha, findings + problems, source.asb, source.period, source.template_id)
    problems = _check_target(name, source, identity.get("plan_id") or context.plan.id, target)
    if problems:
        return Refusal(name, sha, findings + problems, source.asb, source.period, source.template_id)
    submission = Submission(source=source, findings=findings)
    _collect_rows(submission, records, manifest, context)
    return submission


def _rename(finding: Finding, name: str) -> Finding:
    """Findings name the file as received (its base name), not the temporary or full path."""
    return replace(finding, file=name)


def _check_manifest(
    name: str, sha: str, manifest: Manifest, identity: Mapping[str, str], target: MergeTarget
) -> tuple[Source, list[Finding]]:
    values = manifest.values
    source = Source(
        asb=values.get("asb", ""),
        file=name,
        sha256=sha,
        template_id=values.get("template_id", ""),
        period=values.get("period", ""),
        plan_version=values.get("plan_version") or identity.get("plan_version", ""),
        due=values.get("due", ""),
    )
    problems: list[Finding] = []
    for key in ("template_id", "asb", "period", "plan_id"):
        if identity.get(key, values.get(key, "")) != values.get(key, ""):
            detail = f"the manifest says {key} {values.get(key, '')!r} but the workbook says {identity.get(key)!r}"
            problems.append(Finding("MERGE_504", file=name, sheet=MANIFEST_SHEET, detail=detail))
    if not source.asb or not source.period:
        problems.append(Finding("MERGE_504", file=name, sheet=MANIFEST_SHEET, detail="the manifest names no body"))
    context = target.context
    same_plan = values.get("plan_id", context.plan.id) == context.plan.id
    if same_plan and not target.map_version and (values.get("plan_version") or "") in ("", target.plan_version):
        forged = [
            row_id
            for row_id, (_, printed) in manifest.rows.items()
            if row_id not in context.rows_by_id
            or printed != fingerprint(context.sheet, plan_cells(context.sheet, context.rows_by_id[row_id]))
        ]
        if forged:
            detail = f"the manifest's fingerprints do not match the plan for rows {', '.join(forged[:5])}"
            problems.append(Finding("MERGE_504", file=name, sheet=MANIFEST_SHEET, detail=detail))
    return source, problems


def _check_target(name: str, source: Source, plan_id: str, target: MergeTarget) -> list[Finding]:
    context = target.context
    problems: list[Finding] = []
    other_plan = plan_id != context.plan.id
    other_version = bool(source.plan_version) and source.plan_version != target.plan_version
    if (other_plan or other_version) and not target.map_version:
        made = f"plan {plan_id} version {source.plan_version or '?'}"
        detail = f"{name} was made for {made}; the master holds {context.plan.id} version {target.plan_version}"
        problems.append(Finding("MERGE_502", file=name, detail=detail))
    if target.period and source.period != target.period and not target.accept_period:
        detail = f"{name} is the return for {source.period}; the master is open for {target.period}"
        problems.append(Finding("MERGE_501", file=name, value=source.period, detail=detail))
    return problems


@dataclass(frozen=True)
class Record:
    sheet: str
    excel_row: int
    cells: dict[str, Cell]  # layout key → cell
    extra: dict[str, Cell] = field(default_factory=dict)  # header (or "column X") → a filled cell of another column

    def text(self, key: str) -> str:
        cell = self.cells.get(key)
        if cell is None or cell.kind == "empty":
            return ""
        return cell.value.isoformat() if not isinstance(cell.value, str) else cell.value


def _records(book: WorkbookData, context: PlanContext) -> list[Record]:
    """Rows of every sheet whose header row is the layout's, whatever the sheet is called."""
    out: list[Record] = []
    headers = {c.header: c.key for c in context.sheet.columns}
    for sheet in _row_sheets(book, context):
        positions = {headers[label]: i for i, label in enumerate(sheet.headers) if label in headers}
        known = set(positions.values())
        for excel_row, cells in sheet.rows:
            located = {key: cells[i] for key, i in positions.items() if i < len(cells)}
            extra = {
                _extra_label(sheet.headers, i, cell): cell
                for i, cell in enumerate(cells)
                if i not in known and cell.kind != "empty"
            }
            out.append(Record(sheet.name, excel_row, located, extra))
    return out


def _extra_label(headers: list[str], index: int, cell: Cell) -> str:
    label = headers[index] if index < len(headers) else ""
    return label or f"column {re.sub(r'[0-9]+', '', cell.address)}"


def _body_and_period(name: str, records: list[Record], context: PlanContext) -> tuple[str, str, Finding | None]:
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


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


TextIndex = tuple[dict[tuple[str, ...], list[str]], dict[str, list[str]], dict[str, tuple[str, ...]]]


def _text_index(context: PlanContext) -> TextIndex:
    """Plan rows by all match_on columns, and by the last one alone; and each row's match_on text by id."""
    keys = context.sheet.match_on
    by_all: dict[tuple[str, ...], list[str]] = {}
    by_last: dict[str, list[str]] = {}
    by_id: dict[str, tuple[str, ...]] = {}
    for row_id, row in context.rows_by_id.items():
        cells = plan_cells(context.sheet, row)
        by_id[row_id] = tuple(_normal(cells.get(k, "")) for k in keys)
        by_all.setdefault(by_id[row_id], []).append(row_id)
        if keys and cells.get(keys[-1]):
            by_last.setdefault(_normal(cells[keys[-1]]), []).append(row_id)
    return by_all, by_last, by_id


def _moved_row(record: Record, row_id: str, seen: set[str], context: PlanContext, index: TextIndex) -> str:
    """The plan row whose text a row carries when that text is another row's (rows sorted without the hidden
    Row ID column): values follow the text they were typed beside, not the id left behind. "" when none."""
    by_all, _, by_id = index
    keys = context.sheet.match_on
    if not keys or any(k not in record.cells for k in keys):
        return ""
    given = tuple(_normal(record.text(k)) for k in keys)
    if given == by_id.get(row_id):
        return ""
    others = [r for r in by_all.get(given, []) if r != row_id and r not in seen]
    return others[0] if len(others) == 1 else ""


def _collect_rows(
    submission: Submission, records: list[Record], manifest: Manifest | None, context: PlanContext
) -> None:
    source = submission.source
    name = source.file
    sheet_layout = context.sheet
    errors = {(f.sheet, f.cell): f.code for f in submission.findings if f.severity is Severity.ERROR and f.cell}
    index = _text_index(context)
    by_all, by_last, _ = index
    keys = sheet_layout.match_on
    seen: set[str] = set()
    letters: dict[str, str] = {}
    moved: set[tuple[str, int]] = set()  # (sheet, excel row) of rows matched by text despite a valid Row ID
    for record in records:
        row_id = record.text("row_id")
        how = "id"
        other = _moved_row(record, row_id, seen, context, index) if row_id in context.rows_by_id else ""
        if other:
            moved.add((record.sheet, record.excel_row))
            row_id, how = other, "text"
        elif not row_id or row_id not in context.rows_by_id or row_id in seen:
            held_duplicate = bool(row_id) and row_id in seen
            matched = by_all.get(tuple(_normal(record.text(k)) for k in keys), [])
            if len(matched) != 1 and keys:
                matched = by_last.get(_normal(record.text(keys[-1])), []) if record.text(keys[-1]) else []
            if held_duplicate:
                row_id, how = row_id, "duplicate"
            elif len(matched) == 1 and matched[0] not in seen:
                row_id, how = matched[0], "text"
            else:
                _propose_new(submission, record, context)
                continue
        if how == "text":
            cell = record.cells.get("row_id")
            left = f" (its Row ID {record.text('row_id')} belongs to another activity)" if other else ""
            submission.findings.append(
                Finding(
                    "MERGE_507",
                    file=name,
                    sheet=record.sheet,
                    cell=cell.address if cell else f"A{record.excel_row}",
                    row_id=row_id,
                    detail=f"row {record.excel_row} matched to plan row {row_id} by its activity code and text{left}",
                )
            )
        if how != "duplicate":
            seen.add(row_id)
            submission.rows += 1
            _propose_edits(submission, record, row_id, context)
        _propose_extra(submission, record, row_id)
        for column in sheet_layout.value_columns:
            cell = record.cells.get(column.key)
            if cell is None or cell.kind == "empty":
                continue
            letters[column.key] = re.sub(r"\d+", "", cell.address)
            held = errors.get((record.sheet, cell.address), "")
            if how == "duplicate":
                held = "ROW_202"
            text = record.text(column.key)
            if len(text) > EXCEL_CELL_LIMIT:  # kept whole in the History, in parts a cell can hold
                held = held or "CELL_304"
            pieces = _pieces(text)
            for part, piece in enumerate(pieces, start=1):
                note = f"{held}, part {part} of {len(pieces)}" if len(pieces) > 1 else held
                submission.values.append(SubmittedValue(row_id, column.key, piece, record.sheet, cell.address, note))
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
            submission.findings.append(
                Finding(
                    "MERGE_513",
                    file=name,
                    sheet=value.sheet,
                    cell=value.cell,
                    row_id=value.row_id,
                    value=value.value,
                    detail=f"{value.value[:60]!r} held back ({value.held.split(',')[0]})",
                )
            )


def _propose_edits(submission: Submission, record: Record, row_id: str, context: PlanContext) -> None:
    expected = plan_cells(context.sheet, context.rows_by_id[row_id])
    for column in context.sheet.columns:
        if column.role != "plan" or column.key not in record.cells:
            continue
        given = record.text(column.key)
        if given != expected.get(column.key, ""):
            cell = record.cells[column.key]
            _propose(
                submission,
                Proposal(
                    "plan text", row_id, column.key, expected.get(column.key, ""), given, record.sheet, cell.address
                ),
            )
            _note_proposal(submission, record, cell.address, row_id, column.header)


def _propose_new(submission: Submission, record: Record, context: PlanContext) -> None:
    """A row that matches no plan row: a new activity, kept whole for review (if it says anything)."""
    meta = (context.sheet.period_key, context.sheet.body_key, "row_id")
    said = {k: c for k, c in record.cells.items() if k not in meta and record.text(k)}
    said.update(record.extra)
    if not said:
        return
    address = f"A{record.excel_row}"
    for key, cell in said.items():
        text = cell.value.isoformat() if not isinstance(cell.value, str) else cell.value
        _propose(submission, Proposal("new activity", "", key, "", text, record.sheet, cell.address))
    _note_proposal(submission, record, address, "", "")


def _propose_extra(submission: Submission, record: Record, row_id: str) -> None:
    """Cells of columns the layout does not know (an inserted column): kept for review, never dropped."""
    for label, cell in record.extra.items():
        text = cell.value.isoformat() if not isinstance(cell.value, str) else cell.value
        _propose(submission, Proposal("extra column", row_id, label, "", text, record.sheet, cell.address))
        detail = f"row {record.excel_row}: a value in the extra column '{label}'"
        submission.findings.append(
            Finding(
                "MERGE_508",
                file=submission.source.file,
                sheet=record.sheet,
                cell=cell.address,
                row_id=row_id,
                detail=detail,
            )
        )


def _propose(submission: Submission, proposal: Proposal) -> None:
    """Add a proposal; text longer than a cell holds goes in as several parts, so none of it is cut off."""
    pieces = _pieces(proposal.proposed)
    for part, piece in enumerate(pieces, start=1):
        kind = f"{proposal.kind} (part {part} of {len(pieces)})" if len(pieces) > 1 else proposal.kind
        submission.proposals.append(replace(proposal, kind=kind, proposed=piece))


def _pieces(text: str) -> list[str]:
    """`text` cut into parts Excel can hold in a cell (at most 32,767 characters each)."""
    return [text[i : i + EXCEL_CELL_LIMIT] for i in range(0, len(text), EXCEL_CELL_LIMIT)] or [text]


def _note_proposal(submission: Submission, record: Record, cell: str, row_id: str, column: str) -> None:
    detail = f"row {record.excel_row}: " + (f"'{column}' differs from the plan" if column else "a new activity")
    submission.findings.append(
        Finding("MERGE_508", file=submission.source.file, sheet=record.sheet, cell=cell, row_id=row_id, detail=detail)
    )
