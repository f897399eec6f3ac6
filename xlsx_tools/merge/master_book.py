"""The master as the merge sees it: read its state, apply a plan to the workbook, save it safely.

The state is read from the values alone (python-calamine); when the merge writes, the workbook is loaded once,
fully, with openpyxl, so that writing it back keeps its formatting, data validations, named ranges, protection and
print setup: only the reporting cells that change, the identity's period and the record sheets are touched.
Saving backs the old file up first and replaces it atomically.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import os
import re
import shutil
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from xlsx_tools.findings import Finding
from xlsx_tools.layout.measure import row_height
from xlsx_tools.merge.log_sheets import LOG_SHEETS, RecordSheetDamaged, former_titles, log_rows, read_logs
from xlsx_tools.merge.log_writer import write_log_sheet
from xlsx_tools.merge.model import Consolidation, MasterState
from xlsx_tools.merge.proposals import PlanChanges
from xlsx_tools.merge.record_digest import RECORDS_FIELD, check_records, written_records
from xlsx_tools.plan.context import PlanContext, as_the_master_shows, plan_context
from xlsx_tools.sheet_names import IDENTITY_SHEET
from xlsx_tools.workbook.atomic import new_temp, read_only, real_path, save_atomically, stale_temps
from xlsx_tools.workbook.cell_text import excel_text
from xlsx_tools.workbook.identity import PLAN_ROWS_FIELD, applied_rows, identity_from_rows
from xlsx_tools.workbook.period_names import name_period
from xlsx_tools.workbook.reader import normalise
from xlsx_tools.workbook.safety import inspect_file
from xlsx_tools.workbook.sheet_xml import SheetTooLarge, column_letters
from xlsx_tools.workbook.styles import FONT_SIZE
from xlsx_tools.workbook.values import UnreadableWorkbook, ValueBook, value_text

BACKUP_FOLDER = "backups"
_SHEET_DATA = re.compile(rb"<sheetData>.*?</sheetData>", re.DOTALL)


class MasterError(ValueError):
    """The master cannot be merged into; carries the finding that says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


@dataclass
class OpenMaster:
    """The master's state read from its values (python-calamine), with the openpyxl workbook loaded only when the
    merge is going to write it (`book`): a dry run, the status matrix and a merge that changes nothing never pay
    for openpyxl's full load."""

    path: Path
    context: PlanContext
    identity: dict[str, str]
    state: MasterState
    places: dict[str, tuple[str, int]]  # row id → (sheet title, excel row)
    columns: dict[str, dict[str, int]]  # sheet title → layout key → 1-based column
    former: list[tuple[str, str]] = field(default_factory=list)  # (title, new title): record sheets to rename
    record_parts: frozenset[str] = frozenset()  # the record sheets' worksheet parts: rewritten whole when written

    @cached_property
    def book(self) -> Any:
        """The openpyxl workbook of the master, loaded (fully, to keep its formatting) on first use, but for the
        record sheets' cells: a merge that writes rewrites those sheets whole (apply_consolidation), and loading
        thousands of History lines into openpyxl only to drop them took most of a late-cycle merge."""
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            return openpyxl.load_workbook(_without_cells(self.path, self.record_parts))
        # what openpyxl raises on a file it cannot model: a bad package, a missing part, an attribute of the wrong
        # type or value (its descriptors raise TypeError and ValueError), XML it cannot parse; the file changed
        # under us, or is damaged in a way calamine did not mind
        except (InvalidFileException, zipfile.BadZipFile, KeyError, TypeError, ValueError, ParseError) as exc:
            detail = f"it could not be loaded for writing ({exc})"
            raise MasterError(Finding("MERGE_511", file=self.path.name, detail=detail)) from None


