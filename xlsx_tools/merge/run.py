"""`tipwp merge`: read every return, work out the consolidation on plain data, then write the master once, safely.

One bad file never stops the others: it is refused with its findings and the rest go through. The master is
written once at the end, under its lock, after a backup, atomically; `--dry-run` stops before any of that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from xlsx_tools.faults import tool_fault
from xlsx_tools.findings import Finding, Report
from xlsx_tools.issue_token import master_key, tokens_required
from xlsx_tools.merge.consolidate import MERGED, consolidate, open_period, resolve_period
from xlsx_tools.merge.lock import LockedError, LockUnavailable, master_lock
from xlsx_tools.merge.log_sheets import AUDIT, CONFLICTS, HISTORY, LOG_SHEETS, PROPOSALS, present_title
from xlsx_tools.merge.master_book import (
    MasterError,
    OpenMaster,
    apply_consolidation,
    apply_plan_changes,
    describe_changes,
    migration_findings,
    open_master,
    save_master,
)
from xlsx_tools.merge.model import Consolidation, FileOutcome, MasterState, Refusal, Submission
from xlsx_tools.merge.proposals import PlanChanges, apply_decisions
from xlsx_tools.merge.read_return import MergeTarget, read_return
from xlsx_tools.plan.periods import is_before
from xlsx_tools.workbook.atomic import read_only, real_path
from xlsx_tools.workbook.sheet_xml import readable_extent

Progress = Callable[[int, int, Path], None]


@dataclass(frozen=True)
class MergeOptions:
    dry_run: bool = False
    accept_period: bool = False  # merge returns made for another period into the master's open period
    map_version: bool = False  # merge returns made on another plan version, mapping rows by id, then code and text
    received: str = ""  # the day the returns were received, ISO date (on time or late is judged on it); "" = today
    apply_proposals: bool = True  # put accepted proposals into the plan (Excel cannot: the ribbon leaves them pending)


@dataclass
class MergeResult:
    report: Report
    outcomes: list[FileOutcome] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # "sheet!cell (row, column): old -> new"
    conflicts: int = 0
    period: str = ""
    written: bool = False
    backup: Path | None = None


def merge_returns(
    master: Path,
    files: Sequence[Path],
    options: MergeOptions = MergeOptions(),
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> MergeResult:
    """Merge `files` into `master`. Never raises for bad input: problems come back as findings."""
    report = Report(files=[str(f) for f in files])
    master = real_path(master)  # through a symbolic link: the real file is locked, read and written
    excel_owner = master.with_name(f"~${master.name}")
    if excel_owner.exists() and not options.dry_run:
        detail = f"{master.name} is open in Excel ({excel_owner.name} exists); close it there first"
        report.add(Finding("MERGE_510", file=master.name, detail=detail))
        return MergeResult(report)
    if read_only(master) and not options.dry_run:
        report.add(Finding("MERGE_520", file=master.name, detail=f"{master.name} is read-only; nothing was merged"))
        return MergeResult(report)
    try:
        with nullcontext() if options.dry_run else master_lock(master):
            return _merge_locked(master, files, options, report, progress, now)
    except LockedError as exc:
        report.add(_refused_by(master, exc))
    return MergeResult(report)


def _merge_locked(
    master: Path,
    files: Sequence[Path],
    options: MergeOptions,
    report: Report,
    progress: Progress | None,
    now: dt.datetime | None,
) -> MergeResult:
    prepared = prepare_merge(master, files, options, report, progress, now)
    if isinstance(prepared, MergeResult):
        return prepared
    result = prepared.result
    decided = prepared.plan_changes or prepared.plan_changes.not_applied
    if options.dry_run or not (prepared.consolidation.writes_anything or decided):
        return result
    try:
        apply_plan_changes(prepared.opened, prepared.plan_changes)
        apply_consolidation(prepared.opened, prepared.consolidation)
        result.backup = save_master(prepared.opened, prepared.moment)
    except MasterError as exc:  # loading it for writing, or writing it, failed: the master is as it was
        report.add(exc.finding)
        return result
    result.written = True
    return result


def _refused_by(master: Path, exc: LockedError | MasterError) -> Finding:
    """The finding of a master that cannot be used, a lock held by another merge (MERGE_510) or a lock file that
    cannot be made (MERGE_520)."""
    if isinstance(exc, MasterError):
        return exc.finding
    return Finding("MERGE_520" if isinstance(exc, LockUnavailable) else "MERGE_510", file=master.name, detail=str(exc))


def _moment(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class PreparedMerge:
    """A merge worked out on the saved master, ready to be written to the file (CLI) or the open workbook (Excel)."""

    opened: OpenMaster
    consolidation: Consolidation
    result: MergeResult
    moment: dt.datetime
    plan_changes: PlanChanges = field(default_factory=PlanChanges)  # accepted proposals, applied on writing


def prepare_merge(
    master: Path,
    files: Sequence[Path],
    options: MergeOptions,
    report: Report,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> PreparedMerge | MergeResult:
    """Open the master, read every return and work out the consolidation; a master that cannot be used gives a
    MergeResult carrying its finding. The caller holds the lock."""
    try:
        opened = open_master(master)
    except MasterError as exc:
        report.add(exc.finding)
        return MergeResult(report)
    report.extend(migration_findings(opened))
    target = MergeTarget(
        context=opened.context,
        plan_version=opened.context.plan.version,
        period=opened.identity.get("period", ""),
        issue_key=master_key(opened.identity),
        tokens_required=tokens_required(opened.identity),
        accept_period=options.accept_period,
        map_version=options.map_version,
    )
    paths = [Path(path) for path in files]
    items: list[Submission | Refusal] = []
    for number, path in enumerate(paths, start=1):
        if progress:
            progress(number, len(paths), path)
        try:
            items.append(read_return(path, target))
        except Exception as exc:  # a bug of ours on this one file: reported as ours; the other files still go through
            items.append(Refusal(path.name, "", [tool_fault(path, exc)]))
    state = opened.state
    if not state.period:
        items = _one_period(items, options.accept_period)
    moment = _moment(now)
    merged_at = _stamp(moment)
    items = _older_copies([_within_budget(item) for item in items], state)
    received = options.received or (now.date() if now else dt.date.today()).isoformat()
    consolidation = consolidate(state, items, merged_at, received)
    while overflow := _record_overflow(consolidation):
        largest = max((i for i in items if isinstance(i, Submission)), key=_lines, default=None)
        if largest is None:  # full before this merge: write nothing, say so
            report.add(Finding("MERGE_522", file=master.name, sheet=overflow[0], detail=overflow[1]))
            return MergeResult(report)
        items = [_refused(item, "MERGE_521", overflow[1]) if item is largest else item for item in items]
        consolidation = consolidate(state, items, merged_at, received)
    changes = describe_changes(opened, consolidation)
    plan_changes = PlanChanges()
    if options.apply_proposals:
        plan_changes = apply_decisions(opened.context, consolidation.state.proposals, moment.date().isoformat())
        consolidation.state.proposals = plan_changes.proposals
        changes.extend(f"{sheet}: new plan row {cells['row_id']}" for sheet, cells in plan_changes.new_rows)
        changes.extend(f"{row_id} ({key}): plan text -> {text[:60]}" for row_id, key, text in plan_changes.edits)
        changes.extend(f"Proposals: {e.source.asb}'s {e.proposal.kind}: {e.decision}" for e in plan_changes.not_applied)
    return PreparedMerge(opened, consolidation, _result(report, consolidation, changes), moment, plan_changes)


MAX_RETURN_LINES = 5_000  # record lines one return may add: a return of every plan row, all columns, adds ~1,650


def _older_copies(items: list[Submission | Refusal], state: MasterState) -> list[Submission | Refusal]:
    """A body's return saved before the one of its returns already merged for the same period (in an earlier run
    or earlier in this batch) is an older copy: refused (MERGE_523), so the newer stays current. Returns whose save
    time is unknown are taken in the order merged, as before."""
    newest: dict[tuple[str, str], tuple[str, str]] = {}  # (body, period) → (saved, file)
    for entry in state.audit:
        if entry.outcome == MERGED and entry.saved:
            key = (entry.asb, entry.period)
            newest[key] = max(newest.get(key, ("", "")), (entry.saved, entry.file))
    out: list[Submission | Refusal] = []
    for item in items:
        if isinstance(item, Submission) and item.source.saved:
            key = (item.source.asb, item.source.period or state.period)
            saved, file = newest.get(key, ("", ""))
            if item.source.saved < saved:
                detail = (
                    f"{item.source.file} was saved {item.source.saved}, before {file} ({saved}), which is already "
                    f"merged for {item.source.asb}: the newer copy stays current"
                )
                out.append(_refused(item, "MERGE_523", detail))
                continue
            newest[key] = (item.source.saved, item.source.file)
        out.append(item)
    return out


def _lines(item: Submission) -> int:
    """The lines a return adds to the record sheets: one per submitted value (or part of one), one per proposal."""
    return len(item.values) + len(item.proposals)


def _refused(item: Submission, code: str, detail: str) -> Refusal:
    source = item.source
    problem = Finding(code, file=source.file, detail=detail)
    return Refusal(source.file, source.sha256, [*item.findings, problem], source.asb, source.period, source.template_id)


def _within_budget(item: Submission | Refusal) -> Submission | Refusal:
    """A return that would add more record lines than any real report does is refused before anything is written
    (13,000 rows typed below the plan would add 78,000 proposals)."""
    if isinstance(item, Refusal) or _lines(item) <= MAX_RETURN_LINES:
        return item
    detail = (
        f"{item.source.file} would add {_lines(item):,} lines to the master's record sheets ({len(item.values):,} "
        f"values, {len(item.proposals):,} proposals); a return adds at most {MAX_RETURN_LINES:,}"
    )
    return _refused(item, "MERGE_521", detail)


def _record_overflow(consolidation: Consolidation) -> tuple[str, str] | None:
    """(sheet, why) when a record sheet of the consolidated master would reach further than the reader accepts
    (xlsx_tools.workbook.sheet_xml.check_extent): such a master is never written. None when all fit."""
    state = consolidation.state
    for log, lines in (
        (HISTORY, len(state.history)),
        (CONFLICTS, len(consolidation.conflicts) + len(state.decisions)),
        (PROPOSALS, len(state.proposals)),
        (AUDIT, len(state.audit)),
    ):
        # the header row, the lines, and the formatted rows left for decisions below them (log_writer)
        rows = 1 + lines + (200 if log.editable else 0)
        if not readable_extent(rows, len(log.columns)):
            return log.title, f"the sheet {log.title} would reach row {rows:,}, more than the master can hold"
    return None


def _one_period(items: list[Submission | Refusal], accept: bool) -> list[Submission | Refusal]:
    """A master with no open period takes the first return's; returns for other periods are then refused."""
    periods = [i.source.period for i in items if isinstance(i, Submission)]
    if not periods or accept:
        return items
    chosen = periods[0]
    out: list[Submission | Refusal] = []
    for item in items:
        if isinstance(item, Submission) and item.source.period != chosen:
            source = item.source
            detail = f"{source.file} is the return for {source.period}; this merge opens the master for {chosen}"
            problem = Finding("MERGE_501", file=source.file, value=source.period, detail=detail)
            out.append(Refusal(source.file, source.sha256, [*item.findings, problem], source.asb, source.period))
        else:
            out.append(item)
    return out


