"""The master's record sheets — History, Conflicts, Proposals, Audit — declared once, written and read back here.

Each is a plain table with a header row, protected except for the Decision column the secretariat types into.
The merge reads them back as plain data (xlsx_tools.merge.model), so the sheets are the state: no side files.
Writing them (openpyxl) is xlsx_tools.merge.log_writer's, so that reading a master never imports openpyxl.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from xlsx_tools.merge.consolidate import entry_status, latest_returns
from xlsx_tools.merge.model import (
    AuditEntry,
    Conflict,
    HistoryEntry,
    MasterState,
    Proposal,
    ProposalEntry,
    Source,
)
from xlsx_tools.sheet_names import AUDIT_SHEET, CONFLICTS_SHEET, FORMER_HISTORY_SHEET, HISTORY_SHEET, PROPOSALS_SHEET
from xlsx_tools.workbook.values import ValueBook, blank_row, value_text


@dataclass(frozen=True)
class LogSheet:
    title: str
    columns: tuple[tuple[str, str, float], ...]  # (key, header, width)
    editable: tuple[str, ...] = ()
    prompt: str = ""
    former: tuple[str, ...] = ()  # titles older versions gave the sheet: read as they are, renamed on the next write
    # the columns without which the sheet cannot be read back as it was written: a sheet that has lost one (a
    # header renamed, a column deleted) is damaged, and the merge will not rewrite it (RecordSheetDamaged)
    required: tuple[str, ...] = ()

    @property
    def headers(self) -> list[str]:
        return [header for _, header, _ in self.columns]

    @property
    def keys(self) -> list[str]:
        return [key for key, _, _ in self.columns]


HISTORY = LogSheet(
    HISTORY_SHEET,
    (
        ("merged_at", "Merged at (UTC)", 20),
        ("period", "Period", 9),
        ("row_id", "Row ID", 11),
        ("field", "Column", 20),
        ("value", "Value", 50),
        ("asb", "Reported by", 12),
        ("status", "Counts as", 16),
        ("file", "File", 30),
        ("sha256", "File SHA-256", 18),
        ("template_id", "Template ID", 18),
        ("note", "Note", 28),
    ),
    former=(FORMER_HISTORY_SHEET,),
    required=("merged_at", "period", "row_id", "field", "value", "asb", "sha256", "note"),
)
CONFLICTS = LogSheet(
    CONFLICTS_SHEET,
    (
        ("period", "Period", 9),
        ("row_id", "Row ID", 11),
        ("field", "Column", 20),
        ("values", "Values reported", 50),
        ("shown_asb", "Shown: value of", 14),
        ("shown_value", "Shown value", 40),
        ("decision", "Decision", 24),
    ),
    editable=("decision",),
    prompt="Type the code of the body whose value should count (e.g. SOMTC), or the value itself. The next merge "
    "applies it.",
    required=("period", "row_id", "field", "decision"),
)
PROPOSALS = LogSheet(
    PROPOSALS_SHEET,
    (
        ("proposed_at", "Received (UTC)", 20),
        ("period", "Period", 9),
        ("asb", "From", 12),
        ("kind", "Kind", 14),
        ("row_id", "Row ID", 11),
        ("field", "Column", 20),
        ("current", "Plan text now", 40),
        ("proposed", "Proposed", 40),
        ("file", "File", 30),
        ("where", "Where in the file", 20),
        ("sha256", "File SHA-256", 18),
        ("decision", "Decision", 24),
    ),
    editable=("decision",),
    prompt="Type 'accepted' to put it in the plan (the next merge, or tipwp proposals apply, adds the activity "
    "or changes the text), or 'rejected: reason'. Rejected ones stay listed.",
    required=("period", "asb", "kind", "row_id", "field", "proposed", "decision"),
)
AUDIT = LogSheet(
    AUDIT_SHEET,
    (
        ("time", "Merged at (UTC)", 20),
        ("file", "File", 30),
        ("asb", "Body", 12),
        ("period", "Period", 9),
        ("outcome", "Outcome", 14),
        ("accepted", "Rows accepted", 9),
        ("conflicts", "Conflicts", 9),
        ("proposals", "Proposals", 9),
        ("findings", "Findings", 9),
        ("reasons", "Refused because", 40),
        ("due", "Due", 11),
        ("sha256", "File SHA-256", 18),
        ("template_id", "Template ID", 18),
        ("saved", "Saved by sender (UTC)", 20),
        ("received", "Received", 11),
    ),
    required=("time", "file", "asb", "period", "outcome", "sha256"),
)
LOG_SHEETS = (HISTORY, CONFLICTS, PROPOSALS, AUDIT)


class RecordSheetDamaged(ValueError):
    """A record sheet of the master lacks a column it was written with, or its lines are not as last written
    (xlsx_tools.merge.record_digest)."""

    def __init__(self, sheet: str, why: str) -> None:
        super().__init__(why)
        self.sheet = sheet


def read_table(book: Any, log: LogSheet) -> list[dict[str, str]]:
    """The rows of one record sheet as dicts keyed by column key (columns found by header). `book`: a ValueBook
    (xlsx_tools.workbook.values, what the merge reads with) or an openpyxl workbook."""
    title = present_title(book.sheetnames, log)
    if title is None:
        return []
    rows = iter(book.rows(title)) if isinstance(book, ValueBook) else book[title].iter_rows(values_only=True)
    header = next(rows, ())
    by_label = {str(label): i for i, label in enumerate(header) if label is not None and label != ""}
    positions = {key: by_label[label] for key, label, _ in log.columns if label in by_label}
    missing = [label for key, label, _ in log.columns if key in log.required and key not in positions]
    if missing:
        raise RecordSheetDamaged(log.title, f"the sheet {log.title} has lost its column(s) {', '.join(missing)}")
    out = []
    for row in rows:
        if blank_row(row):
            continue
        out.append({key: value_text(row[i]) if i < len(row) else "" for key, i in positions.items()})
    return out


def present_title(names: Sequence[str], log: LogSheet) -> str | None:
    """The title `log`'s sheet has among `names`: its own, else a former one (a master written by an older tipwp)."""
    return next((title for title in (log.title, *log.former) if title in names), None)


