"""The "Last period" columns of the return templates, taken from the master's history.

`tipwp period` empties the master's reporting cells, so the previous period's values live only in the Value history
once the next round is issued: they are worked out here as the status matrix does (xlsx_tools.merge.consolidate.
resolve_period: each body's latest return, decisions applied, combined narratives), and handed to the template
writer. The command line and the ribbon both issue through `issue_returns`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from xlsx_tools.merge.consolidate import resolve_period
from xlsx_tools.merge.master_book import MasterError, open_master
from xlsx_tools.merge.model import MASTER_SOURCE, MasterState
from xlsx_tools.plan.periods import Period
from xlsx_tools.returns.issue import IssuedTemplate, IssueError, issue_templates


def reported_in(state: MasterState, period: str) -> dict[str, dict[str, str]]:
    """Row id → reported column → value of `period`: the master's cells when it is the open period, else what the
    history settles for it; where no return settles a cell, the value typed into the master that `tipwp period`
    kept in the history (the secretariat's own entry) stands."""
    if period == state.period:
        return {row_id: {k: cells.get(k, "") for k in state.value_fields} for row_id, cells in state.cells.items()}
    resolved, _ = resolve_period(state, period)
    out: dict[str, dict[str, str]] = {}
    for entry in state.history:
        if entry.period == period and entry.asb == MASTER_SOURCE and entry.value:
            out.setdefault(entry.row_id, {})[entry.field] = entry.value
    for (row_id, key), shown in resolved.items():
        if shown.value:
            out.setdefault(row_id, {})[key] = shown.value
    return out


def issue_returns(
    master: Path, period: str, out_dir: Path, asbs: Iterable[str] = (), due: str = ""
) -> list[IssuedTemplate]:
    """Issue the templates of `period`, their grey columns showing the previous period's consolidated status and
    progress. Raises IssueError, whose message says what to do."""
    try:
        opened = open_master(master)
    except MasterError as exc:
        raise IssueError(exc.finding.message) from None
    try:
        previous = str(Period.parse(period).previous())
    except ValueError as exc:
        raise IssueError(str(exc)) from None
    last = (previous, reported_in(opened.state, previous))
    return issue_templates(master, period, out_dir, asbs=asbs, due=due, last=last)
