"""Plan a merge on plain data: append submissions to the history, then recompute the master's values from it.

The master's reporting cells are a pure function of the history of the open period (plus the secretariat's
decisions on the Conflicts sheet): for every body its latest merged return counts (a later return supersedes an
earlier one, which stays in the history). How the bodies of one row meet is declared per column in layout.yaml
(`merge`): in a *combine* column (narrative, results, dates, needs) every body's text is kept and shown, attributed,
coordinating bodies first, then supporting bodies in the row's order; in a *conflict* column (the status) the
decision, else the coordinating body, else the latest return wins, and the disagreement is listed as a conflict.
Because the cells are recomputed rather than patched, merging the same files again, or in another order of runs,
gives the same master.

A return made for an earlier period (a late return) goes into that period's history: the master's cells, which
show the open period, do not change, and that period's status matrix shows it. Conflicts of every period stay
listed, marked with their period, so opening a new period loses none.

A value typed straight into the master that a merge is about to replace is first copied into the history, so
nothing is ever lost.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Iterable, Sequence
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
    Source,
    Submission,
)
from xlsx_tools.merge.proposals import receive

HELD_PREFIX = "held back: "
TYPED_NOTE = "typed in the master"
MERGED = "merged"
CELL_LIMIT = 32_767  # characters an Excel cell holds: a longer combined text is cut, the history keeps every part
CUT_NOTE = " … (cut: every body's full text is in the Value history)"


def consolidate(
    state: MasterState, items: Sequence[Submission | Refusal], merged_at: str, received: str = ""
) -> Consolidation:
    """The next state after merging `items` in order. `state` is not modified. `received`: the day the files
    were received (ISO date), recorded in their Audit lines and used to tell on time from late."""
    state = dataclasses.replace(
        state,
        cells={row: dict(values) for row, values in state.cells.items()},
        history=list(state.history),
        proposals=list(state.proposals),
        audit=list(state.audit),
    )
    merged = {a.sha256 for a in state.audit if a.outcome == MERGED}
    known = len(state.history)  # the lines the master's cells were worked out from
    outcomes: list[FileOutcome] = []
    pending: list[tuple[FileOutcome, Refusal]] = []
    merged_lines: list[tuple[int, FileOutcome, str]] = []
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
        period = item.period or state.period
        made_for = f"made for {source.period}" if source.period and source.period != period else ""
        asb, file, sha, template_id = source.asb, source.file, source.sha256, source.template_id
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
        state.proposals = receive(state.proposals, item, period, merged_at)  # a resubmission replaces
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
        merged_lines.append((len(state.audit), outcome, period))
        state.audit.append(_audit(merged_at, outcome, item, received))
        outcomes.append(outcome)
    changes = _consolidate(state, merged_at, known)
    conflicts = all_conflicts(state)
    in_conflict = Counter((asb, c.period) for c in conflicts for asb in dict(c.candidates))
    for position, outcome, period in merged_lines:
        outcome.conflicts = in_conflict[(outcome.asb, period)]
        state.audit[position] = dataclasses.replace(state.audit[position], conflicts=outcome.conflicts)
    for outcome, refusal in pending:
        state.audit.append(_audit(merged_at, outcome, refusal, received))
    return Consolidation(state=state, changes=changes, conflicts=conflicts, outcomes=outcomes)


def _audit(time: str, outcome: FileOutcome, item: Submission | Refusal, received: str) -> AuditEntry:
    source = item.source if isinstance(item, Submission) else Source(item.asb, item.file, item.sha256, item.template_id)
    return AuditEntry(
        time=time,
        file=outcome.file,
        sha256=source.sha256,
        asb=outcome.asb,
        period=outcome.period,
        template_id=source.template_id,
        outcome=outcome.outcome,
        accepted=outcome.accepted,
        conflicts=outcome.conflicts,
        proposals=outcome.proposals,
        findings=len(outcome.findings),
        reasons=outcome.reasons,
        due=source.due,
        saved=source.saved,
        received=received,
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


def entry_status(entry: HistoryEntry, latest: dict[str, str], period: str | None = None) -> str:
    """How a history line counts now for its own period: current, superseded, held back, or kept from the master.
    `latest`: latest_returns of the entry's period; given `period`, a line of another period is "earlier period"."""
    if entry.asb == MASTER_SOURCE:
        return "kept from the master"
    if entry.note.startswith(HELD_PREFIX):
        return "held back"
    if period is not None and entry.period != period:
        return "earlier period"
    return "current" if latest.get(entry.asb) == entry.sha256 else "superseded"


