"""A body reports on its own rows only: values on another body's rows are held back, never credited to the sender.

A body's share is the rows its template was issued with (the manifest, bound by the issue token) and the rows the
plan names it on as coordinating or supporting body (so a return of another plan version, mapped, keeps its rows).
A row of someone else's pasted into a return, Row ID and all, would otherwise be credited to the sender and could
be shown over the real body's value. Its values stay in the history, held back (MERGE_526), one finding per row.
New activities typed in spare rows match no plan row: they are proposals, not values, and are untouched here.
"""

from __future__ import annotations

from collections.abc import Iterable

from xlsx_tools.findings import Finding
from xlsx_tools.merge.model import Submission
from xlsx_tools.plan.context import PlanContext

HELD = "MERGE_526"


def body_rows(context: PlanContext, asb: str) -> set[str]:
    """The plan rows that name `asb` (a registry code) as coordinating or supporting body."""
    return {row_id for row_id, (leads, supporting) in context.bodies.items() if asb in leads or asb in supporting}


def hold_other_bodies_rows(submission: Submission, issued: Iterable[str], context: PlanContext) -> None:
    """Hold back every value of `submission` on a row outside the sender's share (see the module docstring)."""
    asb = submission.source.asb
    share = body_rows(context, asb).union(issued)
    reported: set[str] = set()
    for position, value in enumerate(submission.values):
        if value.row_id in share:
            continue
        if not value.held:
            submission.values[position] = value._replace(held=HELD)
        if value.row_id not in reported:
            reported.add(value.row_id)
            leads, supporting = context.bodies.get(value.row_id, ((), ()))
            named = ", ".join((*leads, *supporting)) or "no body"
            detail = (
                f"row {value.row_id} ({value.sheet} {value.cell}) is not one of {asb}'s rows (the plan names {named}): "
                f"its values are kept in the history, not shown"
            )
            submission.findings.append(
                Finding(
                    HELD,
                    file=submission.source.file,
                    sheet=value.sheet,
                    cell=value.cell,
                    row_id=value.row_id,
                    detail=detail,
                )
            )