def _without_cells(path: Path, parts: frozenset[str]) -> io.BytesIO:
    """The master's package, in memory and uncompressed, with the cells of worksheet `parts` left out (a part
    spelt otherwise than <sheetData>…</sheetData> is kept whole: only slower to load)."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in parts:
                data = _SHEET_DATA.sub(b"<sheetData/>", data, count=1)
            copy.writestr(info.filename, data)
    out.seek(0)
    return out


def open_master(path: Path) -> OpenMaster:
    """The master's state, read from its values. Raises MasterError, with the file named, for a master that cannot
    be merged into."""
    problem, package = inspect_file(path)
    if problem or package is None:
        raise MasterError(Finding("MERGE_511", file=path.name, detail=problem.message if problem else ""))
    try:
        book = ValueBook(path, package)
        try:
            identity = identity_from_rows(book.rows(IDENTITY_SHEET))
            context = _plan_of(path, identity)
            state, places, columns, context = _read_state(path, book, identity, context)
            former = former_titles(book.sheetnames)
            records = {log.title for log in LOG_SHEETS} | {title for title, _ in former}
            record_parts = frozenset(book.part_name(title) for title in records if title in book)
        finally:
            book.close()
    except RecordSheetDamaged as exc:  # edited by a person: never rewritten from what is left of it
        detail = f"{exc}; restore it from {_latest_backup(path)}, then merge again"
        raise MasterError(Finding("MERGE_524", file=path.name, sheet=exc.sheet, detail=detail)) from None
    except (UnreadableWorkbook, SheetTooLarge) as exc:  # a damaged master, or a sheet far too large
        raise MasterError(Finding("MERGE_511", file=path.name, detail=f"it could not be read ({exc})")) from None
    return OpenMaster(path, context, identity, state, places, columns, former, record_parts)


def _latest_backup(path: Path) -> str:
    """The newest backup of `path` in backups/ beside it, or where backups would be."""
    folder = path.parent / BACKUP_FOLDER
    copies = sorted(folder.glob(f"{path.stem}.*{path.suffix}"), key=lambda p: p.stat().st_mtime)  # none: no folder
    return str(copies[-1]) if copies else f"a backup in {folder}"


def _plan_of(path: Path, identity: dict[str, str]) -> PlanContext:
    if identity.get("kind") != "master":
        detail = f"{path.name} is not a master workbook (its identity says {identity.get('kind') or 'nothing'})"
        raise MasterError(Finding("MERGE_511", file=path.name, detail=detail))
    try:
        return plan_context(identity.get("plan_id", ""))
    except ValueError:
        detail = f"unknown plan {identity.get('plan_id')!r}"
        raise MasterError(Finding("MERGE_511", file=path.name, detail=detail)) from None


def _read_state(
    path: Path, book: ValueBook, identity: dict[str, str], context: PlanContext
) -> tuple[MasterState, dict[str, tuple[str, int]], dict[str, dict[str, int]], PlanContext]:
    """The master's state, where each row is, its columns, and its plan: the shipped plan with the rows the master
    holds beyond it (accepted new activities), which the merge then matches like any other."""
    layout = context.sheet
    shown: dict[str, list[dict[str, str]]] = {}  # pillar sheet → the id and plan texts of each row
    cells: dict[str, dict[str, str]] = {}
    places: dict[str, tuple[str, int]] = {}
    columns: dict[str, dict[str, int]] = {}
    reporting = [c.key for c in layout.reporting]
    for pillar in context.plan.pillars:
        if pillar.sheet_name not in book:
            raise MasterError(Finding("MERGE_511", file=path.name, sheet=pillar.sheet_name, detail="sheet missing"))
        rows = iter(book.rows(pillar.sheet_name))
        header = next(rows, [])
        by_label = {str(v): i for i, v in enumerate(header) if v is not None and v != ""}
        positions = {c.key: by_label[c.header] for c in layout.columns if c.header in by_label}
        missing = [c.header for c in layout.columns if c.key in ("row_id", *reporting) and c.key not in positions]
        if missing:
            detail = f"columns {', '.join(missing)} are missing"
            raise MasterError(Finding("MERGE_511", file=path.name, sheet=pillar.sheet_name, detail=detail))
        columns[pillar.sheet_name] = {key: i + 1 for key, i in positions.items()}
        id_at = positions["row_id"]
        for excel_row, values in enumerate(rows, start=2):
            row_id = value_text(values[id_at]) if id_at < len(values) else ""
            if not row_id:
                continue
            places[row_id] = (pillar.sheet_name, excel_row)
            texts = {
                c.key: _text(values[positions[c.key]])
                for c in layout.plan_text_columns
                if c.key in positions and positions[c.key] < len(values)
            }
            shown.setdefault(pillar.sheet_name, []).append(texts)
            cells[row_id] = {
                key: _text(values[positions[key]]) if positions[key] < len(values) else "" for key in reporting
            }
    context = as_the_master_shows(context, shown)  # accepted new activities and edits of plan text
    state = MasterState(
        period=identity.get("period", ""),
        cells=cells,
        coordinators={row_id: leads for row_id, (leads, _) in context.bodies.items()},
        value_fields=tuple(c.key for c in layout.value_columns),
        supporters={row_id: supporting for row_id, (_, supporting) in context.bodies.items()},
        combine_fields=layout.combine_keys,
        period_field=layout.period_key,
        body_field=layout.body_key,
        name=path.name,
    )
    tables = read_logs(book, state, layout.keys_by_label)
    check_records(identity.get(RECORDS_FIELD, ""), tables)  # lines deleted or changed by a person: MERGE_524
    return state, places, columns, context


def _text(value: Any) -> str:
    return value_text(normalise(value)[0])


def changed_cells(master: OpenMaster, consolidation: Consolidation) -> Iterator[tuple[str, int, int, str]]:
    """(sheet, excel row, 1-based column, new text) of every master cell the plan changes."""
    for change in consolidation.changes:
        place = master.places.get(change.row_id)
        if place is None:
            continue
        sheet_name, excel_row = place
        column = master.columns[sheet_name].get(change.field)
        if column is not None:
            yield sheet_name, excel_row, column, change.new


def apply_consolidation(master: OpenMaster, consolidation: Consolidation) -> None:
    """Write the plan's state into the loaded workbook (not saved)."""
    book = master.book
    touched: set[tuple[str, int]] = set()
    for sheet_name, excel_row, column, new in changed_cells(master, consolidation):
        # a value typed into the master (LibreOffice keeps control characters) may hold one a cell cannot
        _put_text(book[sheet_name].cell(row=excel_row, column=column), new)
        touched.add((sheet_name, excel_row))
    fit_rows(master, touched)
    if consolidation.state.period != master.identity.get("period", ""):
        _set_identity(book[IDENTITY_SHEET], "period", consolidation.state.period)
        name_period(book, master.identity.get("period", ""), consolidation.state.period)
    rows = log_rows(consolidation.state, consolidation.conflicts, master.context.sheet.labels)
    _set_identity(book[IDENTITY_SHEET], RECORDS_FIELD, written_records(rows))
    for title, _ in master.former:  # its rows are in the state, written below under the sheet's new title
        book.remove(book[title])
    first_log = _after_pillars(book, master.context)
    for offset, log in enumerate(LOG_SHEETS):
        write_log_sheet(book, log, rows[log.title], position=first_log + offset)


