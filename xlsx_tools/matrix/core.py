"""The status matrix as plain tables, computed with pandas from the master's plan, cells, history and audit.

Nothing here touches a workbook: `matrix_input` turns an opened master's data into frames, `summarise` computes the
figures of the Summary sheet for one period. The workbook writer (`xlsx_tools.matrix.writer`) only lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from xlsx_tools.merge.consolidate import HELD_PREFIX, MERGED, latest_returns, resolve_period
from xlsx_tools.merge.model import MasterState
from xlsx_tools.plan.context import PlanContext
from xlsx_tools.plan.periods import Period, iso_day, periods_between
from xlsx_tools.plan.status_words import STATUSES, StatusMap
from xlsx_tools.plan.status_words import fold as _fold
from xlsx_tools.plan.status_words import load_status_map as load_status_map  # where matrix.run and tests take it

NO_REPORT = "No report"  # nothing came in for the row in that period
NO_STATUS = "No status"  # something came in, but no status
OTHER = "Other (free text)"  # a status that is not in the vocabulary and that the status map does not map
HELD = "Reported, held back"  # a report came in, but its values failed validation and are not shown (MERGE_513)
CATEGORIES = (*STATUSES, NO_REPORT, HELD, NO_STATUS, OTHER)
STOPPED = ("Postponed", "Discontinued")

# the two grouping levels under a pillar, per plan kind: (code key, text key)
GROUPS: Mapping[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "bwp2": (("outcome_code", "outcome_text"), ("type_code", "type_description")),
    "bwp1": (("apa_ref", "provision_text"), ("area_code", "area_text")),
}
APA_KEYS = ("apa_refs", "apa_ref")
ACTIP_KEYS = ("actip_refs",)


def classify(status: str, vocabulary: Sequence[str], status_map: StatusMap) -> tuple[str, str]:
    """(shown text, category) of a reported status: vocabulary as is, mapped where clear, else kept as text."""
    text = status.strip()
    if not text:
        return "", NO_STATUS
    known = {_fold(v): v for v in vocabulary}.get(_fold(text)) or status_map.map(text)
    return (known, known) if known else (text, OTHER)


@dataclass
class MatrixInput:
    plan_title: str
    periods: list[str]  # every half-year from the first with a report (or the one asked for) to the chosen period
    period: str  # the chosen period
    rows: pd.DataFrame  # one row per plan row, in plan order
    reports: pd.DataFrame  # long: row_id × period → status, category, raw_status, progress, asb
    audit: pd.DataFrame  # the master's Audit log
    bodies_reported: pd.DataFrame  # (period, asb, row_id) with a value merged from that body


def _split(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in text.split(";") if p.strip()))


def plan_frame(context: PlanContext) -> pd.DataFrame:
    """The plan rows with their groups, bodies (registry codes) and cross-references."""
    bodies = context.bodies
    groups = GROUPS.get(context.plan.kind, GROUPS["bwp2"])
    records = []
    for order, (pillar, row) in enumerate(context.plan.rows()):
        apa = next((row.text(k) for k in APA_KEYS if row.text(k)), "")
        actip = next((row.text(k) for k in ACTIP_KEYS if row.text(k)), "")
        records.append(
            {
                "order": order,
                "row_id": row.row_id,
                "pillar": pillar.sheet_name,
                "pillar_title": f"{pillar.code}. {pillar.title}",
                "group1": row.text(groups[0][0]),
                "group1_text": row.text(groups[0][1]),
                "group2": row.text(groups[1][0]),
                "group2_text": row.text(groups[1][1]),
                "activity": row.text("activity"),
                "coordinating": bodies[row.row_id][0],
                "supporting": bodies[row.row_id][1],
                "apa": _split(apa),
                "actip": _split(actip),
            }
        )
    return pd.DataFrame.from_records(records)


def report_frame(
    state: MasterState, row_ids: Sequence[str], periods: Sequence[str], vocabulary: Sequence[str], status_map: StatusMap
) -> pd.DataFrame:
    """Row × period: what the period shows (the open period from the master's cells, others from the history)."""
    records = []
    held = _held_rows(state, periods)
    for period in periods:
        if period == state.period:
            shown = {
                row_id: {k: v for k, v in state.cells.get(row_id, {}).items() if v and k != state.period_field}
                for row_id in row_ids
            }
        else:
            resolved, _ = resolve_period(state, period)
            shown = {row_id: {} for row_id in row_ids}
            for (row_id, key), value in resolved.items():
                if row_id in shown and value.value and key != state.period_field:
                    shown[row_id][key] = value.value
                    if key == "status":
                        shown[row_id].setdefault(state.body_field, value.asb)
        for row_id in row_ids:
            values = shown[row_id]
            reported = any(v for k, v in values.items() if k != state.body_field)
            raw = values.get("status", "")
            text, category = classify(raw, vocabulary, status_map) if reported else ("", NO_REPORT)
            if not reported and (period, row_id) in held:
                text, category, reported = HELD, HELD, True
            asb = values.get(state.body_field, "")
            records.append((row_id, period, text or category, category, raw, values.get("progress", ""), asb, reported))
    return pd.DataFrame.from_records(
        records, columns=["row_id", "period", "status", "category", "raw_status", "progress", "asb", "reported"]
    )


def _held_rows(state: MasterState, periods: Sequence[str]) -> set[tuple[str, str]]:
    """(period, row id) of the rows for which a body's latest return of the period sent values that were all held
    back: reported, though nothing is shown (counted as reported in completeness, not as "no report")."""
    held: set[tuple[str, str]] = set()
    for period in periods:
        latest = set(latest_returns(state, period).values())
        held.update(
            (period, h.row_id)
            for h in state.history
            if h.period == period and h.note.startswith(HELD_PREFIX) and h.sha256 in latest
        )
    return held


def first_reported(state: MasterState) -> Period | None:
    """The earliest period any value was reported for (the History's, or the open period's cells), if any."""
    found = {h.period for h in state.history if h.value}
    if state.period and any(v for cells in state.cells.values() for k, v in cells.items() if k != state.period_field):
        found.add(state.period)
    periods = []
    for text in found:
        try:
            periods.append(Period.parse(text))
        except ValueError:
            continue  # a period typed by hand in the History that is none: not a column
    return min(periods, default=None)


def matrix_input(
    context: PlanContext,
    state: MasterState,
    period: str = "",
    status_map: StatusMap | None = None,
    first: str = "",
) -> MatrixInput:
    """The matrix's tables for `period`; its columns run from `first` (default: the first period with any report,
    else the chosen one) to `period`, never before the plan's start."""
    chosen = Period.parse(period or state.period)
    plan = context.plan
    start = Period.containing(plan.start)
    if chosen < start or chosen > Period.containing(plan.end):
        raise ValueError(f"{chosen} is outside the plan's periods ({plan.start.year}-H1 to {plan.end.year}-H2)")
    begin = Period.parse(first) if first else min(first_reported(state) or chosen, chosen)
    if begin > chosen:
        raise ValueError(f"The first column, {begin}, comes after {chosen}, the period reported on.")
    periods = [str(p) for p in periods_between(max(begin, start).first_day, chosen.last_day)]
    rows = plan_frame(context)
    reports = report_frame(
        state, list(rows["row_id"]), periods, context.lists.get("STATUS_LIST", STATUSES), status_map or StatusMap()
    )
    audit = pd.DataFrame.from_records(
        [vars(a) for a in state.audit], columns=["time", "file", "asb", "period", "outcome", "due", "received"]
    )
    reported = pd.DataFrame.from_records(
        [(h.period, h.asb, h.row_id) for h in state.history if h.value],
        columns=["period", "asb", "row_id"],
    ).drop_duplicates()
    return MatrixInput(plan.title, periods, str(chosen), rows, reports, audit, reported)


@dataclass
class Summary:
    period: str
    previous: str
    by_pillar: pd.DataFrame
    by_outcome: pd.DataFrame
    by_coordinator: pd.DataFrame
    apa: pd.DataFrame
    actip: pd.DataFrame
    completeness: pd.DataFrame
    no_report: pd.DataFrame
    newly_completed: pd.DataFrame
    newly_stopped: pd.DataFrame
    unchanged: pd.DataFrame
    counts: dict[str, int]


def _counts(frame: pd.DataFrame, by: str, label: str, in_frame_order: bool = False) -> pd.DataFrame:
    """Status counts and shares per `by` value (sorted, or in their order in `frame`), in the legend's order; only
    categories that occur (statuses always)."""
    table = pd.crosstab(frame[by], frame["category"])
    if in_frame_order:
        table = table.reindex(list(dict.fromkeys(frame[by])))
    present = [c for c in CATEGORIES if c in STATUSES or c == NO_REPORT or c in table.columns]
    table = table.reindex(columns=present, fill_value=0)
    table["Rows"] = table[present].sum(axis=1)
    table["Completed %"] = (100 * table["Completed"] / table["Rows"]).round(0).astype(int)
    table["Reported %"] = (100 * (table["Rows"] - table[NO_REPORT]) / table["Rows"]).round(0).astype(int)
    table.index.name = label
    table.columns.name = None
    return table.reset_index()


def completeness(data: MatrixInput) -> pd.DataFrame:
    """Per expected body: on time, late or missing for the chosen period, with its rows expected and reported."""
    rows = data.rows
    expected = rows.assign(body=[(*c, *s) for c, s in zip(rows["coordinating"], rows["supporting"], strict=True)])
    expected = expected.explode("body").dropna(subset=["body"])
    per_body = expected.groupby("body")["row_id"].nunique().rename("Rows expected")
    merged = data.audit[(data.audit["period"] == data.period) & (data.audit["outcome"] == MERGED)]
    first = merged.sort_values("time").groupby("asb").first()
    reported = data.bodies_reported[data.bodies_reported["period"] == data.period]
    reported = reported[reported["row_id"].isin(set(rows["row_id"]))].groupby("asb")["row_id"].nunique()
    records = []
    for body in sorted(per_body.index):
        if body in first.index:
            # the day the secretariat received it (merge --received, default the day merged), else the merge time
            time = str(first.loc[body, "received"] or "") or str(first.loc[body, "time"])
            due = str(first.loc[body, "due"] or "")
            arrived, deadline = iso_day(time), iso_day(due)
            outcome = "late" if arrived and deadline and arrived > deadline else "on time"
            received = arrived.isoformat() if arrived else time
        else:
            outcome, received, due = "missing", "", ""
        records.append((body, outcome, received, due, int(per_body[body]), int(reported.get(body, 0))))
    table = pd.DataFrame.from_records(
        records, columns=["ASB", "Return", "Received", "Due", "Rows expected", "Rows reported"]
    )
    table["Reported %"] = (100 * table["Rows reported"] / table["Rows expected"].clip(lower=1)).round(0).astype(int)
    return table


def summarise(data: MatrixInput) -> Summary:
    rows = data.rows
    now = data.reports[data.reports["period"] == data.period].merge(rows, on="row_id")
    now = now.sort_values("order")
    by_pillar = _counts(now, "pillar_title", "Pillar", in_frame_order=True)
    now_outcome = now.assign(outcome=now["group1"] + " " + now["group1_text"])  # whole: the Summary wraps it
    by_outcome = _counts(now_outcome, "outcome", "Outcome", in_frame_order=True)
    coordinated = now.assign(body=now["coordinating"].map(lambda c: c or ("(none in the plan)",))).explode("body")
    by_coordinator = _counts(coordinated, "body", "Coordinating ASB")

    def coverage(key: str, label: str) -> pd.DataFrame:
        referenced = now.explode(key).dropna(subset=[key])
        return _counts(referenced, key, label) if len(referenced) else pd.DataFrame()

    no_report = now[now["category"] == NO_REPORT][["row_id", "activity", "coordinating", "pillar"]].copy()
    no_report["coordinating"] = no_report["coordinating"].map(", ".join)
    no_report.columns = ["Row ID", "Activity", "Coordinating ASB", "Pillar"]

    chosen = Period.parse(data.period)
    previous = str(chosen.previous()) if str(chosen.previous()) in data.periods else ""
    grid = data.reports.pivot(index="row_id", columns="period", values="category").reindex(
        index=list(rows["row_id"]), columns=data.periods
    )
    shown = data.reports.pivot(index="row_id", columns="period", values="status").reindex(
        index=list(rows["row_id"]), columns=data.periods
    )
    labels = rows.set_index("row_id")

    def listing(mask: pd.Series) -> pd.DataFrame:
        return pd.DataFrame.from_records(
            [
                (
                    r,
                    labels.loc[r, "activity"],
                    ", ".join(labels.loc[r, "coordinating"]),
                    shown.loc[r, previous] if previous else "",
                    shown.loc[r, data.period],
                )
                for r in grid.index
                if mask[r]
            ],
            columns=["Row ID", "Activity", "Coordinating ASB", "Before", "Now"],
        )

    current = grid[data.period]
    before = grid[previous] if previous else pd.Series("", index=grid.index)  # no earlier column: every row changed
    runs = []
    for row_id in grid.index:
        text = shown.loc[row_id, data.period]
        if grid.loc[row_id, data.period] in (NO_REPORT, NO_STATUS, "Completed"):  # completed rows are meant to stay
            continue
        run = 0
        for period in reversed(data.periods):
            if shown.loc[row_id, period] != text:
                break
            run += 1
        if run >= 2:
            coordinating = ", ".join(labels.loc[row_id, "coordinating"])
            runs.append((row_id, labels.loc[row_id, "activity"], coordinating, text, run, data.periods[-run]))
    unchanged = pd.DataFrame.from_records(
        runs, columns=["Row ID", "Activity", "Coordinating ASB", "Status", "Periods unchanged", "Since"]
    )
    counts = {c: int((now["category"] == c).sum()) for c in CATEGORIES}
    return Summary(
        period=data.period,
        previous=previous,
        by_pillar=by_pillar,
        by_outcome=by_outcome,
        by_coordinator=by_coordinator,
        apa=coverage("apa", "APA paragraph"),
        actip=coverage("actip", "ACTIP article"),
        completeness=completeness(data),
        no_report=no_report,
        newly_completed=listing((current == "Completed") & (before != "Completed")),
        newly_stopped=listing(current.isin(STOPPED) & (before != current)),
        unchanged=unchanged,
        counts=counts,
    )
