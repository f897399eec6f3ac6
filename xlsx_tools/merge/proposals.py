"""Proposals on the master's Proposals sheet: received from returns, replaced by a resubmission, applied when accepted.

A body proposes a new activity by typing it in a spare row of its return (one proposal per row, its cells as
"Header: text" lines), or an edit of plan text by typing over it. The secretariat decides on the Proposals sheet:
"accepted" (or yes, approved, agreed) is applied by the next merge or `tipwp proposals apply`: a new activity becomes
a plan row of the master with a new stable Row ID (so it is issued, merged and shown in the matrix like any other),
a text edit replaces the master's plan text. "rejected: reason" or anything else leaves the proposal listed, with
its reason. An applied decision is marked "(applied …)" and never applied twice.

Pure: plain data in (the master's state and plan), plain data out; the master adapter writes the rows.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from xlsx_tools.merge.model import Proposal, ProposalEntry, Submission
from xlsx_tools.plan.context import PlanContext

NEW_ACTIVITY = "new activity"
PLAN_TEXT = "plan text"
ACCEPTED = re.compile(r"^\s*(accept(ed)?|approved?|agreed|yes|ok)\b", re.IGNORECASE)
APPLIED = "(applied "
NOT_APPLIED = "not applied"


def receive(proposals: Sequence[ProposalEntry], submission: Submission, period: str, at: str) -> list[ProposalEntry]:
    """`proposals` with `submission`'s added. A later return of a body for a period is its whole answer: the
    body's undecided proposals of that period from earlier files are replaced by the new file's, not added to. A
    proposal already decided is kept, and the same proposal sent again is not listed a second time."""
    source = submission.source
    kept = [
        p
        for p in proposals
        if p.decision.strip() or p.source.asb != source.asb or p.period != period or p.source.sha256 == source.sha256
    ]
    decided = {_key(p.proposal) for p in kept if p.source.asb == source.asb and p.decision.strip()}
    return kept + [ProposalEntry(p, source, period, at) for p in submission.proposals if _key(p) not in decided]


def _key(proposal: Proposal) -> tuple[str, str, str, str]:
    return proposal.kind, proposal.row_id, proposal.field, proposal.proposed


@dataclass
class PlanChanges:
    """What accepted proposals change in the master: new plan rows, edited plan cells, and the proposals with their
    decisions marked as applied."""

    new_rows: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (pillar sheet, plan cells by key)
    edits: list[tuple[str, str, str]] = field(default_factory=list)  # (row id, column key, new text)
    proposals: list[ProposalEntry] = field(default_factory=list)
    not_applied: list[ProposalEntry] = field(default_factory=list)  # accepted, newly marked why they cannot be

    def __bool__(self) -> bool:
        return bool(self.new_rows or self.edits)


def apply_decisions(context: PlanContext, proposals: Sequence[ProposalEntry], day: str) -> PlanChanges:
    """The changes the accepted, not yet applied proposals make (see the module's docstring)."""
    changes = PlanChanges()
    taken = set(context.rows_by_id)
    for entry in proposals:
        if not ACCEPTED.match(entry.decision) or APPLIED in entry.decision:
            changes.proposals.append(entry)
            continue
        proposal = entry.proposal
        if proposal.kind == NEW_ACTIVITY:
            placed = new_row(context, parse_row(context, proposal.proposed), entry.source.asb, taken)
            if placed is None:
                note = f"({NOT_APPLIED}: give the Type of the activity (e.g. A.1.1) in the Proposed text)"
                if note not in entry.decision:  # said once, not again at every merge
                    entry = dataclasses.replace(entry, decision=f"{entry.decision} {note}")
                    changes.not_applied.append(entry)
                changes.proposals.append(entry)
                continue
            sheet, cells = placed
            taken.add(cells["row_id"])
            changes.new_rows.append((sheet, cells))
            what = f"added as {cells['row_id']}"
        elif proposal.kind == PLAN_TEXT and proposal.row_id in context.rows_by_id:
            changes.edits.append((proposal.row_id, proposal.field, proposal.proposed))
            what = f"{proposal.row_id} changed"
        else:
            changes.proposals.append(entry)
            continue
        changes.proposals.append(dataclasses.replace(entry, decision=f"{entry.decision} {APPLIED}{day}: {what})"))
    return changes


def parse_row(context: PlanContext, text: str) -> dict[str, str]:
    """A new activity's "Header: text" lines back into cells by column key; a line that starts with no known
    header continues the one before (a narrative of several lines)."""
    keys = context.sheet.keys_by_label
    cells: dict[str, str] = {}
    current = ""
    for line in text.split("\n"):
        label, sep, rest = line.partition(": ")
        if sep and label in keys:
            current = keys[label]
            cells[current] = rest
        elif current:
            cells[current] += "\n" + line
    return cells


def new_row(
    context: PlanContext, cells: dict[str, str], proposer: str, taken: set[str]
) -> tuple[str, dict[str, str]] | None:
    """(pillar sheet, plan cells) of an accepted new activity, or None when it names no row type. Its context
    (outcome, type description…) is the type's as the plan gives it; its Row ID the type's next free number; its
    coordinating body the one it names, else the proposing body."""
    sheet = context.sheet
    key = sheet.match_on[0] if sheet.match_on else ""
    code = cells.get(key, "").strip()
    pillar = next((p for p, row in context.plan.rows() if key and code and row.text(key) == code), None)
    if pillar is None:
        return None
    same_type = [context.plan_texts[row.row_id] for _, row in context.plan.rows() if row.text(key) == code]
    out = {c.key: "" for c in sheet.plan_text_columns}
    # the type's context: the columns a body cannot see that every row of the type shares (outcome, description)
    shared = [
        c.key
        for c in sheet.plan_columns
        if c.hidden_for("return") and not c.list_name and len({t.get(c.key, "") for t in same_type}) == 1
    ]
    out.update({k: same_type[0].get(k, "") for k in shared})
    out.update({k: v for k, v in cells.items() if k in out and v})
    number = 1
    while f"{code}-{number:02d}" in taken:
        number += 1
    out["row_id"] = f"{code}-{number:02d}"
    coordinating = next((c.key for c in sheet.plan_columns if "coordinator" in " ".join(c.rules)), "")
    if coordinating and not out.get(coordinating):
        out[coordinating] = proposer
    if "activity_no" in out and not out["activity_no"]:
        out["activity_no"] = str(number)
    return pillar.sheet_name, out
