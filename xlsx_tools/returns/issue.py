"""Issue one return template per sectoral body: the rows it coordinates or supports, ready to fill for a period.

Each template is a plain .xlsx (never macro-enabled) made by the same composer as the master, with the body and the
period prefilled, and a very-hidden manifest: template id, and per row its id and a fingerprint of the locked plan
columns, so that a merge can tell whose rows came back and whether their plan text was touched.

Plan context a body does not need is hidden (layout.yaml `hidden: returns`), not removed. Beside the columns to fill,
the previous columns show, read-only, the previous period's consolidated values (`last`, worked out from the
master's history by xlsx_tools.merge.last_period, which is what the command line and the ribbon call); given none,
they show the master's cells when those are for an earlier period. The merge never reads them.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xlsx_tools.issue_token import TOKEN_FIELD, issue_token, master_key
from xlsx_tools.layout.bodies import bodies_of
from xlsx_tools.layout.cells import sheet_records
from xlsx_tools.layout.model import SheetLayout
from xlsx_tools.plan.cells import fingerprint
from xlsx_tools.plan.context import PlanContext, plan_context
from xlsx_tools.plan.periods import Period
from xlsx_tools.returns.manifest import write_manifest
from xlsx_tools.workbook.atomic import save_atomically
from xlsx_tools.workbook.compose import compose_workbook
from xlsx_tools.workbook.reader import WorkbookData, read_workbook
from xlsx_tools.workbook.safety import inspect_file


class IssueError(ValueError):
    """The master cannot be used to issue templates, or an argument is wrong; the message says what to do."""


@dataclass(frozen=True)
class IssuedTemplate:
    asb: str
    path: Path
    rows: int
    template_id: str
    row_ids: tuple[str, ...] = ()


def safe_name(text: str) -> str:
    """A file-name part that survives e-mail, zip tools and sorting: letters, digits and hyphens."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "body"


def master_records(book: WorkbookData, context: PlanContext) -> dict[str, list[dict[str, str]]]:
    """Every pillar sheet's rows of the master, keyed by layout column, plan order kept."""
    records: dict[str, list[dict[str, str]]] = {}
    for pillar in context.plan.pillars:
        sheet = book.sheets.get(pillar.sheet_name)
        if sheet is None:
            raise IssueError(
                f"{book.path}: the master has no sheet '{pillar.sheet_name}'; restore it or run tipwp init."
            )
        rows = [[str(c.value) if c.kind != "empty" else "" for c in cells] for _, cells in sheet.rows]
        records[pillar.sheet_name] = [r for r in sheet_records(context.sheet, sheet.headers, rows) if r.get("row_id")]
    return records


def _period(text: str) -> Period | None:
    try:
        return Period.parse(text) if text else None
    except ValueError:
        return None


def previous_values(sheet: SheetLayout, record: Mapping[str, str], period: str, master_period: str) -> dict[str, str]:
    """The previous columns of a template row: the master's values when they are for a period before `period`.

    A master row says its period in the period column; a row without one counts as the master's period. Values for
    the period being issued (a round already under way), a later one, or no known period leave the columns blank.
    """
    held = _period(record.get(sheet.period_key, "") or master_period)
    issued = _period(period)
    earlier = held is not None and issued is not None and held < issued
    return {c.key: record.get(c.source, "") if earlier else "" for c in sheet.previous}


