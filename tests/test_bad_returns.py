"""Bad returns, made as real files, each merged between two good returns of other bodies.

Every kind of return a sectoral body (or its mail client, or a careless script) can send back is built from the real
issued templates: with openpyxl the way Excel saves a file, by editing the package with zipfile, or through LibreOffice
for .xls and .ods. Each is merged with `merge_returns(master, [good, bad, other_good])`, and for each:

1. its finding codes are reported (tests match codes, never wording);
2. the message of every finding names the file, and the sheet and cell where a cell is at fault;
3. the good returns of the batch are merged: their values are in the master;
4. the master is still a master: it passes the safety check, keeps its identity, sheets, protection, validations and
   names, and holds no text longer than a cell can;
5. nothing in a return is run or fetched: a local HTTP server named in formulas and external entities sees no
   request, the master holds no formula, and text that Excel would run as a formula reaches the master as text.

A return that is merged loses nothing: every value it submitted is shown in the master or kept in the History or
Proposals sheet. The ids of kinds that are merged rather than refused say so ("merged", "held back", "proposal").
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import http.client
import http.server
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from tests.helpers import rewrite_zip
from tests.returns_kit import fill, headers, issue, logs, master_values, row_places
from tests.test_bad_files import (
    make_bomb,
    make_empty,
    make_encrypted,
    make_macro,
    make_size_lie,
    make_text,
    make_truncated,
    make_wrong_checksum,
    make_xlsb,
    make_zip_encrypted_part,
)
from xlsx_tools.findings import Finding, Severity
from xlsx_tools.merge.run import MergeResult, merge_returns
from xlsx_tools.office import convert
from xlsx_tools.plan.status_words import STATUSES as STATUS_NAMES
from xlsx_tools.plan.status_words import load_status_map
from xlsx_tools.sheet_names import HISTORY_SHEET, IDENTITY_SHEET
from xlsx_tools.workbook.master import build_master
from xlsx_tools.workbook.safety import check_file

Values = Mapping[str, Mapping[str, Any]]  # row id → layout key → value

A, B, C, D = "A. Prevention", "B. Protection", "C. Law enforcement", "D. Cooperation"
PILLARS = (A, B, C, D)
LOGS = (HISTORY_SHEET, "Conflicts", "Proposals", "Audit")
CELL_LIMIT = 32_767
BAD_BODY = "SOMSWD"  # 24 rows on all four pillar sheets; B.1.1-01 and B.1.1-02 are rows 2 and 3 of its B sheet
GOOD_BODY, OTHER_BODY = "ACWC", "SOM-MLAT"  # rows SOMSWD does not have, so the batch has no conflicts
GOOD: Values = {"A.1.2-01": {"status": "Ongoing", "progress": "Regional consultation on child victims held."}}
OTHER: Values = {
    "D.3.4-01": {"status": "Completed", "progress": "MLA handbook published.", "event_dates": "12 March 2026"}
}
BASE: Values = {  # what SOMSWD typed into its return, before the damage each kind adds
    "B.1.1-01": {"status": "Ongoing", "progress": "Shelter staff trained in two Member States."},
    "B.1.1-02": {"status": "Not started"},
    "D.3.6-01": {"status": "Ongoing", "indicator_results": "3 referral meetings held"},
}


# ---------------------------------------------------------------------------------------------------------- the lab


class _Watch(http.server.BaseHTTPRequestHandler):
    """Records every request: a return that made anything fetch a URL shows up in `hits`."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Lab:
    """What the cases share, built once per module: master, templates, LibreOffice conversions, the watcher."""

    master: Path
    templates: dict[str, Path]  # body → its issued 2026-H2 template, blank
    good: Path
    other: Path
    base: Path  # BAD_BODY's template filled with BASE
    base_later: Path  # the same, issued for 2027-H1, a period the master has not opened
    bwp1: Path  # a template of the 2017-2020 plan
    converted: dict[str, Path]  # "xls", "ods": `base` saved by LibreOffice in those formats
    places: dict[str, dict[str, tuple[str, int, dict[str, int]]]]  # body → row id → (sheet, row, key → column)
    url: str  # the watcher's address
    hits: list[str]
    validations: dict[str, list[tuple[str, str]]]  # pillar sheet → (sqref, formula1) in the untouched master
    names: frozenset[str]

    def cell(self, row_id: str, key: str, body: str = BAD_BODY) -> tuple[str, str]:
        """(sheet, address) of a cell in `body`'s template."""
        sheet, row, columns = self.places[body][row_id]
        return sheet, f"{get_column_letter(columns[key])}{row}"