def _result(report: Report, consolidation: Consolidation, changes: list[str]) -> MergeResult:
    for outcome in consolidation.outcomes:
        report.extend(outcome.findings)
    for conflict in consolidation.conflicts:
        values = "; ".join(f"{asb}: {value[:40]!r}" for asb, value in conflict.candidates)
        report.add(
            Finding(
                "MERGE_509",
                sheet="Conflicts",
                row_id=conflict.row_id,
                column=conflict.field,
                detail=f"{conflict.period}, row {conflict.row_id}, {conflict.field}: {values}",
            )
        )
    return MergeResult(
        report=report,
        outcomes=consolidation.outcomes,
        changes=changes,
        conflicts=len(consolidation.conflicts),
        period=consolidation.state.period,
    )


def open_new_period(master: Path, period: str, now: dt.datetime | None = None) -> MergeResult:
    """`tipwp period`: open `period` in the master (see xlsx_tools.merge.consolidate.open_period), safely as a merge."""
    report = Report(files=[str(master)])
    master = real_path(master)
    try:
        with master_lock(master):
            opened = open_master(master)
            if opened.state.period == period:
                return MergeResult(report, period=period)
            if is_before(period, opened.state.period):
                detail = (
                    f"{master.name} is open for {opened.state.period}; {period} comes before it and cannot be "
                    "opened again"
                )
                report.add(Finding("MERGE_531", file=master.name, value=period, detail=detail))
                return MergeResult(report, period=opened.state.period)
            moment = _moment(now)
            apply_consolidation(opened, open_period(opened.state, period, _stamp(moment)))
            report.extend(migration_findings(opened))
            return MergeResult(report, period=period, written=True, backup=save_master(opened, moment))
    except (LockedError, MasterError) as exc:
        report.add(_refused_by(master, exc))
    return MergeResult(report)


