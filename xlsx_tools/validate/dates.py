"""Understand the dates people type: real dates, "6 June 2017", "June 6-8, 2017", "27-29 May 2019",
"2017-06-06", Excel serial numbers, and several of them separated by ';' or line breaks.

A trailing place ("June 6-8, 2017, Manila, Philippines", "3-4 Sept 2026 (Bangkok)") is allowed, as the old plan's
status column writes it, and so are days joined by '&' or 'and' ("3 & 4 September 2026": two days).
Returns (first day, last day) spans, or raises ValueError with the item that was not understood.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

Span = tuple[dt.date, dt.date]

_MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
# a month by its name, its first three letters, or "sept"
_MONTHS = {name: n for n, full in enumerate(_MONTH_NAMES, start=1) for name in (full, full[:3])} | {"sept": 9}
_M = r"(?P<month>[A-Za-z]{3,9})\.?"
_RANGE_PATTERNS = (
    re.compile(rf"^{_M}\s+(?P<d1>\d{{1,2}})\s*-\s*(?P<d2>\d{{1,2}}),?\s+(?P<year>\d{{4}})$"),
    re.compile(rf"^(?P<d1>\d{{1,2}})\s*-\s*(?P<d2>\d{{1,2}})\s+{_M},?\s+(?P<year>\d{{4}})$"),
    re.compile(
        rf"^(?P<d1>\d{{1,2}})\s+{_M}\s*-\s*(?P<d2>\d{{1,2}})\s+(?P<month2>[A-Za-z]{{3,9}})\.?,?\s+(?P<year>\d{{4}})$"
    ),
)
_DAY_PATTERNS = (  # a month by its name (`month`) or its number (`m`)
    re.compile(rf"^(?P<d1>\d{{1,2}})\s+{_M},?\s+(?P<year>\d{{4}})$"),
    re.compile(rf"^{_M}\s+(?P<d1>\d{{1,2}}),?\s+(?P<year>\d{{4}})$"),
    re.compile(r"^(?P<year>\d{4})-(?P<m>\d{1,2})-(?P<d1>\d{1,2})$"),
    re.compile(r"^(?P<d1>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<year>\d{4})$"),  # ASEAN usage is day first: 06/07/2017
)
_MONTH_YEAR = re.compile(rf"^{_M},?\s+(?P<year>\d{{4}})$")
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")


def _month(name: str) -> int:
    try:
        return _MONTHS[name.casefold()]
    except KeyError:
        raise ValueError(f"{name!r} is not a month") from None


def _one(item: str) -> Span:
    text = re.sub(r"\s*(?:–|—|\bto\b|\buntil\b)\s*", "-", item.strip(), flags=re.IGNORECASE)
    text = re.sub(r"\s+", " ", text)
    for pattern in _RANGE_PATTERNS:
        m = pattern.match(text)
        if m:
            year = int(m["year"])
            first_month = _month(m["month"])
            last_month = _month(m["month2"]) if m.groupdict().get("month2") else first_month
            return dt.date(year, first_month, int(m["d1"])), dt.date(year, last_month, int(m["d2"]))
    for pattern in _DAY_PATTERNS:
        m = pattern.match(text)
        if m:
            month = int(m["m"]) if "m" in m.groupdict() else _month(m["month"])
            day = dt.date(int(m["year"]), month, int(m["d1"]))
            return day, day
    m = _MONTH_YEAR.match(text)
    if m:
        year, month = int(m["year"]), _month(m["month"])
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    if _SERIAL.match(text):
        from openpyxl.utils.datetime import from_excel

        day = from_excel(float(text))
        day = day.date() if isinstance(day, dt.datetime) else day
        return day, day
    raise ValueError(text)


_PLACE_IN_BRACKETS = re.compile(r"\s*\([^()]*\)\s*$")
_JOINED_DAYS = re.compile(r"^\s*(?P<d1>\d{1,2})\s*(?:&|\band\b)\s*(?P<d2>\d{1,2})\s+(?P<rest>[A-Za-z].*)$", re.I)


def _items(item: str) -> list[str]:
    """ "3 & 4 September 2026" → the two days it names; any other item as it is."""
    m = _JOINED_DAYS.match(item)
    return [f"{m['d1']} {m['rest']}", f"{m['d2']} {m['rest']}"] if m else [item]


def _with_place(item: str) -> Span:
    """Try the whole item, then drop trailing ", place" parts one at a time; a place in brackets is dropped."""
    item = _PLACE_IN_BRACKETS.sub("", item)
    parts = item.split(",")
    for end in range(len(parts), 0, -1):
        try:
            return _one(",".join(parts[:end]))
        except ValueError:
            continue
    raise ValueError(item.strip())


def parse_dates(value: str | dt.date) -> list[Span]:
    """All spans in a cell. Raises ValueError(item) for the first item that is not a date."""
    if isinstance(value, dt.date):
        return [(value, value)]
    items = [p for p in re.split(r"[;\n]+", value) if p.strip()]
    spans: list[Span] = []
    for item in items:
        try:
            spans.extend(_with_place(day) for day in _items(item))
        except ValueError:
            raise ValueError(item.strip()) from None
    return spans


def after_period(value: str | dt.date, last_day: dt.date) -> dt.date | None:
    """The first day of the first event in `value` that begins after `last_day` (the end of the reported
    period), else None; dates that are not understood are another rule's (CELL_340)."""
    try:
        spans = parse_dates(value)
    except ValueError:
        return None
    return next((first for first, _ in spans if first > last_day), None)