@pytest.fixture(scope="module")
def watcher() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Watch", (_Watch,), {"hits": hits}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # the watcher does see a request
    probe.request("GET", "/alive")
    assert probe.getresponse().status == 200 and hits == ["/alive"]
    probe.close()
    hits.clear()
    url = f"http://127.0.0.1:{port}"
    yield url, hits
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, watcher: tuple[str, list[str]], soffice: str) -> Lab:
    folder = tmp_path_factory.mktemp("bad-returns")
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H2")
    templates = issue(master, folder / "issued", asbs=(BAD_BODY, GOOD_BODY, OTHER_BODY, "SOM-ED"))
    filled = folder / "filled"
    filled.mkdir()
    base = fill(templates[BAD_BODY], BASE, out=filled / templates[BAD_BODY].name)
    with ThreadPoolExecutor(2) as pool:  # LibreOffice takes seconds to start; parallel runs use their own profiles
        jobs = {name: pool.submit(convert, base, fmt, folder / name) for name, fmt in (("xls", "xls"), ("ods", "ods"))}
        later = issue(master, folder / "issued-later", period="2027-H1", asbs=(BAD_BODY,))[BAD_BODY]
        master_2017 = folder / "master-2017.xlsx"
        build_master(master_2017, plan_id="bwp1")
        bwp1 = issue(master_2017, folder / "issued-2017", period="2019-H2", asbs=("SOMTC",))["SOMTC"]
        converted = {name: job.result() for name, job in jobs.items()}
    pristine = openpyxl.load_workbook(master)
    url, hits = watcher
    return Lab(
        master=master,
        templates=templates,
        good=fill(templates[GOOD_BODY], GOOD, out=filled / templates[GOOD_BODY].name),
        other=fill(templates[OTHER_BODY], OTHER, out=filled / templates[OTHER_BODY].name),
        base=base,
        base_later=fill(later, BASE, out=filled / f"later-{later.name}"),
        bwp1=bwp1,
        converted=converted,
        places={body: row_places(openpyxl.load_workbook(path)) for body, path in templates.items()},
        url=url,
        hits=hits,
        validations={name: _validations(pristine[name]) for name in PILLARS},
        names=frozenset(pristine.defined_names),
    )


def _validations(sheet: Any) -> list[tuple[str, str]]:
    return [(str(v.sqref), str(v.formula1)) for v in sheet.data_validations.dataValidation]


# ------------------------------------------------------------------------------------------------ the kinds of damage


@dataclass(frozen=True)
class Kind:
    id: str
    make: Make  # writes the bad file(s) into the inbox; they go between the two good returns
    codes: tuple[str, ...]  # each reported for the bad file(s)
    outcomes: tuple[str, ...] = ("refused",)  # of each bad file
    at: Callable[[Lab], tuple[str, str]] | None = None  # (sheet, cell) of a codes[0] finding; cell "" at sheet level
    typed: Values = field(default_factory=dict)  # typed on top of BASE ("{url}" is the watcher)
    on_base: bool = True  # made from the base return, so BASE is submitted too
    shown: Values | None = None  # what the master shows afterwards; BASE when None and merged
    kept: tuple[str, ...] = ()  # held-back or proposed text: in the History or the Proposals
    absent: tuple[str, ...] = ()  # codes that must not be reported
    check: Callable[[Seen], None] | None = None  # anything else to check


Make = Callable[["Lab", Path, Kind], list[Path]]
Change = Callable[[Any], None]  # edits the openpyxl book of the base return


def put(book: Any, values: Values, url: str) -> None:
    """Type `values` into the rows of an openpyxl book (a person filling cells)."""
    places = row_places(book)
    for row_id, cells in values.items():
        sheet, excel_row, columns = places[row_id]
        for key, value in cells.items():
            typed = value.replace("{url}", url) if isinstance(value, str) else value
            book[sheet].cell(row=excel_row, column=columns[key]).value = typed


def column(book: Any, key: str) -> int:
    """The column of `key` in the B sheet of an openpyxl book."""
    return row_places(book)["B.1.1-01"][2][key]