def apply_proposals(master: Path, now: dt.datetime | None = None) -> tuple[MergeResult, PlanChanges]:
    """`tipwp proposals apply`: put the accepted proposals of the master's Proposals sheet into its plan rows now,
    rather than at the next merge; safely as a merge (lock, backup, atomic save)."""
    applied = PlanChanges()

    def change(opened: OpenMaster, day: str) -> bool:
        nonlocal applied
        applied = apply_decisions(opened.context, opened.state.proposals, day)
        opened.state.proposals = applied.proposals
        apply_plan_changes(opened, applied)
        return bool(applied or applied.not_applied)

    result = _rewrite_records(master, change, now)
    return result, applied if result.written else PlanChanges()


def add_record_sheets(master: Path, now: dt.datetime | None = None) -> MergeResult:
    """Write the record sheets a master lacks (one fresh from `tipwp init` has none), as a merge leaves them: the
    ribbon's merge, which writes only values through Excel, then fills sheets formatted and protected for decisions."""
    return _rewrite_records(master, lambda opened, _: bool(missing_record_sheets(opened.book.sheetnames)), now)


def missing_record_sheets(names: Sequence[str]) -> list[str]:
    """The record sheets not among `names` under their own or a former title."""
    return [log.title for log in LOG_SHEETS if present_title(names, log) is None]


def _rewrite_records(
    master: Path, change: Callable[[OpenMaster, str], bool], now: dt.datetime | None = None
) -> MergeResult:
    """Under the lock: `change` the opened master (False: nothing to do), rewrite its record sheets from its state and
    save it safely as a merge does (backup, atomic save)."""
    report = Report(files=[str(master)])
    master = real_path(master)
    try:
        with master_lock(master):
            opened = open_master(master)
            moment = _moment(now)
            state = opened.state
            if not change(opened, moment.date().isoformat()):
                return MergeResult(report, period=state.period)
            _, conflicts = resolve_period(state, state.period)
            apply_consolidation(opened, Consolidation(state, [], conflicts, []))
            return MergeResult(report, period=state.period, written=True, backup=save_master(opened, moment))
    except (LockedError, MasterError) as exc:
        report.add(_refused_by(master, exc))
    return MergeResult(report)
