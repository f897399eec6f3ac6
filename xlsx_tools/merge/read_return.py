"""Read one returned file into a `Submission`, or a `Refusal` that says why it cannot be merged.

Nothing in a return is executed or fetched: the bytes are sniffed first (xlsx_tools.workbook.safety), formulas are
read as their text, and every cell is validated with the same rules as `tipwp validate`. Whether the return belongs
to this master is decided in xlsx_tools.merge.target; finding its rows in the plan, in xlsx_tools.merge.rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

from xlsx_tools.findings import Finding
from xlsx_tools.merge.model import Refusal, Source, Submission
from xlsx_tools.merge.rows import body_and_period, collect_rows, records_of, row_sheets
from xlsx_tools.merge.share import hold_other_bodies_rows
from xlsx_tools.merge.target import MergeTarget, check_manifest, check_target, late_notice, late_period
from xlsx_tools.returns.manifest import MANIFEST_SHEET, read_manifest
from xlsx_tools.validate.checks import validate_book, validate_sheet
from xlsx_tools.validate.run_state import ValidationRun
from xlsx_tools.workbook.reader import WorkbookData, read_workbook
from xlsx_tools.workbook.safety import NotRegularFile, inspect_file, read_regular_file
from xlsx_tools.workbook.sheet_xml import SheetTooLarge
from xlsx_tools.workbook.values import UnreadableWorkbook


def read_return(path: Path, target: MergeTarget) -> Submission | Refusal:
    """Check, read and validate one file. Never raises for bad input."""
    name = path.name
    fatal, package = inspect_file(path)
    if fatal:
        return Refusal(name, _sha_or_blank(path), [fatal._replace(file=name)])
    assert package is not None  # no fatal finding: the file was read, and hashed, by the safety check
    sha = package.sha256
    try:
        book = read_workbook(path, package)
    except SheetTooLarge as exc:
        return Refusal(name, sha, [Finding("FILE_010", file=name, sheet=exc.sheet, detail=exc.extent)])
    except UnreadableWorkbook as exc:  # what the parsers say of a damaged file
        return Refusal(name, sha, [Finding("FILE_005", file=name, detail=f"it could not be read ({exc})")])
    item = submission_from_book(book, sha, target, validate_return(book, target.run))
    if isinstance(item, Submission):
        item.source = dataclasses.replace(item.source, saved=saved_time(package.parts.get("docProps/core.xml", b"")))
    return item


_MODIFIED = "{http://purl.org/dc/terms/}modified"


def saved_time(core: bytes) -> str:
    """When the file was last saved, from its core properties (dcterms:modified, which Excel, LibreOffice and
    openpyxl write on every save), as ISO 8601 UTC; "" when missing or not a time. (DOCTYPE and ENTITY declarations
    were refused by the safety check before any parser ran.)"""
    try:
        element = next(ET.fromstring(core).iter(_MODIFIED), None)
    except ET.ParseError:  # no core properties (b""), or damaged ones
        return ""
    text = (element.text or "").strip() if element is not None else ""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate_return(book: WorkbookData, run: ValidationRun) -> list[Finding]:
    """The validator's findings, plus those of sheets that hold plan rows under another name (renamed, re-created)."""
    context = run.context
    findings = validate_book(book, context.plan.id, {context.plan.id: run}, plan_checked=True)
    pillars = {p.sheet_name for p in context.plan.pillars}
    seen_ids: dict[str, str] = {}
    for sheet in row_sheets(book, context):
        if sheet.name not in pillars:
            findings.extend(validate_sheet(str(book.path), sheet, run, seen_ids, plan_checked=True))
    return findings


def _sha_or_blank(path: Path) -> str:
    """The SHA-256 of a refused file, for its audit line; "" for anything that is no regular file of workbook size
    (hashing a pipe or /dev/zero would never end, a 20 GB sparse file would take a minute)."""
    try:
        return hashlib.sha256(read_regular_file(path)).hexdigest()
    except (NotRegularFile, OSError):
        return ""


def submission_from_book(
    book: WorkbookData, sha: str, target: MergeTarget, validation: list[Finding]
) -> Submission | Refusal:
    name = book.path.name
    context = target.context
    # gaps of the source plan (PLAN_4xx) are the plan's, not the return's: `tipwp validate master.xlsx` lists them
    # findings name the file as received (its base name), not the temporary or full path
    findings = [f._replace(file=name) for f in validation if not f.code.startswith("PLAN_")]
    manifest = read_manifest(book.sheets.get(MANIFEST_SHEET))
    identity = book.identity
    if identity.get("kind") and identity.get("kind") != "return":
        kind = identity.get("kind")
        findings.append(Finding("MERGE_514", file=name, detail=f"{name} is a {kind} workbook, not a return"))
        return Refusal(name, sha, findings)
    records = records_of(book, context)
    if manifest is None:
        if identity:
            findings.append(Finding("MERGE_504", file=name, detail="the hidden template manifest was removed"))
            return Refusal(name, sha, findings)
        asb, period, problem = body_and_period(name, records, context)
        if problem:
            return Refusal(name, sha, [*findings, problem])
        findings.append(Finding("MERGE_503", file=name, detail=f"{name}: body {asb} and period {period} from its rows"))
        source = Source(asb=asb, file=name, sha256=sha, period=period, plan_version=target.plan_version)
    else:
        source, problems = check_manifest(name, sha, manifest, identity, target)
        if problems:
            return Refusal(name, sha, findings + problems, source.asb, source.period, source.template_id)
    problems = check_target(name, source, identity.get("plan_id") or context.plan.id, target)
    if problems:
        return Refusal(name, sha, findings + problems, source.asb, source.period, source.template_id)
    submission = Submission(source=source, findings=findings, period=late_period(source, target))
    if submission.period:
        submission.findings.append(late_notice(name, source, target))
    collect_rows(submission, records, manifest, context)
    hold_other_bodies_rows(submission, manifest.rows if manifest is not None else (), context)
    return submission