def from_base(name: str, change: Change | None = None) -> Make:
    """The base return saved as `name`, with the kind's values typed in and `change` applied (openpyxl, like Excel)."""

    def make(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
        path = Path(shutil.copy(lab.base, inbox / name))
        if kind.typed or change:
            book = openpyxl.load_workbook(path)
            put(book, kind.typed, lab.url)
            if change:
                change(book)
            book.save(path)
        return [path]

    return make


Parts = Callable[[Lab, zipfile.ZipFile], dict[str, bytes]]


def repacked(name: str, parts: Parts) -> Make:
    """The base return (with the kind's values) re-packed with parts replaced: what openpyxl would never write."""

    def make(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
        (source,) = from_base(f"unpacked-{name}")(lab, inbox, kind)
        with zipfile.ZipFile(source) as archive:
            replace = parts(lab, archive)
        target = rewrite_zip(source, inbox / name, replace)
        source.unlink()
        return [target]

    return make


def sheet_part(archive: zipfile.ZipFile, title: str) -> str:
    """The part of a sheet in a package written by openpyxl (it numbers the parts in sheet order)."""
    workbook = archive.read("xl/workbook.xml").decode()
    titles = [chunk.split('"', 1)[0] for chunk in workbook.split('<sheet name="')[1:]]
    return f"xl/worksheets/sheet{titles.index(title) + 1}.xml"


def doctype(before: str = "", utf16: bool = False) -> Parts:
    """The B sheet with a DOCTYPE declaring an external entity at the watcher (optionally after `before`)."""

    def parts(lab: Lab, archive: zipfile.ZipFile) -> dict[str, bytes]:
        name = sheet_part(archive, B)
        body = archive.read(name).decode("utf-8").split("?>", 1)[-1]
        declared = f'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "{lab.url}/entity">]>'
        xml = f'<?xml version="1.0" encoding="{"UTF-16" if utf16 else "UTF-8"}"?>{before}{declared}{body}'
        return {name: codecs.BOM_UTF16_LE + xml.encode("utf-16-le") if utf16 else xml.encode()}

    return parts


HUGE = " ".join(f"Paragraph {i:04d} of the annual shelter report." for i in range(900))  # 42,299 characters


def huge_text(lab: Lab, archive: zipfile.ZipFile) -> dict[str, bytes]:
    """openpyxl cuts text at 32,767 characters when writing; files written by other programs need not."""
    parts = {name: archive.read(name) for name in archive.namelist()}
    return {name: data.replace(b"HUGE-MARKER", HUGE.encode()) for name, data in parts.items() if b"HUGE-MARKER" in data}


def fatal(maker: Callable[[Path, Path], Path]) -> Make:
    """A file maker of tests/test_bad_files.py, applied to the base return."""
    return lambda lab, inbox, kind: [maker(inbox, lab.base)]


def copy_of(pick: Callable[[Lab], Path], name: str) -> Make:
    return lambda lab, inbox, kind: [Path(shutil.copy(pick(lab), inbox / name))]


def unprotect(book: Any) -> Any:
    book[B].protection.sheet = False
    return book[B]


def sort_rows(first_column: int) -> Change:
    """Reverse the B sheet's activity rows from `first_column` on: 1 sorts whole rows, 2 leaves the hidden Row IDs."""

    def change(book: Any) -> None:
        sheet = book[B]
        rows = [r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value]
        grid = [[sheet.cell(row=r, column=c).value for c in range(first_column, sheet.max_column + 1)] for r in rows]
        for excel_row, values in zip(rows, reversed(grid), strict=True):
            for offset, value in enumerate(values):
                sheet.cell(row=excel_row, column=first_column + offset).value = value

    return change


INSERTED_NOTE = "Figures from the ministry follow in January."


def insert_column(book: Any) -> None:
    at = column(book, "progress")
    sheet = unprotect(book)
    sheet.insert_cols(at)
    sheet.cell(row=1, column=at).value = "Our comments"
    sheet.cell(row=2, column=at).value = INSERTED_NOTE  # the row of B.1.1-01


def swap_columns(book: Any) -> None:
    sheet = book[B]
    one, two = column(book, "status"), column(book, "progress")
    for row in range(1, sheet.max_row + 1):
        a, b = sheet.cell(row=row, column=one), sheet.cell(row=row, column=two)
        a.value, b.value = b.value, a.value


def delete_column(book: Any) -> None:
    at = column(book, "resource_needs")
    unprotect(book).delete_cols(at)


def merge_progress(book: Any) -> None:
    letter = get_column_letter(column(book, "progress"))
    unprotect(book).merge_cells(f"{letter}2:{letter}3")


EDITED_ACTIVITY = "Awareness campaign on victims' rights (revised)"


def edit_plan_text(book: Any) -> None:
    at = column(book, "activity")
    unprotect(book).cell(row=2, column=at).value = EDITED_ACTIVITY


def as_text(row_id: str, keys: tuple[str, ...]) -> Change:
    """Cells typed with a leading apostrophe: Excel stores them as text and never runs them."""

    def change(book: Any) -> None:
        sheet, excel_row, columns = row_places(book)[row_id]
        for key in keys:
            book[sheet].cell(row=excel_row, column=columns[key]).data_type = "s"

    return change


FORMULA_LIKE = {  # a sum, a DDE call and a function lead: text here, formulas if Excel read them as typed
    "progress": "=cmd|' /C calc'!A0",
    "indicator_results": "+62 victims assisted",
    "resource_needs": "@SUM(1+1) interpreters",
}
NEW_ACTIVITY = "Hotline for returning migrant workers"


def below(places: Mapping[str, tuple[str, int, Any]]) -> int:
    """A spare row of the B sheet, one blank row below its activities."""
    return max(row for sheet, row, _ in places.values() if sheet == B) + 2


def new_activity(book: Any) -> None:
    row = below(row_places(book))
    for key, value in (("type_code", "B.1.1"), ("activity", NEW_ACTIVITY), ("status", "Ongoing")):
        book[B].cell(row=row, column=column(book, key)).value = value


COPIED_ROW_NOTE = "Second workshop, in Cebu."


def copy_row(book: Any) -> None:
    """Row 2 (B.1.1-01) copied below the activities, Row ID and all, to report a second event."""
    row = below(row_places(book))
    for cell in book[B][2]:
        book[B].cell(row=row, column=cell.column).value = cell.value
    book[B].cell(row=row, column=column(book, "progress")).value = COPIED_ROW_NOTE


def set_manifest_row(key: str, value: str, position: int) -> Change:
    def change(book: Any) -> None:
        row = next(r for r in book["_manifest"].iter_rows() if r[0].value == key)
        row[position].value = value

    return change


def set_identity(key: str, value: str) -> Change:
    def change(book: Any) -> None:
        row = next(r for r in book[IDENTITY_SHEET].iter_rows() if r[0].value == key)
        row[1].value = value

    return change


def other_manifest(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
    """The manifest of the ACWC template pasted over this one's."""
    pasted = list(openpyxl.load_workbook(lab.templates[GOOD_BODY])["_manifest"].iter_rows(values_only=True))

    def change(book: Any) -> None:
        sheet = book["_manifest"]
        sheet.delete_rows(1, sheet.max_row)
        for line in pasted:
            sheet.append(list(line))

    return from_base("other-manifest.xlsx", change)(lab, inbox, kind)


def another_version(book: Any) -> None:
    """A template issued from another version of the plan: identity and manifest both name that version."""
    set_identity("plan_version", "3.0 (draft)")(book)
    manifest = book["_manifest"]
    row = next((r[0].row for r in manifest.iter_rows(max_col=1) if r[0].value == "plan_version"), None)
    if row is None:
        manifest.insert_rows(1)
        row = 1
    manifest[f"A{row}"], manifest[f"B{row}"] = "plan_version", "3.0 (draft)"


def copied_rows(name: str, second_body: str = "") -> Make:
    """Every pillar row of the base return copied into a fresh workbook: no identity, no manifest, no Row IDs."""

    def make(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
        source = openpyxl.load_workbook(lab.base)
        fresh = openpyxl.Workbook()
        sheet = fresh.active
        sheet.title = "Our report"
        for position, title in enumerate(PILLARS):
            rows = list(source[title].iter_rows(values_only=True))
            if position == 0:
                sheet.append(rows[0])
            for line in rows[1:]:
                sheet.append([None, *line[1:]])
        if second_body:
            body_column = [c.value for c in sheet[1]].index(headers()["reporting_asb"]) + 1
            sheet.cell(row=2, column=body_column).value = second_body  # A.1.5-01, SOMSWD's first row
        fresh.save(inbox / name)
        return [inbox / name]

    return make


def to_csv(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
    """The B sheet saved as CSV (Excel's 'Save As CSV' writes the active sheet)."""
    path = inbox / "somswd-return.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(openpyxl.load_workbook(lab.base)[B].iter_rows(values_only=True))
    return [path]


def twice(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
    (path,) = from_base("somswd-return.xlsx")(lab, inbox, kind)
    return [path, path]


def copy_renamed(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
    (path,) = from_base("somswd-return.xlsx")(lab, inbox, kind)
    return [path, Path(shutil.copy(path, inbox / "somswd-return (1).xlsx"))]


def second_name(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
    (path,) = from_base("somswd-return.xlsx")(lab, inbox, kind)
    alias = inbox / "Return SOMSWD final.xlsx"
    alias.symlink_to(path)
    return [path, alias]


def written(name: str, content: str) -> Make:
    def make(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
        (inbox / name).write_text(content, encoding="utf-8")
        return [inbox / name]

    return make


def folder(lab: Lab, inbox: Path, kind: Kind) -> list[Path]:
    (inbox / "returns.xlsx").mkdir()
    return [inbox / "returns.xlsx"]


def at_cell(row_id: str, key: str, body: str = BAD_BODY) -> Callable[[Lab], tuple[str, str]]:
    return lambda lab: lab.cell(row_id, key, body)


def at_sheet(sheet: str) -> Callable[[Lab], tuple[str, str]]:
    return lambda lab: (sheet, "")


def merged(**options: Any) -> dict[str, Any]:
    return {"outcomes": ("merged",), **options}


KINDS: list[Kind] = []


def add(name: str, make: Make, *codes: str, **options: Any) -> None:
    KINDS.append(Kind(name, make, codes, **options))


# rows and columns sorted, inserted, moved, deleted; sheets renamed, deleted, added: merged, values follow their
# text and headers; what cannot be placed is proposed
add(
    "sorted-rows-ids-left-behind-merged-by-text",
    from_base("sorted.xlsx", sort_rows(2)),
    "MERGE_507",
    **merged(at=at_sheet(B), absent=("ROW_204", "MERGE_508", "MERGE_513")),
)
add("sorted-whole-rows-merged-clean", from_base("sorted-whole.xlsx", sort_rows(1)), **merged(absent=("MERGE_507",)))
add(
    "inserted-column-merged-its-text-a-proposal",
    from_base("inserted-column.xlsx", insert_column),
    "BOOK_105",
    "MERGE_508",
    "BOOK_109",
    **merged(at=lambda lab: (B, lab.cell("B.1.1-01", "progress")[1][:-1] + "1"), kept=(INSERTED_NOTE,)),
)
add("moved-column-merged", from_base("moved-column.xlsx", swap_columns), "BOOK_106", **merged(at=at_sheet(B)))
add("deleted-column-merged", from_base("deleted-column.xlsx", delete_column), "BOOK_104", **merged(at=at_sheet(B)))
add(
    "renamed-sheet-merged",
    from_base("renamed-sheet.xlsx", lambda book: setattr(book[B], "title", "Protection (ours)")),
    "BOOK_102",
    "BOOK_103",
    **merged(at=at_sheet(B)),
)
add(
    "deleted-sheet-merged-its-rows-counted-missing",
    from_base("deleted-sheet.xlsx", lambda book: book.remove(book[C])),
    "BOOK_102",
    "MERGE_506",
    **merged(at=at_sheet(C)),
)
add(
    "extra-sheet-merged",
    from_base("extra-sheet.xlsx", lambda book: book.create_sheet("My notes").append(["Call Ms. Lee"])),
    "BOOK_103",
    **merged(at=at_sheet("My notes")),
)
add(
    "merged-cells-merged-top-left-value",
    from_base("merged-cells.xlsx", merge_progress),
    "BOOK_107",
    **merged(at=lambda lab: (B, f"{lab.cell('B.1.1-01', 'progress')[1]}:{lab.cell('B.1.1-02', 'progress')[1]}")),
)
add(
    "new-activity-row-merged-as-proposal",
    from_base("new-activity.xlsx", new_activity),
    "MERGE_508",
    **merged(kept=(NEW_ACTIVITY,)),
)
add(
    "sheet-unprotected-plan-text-edited-merged-as-proposal",
    from_base("unprotected.xlsx", edit_plan_text),
    "BOOK_109",
    "ROW_204",
    "MERGE_508",
    **merged(at=at_sheet(B), kept=(EDITED_ACTIVITY,)),
)
# values that are not values: held back (kept in the History, not shown), the rest of the return merged
add(
    "formulas-held-back-never-run",
    from_base("formulas.xlsx"),
    "CELL_301",
    "MERGE_513",
    **merged(
        at=at_cell("B.1.1-02", "progress"),
        typed={"B.1.1-02": {"progress": '=WEBSERVICE("{url}/ws")', "indicator_results": '=HYPERLINK("{url}/l","x")'}},
        kept=("=WEBSERVICE(", "=HYPERLINK("),
    ),
)
add(
    "error-values-held-back",
    from_base("errors.xlsx"),
    "CELL_302",
    "MERGE_513",
    **merged(
        at=at_cell("B.1.1-02", "progress"),
        typed={"B.1.1-02": {"progress": "#REF!", "indicator_results": "#N/A"}},
        kept=("#REF!", "#N/A"),
    ),
)
add(
    "value-pasted-over-dropdown-held-back",
    from_base("pasted-status.xlsx"),
    "CELL_320",
    "MERGE_513",
    **merged(at=at_cell("B.1.1-02", "status"), typed={"B.1.1-02": {"status": "Done?"}}, shown={}, kept=("Done?",)),
)
add(
    "status-lower-case-read-as-the-status",  # issue 16, item 5: a known way of writing it, not held back
    from_base("lower-case.xlsx"),
    "CELL_322",
    **merged(
        at=at_cell("B.1.1-02", "status"),
        typed={"B.1.1-02": {"status": "ongoing"}},
        shown={**BASE, "B.1.1-02": {"status": "Ongoing"}},
        absent=("CELL_320", "MERGE_513"),
    ),
)
add(
    "dates-as-text-unreadable-held-back-readable-merged",
    from_base("dates-as-text.xlsx"),
    "CELL_340",
    "MERGE_513",
    **merged(
        at=at_cell("B.1.1-01", "event_dates"),
        typed={"B.1.1-01": {"event_dates": "6th June 2026"}, "B.1.1-02": {"event_dates": "06.06.2026"}},
        shown={**BASE, "B.1.1-02": {"event_dates": "06.06.2026"}},
        kept=("6th June 2026",),
    ),
)
add(
    "event-date-outside-plan-held-back",
    from_base("date-2031.xlsx"),
    "CELL_341",
    "MERGE_513",
    **merged(at=at_cell("B.1.1-02", "event_dates"), typed={"B.1.1-02": {"event_dates": "6 June 2031"}}, kept=("2031",)),
)
add(
    "huge-text-held-back-whole-in-parts",
    repacked("huge.xlsx", huge_text),
    "CELL_304",
    "MERGE_513",
    **merged(
        at=at_cell("B.1.1-02", "progress"),
        typed={"B.1.1-02": {"progress": "HUGE-MARKER"}},
        check=lambda seen: seen.held_whole("B.1.1-02", "progress", HUGE),
    ),
)
add(
    "control-characters-merged-with-warning",
    from_base("control.xlsx"),
    "CELL_305",
    **merged(
        at=at_cell("B.1.1-02", "progress"),
        typed={"B.1.1-02": {"progress": "Two\x7fworkshops held"}},
        shown={**BASE, "B.1.1-02": {"progress": "Two\x7fworkshops held"}},
    ),
)
add(
    "formula-like-text-merged-as-text",
    from_base("formula-text.xlsx", as_text("B.1.1-02", tuple(FORMULA_LIKE))),
    "CELL_303",
    **merged(
        at=at_cell("B.1.1-02", "progress"),
        typed={"B.1.1-02": FORMULA_LIKE},
        shown={**BASE, "B.1.1-02": FORMULA_LIKE},
        absent=("CELL_301",),
        check=lambda seen: seen.stored_as_text("B.1.1-02", FORMULA_LIKE),
    ),
)
# rows whose Row ID is wrong, and a body named another way
add(
    "row-copied-duplicate-row-id-held-back",
    from_base("copied-row.xlsx", copy_row),
    "ROW_202",
    "MERGE_513",
    **merged(at=lambda lab: (B, f"A{below(lab.places[BAD_BODY])}"), kept=(COPIED_ROW_NOTE,)),
)
add(
    "row-id-overwritten-with-another-rows-id-merged-by-text",
    from_base("overwritten-id.xlsx", lambda book: book[B].__setitem__("A3", "B.1.1-01")),
    "ROW_202",
    "MERGE_507",
    **merged(at=lambda lab: (B, "A3"), typed={"B.1.1-02": {"progress": "Second workshop in Cebu."}}),
)
add(
    "row-id-edited-to-unknown-merged-by-text",
    from_base("unknown-id.xlsx", lambda book: book[B].__setitem__("A2", "B.9.9-01")),
    "ROW_203",
    "MERGE_507",
    **merged(at=lambda lab: (B, "A2")),
)
ALIAS: Values = {"A.1.5-01": {"status": "Ongoing", "reporting_asb": "SOMED"}}
add(
    "asb-alias-merged-with-warning",
    lambda lab, inbox, kind: [fill(lab.templates["SOM-ED"], kind.typed, out=inbox / "som-ed.xlsx")],
    "CELL_311",
    **merged(
        at=at_cell("A.1.5-01", "reporting_asb", "SOM-ED"),
        typed=ALIAS,
        on_base=False,
        shown={"A.1.5-01": {"status": "Ongoing", "reporting_asb": "SOM-ED"}},
    ),
)
add(
    "rows-copied-into-fresh-workbook-merged-by-text",
    copied_rows("our-report.xlsx"),
    "MERGE_507",
    "MERGE_503",
    **merged(at=at_sheet("Our report")),
)
add("copied-rows-naming-two-bodies-refused", copied_rows("our-report.xlsx", GOOD_BODY), "MERGE_512")
# identity and manifest: refused
add("missing-manifest-refused", from_base("no-manifest.xlsx", lambda book: book.remove(book["_manifest"])), "MERGE_504")
add(
    "forged-manifest-fingerprint-refused",
    from_base("forged.xlsx", set_manifest_row("B.1.1-01", "0123456789abcdef", 2)),
    "MERGE_504",
    at=at_sheet("_manifest"),
)
add(
    "manifest-of-another-template-refused",
    other_manifest,
    "MERGE_504",
    at=at_sheet("_manifest"),
)
add(
    "identity-and-manifest-disagree-refused",
    from_base("identity-edited.xlsx", set_identity("asb", GOOD_BODY)),
    "MERGE_504",
    at=at_sheet("_manifest"),
)
add("master-given-as-return-refused", copy_of(lambda lab: lab.master, "master (copy).xlsx"), "MERGE_514")
add("later-period-refused", copy_of(lambda lab: lab.base_later, "somswd-2027-H1.xlsx"), "MERGE_501")
add("another-plan-version-refused", from_base("version-3.xlsx", another_version), "MERGE_502")
add("another-plan-2017-template-refused", copy_of(lambda lab: lab.bwp1, "somtc-2019-H2.xlsx"), "MERGE_502")
# the same return more than once: the first is merged, the others change nothing
add("same-file-twice-already-merged", twice, "MERGE_505", outcomes=("merged", "already merged"))
add("byte-identical-copy-already-merged", copy_renamed, "MERGE_505", outcomes=("merged", "already merged"))
add("same-file-second-name-already-merged", second_name, "MERGE_505", outcomes=("merged", "already merged"))
# not a usable .xlsx: refused before any parser runs
add("xls-refused", copy_of(lambda lab: lab.converted["xls"], "somswd-return.xls"), "FILE_006")
add("xlsb-refused", fatal(make_xlsb), "FILE_006")
add("ods-refused", copy_of(lambda lab: lab.converted["ods"], "somswd-return.ods"), "FILE_006")
add("csv-refused", to_csv, "FILE_006")
add("xlsm-with-macro-refused", fatal(make_macro), "FILE_009")
add("password-encrypted-refused", fatal(make_encrypted), "FILE_004")
add("zero-bytes-refused", fatal(make_empty), "FILE_002")
add("truncated-zip-refused", fatal(make_truncated), "FILE_005")
add("part-checksum-wrong-refused", fatal(make_wrong_checksum), "FILE_005")
add("part-bigger-than-declared-refused", fatal(make_size_lie), "FILE_005")
add("zip-encrypted-part-refused", fatal(make_zip_encrypted_part), "FILE_004")
add("not-a-zip-refused", fatal(make_text), "FILE_003")
add("zip-bomb-refused", fatal(make_bomb), "FILE_007")
add("external-entity-in-sheet-refused", repacked("entity.xlsx", doctype()), "FILE_008")
add(
    "doctype-after-long-comment-refused",
    repacked("late-doctype.xlsx", doctype(before="<!--" + "padding " * 10_000 + "-->")),
    "FILE_008",
)
add("doctype-in-utf16-sheet-refused", repacked("utf16.xlsx", doctype(utf16=True)), "FILE_008")
add("html-saved-as-xlsx-refused", written("report.xlsx", "<html><body><table><tr><td>Row ID</td></tr>"), "FILE_003")
add("directory-path-refused", folder, "FILE_001")
add("missing-path-refused", lambda lab, inbox, kind: [inbox / "never-sent.xlsx"], "FILE_001")


def _stray(address: str) -> Change:
    def change(book: Any) -> None:
        book[B][address] = "x"  # Ctrl+End, one keystroke: the sheet's used range now reaches that cell

    return change


# calamine allocates a sheet's whole used range at once; a stray value in the last cell must be refused, not abort
add("stray-value-in-the-last-cell-refused", from_base("stray-last-cell.xlsx", _stray("XFD1048576")), "FILE_010")
add("stray-value-far-down-refused", from_base("stray-far-down.xlsx", _stray("AA300000")), "FILE_010")


# ---------------------------------------------------------------------------------------------------------- the test


@dataclass
class Seen:
    """What a merge left behind, read once."""

    result: MergeResult
    book: Any  # the master, loaded
    values: dict[str, dict[str, str]]
    records: dict[str, list[dict[str, str]]]

    def held_whole(self, row_id: str, key: str, text: str) -> None:
        lines = [h for h in self.records[HISTORY_SHEET] if h["row_id"] == row_id and h["field"] == headers()[key]]
        assert "".join(h["value"] for h in lines) == text, f"{len(lines)} parts of {len(text)} characters"
        assert {h["status"] for h in lines} == {"held back"} and self.values[row_id][key] == ""

    def stored_as_text(self, row_id: str, typed: Mapping[str, str]) -> None:
        sheet, excel_row, columns = row_places(self.book)[row_id]
        for key, text in typed.items():
            stored = self.book[sheet].cell(row=excel_row, column=columns[key])
            assert (stored.value, stored.data_type) == (text, "s"), key


@pytest.mark.parametrize("kind", KINDS, ids=[k.id for k in KINDS])
def test_bad_return_in_a_batch(lab: Lab, kind: Kind, tmp_path: Path) -> None:
    master = Path(shutil.copy(lab.master, tmp_path / "master.xlsx"))
    inbox = tmp_path / "in"
    inbox.mkdir()
    good = Path(shutil.copy(lab.good, inbox / lab.good.name))
    other = Path(shutil.copy(lab.other, inbox / lab.other.name))
    bad = kind.make(lab, inbox, kind)
    result = merge_returns(master, [good, *bad, other])
    assert "TOOL_901" not in result.report.codes(), "a bad file is reported as the file's, never as the tool's fault"

    assert [o.outcome for o in result.outcomes] == ["merged", *kind.outcomes, "merged"], result.report.findings
    names = {path.name for path in bad}
    mine = [f for f in result.report.findings if Path(f.file).name in names]
    # 1. the codes, and no serious finding for the good returns
    assert set(kind.codes) <= {f.code for f in mine}, [f.message for f in mine]
    assert not set(kind.absent) & {f.code for f in mine}, [f.message for f in mine]
    if "refused" in kind.outcomes:
        assert any(f.severity in (Severity.ERROR, Severity.FATAL) for f in mine)
    assert [f.message for f in result.report.findings if Path(f.file).name not in names and _serious(f)] == []
    # 2. every message names its file; a cell-level one its sheet and cell
    for finding in result.report.findings:
        assert finding.file and Path(finding.file).name in finding.message, finding
        if finding.cell:
            assert f"sheet '{finding.sheet}', cell {finding.cell}" in finding.message, finding
    if kind.at:
        _assert_located(mine, kind.codes[0], *kind.at(lab))

    book = openpyxl.load_workbook(master)
    seen = Seen(result, book, master_values(book), logs(book))
    # 3. the good returns are in the master
    for values in (GOOD, OTHER):
        for row_id, cells in values.items():
            assert {key: seen.values[row_id][key] for key in cells} == cells
    # 4. the master is still a master; 5. nothing was run or fetched
    _assert_still_a_master(master, book, lab)
    assert lab.hits == [], f"a return made the merge fetch {lab.hits}"

    if kind.outcomes[0] == "merged":
        shown = BASE if kind.shown is None else kind.shown
        for row_id, cells in shown.items():
            assert {key: seen.values[row_id][key] for key in cells} == dict(cells), row_id
        kept = [h["value"] for h in seen.records[HISTORY_SHEET] if h["status"] == "held back"]
        kept += [p["proposed"] for p in seen.records["Proposals"]]
        for text in kind.kept:
            assert any(text in value for value in kept), f"{text!r} is not in the History or the Proposals"
        _assert_nothing_lost(kind, seen, lab.url)
    else:
        assert all(seen.values[row_id]["status"] == "" for row_id in BASE)
        audit = {line["file"]: line["outcome"] for line in seen.records["Audit"]}
        assert {audit[path.name] for path in bad} == {"refused"}
    if kind.check:
        kind.check(seen)


def _serious(finding: Finding) -> bool:
    return finding.severity in (Severity.ERROR, Severity.FATAL)


def _assert_located(findings: list[Finding], code: str, sheet: str, address: str) -> None:
    match = [f for f in findings if f.code == code and f.sheet == sheet and f.cell == (address or f.cell)]
    assert match, f"no {code} at {sheet}!{address}: {[(f.code, f.sheet, f.cell) for f in findings][:12]}"
    assert f"sheet '{sheet}'" in match[0].message
    if address:
        assert f"cell {address}" in match[0].message


def _assert_still_a_master(path: Path, book: Any, lab: Lab) -> None:
    assert check_file(path) is None
    identity = {row[0].value: row[1].value for row in book[IDENTITY_SHEET].iter_rows()}
    assert (identity["kind"], identity["plan_id"], identity["period"]) == ("master", "bwp2", "2026-H2")
    assert book[IDENTITY_SHEET].sheet_state == "veryHidden"
    assert set(PILLARS) | set(LOGS) <= set(book.sheetnames)
    for name in PILLARS:
        assert book[name].protection.sheet, name
        assert _validations(book[name]) == lab.validations[name], name
    assert frozenset(book.defined_names) == lab.names
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []  # no formula: nothing the master would run
    assert [c.coordinate for c in cells if isinstance(c.value, str) and len(c.value) > CELL_LIMIT] == []


def _assert_nothing_lost(kind: Kind, seen: Seen, url: str) -> None:
    """Every value the body typed is shown in the master, or kept in the History, or in the Proposals."""
    labels = headers()
    history = {(h["field"], h["value"]) for h in seen.records[HISTORY_SHEET]}
    proposed = {p["proposed"] for p in seen.records["Proposals"]}
    typed = {row_id: dict(cells) for row_id, cells in (BASE if kind.on_base else {}).items()}
    for row_id, cells in kind.typed.items():
        typed.setdefault(row_id, {}).update(cells)
    for row_id, cells in typed.items():
        for key, value in cells.items():
            if key in ("reporting_period", "reporting_asb") or value == "HUGE-MARKER":
                continue  # the body and period are the manifest's; the huge text has its own check
            text = value.date().isoformat() if isinstance(value, dt.datetime) else str(value)
            text = text.replace("{url}", url)
            shown = seen.values[row_id][key]
            read_as = key == "status" and shown == load_status_map().variant_of(text, STATUS_NAMES)  # CELL_322
            where = (shown == text or read_as, (labels[key], text) in history, text in proposed)
            assert any(where), f"{row_id} {key} {text[:40]!r} was lost"