def former_titles(names: Sequence[str]) -> list[tuple[str, str]]:
    """(former title, title) of every record sheet among `names` that still has the title an older tipwp gave it."""
    found = ((present_title(names, log), log.title) for log in LOG_SHEETS)
    return [(present, title) for present, title in found if present is not None and present != title]


def read_logs(book: Any, state: MasterState, labels: Mapping[str, str]) -> dict[str, list[dict[str, str]]]:
    """Fill `state`'s history, proposals, decisions and audit from the record sheets. `labels`: header → key.
    Returns the sheets' rows as read (title → rows), for the check of their digests."""

    def key_of(label: str) -> str:
        return labels.get(label, label)

    tables = {log.title: read_table(book, log) for log in LOG_SHEETS}

    state.history = [
        HistoryEntry._make([key_of(r.get(k, "")) if k == "field" else r.get(k, "") for k in HistoryEntry._fields])
        for r in tables[HISTORY.title]
    ]
    state.decisions = {
        (r.get("period", ""), r.get("row_id", ""), key_of(r.get("field", ""))): r.get("decision", "")
        for r in tables[CONFLICTS.title]
        if r.get("decision")
    }
    state.proposals = [
        ProposalEntry(
            Proposal(
                kind=r.get("kind", ""),
                row_id=r.get("row_id", ""),
                field=key_of(r.get("field", "")),
                current=r.get("current", ""),
                proposed=r.get("proposed", ""),
                sheet=r.get("where", "").split("!")[0],
                cell=r.get("where", "").split("!")[-1],
            ),
            Source(asb=r.get("asb", ""), file=r.get("file", ""), sha256=r.get("sha256", "")),
            period=r.get("period", ""),
            proposed_at=r.get("proposed_at", ""),
            decision=r.get("decision", ""),
        )
        for r in tables[PROPOSALS.title]
    ]
    state.audit = [_audit_entry(r) for r in tables[AUDIT.title]]
    return tables


def _audit_entry(row: Mapping[str, str]) -> AuditEntry:
    fields: dict[str, Any] = {key: row.get(key, "") for key in AUDIT.keys}
    for key in ("accepted", "conflicts", "proposals", "findings"):
        try:
            fields[key] = int(fields[key] or 0)
        except ValueError:  # typed over by a person
            fields[key] = 0
    return AuditEntry(**fields)


def log_rows(state: MasterState, conflicts: Sequence[Conflict], headers: Mapping[str, str]) -> dict[str, list[list]]:
    """Every record sheet's rows, in column order. `headers`: layout key → header label."""

    def label(key: str) -> str:
        return headers.get(key, key)

    latest = {period: latest_returns(state, period) for period in {e.period for e in state.history}}
    history = [
        [
            e.merged_at,
            e.period,
            e.row_id,
            label(e.field),
            e.value,
            e.asb,
            entry_status(e, latest[e.period]),
            e.file,
            e.sha256,
            e.template_id,
            e.note,
        ]
        for e in state.history
    ]
    decided = {(c.period, c.row_id, c.field) for c in conflicts}
    open_rows = [
        [
            c.period,
            c.row_id,
            label(c.field),
            "\n".join(f"{asb}: {value}" for asb, value in c.candidates),
            c.shown_asb or "(decision)",
            c.shown_value,
            c.decision,
        ]
        for c in conflicts
    ]
    # decisions on conflicts that are not current any more (settled by a later return, a row gone) are kept
    kept = [
        [period, row_id, label(field), "", "", "", decision]
        for (period, row_id, field), decision in state.decisions.items()
        if (period, row_id, field) not in decided
    ]
    proposals = [
        [
            p.proposed_at,
            p.period,
            p.source.asb,
            p.proposal.kind,
            p.proposal.row_id,
            label(p.proposal.field),
            p.proposal.current,
            p.proposal.proposed,
            p.source.file,
            f"{p.proposal.sheet}!{p.proposal.cell}",
            p.source.sha256,
            p.decision,
        ]
        for p in state.proposals
    ]
    audit_row = attrgetter(*AUDIT.keys)  # an Audit line is its entry's fields, in column order
    audit = [list(audit_row(a)) for a in state.audit]
    return {HISTORY.title: history, CONFLICTS.title: open_rows + kept, PROPOSALS.title: proposals, AUDIT.title: audit}