def apply_plan_changes(master: OpenMaster, changes: PlanChanges) -> None:
    """Write accepted proposals into the loaded workbook (not saved): each new activity in the first empty row
    below its pillar sheet's plan rows, styled and locked like the row above it; each edit in its plan cell."""
    book = master.book
    before = applied_rows(master.identity)
    applied = before | {cells["row_id"] for _, cells in changes.new_rows} | {row_id for row_id, _, _ in changes.edits}
    if applied != before:
        _set_identity(book[IDENTITY_SHEET], PLAN_ROWS_FIELD, "; ".join(sorted(applied)))
    for sheet_name, cells in changes.new_rows:
        sheet = book[sheet_name]
        columns = master.columns[sheet_name]
        last = max((r for s, r in master.places.values() if s == sheet_name), default=1)
        excel_row = last + 1
        for key, column in columns.items():
            cell = sheet.cell(row=excel_row, column=column)
            cell._style = copy.copy(sheet.cell(row=last, column=column)._style)
            _put_text(cell, cells.get(key, ""))
        master.places[cells["row_id"]] = (sheet_name, excel_row)
        fit_rows(master, {(sheet_name, excel_row)})
    for row_id, key, text in changes.edits:
        sheet_name, excel_row = master.places[row_id]
        at = master.columns[sheet_name].get(key)
        if at is not None:
            _put_text(book[sheet_name].cell(row=excel_row, column=at), text)
            fit_rows(master, {(sheet_name, excel_row)})


def _put_text(cell: Any, text: str) -> None:
    """`text` into `cell` as text, never as a formula, without the characters a cell cannot hold ("": emptied)."""
    text = excel_text(text)
    cell.value = text or None
    if text:
        cell.data_type = "s"


