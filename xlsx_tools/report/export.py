"""`tipwp export`: the master's History in tidy long format (one row per submitted value) and the plan rows, as CSV
or .xlsx, for pandas or Power BI. The columns are declared once here (`VALUE_COLUMNS`, `PLAN_COLUMNS`) and
documented in docs/export.md.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from xlsx_tools.matrix.core import GROUPS
from xlsx_tools.merge.consolidate import entry_status, latest_returns
from xlsx_tools.merge.master_book import MasterError, open_master
from xlsx_tools.merge.model import MasterState
from xlsx_tools.plan.context import PlanContext
from xlsx_tools.workbook.atomic import save_atomically

VALUE_COLUMNS = (
    "period",
    "row_id",
    "pillar",
    "outcome_code",
    "outcome",
    "type_code",
    "column",
    "column_label",
    "body",
    "body_role",
    "value",
    "status",
    "file",
    "received",
    "note",
)
PLAN_COLUMNS = (
    "row_id",
    "pillar",
    "outcome_code",
    "outcome",
    "type_code",
    "type",
    "activity",
    "coordinating",
    "supporting",
)
VALUES_NAME, PLAN_NAME = "values", "plan"  # the CSV files' stems and the .xlsx sheets' names
SEPARATOR = "; "  # between several bodies in one cell of the plan table


class ExportError(ValueError):
    """The export cannot be made; the message says why."""


def _groups(context: PlanContext) -> dict[str, tuple[str, str, str, str, str]]:
    """Row id → (pillar, outcome code, outcome text, type code, type text) in the plan kind's terms."""
    (code1, text1), (code2, text2) = GROUPS.get(context.plan.kind, GROUPS["bwp2"])
    return {
        row.row_id: (pillar.sheet_name, row.text(code1), row.text(text1), row.text(code2), row.text(text2))
        for pillar, row in context.plan.rows()
    }


def plan_records(context: PlanContext) -> list[tuple[str, ...]]:
    groups = _groups(context)
    out: list[tuple[str, ...]] = []
    for _, row in context.plan.rows():
        coordinating, supporting = context.bodies.get(row.row_id, ((), ()))
        out.append(
            (
                row.row_id,
                *groups[row.row_id],
                row.text("activity"),
                SEPARATOR.join(coordinating),
                SEPARATOR.join(supporting),
            )
        )
    return out


def value_records(context: PlanContext, state: MasterState) -> list[tuple[str, ...]]:
    """One record per History line, with how it counts in its period's consolidation."""
    groups = _groups(context)
    labels = context.sheet.labels
    latest = {period: latest_returns(state, period) for period in {h.period for h in state.history}}
    out: list[tuple[str, ...]] = []
    for entry in state.history:
        pillar, outcome_code, outcome, type_code, _ = groups.get(entry.row_id, ("", "", "", "", ""))
        coordinating, supporting = context.bodies.get(entry.row_id, ((), ()))
        role = "coordinating" if entry.asb in coordinating else "supporting" if entry.asb in supporting else ""
        out.append(
            (
                entry.period,
                entry.row_id,
                pillar,
                outcome_code,
                outcome,
                type_code,
                entry.field,
                labels.get(entry.field, entry.field),
                entry.asb,
                role,
                entry.value,
                entry_status(entry, latest[entry.period], entry.period),
                entry.file,
                entry.merged_at,
                entry.note,
            )
        )
    return out


@dataclass
class ExportResult:
    written: list[Path]
    values: int
    plan_rows: int


def export_master(master: Path, out: Path | None = None, fmt: str = "csv") -> ExportResult:
    """Write the export of `master`: CSV files in the folder `out` (default <master>-export/) or one .xlsx `out`
    (default <master>-export.xlsx)."""
    try:
        opened = open_master(Path(master))
    except MasterError as exc:
        raise ExportError(exc.finding.message) from None
    values = value_records(opened.context, opened.state)
    plan = plan_records(opened.context)
    stem = Path(master).with_name(f"{Path(master).stem}-export")
    tables = ((VALUES_NAME, VALUE_COLUMNS, values), (PLAN_NAME, PLAN_COLUMNS, plan))
    if fmt == "csv":
        folder = Path(out) if out else stem
        folder.mkdir(parents=True, exist_ok=True)
        written = [_write_csv(folder / f"{name}.csv", columns, rows) for name, columns, rows in tables]
    elif fmt == "xlsx":
        target = Path(out) if out else stem.with_suffix(".xlsx")
        written = [_write_xlsx(target, tables)]
    else:
        raise ExportError(f"Unknown format {fmt!r}: choose csv or xlsx.")
    return ExportResult(written, len(values), len(plan))


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    # UTF-8 with a byte-order mark: Excel opens it with the right characters; pandas and Power BI read it as is
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def _write_xlsx(path: Path, tables: Sequence[tuple[str, Sequence[str], Sequence[Sequence[str]]]]) -> Path:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for name, columns, rows in tables:
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for row in rows:
            cells: list[object] = []
            for text in row:
                if text.startswith("="):  # a value as typed, never a formula Excel would run
                    cell = WriteOnlyCell(sheet, text)
                    cell.data_type = "s"
                    cells.append(cell)
                else:
                    cells.append(text)
            sheet.append(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_atomically(book, path)
    return path
