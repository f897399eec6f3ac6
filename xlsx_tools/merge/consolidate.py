"""Plan a merge on plain data: append submissions to the history, then recompute the master's values from it.

The master's reporting cells are a pure function of the history of the open period (plus the secretariat's
decisions on the Conflicts sheet): for every body its latest merged return counts (a later return supersedes an
earlier one, which stays in the history); where bodies disagree the decision, else the coordinating body, else the
latest return wins, and the disagreement is listed as a conflict. Because the cells are recomputed rather than
patched, merging the same files again, or in another order of runs, gives the same master.

A value typed straight into the master that a merge is about to replace is first copied into the history, so
nothing is ever lost.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from xlsx_tools.findings import Finding
from xlsx_tools.merge.model import (
    MASTER_SOURCE,
    AuditEntry,
    CellChange,
    Conflict,
    Consolidation,
    FileOutcome,
    HistoryEntry,
    MasterState,
    Refusal,
    Submission,
)
from xlsx_tools.merge.proposals import receive

HELD_PREFIX = "held back: "
TYPED_NOTE = "typed in the master"
MERGED = "merged"


def consolidate(state: MasterState, items: Sequence[Submission | Refusal], merged_at: str) -> Consolidation:
    """The next state after merging `items` in order. `state` is not modified."""
    state = dataclasses.replace(
        state,
        cells={row: dict(values) for row, values in state.cells.items()},
        history=list(state.history),
        proposals=list(state.proposals),
        audit=list(state.audit),
    )
    merged = {a.sha256 for a in state.audit if a.outcome == MERGED}
    outcomes: list[FileOutcome] = []
    pending: list[tuple[FileOutcome, Refusal]] = []
    merged_lines: list[tuple[int, FileOutcome]] = []
    for item in items:
        if isinstance(item, Refusal):
            outcome = FileOutcome(item.file, "refused", item.asb, item.period, findings=list(item.findings))
            pending.append((outcome, item))
            outcomes.append(outcome)
            continue
        source = item.source
        if not state.period:
            state.period = source.period
        if source.sha256 in merged:
            finding = Finding("MERGE_505", file=source.file, detail=f"{source.file} was already merged")
            outcomes.append(FileOutcome(source.file, "already merged", source.asb, source.period, findings=[finding]))
            continue
        merged.add(source.sha256)
        made_for = f"made for {source.period}" if source.period and source.period != state.period else ""
        period, asb, file, sha, template_id = state.period, source.asb, source.file, source.sha256, source.template_id
        state.history.extend(
            HistoryEntry(
                merged_at,
                period,
                value.row_id,
                value.field,
                value.value,
                asb,
                file,
                sha,
                template_id,
                f"{HELD_PREFIX}{value.held}" if value.held else made_for,
            )
            for value in item.values
        )
        state.proposals = receive(state.proposals, item, state.period, merged_at)  # a resubmission replaces
        outcome = FileOutcome(
            source.file,
            MERGED,
            source.asb,
            source.period,
            accepted=len({v.row_id for v in item.values if not v.held}),
            proposals=len(item.proposals),
            findings=list(item.findings),
        )
        # the audit line goes in now so that supersession below sees this return as the latest
        merged_lines.append((len(state.audit), outcome))
        state.audit.append(_audit(merged_at, outcome, item))
        outcomes.append(outcome)
    changes, conflicts = _consolidate(state, merged_at)
    in_conflict = Counter(asb for c in conflicts for asb in dict(c.candidates))
    for position, outcome in merged_lines:
        outcome.conflicts = in_conflict[outcome.asb]
        state.audit[position] = dataclasses.replace(state.audit[position], conflicts=outcome.conflicts)
    for outcome, refusal in pending:
        state.audit.append(_audit(merged_at, outcome, refusal))
    return Consolidation(state=state, changes=changes, conflicts=conflicts, outcomes=outcomes)


def _audit(time: str, outcome: FileOutcome, item: Submission | Refusal) -> AuditEntry:
    due = saved = ""
    if isinstance(item, Submission):
        sha, template_id, due, saved = item.source.sha256, item.source.template_id, item.source.due, item.source.saved
    else:
        sha, template_id = item.sha256, item.template_id
    return AuditEntry(
        time=time,
        file=outcome.file,
        sha256=sha,
        asb=outcome.asb,
        period=outcome.period,
        template_id=template_id,
        outcome=outcome.outcome,
        accepted=outcome.accepted,
        conflicts=outcome.conflicts,
        proposals=outcome.proposals,
        findings=len(outcome.findings),
        reasons=outcome.reasons,
        due=due,
        saved=saved,
    )


Order = dict[str, tuple[str, str, int]]


def merge_order(state: MasterState) -> Order:
    """sha256 of every merged return → its place in time: when it was merged (as recorded, so a record sheet sorted
    by a person changes nothing), when its sender saved it, then its line in the Audit sheet. A return whose Audit
    line was deleted keeps its place from its History lines."""
    order: Order = {a.sha256: (a.time, a.saved, i) for i, a in enumerate(state.audit) if a.outcome == MERGED}
    for entry in state.history:
        if entry.sha256 and entry.sha256 not in order and entry.asb != MASTER_SOURCE:
            order[entry.sha256] = (entry.merged_at, "", -1)
    return order


def latest_returns(state: MasterState, period: str | None = None) -> dict[str, str]:
    """Body → sha256 of its latest merged return for `period` (default: the open one), by `merge_order`."""
    period = state.period if period is None else period
    order = merge_order(state)
    latest: dict[str, str] = {}
    for entry in state.history:
        if entry.period != period or entry.asb == MASTER_SOURCE or entry.sha256 not in order:
            continue
        known = latest.get(entry.asb)
        if known is None or order[entry.sha256] > order[known]:
            latest[entry.asb] = entry.sha256
    return latest


def entry_status(entry: HistoryEntry, latest: dict[str, str], period: str) -> str:
    """How a history line counts now: current, superseded, held back, or kept from the master."""
    if entry.asb == MASTER_SOURCE:
        return "kept from the master"
    if entry.note.startswith(HELD_PREFIX):
        return "held back"
    if entry.period != period:
        return "earlier period"
    return "current" if latest.get(entry.asb) == entry.sha256 else "superseded"


class Resolved(NamedTuple):
    """The value a period shows for one reported cell, and which body it came from ("" for a typed decision)."""

    value: str
    asb: str


def resolve_period(state: MasterState, period: str) -> tuple[dict[tuple[str, str], Resolved], list[Conflict]]:
    """Every reported cell of `period` as the history and the decisions settle it; conflicts on the way.

    Used for the open period by the merge, and for any period by the status matrix.
    """
    latest = latest_returns(state, period)
    order = merge_order(state)
    touched: dict[tuple[str, str], dict[str, str]] = {}
    # the inner loop of every merge (each history line of the period), its fields unpacked rather than looked up
    for _, entry_period, row_id, field_key, value, asb, _, sha256, _, note in state.history:
        if entry_period != period or asb == MASTER_SOURCE or note.startswith(HELD_PREFIX):
            continue
        candidates = touched.get((row_id, field_key))
        if candidates is None:
            candidates = touched[(row_id, field_key)] = {}
        if value and latest.get(asb) == sha256:
            candidates[asb] = value
    resolved: dict[tuple[str, str], Resolved] = {}
    conflicts: list[Conflict] = []
    for (row_id, field_key), candidates in touched.items():
        if len(candidates) < 2:  # one body reported it (most cells), or none any more: nothing to rank
            asb, value = next(iter(candidates.items()), ("", ""))
            resolved[(row_id, field_key)] = Resolved(value, asb)
            continue
        ranked = _rank(candidates, state.coordinators.get(row_id, ()), latest, order)
        shown_asb, value = ranked[0], candidates[ranked[0]]
        if len(set(candidates.values())) > 1:  # the bodies disagree
            decision = state.decisions.get((period, row_id, field_key), "").strip()
            chosen = next((a for a in ranked if a.casefold() == decision.casefold()), None) if decision else None
            if chosen:
                shown_asb, value = chosen, candidates[chosen]
            elif decision:
                shown_asb, value = "", decision
            # (period, row id, column, (body, value) best first, shown body, shown value, decision)
            conflicts.append(
                Conflict(
                    period, row_id, field_key, tuple([(a, candidates[a]) for a in ranked]), shown_asb, value, decision
                )
            )
        resolved[(row_id, field_key)] = Resolved(value, shown_asb)
    return resolved, conflicts


def values_in_history(state: MasterState, period: str) -> dict[tuple[str, str], set[str]]:
    """(row id, column) → every value the history holds for it in `period`: what a master cell may show unsaved."""
    seen: dict[tuple[str, str], set[str]] = {}
    for entry in state.history:
        if entry.period == period:
            seen.setdefault((entry.row_id, entry.field), set()).add(entry.value)
    return seen


def _consolidate(state: MasterState, merged_at: str) -> tuple[list[CellChange], list[Conflict]]:
    """Recompute every reported cell of the open period from the history; update `state.cells` in place."""
    resolved, conflicts = resolve_period(state, state.period)
    seen: list[dict[tuple[str, str], set[str]]] = []  # values_in_history, worked out when a cell first needs it

    def seen_values() -> dict[tuple[str, str], set[str]]:
        if not seen:
            seen.append(values_in_history(state, state.period))
        return seen[0]

    changes: list[CellChange] = []
    shown_by_row: dict[str, dict[str, str]] = {}
    for (row_id, field_key), shown in resolved.items():
        if row_id not in state.cells:
            continue  # the row is no longer in the master; its values stay in the history
        if shown.asb:
            shown_by_row.setdefault(row_id, {})[field_key] = shown.asb
        _set(state, changes, seen_values, merged_at, row_id, field_key, shown.value)
    for row_id, bodies in shown_by_row.items():
        _set(state, changes, seen_values, merged_at, row_id, state.period_field, state.period)
        body = bodies.get("status") or next(iter(bodies.values()))
        _set(state, changes, seen_values, merged_at, row_id, state.body_field, body)
    return changes, [c for c in conflicts if c.row_id in state.cells]


def open_period(state: MasterState, period: str, at: str) -> Consolidation:
    """Start a new reporting period: the reported cells are emptied for it; nothing is lost on the way.

    Values of the closing period that came through merges are already in the history; any value typed straight
    into the master is copied there first (as "kept from the master"), so the status matrix still sees it.
    """
    state = dataclasses.replace(
        state, cells={row: dict(values) for row, values in state.cells.items()}, history=list(state.history)
    )
    closing = state.period
    seen = values_in_history(state, closing)
    changes: list[CellChange] = []
    for row_id, cells in state.cells.items():
        for field_key in state.value_fields:
            old = cells.get(field_key, "")
            if old and old not in seen.get((row_id, field_key), set()):
                state.history.append(
                    HistoryEntry(at, closing, row_id, field_key, old, MASTER_SOURCE, state.name, "", "", TYPED_NOTE)
                )
        for field_key in (*state.value_fields, state.body_field, state.period_field):
            new = period if field_key == state.period_field else ""
            if cells.get(field_key, "") != new:
                changes.append(CellChange(row_id, field_key, cells.get(field_key, ""), new))
                cells[field_key] = new
    state.period = period
    _, conflicts = resolve_period(state, period)
    return Consolidation(state=state, changes=changes, conflicts=conflicts, outcomes=[])


def _rank(candidates: dict[str, str], coordinators: Iterable[str], latest: dict[str, str], order: Order) -> list[str]:
    """Bodies with a value, best first: coordinating bodies in plan order, then the most recent return."""
    if len(candidates) < 2:
        return list(candidates)
    coordinating = [a for a in coordinators if a in candidates]
    others = [a for a in candidates if a not in coordinating]
    if len(others) > 1:
        others.sort(key=lambda a: order.get(latest.get(a, ""), ("", "", -1)), reverse=True)
    return coordinating + others


def _set(
    state: MasterState,
    changes: list[CellChange],
    seen_values: Callable[[], dict[tuple[str, str], set[str]]],
    merged_at: str,
    row_id: str,
    field_key: str,
    new: str,
) -> None:
    row = state.cells.setdefault(row_id, {})
    old = row.get(field_key, "")
    if old == new:
        return
    if old and field_key in state.value_fields and old not in seen_values().get((row_id, field_key), set()):
        state.history.append(
            HistoryEntry(
                merged_at=merged_at,
                period=state.period,
                row_id=row_id,
                field=field_key,
                value=old,
                asb=MASTER_SOURCE,
                file=state.name,
                sha256="",
                template_id="",
                note=TYPED_NOTE,
            )
        )
    row[field_key] = new
    changes.append(CellChange(row_id, field_key, old, new))
