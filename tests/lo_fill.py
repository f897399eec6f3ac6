#!/usr/bin/python3
"""Fill a workbook in a real LibreOffice the way a person would, then save it as .xlsx from LibreOffice.

Run with the system interpreter (the one that can import `uno`):

    /usr/bin/python3 tests/lo_fill.py SPEC.json

SPEC.json:

    {"input": "in.xlsx", "output": "out.xlsx",
     "edits": [{"sheet": "A. Prevention", "cell": "U2", "choose": 2},
               {"sheet": "A. Prevention", "cell": "V2", "type": "some text"},
               {"sheet": "A. Prevention", "sort": "W2:AB20", "unprotect": false}]}

or a list of such objects, filled one after another in the same soffice session (then the output is
{"jobs": [{"written": ...}, ...]}).

`sort: RANGE` sorts the cells of RANGE on its first column, descending, as Data > Sort does on a selection (after
lifting the sheet's passwordless protection when `unprotect` is true); it is written as "sorted", or "refused" when
LibreOffice left the range as it was (its protection keeps locked cells from moving).

`choose: i` picks the i-th entry (0-based, blanks skipped) of the cell's dropdown: the cell's list validation is
read from LibreOffice's model and its source (a named range such as STATUS_LIST, a range, or an inline list) is
resolved to the values a person sees. `type` enters text with setString, so text stays text. Like a person, the
script cannot write into a locked cell of a protected sheet: that edit fails. The document is stored with the
filter "Calc MS Excel 2007 XML" and one JSON object is printed to stdout:

    {"written": {"A. Prevention!U2": "Ongoing", "A. Prevention!V2": "some text"}}

Starts its own headless soffice with a throw-away profile (helpers shared with tests/lo_probe.py) and always shuts
it down. Exit status 0 on success, 2 on bad arguments, 1 on any other failure (message on stderr).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from lo_probe import _shutdown, desktop_of, emit, load_spreadsheet, start_soffice, store_xlsx


class SpecError(ValueError):
    """SPEC.json is missing, malformed or names a file that does not exist (exit status 2)."""


def load_jobs(path: Path) -> list[dict[str, Any]]:
    """SPEC.json holds one job object, or a list of them (filled in one soffice session)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SpecError(f"cannot read {path}: {error}") from None
    return [check_job(path, job) for job in (data if isinstance(data, list) else [data])]


