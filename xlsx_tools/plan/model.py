"""The plan as plain, immutable Python objects.

Two plan shapes exist (2.0: outcome → activity type → activities; 2017–2020: APA provision → area → activity), but
everything downstream (sheets, dropdowns, validation, merge) works on the same thing: a pillar's flat rows, each with a
stable row id and a mapping from layout keys to values. The structured tree is kept for counts and roll-ups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields


class PlanDataError(ValueError):
    """A shipped plan or reference file does not match the declared format."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


# A row value: text, or several values for a slotted column (supporting ASBs).
RowValue = str | tuple[str, ...]


@dataclass(frozen=True)
class Refs:
    """Cross-references of one plan item, merged from its footnotes."""

    actip: tuple[str, ...] = ()
    apa: tuple[str, ...] = ()
    bwp: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    footnotes: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()

    def __add__(self, other: Refs) -> Refs:
        """Each kind of reference of both, in order, without repeats."""
        return Refs(*(tuple(dict.fromkeys(getattr(self, f.name) + getattr(other, f.name))) for f in fields(Refs)))


@dataclass(frozen=True)
class PlanRow:
    """One row of a pillar sheet: an activity/project with its context, keyed by layout column keys."""

    row_id: str
    values: Mapping[str, RowValue]
    flags: tuple[str, ...] = ()

    def text(self, key: str) -> str:
        value = self.values.get(key, "")
        return "; ".join(value) if isinstance(value, tuple) else value

    def items(self, key: str) -> tuple[str, ...]:
        value = self.values.get(key, ())
        if isinstance(value, tuple):
            return value
        return (value,) if value else ()


@dataclass(frozen=True)
class Activity:
    text: str
    refs: Refs = Refs()


@dataclass(frozen=True)
class ActivityType:
    """A 2.0 activity/programme type (A.1.1 …) with its activities/projects and potential indicators."""

    code: str
    description: str
    example: str
    coordinating_asbs: tuple[str, ...]
    supporting_asbs: tuple[str, ...]
    activities: tuple[Activity, ...]
    indicators: tuple[str, ...]
    refs: Refs = Refs()
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    code: str
    text: str
    types: tuple[ActivityType, ...]
    refs: Refs = Refs()


@dataclass(frozen=True)
class Pillar:
    code: str
    title: str
    sheet_name: str
    goal: str
    rows: tuple[PlanRow, ...]
    outcomes: tuple[Outcome, ...] = ()  # 2.0 plan only
    goal_refs: Refs = Refs()


@dataclass(frozen=True)
class Plan:
    id: str
    kind: str
    title: str
    short_title: str
    version: str
    start: dt.date
    end: dt.date
    pillars: tuple[Pillar, ...]

    def rows(self) -> Iterator[tuple[Pillar, PlanRow]]:
        for pillar in self.pillars:
            for row in pillar.rows:
                yield pillar, row

    def pillar_by_sheet(self, sheet_name: str) -> Pillar | None:
        return next((p for p in self.pillars if p.sheet_name == sheet_name), None)

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        return tuple(o for p in self.pillars for o in p.outcomes)

    @property
    def activity_types(self) -> tuple[ActivityType, ...]:
        return tuple(t for o in self.outcomes for t in o.types)
