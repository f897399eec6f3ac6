"""The cerberus Validator with the work plan's custom rules.

Each custom rule reports through one cerberus error definition, FINDING, whose info carries our catalogue code and
details; the rule pass (validate.rule_pass) reads them, and validate.checks places them at their cell. A validator
is made per run (cerberus validators keep state between calls).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any

from cerberus import Validator
from cerberus.errors import ErrorDefinition

from xlsx_tools.plan.periods import Period
from xlsx_tools.plan.reference import References
from xlsx_tools.plan.status_words import StatusMap
from xlsx_tools.validate.dates import parse_dates

FINDING = ErrorDefinition(0x61, None)  # below 0x80: cerberus treats 0x80+ as group errors
EXCEL_CELL_LIMIT = 32_767
FORMULA_LEADS = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ACTIP = re.compile(r"^(?:Art(?:icle)?\.?\s*)?(?P<art>\d{1,2})(?:\s*\(\w{1,4}\))*$", re.IGNORECASE)
ACTIP_ARTICLES = 31  # ACTIP has 31 articles
EXPECTED_GAPS = {"coordinator": "PLAN_401", "activity": "PLAN_402", "source_text": "PLAN_403"}


@dataclass(frozen=True)
class RuleContext:
    """What the custom rules check against: reference data, dropdown lists and the plan's timeframe."""

    references: References
    lists: dict[str, tuple[str, ...]]
    start: dt.date
    end: dt.date
    status_map: StatusMap  # known ways to write a status (CELL_322)


def _items(constraint: bool, value: Any) -> list[str]:
    """The ';'- or line-separated items of a cell a list rule applies to (none when it does not)."""
    if not constraint or not isinstance(value, str):
        return []
    return [part.strip() for part in re.split(r"[;\n]+", value) if part.strip()]


def text_problems(value: Any) -> list[tuple[str, dict[str, str]]]:
    """What the `text` rule says of a cell: (code, details) for each problem. The rule's one implementation: the
    validator's `text` rule calls it, and so does validate.rule_pass for a column with no other rule."""
    if not isinstance(value, str) or not value:
        return []
    problems: list[tuple[str, dict[str, str]]] = []
    if len(value) > EXCEL_CELL_LIMIT:
        problems.append(("CELL_304", {"detail": f"the text has {len(value):,} characters; Excel allows 32,767"}))
    if value.startswith(FORMULA_LEADS):
        problems.append(("CELL_303", {}))
    if _CONTROL.search(value):
        problems.append(("CELL_305", {}))
    return problems


class PlanValidator(Validator):
    """Custom rules; the docstrings are cerberus' schemas for the rules' constraints."""

    @property
    def rule_context(self) -> RuleContext:
        return self._config["rule_context"]

    def _finding(self, field: str, code: str, **details: str) -> None:
        self._error(field, FINDING, code, details)

    def _validate_text(self, constraint: bool, field: str, value: Any) -> None:
        """{'type': 'boolean'}"""
        if constraint:
            for code, details in text_problems(value):
                self._finding(field, code, **details)

    def _validate_not_blank(self, constraint: bool, field: str, value: Any) -> None:
        """{'type': 'boolean'}"""
        if constraint and (value is None or value == ""):
            self._finding(field, "CELL_306")

    def _validate_expected(self, constraint: str, field: str, value: Any) -> None:
        """{'type': 'string', 'allowed': ['coordinator', 'activity', 'source_text']}"""
        if value is None or value == "":
            self._finding(field, EXPECTED_GAPS[constraint])

    def _validate_asb(self, constraint: bool, field: str, value: Any) -> None:
        """{'type': 'boolean'}"""
        registry = self.rule_context.references.registry
        for item in _items(constraint, value):
            body = registry.resolve(item)
            if body is None:
                self._finding(field, "CELL_310", value=item, suggestion=registry.suggest(item) or "")
            elif body.code != item:
                self._finding(field, "CELL_311", value=item, suggestion=body.code)

    def _validate_in_list(self, constraint: str, field: str, value: Any) -> None:
        """{'type': 'string'}"""
        allowed = self.rule_context.lists.get(constraint, ())
        if not isinstance(value, str) or not value or value in allowed:
            return
        variant = self.rule_context.status_map.variant_of(value, allowed)
        if variant:
            self._finding(field, "CELL_322", detail=f"{value!r} is read as {variant!r}")
            return
        near = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.5)  # other case: CELL_322
        self._finding(
            field,
            "CELL_320",
            detail=f"{value!r} is not a status; choose one of: {', '.join(allowed)}",
            suggestion=near[0] if near else "",
        )

    def _validate_requires_when(self, constraint: dict[str, list[str]], field: str, value: Any) -> None:
        """{'type': 'dict'}"""
        if not isinstance(value, str) or value not in constraint:
            return
        missing = [key for key in constraint[value] if self.document.get(key) in (None, "")]
        if missing:
            labels = self._config.get("labels", {})
            names = " and ".join(labels.get(k, k) for k in missing)
            self._finding(field, "CELL_321", detail=f"the status is {value!r} but {names} is blank")

    def _validate_period(self, constraint: bool, field: str, value: Any) -> None:
        """{'type': 'boolean'}"""
        if not constraint or value in (None, ""):
            return
        try:
            period = Period.parse(str(value))
        except ValueError:
            self._finding(field, "CELL_330", detail=f"{value!r} is not a reporting period")
            return
        context = self.rule_context
        if period.last_day < context.start or period.first_day > context.end:
            self._finding(
                field,
                "CELL_331",
                detail=f"{period} is outside the plan's timeframe {context.start.year}-{context.end.year}",
            )

    def _validate_event_dates(self, constraint: bool, field: str, value: Any) -> None:
        """{'type': 'boolean'}"""
        if not constraint or value in (None, ""):
            return
        try:
            spans = parse_dates(value)
        except ValueError as exc:
            self._finding(field, "CELL_340", detail=f"{exc.args[0]!r} is not a date this tool understands")
            return
        context = self.rule_context
        for first, last in spans:
            if last < context.start or first > context.end:
                self._finding(
                    field,
                    "CELL_341",
                    detail=f"{first:%d %B %Y} is outside the plan's timeframe "
                    f"({context.start:%d %B %Y} to {context.end:%d %B %Y})",
                )

    def _validate_apa_refs(self, constraint: bool, field: str, value: Any) -> None:
        """{'type': 'boolean'}"""
        known = self.rule_context.references.apa_refs
        for item in _items(constraint, value):
            ref = item.replace(" ", "").replace("APA,Paragraph", "").replace("IV.A.(", "IV.A(")
            if ref not in known:
                near = difflib.get_close_matches(ref, list(known), n=1, cutoff=0.7)
                self._finding(field, "CELL_350", value=item, suggestion=near[0] if near else "")

    def _validate_actip_refs(self, constraint: bool, field: str, value: Any) -> None:
        """{'type': 'boolean'}"""
        for item in _items(constraint, value):
            match = _ACTIP.match(item)
            if not match or not 1 <= int(match["art"]) <= ACTIP_ARTICLES:
                self._finding(field, "CELL_351", value=item)