def check_job(path: Path, spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not spec.get("input") or not spec.get("output"):
        raise SpecError(f"{path}: needs 'input' and 'output'")
    if not Path(spec["input"]).is_file():
        raise SpecError(f"{path}: no such input file: {spec['input']}")
    edits = spec.get("edits")
    if not isinstance(edits, list):
        raise SpecError(f"{path}: 'edits' must be a list")
    for number, edit in enumerate(edits):
        if isinstance(edit, dict) and edit.get("sheet") and isinstance(edit.get("sort"), str):
            continue
        if not isinstance(edit, dict) or not edit.get("sheet") or not edit.get("cell"):
            raise SpecError(f"{path}: edit {number} needs 'sheet' and 'cell' (or 'sort')")
        if ("choose" in edit) == ("type" in edit):
            raise SpecError(f"{path}: edit {number} needs exactly one of 'choose' and 'type'")
        if "choose" in edit and (not isinstance(edit["choose"], int) or edit["choose"] < 0):
            raise SpecError(f"{path}: edit {number}: 'choose' must be a whole number from 0")
        if "type" in edit and not isinstance(edit["type"], str):
            raise SpecError(f"{path}: edit {number}: 'type' must be text")
    return spec


def _range_values(cell_range: object) -> list[str]:
    values = []
    for row in cell_range.getDataArray():  # type: ignore[attr-defined]
        for value in row:
            text = value if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
            if text.strip():
                values.append(text)
    return values


def _referenced_range(document: object, reference: str) -> object:
    """A range for a reference like $Lists.$A$2:$A$21 or 'My sheet'.A2:A9 (LibreOffice's own notation)."""
    sheet_part, _, cells = reference.rpartition(".")
    name = sheet_part.lstrip("$")
    if name.startswith("'") and name.endswith("'"):
        name = name[1:-1].replace("''", "'")
    sheets = document.Sheets  # type: ignore[attr-defined]
    if not name or not sheets.hasByName(name):
        raise RuntimeError(f"the dropdown refers to {reference!r}, which names no sheet of the workbook")
    return sheets.getByName(name).getCellRangeByName(cells.replace("$", ""))


def dropdown_values(document: object, cell: object, where: str) -> list[str]:
    """The entries of a cell's list validation, as a person sees them in the dropdown."""
    import uno  # type: ignore[import-not-found]

    validation = cell.Validation  # type: ignore[attr-defined]
    if validation.Type != uno.Enum("com.sun.star.sheet.ValidationType", "LIST"):
        raise RuntimeError(f"{where} has no dropdown (validation type {validation.Type.value})")
    source = validation.getFormula1().strip()
    if source.startswith('"'):  # inline list: "a";"b";"c"
        return [item.strip('"') for item in source.split(";") if item.strip('"').strip()]
    ranges = document.NamedRanges  # type: ignore[attr-defined]
    if ranges.hasByName(source):
        return _range_values(ranges.getByName(source).getReferredCells())
    return _range_values(_referenced_range(document, source))


def sort_range(sheet: object, reference: str, unprotect: bool) -> str:
    """Sort `reference` on its first column, descending; "sorted", or "refused" when nothing moved."""
    import uno  # type: ignore[import-not-found]

    if unprotect and sheet.isProtected():  # type: ignore[attr-defined]
        sheet.unprotect("")  # type: ignore[attr-defined]
    cells = sheet.getCellRangeByName(reference)  # type: ignore[attr-defined]
    before = cells.getDataArray()
    descriptor = cells.createSortDescriptor()
    for item in descriptor:
        if item.Name == "SortFields":
            field = uno.createUnoStruct("com.sun.star.table.TableSortField")
            field.Field, field.IsAscending = 0, False
            item.Value = uno.Any("[]com.sun.star.table.TableSortField", (field,))
    uno.invoke(cells, "sort", (tuple(descriptor),))
    return "refused" if cells.getDataArray() == before else "sorted"


def fill(document: object, edits: list[dict[str, Any]]) -> dict[str, str]:
    sheets = document.Sheets  # type: ignore[attr-defined]
    written: dict[str, str] = {}
    for edit in edits:
        if "sort" in edit:
            sheet = sheets.getByName(str(edit["sheet"]))
            where = f"{edit['sheet']}!{edit['sort']}"
            written[where] = sort_range(sheet, str(edit["sort"]), bool(edit.get("unprotect")))
            continue
        sheet_name, address = str(edit["sheet"]), str(edit["cell"]).upper()
        where = f"{sheet_name}!{address}"
        if not sheets.hasByName(sheet_name):
            raise RuntimeError(f"no sheet {sheet_name!r}; sheets are {list(sheets.getElementNames())}")
        sheet = sheets.getByName(sheet_name)
        cell = sheet.getCellRangeByName(address)
        if sheet.isProtected() and cell.CellProtection.IsLocked:
            raise RuntimeError(f"{where} is locked on a protected sheet; a person could not type there")
        if "choose" in edit:
            values = dropdown_values(document, cell, where)
            index = int(edit["choose"])
            if index >= len(values):
                raise RuntimeError(f"{where}: the dropdown has {len(values)} entries, cannot choose number {index}")
            value = values[index]
        else:
            value = str(edit["type"])
        cell.setString(value)
        if cell.getString() != value:
            raise RuntimeError(f"{where}: LibreOffice holds {cell.getString()!r} after entering {value!r}")
        written[where] = value
    return written


def run(jobs: list[dict[str, Any]]) -> list[dict[str, object]]:
    """Fill and store every job's document in one soffice session (starting soffice is the slow part)."""
    process, pipe, profile = start_soffice("lo_fill")
    desktop = None
    document = None
    results: list[dict[str, object]] = []
    try:
        desktop = desktop_of(process, pipe)
        for job in jobs:
            source, target = Path(job["input"]), Path(job["output"])
            document = load_spreadsheet(desktop, source)
            written = fill(document, job["edits"])
            store_xlsx(document, target)
            document.close(True)
            document = None
            results.append({"written": written})
        return results
    finally:
        _shutdown(process, desktop, document)
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: /usr/bin/python3 tests/lo_fill.py SPEC.json", file=sys.stderr)
        return 2
    try:
        jobs = load_jobs(Path(argv[1]))
    except SpecError as error:
        print(f"lo_fill: {error}", file=sys.stderr)
        return 2

    def work() -> object:
        results = run(jobs)
        return results[0] if len(results) == 1 else {"jobs": results}

    return emit("lo_fill", work)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
