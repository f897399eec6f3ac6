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
from dataclasses import dataclass
from pathlib import Path

from xlsx_tools.findings import Finding, Severity
from xlsx_tools.layout.cells import fingerprint, plan_cells
from xlsx_tools.merge.model import Proposal, Refusal, Source, Submission, SubmittedValue
from xlsx_tools.validate.context import PlanContext
from xlsx_tools.workbook.identity import INSTRUCTIONS_SHEET, LISTS_SHEET
from xlsx_tools.workbook.reader import Cell, SheetData, WorkbookData

MANIFEST_SHEET = "_manifest"
REFUSING = {"BOOK_108", "BOOK_110", "MERGE_501", "MERGE_502", "MERGE_504", "MERGE_512", "MERGE_514"}


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
    from dataclasses import replace

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
        for excel_row, cells in sheet.rows:
            located = {key: cells[i] for key, i in positions.items() if i < len(cells)}
            out.append(Record(sheet.name, excel_row, located))
    return out


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


def _text_index(context: PlanContext) -> tuple[dict[tuple[str, ...], list[str]], dict[str, list[str]]]:
    """Plan rows by all match_on columns, and by the last one alone."""
    keys = context.sheet.match_on
    by_all: dict[tuple[str, ...], list[str]] = {}
    by_last: dict[str, list[str]] = {}
    for row_id, row in context.rows_by_id.items():
        cells = plan_cells(context.sheet, row)
        by_all.setdefault(tuple(_normal(cells.get(k, "")) for k in keys), []).append(row_id)
        if keys and cells.get(keys[-1]):
            by_last.setdefault(_normal(cells[keys[-1]]), []).append(row_id)
    return by_all, by_last


def _collect_rows(
    submission: Submission, records: list[Record], manifest: Manifest | None, context: PlanContext
) -> None:
    source = submission.source
    name = source.file
    sheet_layout = context.sheet
    errors = {(f.sheet, f.cell): f.code for f in submission.findings if f.severity is Severity.ERROR and f.cell}
    by_all, by_last = _text_index(context)
    keys = sheet_layout.match_on
    seen: set[str] = set()
    letters: dict[str, str] = {}
    for record in records:
        row_id = record.text("row_id")
        how = "id"
        if not row_id or row_id not in context.rows_by_id or row_id in seen:
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
            submission.findings.append(
                Finding(
                    "MERGE_507",
                    file=name,
                    sheet=record.sheet,
                    cell=cell.address if cell else f"A{record.excel_row}",
                    row_id=row_id,
                    detail=f"row {record.excel_row} matched to plan row {row_id} by its activity code and text",
                )
            )
        if how != "duplicate":
            seen.add(row_id)
            submission.rows += 1
            _propose_edits(submission, record, row_id, context)
        for column in sheet_layout.value_columns:
            cell = record.cells.get(column.key)
            if cell is None or cell.kind == "empty":
                continue
            letters[column.key] = re.sub(r"\d+", "", cell.address)
            held = errors.get((record.sheet, cell.address), "")
            if how == "duplicate":
                held = "ROW_202"
            submission.values.append(
                SubmittedValue(row_id, column.key, record.text(column.key), record.sheet, cell.address, held)
            )
    if manifest is not None:
        for row_id, (sheet, _) in manifest.rows.items():
            if row_id not in seen:
                submission.findings.append(
                    Finding("MERGE_506", file=name, sheet=sheet, row_id=row_id, detail=f"row {row_id} is missing")
                )
    for value in submission.values:
        if value.held:
            submission.findings.append(
                Finding(
                    "MERGE_513",
                    file=name,
                    sheet=value.sheet,
                    cell=value.cell,
                    row_id=value.row_id,
                    value=value.value,
                    detail=f"{value.value[:60]!r} held back ({value.held})",
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
            submission.proposals.append(
                Proposal(
                    "plan text", row_id, column.key, expected.get(column.key, ""), given, record.sheet, cell.address
                )
            )
            _note_proposal(submission, record, cell.address, row_id, column.header)


def _propose_new(submission: Submission, record: Record, context: PlanContext) -> None:
    """A row that matches no plan row: a new activity, kept whole for review (if it says anything)."""
    meta = (context.sheet.period_key, context.sheet.body_key, "row_id")
    said = {k: record.text(k) for k in record.cells if k not in meta and record.text(k)}
    if not said:
        return
    address = f"A{record.excel_row}"
    for key, text in said.items():
        submission.proposals.append(
            Proposal("new activity", "", key, "", text, record.sheet, record.cells[key].address)
        )
    _note_proposal(submission, record, address, "", "")


def _note_proposal(submission: Submission, record: Record, cell: str, row_id: str, column: str) -> None:
    detail = f"row {record.excel_row}: " + (f"'{column}' differs from the plan" if column else "a new activity")
    submission.findings.append(
        Finding("MERGE_508", file=submission.source.file, sheet=record.sheet, cell=cell, row_id=row_id, detail=detail)
    )