class Resolved(NamedTuple):
    """The value a period shows for one reported cell, and which body it came from ("" for a typed decision).
    `parts`: every body's value that counts, (body, value), in the order shown: what a report that prints each
    body's own text (rather than the combined cell) reads."""

    value: str
    asb: str
    parts: tuple[tuple[str, str], ...] = ()


def combined_text(parts: Sequence[tuple[str, str]]) -> str:
    """The master cell of a combine column: one body's text as it is; several bodies' texts each on its own line
    after the body's code ("SOMTC: …\nACWC: …"); the same text from every body once, as it is."""
    if not parts:
        return ""
    if len({value for _, value in parts}) == 1:
        return parts[0][1]
    text = "\n".join(f"{asb}: {value}" for asb, value in parts)
    return text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - len(CUT_NOTE)] + CUT_NOTE


def _ranked(
    candidates: dict[str, str], leading: Iterable[str], latest: dict[str, str], order: Order
) -> tuple[tuple[str, str], ...]:
    """(body, value) of `candidates` in the order shown: the bodies in `leading` (the row's coordinating bodies, for
    a combine cell then its supporting bodies) in the plan's order, then any other, the most recent return first."""
    first = [a for a in dict.fromkeys(leading) if a in candidates]
    others = [a for a in candidates if a not in first]
    others.sort(key=lambda a: order.get(latest.get(a, ""), ("", "", -1)), reverse=True)
    return tuple((a, candidates[a]) for a in first + others)


def resolve_period(state: MasterState, period: str) -> tuple[dict[tuple[str, str], Resolved], list[Conflict]]:
    """Every reported cell of `period` as the history and the decisions settle it, and the conflicts on the way:
    for the open period by the merge, for any period by the status matrix."""
    latest = latest_returns(state, period)
    order = merge_order(state)
    touched: dict[tuple[str, str], dict[str, str]] = {}
    # the inner loop of every merge (each history line of the period), its fields unpacked rather than looked up
    for _, entry_period, row_id, field_key, value, asb, _, sha256, _, note in state.history:
        if entry_period != period or asb == MASTER_SOURCE or note.startswith(HELD_PREFIX):
            continue
        candidates = touched.setdefault((row_id, field_key), {})
        if value and latest.get(asb) == sha256:
            candidates[asb] = value
    resolved: dict[tuple[str, str], Resolved] = {}
    conflicts: list[Conflict] = []
    for (row_id, field_key), candidates in touched.items():
        if len(candidates) < 2:  # one body reported it (most cells), or none any more: nothing to rank
            asb, value = next(iter(candidates.items()), ("", ""))
            resolved[(row_id, field_key)] = Resolved(value, asb, ((asb, value),) if value else ())
            continue
        coordinators = state.coordinators.get(row_id, ())
        if field_key in state.combine_fields:  # every body's text counts: shown together, never a conflict
            parts = _ranked(candidates, (*coordinators, *state.supporters.get(row_id, ())), latest, order)
            resolved[(row_id, field_key)] = Resolved(combined_text(parts), parts[0][0], parts)
            continue
        parts = _ranked(candidates, coordinators, latest, order)
        shown_asb, value = parts[0]
        if len(set(candidates.values())) > 1:  # the bodies disagree
            decision = state.decisions.get((period, row_id, field_key), "").strip()
            chosen = next((a for a, _ in parts if a.casefold() == decision.casefold()), None) if decision else None
            if chosen:
                shown_asb, value = chosen, candidates[chosen]
            elif decision:
                shown_asb, value = "", decision
            conflicts.append(Conflict(period, row_id, field_key, parts, shown_asb, value, decision))
        resolved[(row_id, field_key)] = Resolved(value, shown_asb, parts)
    return resolved, conflicts


