"""Typed view of workbook_templates/layout.yaml: lists, and the columns of each sheet kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

# id: the hidden, locked Row ID; plan: the plan's text, locked; previous: last period's reported value, shown
# read-only in return templates; reporting: what a body fills in, unlocked; check: the Row ID again, hidden among the
# reporting columns, so that orange cells sorted apart from their activities are told (layout.yaml says more).
ROLES = ("id", "plan", "previous", "reporting", "check")


@dataclass(frozen=True)
class ListSpec:
    """A dropdown list: fixed values, or a source the values are computed from (registry, apa, periods)."""

    title: str
    values: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Column:
    key: str  # unique within the sheet, e.g. "supporting_asb_2"
    base_key: str  # the declared key, e.g. "supporting_asb"
    header: str
    width: float
    role: str
    rules: tuple[str, ...] = ()
    list_name: str = ""
    strict: bool = True
    prompt: str = ""
    hidden: bool = False  # hidden in every workbook
    hidden_in: tuple[str, ...] = ()  # the kinds of workbook ("master", "return") the column is hidden in
    slot: int = 0  # 1-based slot number for slotted columns, 0 otherwise
    source: str = ""  # previous columns: the reporting column whose last-period value they show
    merge: str = ""  # reported value columns: "combine" (every body's text kept, attributed); else "conflict"

    @property
    def locked(self) -> bool:
        """Locked wherever it is shown: every column but the reporting ones."""
        return self.role != "reporting"

    def locked_for(self, book_kind: str) -> bool:
        """Locked in a workbook of `book_kind`: a column hidden there is locked too (a prefilled period, say)."""
        return self.locked or self.hidden_for(book_kind)

    def hidden_for(self, book_kind: str) -> bool:
        """Whether the column is hidden in a workbook of `book_kind` ("master" or "return")."""
        return self.hidden or book_kind in self.hidden_in


@dataclass(frozen=True)
class SheetLayout:
    kind: str
    columns: tuple[Column, ...]
    match_on: tuple[str, ...] = ()  # plan columns that identify a row whose Row ID was lost
    period_key: str = "reporting_period"  # the reporting column saying which period a row reports for
    body_key: str = "reporting_asb"  # the reporting column saying which body reports

    @cached_property
    def value_columns(self) -> tuple[Column, ...]:
        """The reported values: reporting columns other than the period and body columns (never previous ones)."""
        return tuple(c for c in self.reporting if c.key not in (self.period_key, self.body_key))

    @cached_property
    def combine_keys(self) -> frozenset[str]:
        """The reported values several bodies contribute to (narratives, results, dates, needs): every body's text
        is kept and shown, attributed; the others (the status) hold one value, and a disagreement is a conflict."""
        return frozenset(c.key for c in self.value_columns if c.merge == "combine")

    @cached_property
    def plan_text_columns(self) -> tuple[Column, ...]:
        """The id and plan columns: what a plan row puts on the sheet (plan.cells.plan_cells)."""
        return tuple(c for c in self.columns if c.role in ("id", "plan"))

    @cached_property
    def plan_columns(self) -> tuple[Column, ...]:
        """The plan's own text columns (locked; what a proposal may change)."""
        return tuple(c for c in self.columns if c.role == "plan")

    @cached_property
    def slot_counts(self) -> dict[str, int]:
        """Base key of a slotted column → how many slots the layout declares for it."""
        return dict(Counter(c.base_key for c in self.columns if c.slot))

    @cached_property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @cached_property
    def labels(self) -> dict[str, str]:
        """Column key → its header label."""
        return {c.key: c.header for c in self.columns}

    @cached_property
    def keys_by_label(self) -> dict[str, str]:
        """Header label → its column key."""
        return {c.header: c.key for c in self.columns}

    @cached_property
    def reporting(self) -> tuple[Column, ...]:
        """The columns a body fills in (unlocked); previous columns are not among them."""
        return tuple(c for c in self.columns if c.role == "reporting")

    @cached_property
    def check_key(self) -> str:
        """The key of the check column ("" when the layout declares none)."""
        return next((c.key for c in self.columns if c.role == "check"), "")

    @cached_property
    def previous(self) -> tuple[Column, ...]:
        """The read-only columns showing last period's values, each naming its reporting column in `source`."""
        return tuple(c for c in self.columns if c.role == "previous")


@dataclass(frozen=True)
class Layout:
    version: int
    lists: dict[str, ListSpec]
    sheets: dict[str, SheetLayout]

    def sheet(self, kind: str) -> SheetLayout:
        try:
            return self.sheets[kind]
        except KeyError:
            raise KeyError(f"layout.yaml declares no sheet kind {kind!r}") from None
