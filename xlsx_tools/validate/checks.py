"""Validate one workbook file: structure first (identity, sheets, headers), then every row through cerberus.

Returns findings as values; never raises for bad input. A file that cannot be opened yields one FILE_0xx finding.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xlsx_tools.findings import Finding
from xlsx_tools.layout.cells import sheet_records
from xlsx_tools.plan.cells import fingerprint
from xlsx_tools.plan.context import PlanContext, as_the_master_shows, plan_context
from xlsx_tools.plan.periods import Period
from xlsx_tools.returns.manifest import MANIFEST_SHEET, read_manifest
from xlsx_tools.sheet_names import IDENTITY_SHEET, INSTRUCTIONS_SHEET, LISTS_SHEET, RECORD_SHEETS
from xlsx_tools.validate.dates import after_period
from xlsx_tools.validate.rule_pass import display, rule_errors
from xlsx_tools.validate.run_state import HeaderRow, ValidationRun
from xlsx_tools.workbook.identity import applied_rows, missing_keys
from xlsx_tools.workbook.reader import Marks, SheetData, Value, WorkbookData, read_workbook
from xlsx_tools.workbook.safety import inspect_file
from xlsx_tools.workbook.sheet_xml import SheetTooLarge, column_letter, column_letters
from xlsx_tools.workbook.values import UnreadableWorkbook, value_text

OUR_SHEETS = {IDENTITY_SHEET, INSTRUCTIONS_SHEET, LISTS_SHEET}


def validate_file(
    path: Path, default_plan: str = "bwp2", runs: dict[str, ValidationRun] | None = None
) -> list[Finding]:
    """All findings for one file. The plan is taken from the file's identity, else `default_plan`. `runs`: the
    validation runs of the batch by plan id (validate_book), a new one when not given."""
    fatal, package = inspect_file(path)
    if fatal:
        return [fatal]
    try:
        book = read_workbook(path, package)
    except SheetTooLarge as exc:
        return [Finding("FILE_010", file=str(path), sheet=exc.sheet, detail=exc.extent)]
    except UnreadableWorkbook as exc:
        return [Finding("FILE_005", file=str(path), detail=f"it could not be read as a workbook ({exc})")]
    return validate_book(book, default_plan, runs)


def validate_book(
    book: WorkbookData,
    default_plan: str = "bwp2",
    runs: dict[str, ValidationRun] | None = None,
    plan_checked: bool = False,
) -> list[Finding]:
    """`runs`: the batch's validation runs by plan id, one made (and added) for a plan that has none yet; a merge
    hands over the run it made for the master's plan. `plan_checked`: see validate_sheet."""
    name = str(book.path)
    findings: list[Finding] = []
    plan_id = book.identity.get("plan_id") or default_plan
    if not book.identity:
        findings.append(Finding("BOOK_101", file=name))
    elif missing_keys(book.identity):
        findings.append(Finding("BOOK_108", file=name, detail=f"missing {', '.join(missing_keys(book.identity))}"))
    runs = {} if runs is None else runs
    try:
        run = _run_of(plan_id, runs)
    except ValueError:
        findings.append(Finding("BOOK_108", file=name, detail=f"unknown plan id {plan_id!r}"))
        run = _run_of(default_plan, runs)
    if not plan_checked and book.identity.get("kind") in ("master", "return"):  # the plan as the master shows it,
        # or showed it when the return was issued: accepted new activities and edits of plan text are plan rows there
        # (a merge hands over the master's own run, which has them)
        shown = as_the_master_shows(run.context, _plan_texts(book, run.context))
        run = run if shown is run.context else ValidationRun(shown)
    context = run.context
    expected = {p.sheet_name for p in context.plan.pillars}
    seen_ids: dict[str, str] = {}
    proposing = book.identity.get("kind") == "return"
    for pillar in context.plan.pillars:
        sheet = book.sheets.get(pillar.sheet_name)
        if sheet is None:
            findings.append(Finding("BOOK_102", file=name, sheet=pillar.sheet_name))
            continue
        if book.identity and not sheet.protected:  # our workbooks are written with every pillar sheet protected
            findings.append(Finding("BOOK_109", file=name, sheet=pillar.sheet_name))
        findings.extend(validate_sheet(name, sheet, run, seen_ids, plan_checked, proposing))
    ours = OUR_SHEETS.union(RECORD_SHEETS) if book.identity.get("kind") == "master" else OUR_SHEETS
    for sheet_name in book.sheets:
        if sheet_name not in expected and sheet_name not in ours and not sheet_name.startswith("_"):
            findings.append(Finding("BOOK_103", file=name, sheet=sheet_name))
    return findings


