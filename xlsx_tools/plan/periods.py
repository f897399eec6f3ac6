"""Reporting periods are half-years: "2026-H1" is January–June 2026, "2026-H2" July–December."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PERIOD_PATTERN = re.compile(r"^(\d{4})-H([12])$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    half: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse "2026-H2"; raise ValueError with a plain-words reason otherwise."""
        match = PERIOD_PATTERN.match(text.strip().upper())
        if not match:
            raise ValueError(f"{text!r} is not a reporting period; write it as YEAR-H1 or YEAR-H2, e.g. 2026-H2")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        return cls(day.year, 1 if day.month <= 6 else 2)

    def __str__(self) -> str:
        return f"{self.year}-H{self.half}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, 6, 30) if self.half == 1 else dt.date(self.year, 12, 31)

    def next(self) -> Period:
        return Period(self.year, 2) if self.half == 1 else Period(self.year + 1, 1)

    def previous(self) -> Period:
        return Period(self.year, 1) if self.half == 2 else Period(self.year - 1, 2)


def is_before(period: str, other: str) -> bool:
    """Whether `period` is a half-year before `other`; False when either is not a period."""
    try:
        return Period.parse(period) < Period.parse(other)
    except ValueError:
        return False


def periods_between(start: dt.date, end: dt.date) -> tuple[Period, ...]:
    """Every half-year from the one containing `start` to the one containing `end`, in order."""
    current, last = Period.containing(start), Period.containing(end)
    out = []
    while current <= last:
        out.append(current)
        current = current.next()
    return tuple(out)


def iso_day(text: str) -> dt.date | None:
    """The date a record cell starts with (2027-01-31, or a timestamp such as 2027-01-31T09:00Z), else None."""
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None
