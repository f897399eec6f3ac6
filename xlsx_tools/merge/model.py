"""Plain data of a merge: what a return submitted, what the master holds, and what a merge will change.

Nothing here touches a file. The reader turns a return into a `Submission` (or a `Refusal`), the master adapter turns
the master into a `MasterState`, and `xlsx_tools.merge.consolidate.consolidate` computes the next state from both. The
records a merge makes by the thousand (submitted values, history lines, cell changes, conflicts) are named tuples,
immutable values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from xlsx_tools.findings import Finding, Severity

MASTER_SOURCE = "(master)"  # the `asb` of a value that was typed into the master itself, kept before overwriting


@dataclass(frozen=True)
class Source:
    """Who sent a return, and which file it was: the provenance every merged value keeps."""

    asb: str
    file: str  # the file name as received
    sha256: str
    template_id: str = ""
    period: str = ""  # the period the return was made for
    plan_version: str = ""
    due: str = ""  # the due date printed in the template, if any
    saved: str = ""  # when the sender last saved the file (its docProps/core.xml), ISO 8601 UTC, "" when unknown


class SubmittedValue(NamedTuple):
    """One non-empty reported cell of a return."""

    row_id: str
    field: str  # layout column key, e.g. "status"
    value: str
    sheet: str
    cell: str
    held: str = ""  # a finding code when the value is kept in history but not shown in the master


@dataclass(frozen=True)
class Proposal:
    """A change to locked plan text, or a new activity, found in a return: kept for review, never applied."""

    kind: str  # "plan text" | "new activity"
    row_id: str
    field: str
    current: str
    proposed: str
    sheet: str
    cell: str


@dataclass
class Submission:
    """A return that can be merged."""

    source: Source
    values: list[SubmittedValue] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    period: str = ""  # the period its values are filed under: "" for the master's open period, else the earlier
    # period the return was made for (a late return, merged into its own period's history)


@dataclass
class Refusal:
    """A file that cannot be merged, and why."""

    file: str
    sha256: str
    findings: list[Finding]
    asb: str = ""
    period: str = ""
    template_id: str = ""


class HistoryEntry(NamedTuple):
    """One value as submitted, for ever: the long-format history of the master."""

    merged_at: str
    period: str
    row_id: str
    field: str
    value: str
    asb: str
    file: str
    sha256: str
    template_id: str
    note: str = ""  # why a value was held back, or where it came from


@dataclass(frozen=True)
class ProposalEntry:
    proposal: Proposal
    source: Source
    period: str
    proposed_at: str
    decision: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """One file of one merge run."""

    time: str
    file: str
    sha256: str
    asb: str
    period: str
    template_id: str
    outcome: str  # "merged" | "already merged" | "refused"
    accepted: int = 0
    conflicts: int = 0
    proposals: int = 0
    findings: int = 0
    reasons: str = ""
    due: str = ""  # the template's due date, so completeness can tell on time from late
    saved: str = ""  # when the sender last saved the file: a copy saved earlier than a merged one is older
    received: str = ""  # the day the secretariat received it (merge --received, default the day merged), ISO date


class Conflict(NamedTuple):
    period: str
    row_id: str
    field: str
    candidates: tuple[tuple[str, str], ...]  # (asb, value), in body order
    shown_asb: str
    shown_value: str
    decision: str = ""


@dataclass
class MasterState:
    """What a merge needs from the master, as plain data."""

    period: str
    cells: dict[str, dict[str, str]]  # row id → reporting column key → current text
    coordinators: dict[str, tuple[str, ...]]  # row id → coordinating bodies, preferred when reports conflict
    value_fields: tuple[str, ...]
    supporters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # row id → supporting bodies, row order
    combine_fields: frozenset[str] = frozenset()  # value columns whose bodies' texts are all kept (layout `merge`)
    period_field: str = "reporting_period"
    body_field: str = "reporting_asb"
    history: list[HistoryEntry] = field(default_factory=list)
    proposals: list[ProposalEntry] = field(default_factory=list)
    decisions: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (period, row id, field) → decision
    audit: list[AuditEntry] = field(default_factory=list)
    name: str = "master.xlsx"


class CellChange(NamedTuple):
    row_id: str
    field: str
    old: str
    new: str


@dataclass
class FileOutcome:
    """The summary line of one file."""

    file: str
    outcome: str
    asb: str = ""
    period: str = ""
    accepted: int = 0
    conflicts: int = 0
    proposals: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def reasons(self) -> str:
        serious = [f for f in self.findings if f.severity in (Severity.FATAL, Severity.ERROR)]
        return "; ".join(dict.fromkeys(f.entry.title for f in serious))


@dataclass
class Consolidation:
    """The next state of the master and what changed on the way; applying it is the adapter's job."""

    state: MasterState
    changes: list[CellChange]
    conflicts: list[Conflict]
    outcomes: list[FileOutcome]

    @property
    def writes_anything(self) -> bool:
        return any(o.outcome in ("merged", "refused") for o in self.outcomes) or bool(self.changes)
