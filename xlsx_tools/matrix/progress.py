"""The progress report as plain data: every body's reported text for one period, attributed, from the History.

The master's pillar sheets show one value per cell; its History record keeps every value every body submitted. The
report takes, for the period, each body's values that count in the consolidation ("current": its latest return's,
or "kept from the master": typed there before a merge replaced it), never superseded or held-back ones, and orders
the bodies of a row as the plan does: the coordinating body first, then the supporting ones, then any other.
Nothing here touches a workbook; `xlsx_tools.matrix.report` lays it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from xlsx_tools.merge.consolidate import entry_status, latest_returns
from xlsx_tools.merge.model import MASTER_SOURCE, MasterState
from xlsx_tools.plan.context import PlanContext

COUNTING = ("current", "kept from the master")  # History statuses whose values are in the report
FUNDING_KEY = "resource_needs"  # the layout's reporting column for resource and funding needs
MASTER_LABEL = "typed in the master"  # how a value typed into the master itself is attributed


class Contribution(NamedTuple):
    """What one body reported on one row for the period: column key → text."""

    asb: str  # registry code, or MASTER_LABEL
    role: str  # "coordinating" | "supporting" | "" (a body the plan does not name for the row)
    values: Mapping[str, str]


class FundingNeed(NamedTuple):
    pillar: str
    asb: str
    row_id: str
    activity: str
    need: str
    coordinating: str


@dataclass(frozen=True)
class ProgressReport:
    period: str
    columns: tuple[tuple[str, str, float], ...]  # (layout key, header, width) of the text columns, in layout order
    contributions: dict[str, list[Contribution]]  # row id → bodies in report order
    funding: list[FundingNeed]


def _order(asb: str, coordinating: Sequence[str], supporting: Sequence[str]) -> tuple[int, int, str]:
    if asb in coordinating:
        return (0, coordinating.index(asb), asb)
    if asb in supporting:
        return (1, supporting.index(asb), asb)
    return (3 if asb == MASTER_LABEL else 2, 0, asb)


def progress_report(context: PlanContext, state: MasterState, period: str) -> ProgressReport:
    """Every counting value of `period` in the History, grouped by row and body, with the funding needs list."""
    # the report prints every value column of the layout but the status (the matrix's, once per row)
    columns = tuple((c.key, c.header, c.width) for c in context.sheet.value_columns if c.key != "status")
    wanted = {key for key, _, _ in columns}
    latest = latest_returns(state, period)
    gathered: dict[str, dict[str, dict[str, list[str]]]] = {}  # row → body → column → texts
    for entry in state.history:
        if entry.period != period or entry.field not in wanted or not entry.value.strip():
            continue
        if entry_status(entry, latest, period) not in COUNTING:
            continue
        asb = MASTER_LABEL if entry.asb == MASTER_SOURCE else entry.asb
        texts = gathered.setdefault(entry.row_id, {}).setdefault(asb, {}).setdefault(entry.field, [])
        if entry.value not in texts:
            texts.append(entry.value)
    contributions: dict[str, list[Contribution]] = {}
    for row_id, by_body in gathered.items():
        coordinating, supporting = context.bodies.get(row_id, ((), ()))
        ordered = sorted(by_body, key=lambda a: _order(a, coordinating, supporting))
        role = {**dict.fromkeys(supporting, "supporting"), **dict.fromkeys(coordinating, "coordinating")}
        contributions[row_id] = [
            Contribution(asb, role.get(asb, ""), {k: "\n".join(v) for k, v in by_body[asb].items()}) for asb in ordered
        ]
    return ProgressReport(period, columns, contributions, funding_needs(context, contributions))


def funding_needs(context: PlanContext, contributions: Mapping[str, list[Contribution]]) -> list[FundingNeed]:
    """The rows whose reports state a resource or funding need, by pillar (plan order) and body (alphabetical)."""
    needs = []
    for order, (pillar, row) in enumerate(context.plan.rows()):
        coordinating = ", ".join(context.bodies.get(row.row_id, ((), ()))[0])
        for contribution in contributions.get(row.row_id, ()):
            need = contribution.values.get(FUNDING_KEY, "")
            if need:
                entry = FundingNeed(
                    pillar.sheet_name, contribution.asb, row.row_id, row.text("activity"), need, coordinating
                )
                needs.append((pillar.code, contribution.asb, order, entry))
    return [entry for *_, entry in sorted(needs, key=lambda n: n[:3])]
