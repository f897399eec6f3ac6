"""Does a return belong to this master? Its manifest must be intact and agree with the workbook, and it must be
made for the master's plan and version (unless --map-version relaxes that) and for its open period or an earlier
one: a late return for an earlier period is merged into that period (`late_period`); one for a period not yet
open is refused (unless --accept-period files it under the open period).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from xlsx_tools.findings import Finding
from xlsx_tools.issue_token import TOKEN_FIELD, token_matches
from xlsx_tools.merge.model import Source
from xlsx_tools.plan.context import PlanContext
from xlsx_tools.plan.periods import is_before
from xlsx_tools.returns.manifest import MANIFEST_SHEET, Manifest
from xlsx_tools.validate.run_state import ValidationRun


@dataclass(frozen=True)
class MergeTarget:
    """What a return must agree with: the master's plan, version and open period, and the options that relax it."""

    context: PlanContext
    plan_version: str
    period: str
    issue_key: bytes  # the key of the master's issue tokens (xlsx_tools.issue_token)
    tokens_required: bool  # false for a master made before tokens: its earlier templates carry none
    accept_period: bool = False
    map_version: bool = False

    @cached_property
    def run(self) -> ValidationRun:
        """The merge's validation run: every return is validated with the same validator and memory."""
        return ValidationRun(self.context)


def check_manifest(
    name: str, sha: str, manifest: Manifest, identity: Mapping[str, str], target: MergeTarget
) -> tuple[Source, list[Finding]]:
    values = manifest.values
    source = Source(
        asb=values.get("asb", ""),
        file=name,
        sha256=sha,
        template_id=values.get("template_id", ""),
        period=values.get("period", ""),
        plan_version=values.get("plan_version") or identity.get("plan_version", ""),
        due=values.get("due", ""),
    )
    problems: list[Finding] = []
    for key in ("template_id", "asb", "period", "plan_id"):
        if identity.get(key, values.get(key, "")) != values.get(key, ""):
            detail = f"the manifest says {key} {values.get(key, '')!r} but the workbook says {identity.get(key)!r}"
            problems.append(Finding("MERGE_504", file=name, sheet=MANIFEST_SHEET, detail=detail))
    if not source.asb or not source.period:
        problems.append(Finding("MERGE_504", file=name, sheet=MANIFEST_SHEET, detail="the manifest names no body"))
    context = target.context
    same_plan = values.get("plan_id", context.plan.id) == context.plan.id
    if same_plan and not target.map_version and (values.get("plan_version") or "") in ("", target.plan_version):
        # made for this master's plan: it must be a template this master issued, unedited (another plan or version
        # is MERGE_502, and --map-version takes templates of an earlier master without their tokens)
        checked = target.tokens_required or bool(values.get(TOKEN_FIELD))
        if checked and not token_matches(target.issue_key, values, manifest.rows):
            problems.append(Finding("MERGE_525", file=name, sheet=MANIFEST_SHEET, detail=_not_issued(name, manifest)))
        forged = [
            row_id
            for row_id, (_, printed) in manifest.rows.items()
            if row_id not in context.rows_by_id or printed != context.fingerprints[row_id]
        ]
        if forged:
            detail = f"the manifest's fingerprints do not match the plan for rows {', '.join(forged[:5])}"
            problems.append(Finding("MERGE_504", file=name, sheet=MANIFEST_SHEET, detail=detail))
    return source, problems


def _not_issued(name: str, manifest: Manifest) -> str:
    values = manifest.values
    if not values.get(TOKEN_FIELD):
        return f"{name} carries no issue token: it was issued by an older tipwp, or its hidden manifest was edited"
    return (
        f"{name} is not as the master issued it: its body ({values.get('asb') or 'none'}), period "
        f"({values.get('period') or 'none'}), due date ({values.get('due') or 'none'}) or list of "
        f"{len(manifest.rows)} rows was edited"
    )


def check_target(name: str, source: Source, plan_id: str, target: MergeTarget) -> list[Finding]:
    context = target.context
    problems: list[Finding] = []
    other_plan = plan_id != context.plan.id
    other_version = bool(source.plan_version) and source.plan_version != target.plan_version
    if (other_plan or other_version) and not target.map_version:
        made = f"plan {plan_id} version {source.plan_version or '?'}"
        detail = f"{name} was made for {made}; the master holds {context.plan.id} version {target.plan_version}"
        problems.append(Finding("MERGE_502", file=name, detail=detail))
    if target.period and source.period != target.period and not (target.accept_period or late_period(source, target)):
        detail = f"{name} is the return for {source.period}; the master is open for {target.period}"
        problems.append(Finding("MERGE_501", file=name, value=source.period, detail=detail))
    return problems


def late_period(source: Source, target: MergeTarget) -> str:
    """The earlier period a late return is filed under (its own), or "" when it goes into the open period."""
    return "" if target.accept_period or not is_before(source.period, target.period) else source.period


def late_notice(name: str, source: Source, target: MergeTarget) -> Finding:
    detail = (
        f"{name} is {source.asb}'s return for {source.period}, received after {target.period} was opened: its values "
        f"go into {source.period}'s history and status matrix; the master's cells (open for {target.period}) are "
        "not changed"
    )
    return Finding("MERGE_530", file=name, value=source.period, detail=detail)
