"""Typed view of workbook_templates/layout.yaml: lists, and the columns of each sheet kind."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("id", "plan", "reporting")


@dataclass(frozen=True)
class ListSpec:
    """A dropdown list: fixed values, or a source the values are computed from (registry, apa, periods)."""

    name: str
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
    hidden: bool = False
    slot: int = 0  # 1-based slot number for slotted columns, 0 otherwise

    @property
    def locked(self) -> bool:
        return self.role != "reporting"


@dataclass(frozen=True)
class SheetLayout:
    kind: str
    description: str
    columns: tuple[Column, ...]
    match_on: tuple[str, ...] = ()  # plan columns that identify a row whose Row ID was lost
    period_key: str = "reporting_period"  # the reporting column saying which period a row reports for
    body_key: str = "reporting_asb"  # the reporting column saying which body reports

    @property
    def value_columns(self) -> tuple[Column, ...]:
        """The reported values: reporting columns other than the period and body columns."""
        return tuple(c for c in self.reporting if c.key not in (self.period_key, self.body_key))

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def slots(self, base_key: str) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.base_key == base_key)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def reporting(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role == "reporting")


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