def _plan_texts(book: WorkbookData, context: PlanContext) -> dict[str, list[dict[str, str]]]:
    """Pillar sheet → the id and plan texts (by layout key) of each of its rows, as `as_the_master_shows` reads: of
    a master the rows accepted proposals made or changed (its identity lists them: a row added or retyped by hand is
    reported, ROW_203, ROW_204); of a return the rows its manifest lists with the plan text it was issued with (a
    row a body retyped is not the plan: its edit is reported)."""
    is_return = book.identity.get("kind") == "return"
    manifest = read_manifest(book.sheets.get(MANIFEST_SHEET)) if is_return else None
    out: dict[str, list[dict[str, str]]] = {}
    for pillar in context.plan.pillars:
        sheet = book.sheets.get(pillar.sheet_name)
        if sheet is None:
            continue
        texts = [[value_text(v) for v in values] for _, values in sheet.values]
        rows = sheet_records(context.sheet, sheet.headers, texts)
        if is_return:
            issued = manifest.rows if manifest else {}
            rows = [r for r in rows if issued.get(r.get("row_id", ""), ("", ""))[1] == fingerprint(context.sheet, r)]
        else:
            applied = applied_rows(book.identity)
            rows = [r for r in rows if r.get("row_id", "") in applied]
        out[pillar.sheet_name] = rows
    return out


def _run_of(plan_id: str, runs: dict[str, ValidationRun]) -> ValidationRun:
    """The batch's run for plan `plan_id`, made on first use (ValueError for an unknown plan)."""
    if plan_id not in runs:
        runs[plan_id] = ValidationRun(plan_context(plan_id))
    return runs[plan_id]


def _columns(headers: list[str], run: ValidationRun) -> HeaderRow:
    """Column key → 0-based index, read by header label, and the header row's findings (naming neither file nor
    sheet yet). Worked out once per distinct header row in a run: every pillar sheet of every return has the same."""
    key = tuple(headers)
    if key in run.header_rows:
        return run.header_rows[key]
    sheet = run.context.sheet
    by_label = {label: i for i, label in enumerate(headers) if label}
    index = {c.key: by_label[c.header] for c in sheet.columns if c.header in by_label}
    if not index:
        findings = [Finding("BOOK_110", cell="A1")]
    else:
        # a missing check column is not reported: a return issued by an older tipwp has none
        findings = [
            Finding("BOOK_104", column=c.header) for c in sheet.columns if c.key not in index and c.role != "check"
        ]
        findings += [
            Finding("BOOK_105", cell=f"{column_letter(i + 1)}1", value=label)
            for label, i in by_label.items()
            if label not in sheet.keys_by_label
        ]
        if list(index.values()) != sorted(index.values()):
            findings.append(Finding("BOOK_106"))
    names = column_letters(max(index.values(), default=0) + 1)
    letters = {k: names[i] for k, i in index.items()}
    plan_keys = [c.key for c in sheet.plan_columns if c.key in index]
    run.header_rows[key] = HeaderRow(index, findings, letters, plan_keys)
    return run.header_rows[key]


def _document(
    values: list[Value], index: list[tuple[str, int]], marked: Marks | None
) -> tuple[dict[str, Any], list[tuple[str, str, Value]]]:
    """(the row as cerberus sees it, its cells that are neither text nor empty: (key, kind, value))."""
    document: dict[str, Any] = {}
    odd: list[tuple[str, str, Value]] = []
    for key, i in index:
        value = values[i] if i < len(values) else ""
        if marked and i in marked and i < len(values):
            odd.append((key, *marked[i]))
            value = ""
        elif type(value) is not str:
            odd.append((key, "date", value))
        document[key] = value
    return document, odd


