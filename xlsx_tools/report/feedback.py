"""Feedback to each body after a round, and the chase list, as plain data from the master's state.

For one period and every body the plan expects (it coordinates or supports a row): which of its returns came in
and when, against which due date; which of its values were merged (they count now), which were held back and how to
fix each (the finding code the merge noted, and the catalogue's fix); and which of its rows have no report. Nothing
here touches a file: `xlsx_tools.report.feedback_book` writes the workbooks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from xlsx_tools.findings import CATALOGUE
from xlsx_tools.merge.consolidate import HELD_PREFIX, MERGED, latest_returns
from xlsx_tools.merge.model import MasterState
from xlsx_tools.plan.context import PlanContext
from xlsx_tools.plan.periods import iso_day

FALLBACK_CODE = "MERGE_513"  # "value held back": when a History note names no code the catalogue knows


class ReturnLine(NamedTuple):
    file: str
    received: str  # date (ISO) the merge took it in
    outcome: str  # merged | already merged | refused
    reasons: str  # why a file was refused


class MergedValue(NamedTuple):
    row_id: str
    activity: str
    column: str  # header label
    value: str


class HeldValue(NamedTuple):
    row_id: str
    column: str
    value: str
    code: str
    problem: str
    fix: str


class MissingRow(NamedTuple):
    row_id: str
    activity: str
    role: str  # coordinating | supporting


@dataclass
class BodyFeedback:
    asb: str
    period: str
    due: str  # ISO date or ""
    received: str  # ISO date of the first merged return, "" when none
    days_late: int  # after the due date: the return's arrival, or today when nothing came
    rows_expected: int
    returns: list[ReturnLine] = field(default_factory=list)
    merged: list[MergedValue] = field(default_factory=list)
    held: list[HeldValue] = field(default_factory=list)
    missing: list[MissingRow] = field(default_factory=list)


def expected_rows(context: PlanContext) -> dict[str, dict[str, str]]:
    """Body → row id → its role on the row (coordinating wins over supporting), rows in plan order."""
    out: dict[str, dict[str, str]] = {}
    for _, row in context.plan.rows():
        coordinating, supporting = context.bodies.get(row.row_id, ((), ()))
        for role, bodies in (("supporting", supporting), ("coordinating", coordinating)):
            for body in bodies:
                out.setdefault(body, {})[row.row_id] = role
    return out


def feedback(
    context: PlanContext, state: MasterState, period: str, today: dt.date, due: str = ""
) -> list[BodyFeedback]:
    """One feedback per expected body (alphabetical). `due`: the date to use where the master records none."""
    labels = context.sheet.labels
    activity = {row.row_id: row.text("activity") for _, row in context.plan.rows()}
    latest = latest_returns(state, period)
    audit = [a for a in state.audit if a.period == period]
    period_due = Counter(a.due for a in audit if a.due).most_common(1)
    fallback_due = due or (period_due[0][0] if period_due else "")
    out = []
    for asb, rows in sorted(expected_rows(context).items()):
        lines = [a for a in audit if a.asb == asb]
        merged_lines = sorted((a for a in lines if a.outcome == MERGED), key=lambda a: a.time)
        body_due = next((a.due for a in merged_lines if a.due), "") or fallback_due
        received = (merged_lines[0].received or merged_lines[0].time[:10]) if merged_lines else ""
        item = BodyFeedback(
            asb=asb,
            period=period,
            due=body_due,
            received=received,
            days_late=_days_late(body_due, received, today),
            rows_expected=len(rows),
            returns=[ReturnLine(a.file, a.time[:10], a.outcome, a.reasons) for a in lines],
        )
        reported: set[str] = set()
        for entry in state.history:
            if entry.period != period or entry.asb != asb or latest.get(asb) != entry.sha256 or not entry.value:
                continue
            label = labels.get(entry.field, entry.field)
            if entry.note.startswith(HELD_PREFIX):
                code = entry.note[len(HELD_PREFIX) :].split(",")[0].strip()
                known = CATALOGUE.get(code) or CATALOGUE[FALLBACK_CODE]
                item.held.append(HeldValue(entry.row_id, label, entry.value, code, known.title, known.fix))
            else:
                reported.add(entry.row_id)
                item.merged.append(MergedValue(entry.row_id, activity.get(entry.row_id, ""), label, entry.value))
        item.missing = [MissingRow(r, activity.get(r, ""), role) for r, role in rows.items() if r not in reported]
        out.append(item)
    return out


def _days_late(due: str, received: str, today: dt.date) -> int:
    deadline = iso_day(due)
    return max(0, ((iso_day(received) or today) - deadline).days) if deadline else 0


class ChaseLine(NamedTuple):
    asb: str
    rows_missing: int
    rows_expected: int
    due: str
    days_late: int
    received: str


def chase_list(items: list[BodyFeedback]) -> list[ChaseLine]:
    """The bodies to chase, longest overdue first: nothing merged, or rows still without a report."""
    lines = [
        ChaseLine(f.asb, len(f.missing), f.rows_expected, f.due, f.days_late, f.received)
        for f in items
        if not f.received or f.missing
    ]
    return sorted(lines, key=lambda c: (-c.days_late, c.received != "", c.asb))