def all_conflicts(state: MasterState) -> list[Conflict]:
    """The conflicts of every period with reports, the open period's first, then earlier ones, latest first: a
    conflict stays listed, marked with its period, after a new period is opened (and its decision with it)."""
    periods = sorted({e.period for e in state.history if e.period and e.period != state.period}, reverse=True)
    found: list[Conflict] = []
    for period in ([state.period] if state.period else []) + periods:
        _, conflicts = resolve_period(state, period)
        found.extend(c for c in conflicts if c.row_id in state.cells)
    return found


def values_in_history(state: MasterState, period: str, known: int | None = None) -> dict[tuple[str, str], set[str]]:
    """(row id, column) → every value the history holds for it in `period`, and what the merge showed from it (a
    combined text): what a master cell may show unsaved. `known`: how many history lines the master had before
    this merge (the cells show what those settled)."""
    seen: dict[tuple[str, str], set[str]] = {}
    for entry in state.history:
        if entry.period == period:
            seen.setdefault((entry.row_id, entry.field), set()).add(entry.value)
    shown_by = state if known is None else dataclasses.replace(state, history=state.history[:known])
    resolved, _ = resolve_period(shown_by, period)
    for key, shown in resolved.items():
        seen.setdefault(key, set()).add(shown.value)
    return seen


def _consolidate(state: MasterState, merged_at: str, known: int) -> list[CellChange]:
    """Recompute every reported cell of the open period from the history; update `state.cells` in place."""
    resolved, _ = resolve_period(state, state.period)
    seen_values = functools.cache(lambda: values_in_history(state, state.period, known))  # when a cell needs it
    changes: list[CellChange] = []

    def put(row_id: str, field_key: str, new: str) -> None:
        row = state.cells[row_id]
        old = row.get(field_key, "")
        if old == new:
            return
        if old and field_key in state.value_fields and old not in seen_values().get((row_id, field_key), set()):
            state.history.append(_typed(state, merged_at, row_id, field_key, old))
        row[field_key] = new
        changes.append(CellChange(row_id, field_key, old, new))

    shown_by_row: dict[str, dict[str, str]] = {}
    for (row_id, field_key), shown in resolved.items():
        if row_id not in state.cells:
            continue  # the row is no longer in the master; its values stay in the history
        if shown.asb:
            shown_by_row.setdefault(row_id, {})[field_key] = shown.asb
        put(row_id, field_key, shown.value)
    for row_id, bodies in shown_by_row.items():
        put(row_id, state.period_field, state.period)
        put(row_id, state.body_field, bodies.get("status") or next(iter(bodies.values())))
    return changes


def _typed(state: MasterState, at: str, row_id: str, field_key: str, value: str) -> HistoryEntry:
    """The history line that keeps a value typed straight into the master, before it is replaced."""
    return HistoryEntry(at, state.period, row_id, field_key, value, MASTER_SOURCE, state.name, "", "", TYPED_NOTE)


def open_period(state: MasterState, period: str, at: str) -> Consolidation:
    """Start a new reporting period: the reported cells are emptied for it; nothing is lost on the way. Values of
    the closing period that came through merges are already in the history; any value typed straight into the
    master is copied there first (as "kept from the master"), so the status matrix still sees it."""
    state = dataclasses.replace(
        state, cells={row: dict(values) for row, values in state.cells.items()}, history=list(state.history)
    )
    seen = values_in_history(state, state.period)
    changes: list[CellChange] = []
    for row_id, cells in state.cells.items():
        for field_key in state.value_fields:
            old = cells.get(field_key, "")
            if old and old not in seen.get((row_id, field_key), set()):
                state.history.append(_typed(state, at, row_id, field_key, old))
        for field_key in (*state.value_fields, state.body_field, state.period_field):
            new = period if field_key == state.period_field else ""
            if cells.get(field_key, "") != new:
                changes.append(CellChange(row_id, field_key, cells.get(field_key, ""), new))
                cells[field_key] = new
    state.period = period
    return Consolidation(state=state, changes=changes, conflicts=all_conflicts(state), outcomes=[])
