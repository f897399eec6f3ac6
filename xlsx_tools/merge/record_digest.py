"""Counts and digests of the master's record sheets, kept in its identity sheet, so that a damaged one is noticed.

The record sheets are the master's memory: a History line deleted or changed by a person would otherwise be read
back as if the merge had written it, and the next merge would rewrite the sheet from what is left. At every save
the merge records, per sheet, how many lines it wrote and a digest of them; on open the same is worked out from the
values just read (no second parse) and compared. A difference refuses the merge (MERGE_524) and names the backup.

The digest is a sum of per-line hashes, so it does not depend on the order of the lines: the sheets allow sorting
and filtering, and the merge orders lines by their recorded times. The Decision columns, where the secretariat
types, are left out; so are lines blank but for them. Text is compared with its runs of white space made one space,
so a program that rewrites line ends on saving is not taken for damage.

A master saved before this existed (or by the Excel ribbon, whose writes Excel may retype) has no record: it opens
as before, and gets one at its next save by `tipwp merge` or `tipwp period`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from xlsx_tools.merge.log_sheets import LOG_SHEETS, LogSheet, RecordSheetDamaged
from xlsx_tools.workbook.cell_text import excel_text
from xlsx_tools.workbook.values import value_text

RECORDS_FIELD = "records"  # in the master's identity sheet: "title|lines|digest;…"
_MODULUS = 1 << 128


def table_digest(log: LogSheet, rows: Iterable[Mapping[str, str]]) -> tuple[int, str]:
    """(lines, digest) of one record sheet's rows, as read_table gives them (column key → text)."""
    keys = _digested(log)
    return _digest([row.get(key, "") for key in keys] for row in rows)


def written_records(rows: Mapping[str, Sequence[Sequence[object]]]) -> str:
    """The identity value for the record sheets about to be written: `rows` as log_rows gives them (every column,
    in order; the texts worked out as the writer stores them and the reader gives them back)."""
    parts = []
    for log in LOG_SHEETS:
        positions = [log.keys.index(key) for key in _digested(log)]
        lines, digest = _digest([_stored(row[i]) for i in positions] for row in rows.get(log.title, ()))
        parts.append(f"{log.title}|{lines}|{digest}")
    return ";".join(parts)


def _digested(log: LogSheet) -> list[str]:
    """The columns a digest covers: all but those the secretariat types into."""
    return [key for key, _, _ in log.columns if key not in log.editable]


def _stored(value: object) -> str:
    return excel_text(value) if isinstance(value, str) else value_text(value)


def _digest(lines: Iterable[list[str]]) -> tuple[int, str]:
    count = total = 0
    for texts in lines:
        line = "\x1f".join([" ".join(text.split()) for text in texts])
        if not line.strip("\x1f"):
            continue  # blank but for the Decision: typed below the last line
        total += int.from_bytes(hashlib.blake2b(line.encode(), digest_size=16).digest(), "big")
        count += 1
    return count, format(total % _MODULUS, "032x")


def check_records(recorded: str, tables: Mapping[str, list[dict[str, str]]]) -> None:
    """Raise RecordSheetDamaged for the first record sheet that is not as last saved; nothing recorded: no check."""
    for part in filter(None, recorded.split(";")):
        title, _, rest = part.partition("|")
        lines_text, _, digest = rest.partition("|")
        log = next((log for log in LOG_SHEETS if log.title == title), None)
        if log is None or not lines_text.isdigit():
            continue  # a record this version does not know: not evidence of damage
        lines, now = table_digest(log, tables.get(title, []))
        written = int(lines_text)
        if lines < written:
            why = f"{written - lines:,} of its {written:,} lines were deleted since the last merge"
        elif lines > written:
            why = f"it holds {lines - written:,} lines more than the last merge wrote"
        elif now != digest:
            why = "some of its lines were changed since the last merge"
        else:
            continue
        raise RecordSheetDamaged(title, f"the sheet {title} is not as the last merge wrote it: {why}")