def return_instructions(
    context: PlanContext, asb: str, period: str, due: str, rows: int, shown_from: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """(style, text) lines of a return's Instructions sheet; `shown_from` lists the periods the grey columns show."""
    plan = context.plan
    name = next((b.name for b in context.references.registry.bodies if b.code == asb), "")
    statuses = "; ".join(context.lists.get("STATUS_LIST", ()))
    return [
        ("title", f"{plan.short_title}: return for {asb}, period {period}"),
        (
            "",
            f"{asb}{f' ({name})' if name else ''}: this file holds the {rows} activities "
            "your body coordinates or supports.",
        ),
        (
            "",
            f"Please return it by {due or 'the date given in the covering e-mail'} to the ASEAN Secretariat "
            "(SOMTC Working Group on TIP), as an .xlsx attachment. Keep the file name.",
        ),
        ("heading", "What to fill in"),
        (
            "",
            "Each row is one activity: its type code, its number and the activity itself stay in view on the left. "
            "Fill in the orange columns; they are the only ones that can be edited. Click a cell to see what to "
            "write; choose from the lists.",
        ),
        (
            "",
            "The grey 'Last period' columns show, read-only, what the secretariat recorded for the row after "
            + (f"the last reporting round ({', '.join(shown_from)})" if shown_from else "the last reporting round")
            + ". They are blank when nothing was recorded. Write this period's status and progress in the orange "
            "columns even when nothing changed.",
        ),
        ("", f"Status: one of {statuses}. 'Completed' needs a progress narrative and the date of the event."),
        (
            "",
            f"Dates of events held: e.g. 6 June {period[:4]} or June 6-8, {period[:4]}; separate several dates with "
            f"';'. Only events held by the end of {period}: a planned event goes in the Progress narrative.",
        ),
        ("heading", "A new activity"),
        (
            "",
            "Write it in an empty row below the listed rows of the right pillar sheet, with its type code (e.g. "
            "A.1.1) in the Type column; the secretariat reviews it before it enters the plan.",
        ),
        ("heading", "Please do not"),
        ("", "- rename or delete sheets or columns;"),
        ("", "- sort the rows or the orange columns: each status would sit beside another activity;"),
        ("", "- paste over the dropdowns, or type formulas (text starting with =, +, - or @)."),
        ("", "If something in the blue plan columns is wrong, say so in the Progress narrative."),
        ("heading", "Printing"),
        (
            "",
            "Each pillar sheet prints on A4 landscape; a wide sheet continues on the next page with the type, number "
            "and activity repeated. Some plan columns (outcome, type description, references) are hidden to keep the "
            "form short; they are still in the file.",
        ),
    ]


def issue_templates(
    master: Path,
    period: str,
    out_dir: Path,
    asbs: Iterable[str] = (),
    due: str = "",
    last: tuple[str, Mapping[str, Mapping[str, str]]] | None = None,
) -> list[IssuedTemplate]:
    """Write one return template per body into `out_dir`; returns what was written, in body order. `last`: (the
    previous period, row id → reporting column → its value then) for the grey "Last period" columns."""
    problem, package = inspect_file(master)
    if problem:
        raise IssueError(problem.message)
    book = read_workbook(master, package)  # the bytes checked, not the file again
    context = plan_context(book.identity.get("plan_id") or "bwp2")
    records = master_records(book, context)
    layout = context.sheet
    master_period = book.identity.get("period", "")
    key = master_key(book.identity)
    registry = context.references.registry
    wanted: list[str] = []
    for name in asbs:
        body = registry.resolve(name)
        if body is None or body.kind != "body":
            hint = registry.suggest(name)
            raise IssueError(
                f"{name!r} is not a sectoral body of the registry." + (f" Did you mean {hint}?" if hint else "")
            )
        wanted.append(body.code)
    involved: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for sheet_name, rows in records.items():
        for record in rows:
            coordinating, supporting = bodies_of(layout, record)
            for body_name in coordinating | supporting:
                body = registry.resolve(body_name)
                if body is not None and body.kind == "body":
                    involved.setdefault(body.code, []).append((sheet_name, record))
    codes = wanted or [b.code for b in registry.bodies if b.code in involved]
    issued_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for code in codes:
        body_rows = involved.get(code, [])
        template_id = str(uuid.uuid4())
        sheet_rows: dict[str, list[dict[str, str]]] = {}
        manifest = []
        shown_from: set[str] = set()
        for sheet_name, record in body_rows:
            if last is None:
                earlier = previous_values(layout, record, period, master_period)
                held = record.get(layout.period_key) or master_period
            else:
                held, values = last[0], last[1].get(record["row_id"], {})
                earlier = {c.key: values.get(c.source, "") for c in layout.previous}
            filled = {**record, **earlier}
            if any(filled.get(c.key) for c in layout.previous):
                shown_from.add(held)
            for column in layout.value_columns:
                filled[column.key] = ""
            filled[layout.period_key], filled[layout.body_key] = period, code
            sheet_rows.setdefault(sheet_name, []).append(filled)
            manifest.append((record["row_id"], sheet_name, fingerprint(layout, record)))
        identity = {
            "kind": "return",
            "period": period,
            "asb": code,
            "due": due,
            "template_id": template_id,
            "issued": issued_at,
        }
        workbook = compose_workbook(
            context,
            sheet_rows,
            return_instructions(context, code, period, due, len(body_rows), sorted(shown_from)),
            identity,
            subject=f"{context.plan.short_title} return for {code}, {period}",
            book_kind="return",
            header_right=f"Return of {code} for {period}" + (f", due {due}" if due else ""),
        )
        values = {**identity, "plan_id": context.plan.id, "plan_version": context.plan.version, "master": master.name}
        row_ids = tuple(entry[0] for entry in manifest)
        token = issue_token(key, values, row_ids)  # binds what was issued
        write_manifest(workbook, manifest, {**values, TOKEN_FIELD: token})
        path = out_dir / f"{period}_{safe_name(code)}_return.xlsx"
        save_atomically(workbook, path)
        written.append(IssuedTemplate(code, path, len(body_rows), template_id, row_ids))
    return written