def validate_sheet(
    name: str,
    sheet: SheetData,
    run: ValidationRun,
    seen_ids: dict[str, str],
    plan_checked: bool = False,
    proposing: bool = False,
) -> list[Finding]:
    """Every row of one sheet: structure (formulas, errors, Row IDs, changed plan text), then the cerberus rules.

    `plan_checked` (a return being merged): a row's plan cells that still hold the plan's own text are left out of
    the cerberus pass. They are the plan's, compared with it cell by cell here (ROW_204 when changed, and then
    they are validated); what the rules say of the plan's own text (its gaps, PLAN_4xx) belongs to the master and
    `tipwp validate master.xlsx` reports it.

    `proposing` (a return): a row without a Row ID is a new activity typed in a spare row, as the return's
    instructions ask. Only what a body can fill there is checked (the columns that name a row, layout `match_on`,
    and the reporting columns): the other plan columns are hidden or locked in a return, so no finding there could
    be acted on, and a missing Row ID is no fault of the body's."""
    context = run.context
    known = _columns(sheet.headers, run)
    index, letters, plan_keys = known.index, known.letters, known.plan_keys
    findings = [f._replace(file=name, sheet=sheet.name) for f in known.findings]
    if not index:
        return findings
    labels = context.sheet.labels
    findings += [Finding("BOOK_107", file=name, sheet=sheet.name, cell=merged) for merged in sheet.merged]
    columns = list(index.items())
    for excel_row, values in sheet.values:
        document, odd = _document(values, columns, sheet.marks.get(excel_row))
        row_id = str(document.get("row_id") or "")

        def at(key: str, code: str, row_id: str = row_id, excel_row: int = excel_row, **extra: str) -> Finding:
            return Finding(
                code,
                file=name,
                sheet=sheet.name,
                cell=f"{letters.get(key, 'A')}{excel_row}",
                column=labels.get(key, ""),
                row_id=row_id,
                **extra,
            )

        for key, kind, value in odd:
            if kind == "formula":
                findings.append(at(key, "CELL_301", value=str(value)))
            elif kind == "error":
                findings.append(at(key, "CELL_302", value=str(value)))
            elif isinstance(value, dt.date) and not run.schema.get(key, {}).get("event_dates"):
                findings.append(at(key, "CELL_360", value=value.isoformat(), detail="a date where text belongs"))
        if "row_id" in index:
            if not row_id and proposing:
                for key in plan_keys:
                    if key not in context.sheet.match_on:
                        document.pop(key, None)
            elif not row_id:
                findings.append(at("row_id", "ROW_201"))
            elif row_id in seen_ids:
                findings.append(
                    at("row_id", "ROW_202", value=row_id, detail=f"{row_id} is also used at {seen_ids[row_id]}")
                )
            elif row_id not in context.rows_by_id:
                findings.append(at("row_id", "ROW_203", value=row_id))
            else:
                seen_ids[row_id] = f"'{sheet.name}'!{letters['row_id']}{excel_row}"
                expected = context.plan_texts[row_id]
                for key in plan_keys:
                    if str(document.get(key, "")) != expected.get(key, ""):
                        findings.append(at(key, "ROW_204", value=str(document.get(key, ""))))
                    elif plan_checked:
                        del document[key]
        for key, (code, shown, details) in rule_errors(run, document):
            extra: dict[str, Any] = {"value": shown, **details}  # a rule's own value wins
            findings.append(at(key, code, **extra))
        findings.extend(at(k, "CELL_342", value=v, detail=d) for k, v, d in _after_period(run, document))
    return findings


def _after_period(run: ValidationRun, document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(column, value, detail) for each dates column naming an event that begins after the end of the row's reporting
    period: a report of events held cannot hold one yet to come. A row without a readable period is not checked."""
    period_text = str(document.get(run.context.sheet.period_key) or "")
    columns = [k for k, rules in run.schema.items() if rules.get("event_dates") and document.get(k) not in (None, "")]
    if not columns or not period_text:
        return []
    try:
        period = Period.parse(period_text)
    except ValueError:
        return []  # CELL_330 says so
    out = []
    for key in columns:
        first = after_period(document[key], period.last_day)
        if first is not None:
            detail = f"{first:%d %B %Y} is after the end of {period} ({period.last_day:%d %B %Y})"
            out.append((key, display(document[key]), detail))
    return out


__all__ = ["validate_book", "validate_file", "validate_sheet"]