def fit_rows(master: OpenMaster, rows: set[tuple[str, int]]) -> None:
    """Make every row in `rows` as tall as its shown text (xlsx_tools.layout.measure), so a merged narrative prints
    whole instead of clipped to the height the plan text needed. Rows only grow or shrink to fit what they show."""
    shown = [c for c in master.context.sheet.columns if not c.hidden_for("master")]
    for sheet_name, excel_row in rows:
        sheet = master.book[sheet_name]
        places = master.columns[sheet_name]
        texts = []
        for column in shown:
            if column.key in places:
                value = sheet.cell(row=excel_row, column=places[column.key]).value
                texts.append(("" if value is None else str(value), column.width))
        sheet.row_dimensions[excel_row].height = row_height(texts, FONT_SIZE)


def migration_findings(master: OpenMaster) -> list[Finding]:
    """What writing a master made by an older tipwp changes besides the merge: its record sheets' new titles."""
    return [
        Finding(
            "MERGE_515",
            file=master.path.name,
            sheet=title,
            detail=f"this master was written by tipwp 0.1.0: its '{title}' sheet (a name Excel reserves) is renamed "
            f"'{new}' when the master is written, with every row kept",
        )
        for title, new in master.former
    ]


def _after_pillars(book: Any, context: PlanContext) -> int:
    positions = [book.sheetnames.index(p.sheet_name) for p in context.plan.pillars if p.sheet_name in book.sheetnames]
    return max(positions, default=len(book.sheetnames) - 1) + 1


def _set_identity(sheet: Any, key: str, value: str) -> None:
    for row in sheet.iter_rows(min_col=1, max_col=2):
        if row[0].value == key:
            row[1].value = excel_text(value)
            row[1].data_type = "s"
            return
    sheet.append([key, excel_text(value)])


def backup(path: Path, now: dt.datetime) -> Path:
    """Copy the master into backups/ beside it, named by time, before it is replaced. The copy is made under a
    temporary name and renamed when complete, so a failure (a full disk) leaves no half backup (OSError)."""
    path = real_path(path)
    folder = path.parent / BACKUP_FOLDER
    folder.mkdir(exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    counter = 1
    while target.exists():
        counter += 1
        target = folder / f"{path.stem}.{stamp}-{counter}{path.suffix}"
    temp = new_temp(target, suffix=".partial")
    try:
        shutil.copyfile(path, temp)
        shutil.copystat(path, temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def save_master(master: OpenMaster, now: dt.datetime) -> Path:
    """Back up, then replace the master atomically. Returns the backup's path. A master that cannot be written
    (read-only, its folder or backups/ read-only for this user, a full disk) raises MasterError (MERGE_520) and is
    left exactly as it was, with no backup made for it."""
    path = real_path(master.path)
    if read_only(path):
        raise _unwritable(path, "the file is read-only")
    try:
        copy = backup(path, now)
    except OSError as exc:
        raise _unwritable(
            path, f"its backup could not be made in {path.parent / BACKUP_FOLDER} ({_why(exc)})"
        ) from None
    try:
        for leftover in stale_temps(path):  # of a merge that was killed mid-write
            leftover.unlink(missing_ok=True)
        save_atomically(master.book, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            copy.unlink()  # the master is as it was: its backup would only be a second copy
        raise _unwritable(path, f"it could not be saved ({_why(exc)})") from None
    return copy


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _unwritable(path: Path, why: str) -> MasterError:
    detail = f"{path.name} was not changed: {why}"
    return MasterError(Finding("MERGE_520", file=path.name, detail=detail))


def describe_changes(master: OpenMaster, consolidation: Consolidation) -> list[str]:
    """Human lines for --dry-run: sheet!cell: old → new."""
    lines = []
    labels: Mapping[str, str] = master.context.sheet.labels
    widest = max((n for columns in master.columns.values() for n in columns.values()), default=0)
    letters = ["", *column_letters(widest)]  # 1-based
    for change in consolidation.changes:
        place = master.places.get(change.row_id)
        if place is None:
            continue
        sheet_name, excel_row = place
        column = master.columns[sheet_name].get(change.field, 0)
        where = f"'{sheet_name}'!{letters[column]}{excel_row}" if column else sheet_name
        lines.append(
            f"{where} ({change.row_id}, {labels.get(change.field, change.field)}): "
            f"{_short(change.old) or '(empty)'} -> {_short(change.new) or '(empty)'}"
        )
    return lines


def _short(text: str, limit: int = 60) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
