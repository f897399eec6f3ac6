"""Load and check layout.yaml. A broken declaration stops here with LayoutError, naming the entry."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from xlsx_tools.layout.model import ROLES, Column, Layout, ListSpec, SheetLayout
from xlsx_tools.resources import load_yaml

LIST_SOURCES = ("registry", "apa", "periods")
# `hidden:` in layout.yaml: true (everywhere), or the workbook kind the column is hidden in.
HIDDEN_IN = {"returns": "return", "master": "master"}
# What a previous column must not declare: it is read-only, with no dropdown, prompt or rule.
NOT_FOR_PREVIOUS = ("list", "strict", "rules", "prompt", "slots")
# `merge:` of a reported value column: how the values of several bodies for one row meet (layout.yaml's header)
MERGE_KINDS = ("combine", "conflict")


class LayoutError(ValueError):
    """layout.yaml (or a rule it names) is not a valid declaration."""


def _columns(entries: list[Any], reporting: list[Any], where: str, rule_names: set[str]) -> tuple[Column, ...]:
    columns: list[Column] = []
    for i, entry in enumerate(entries):
        if "include" in entry:
            if entry["include"] != "reporting":
                raise LayoutError(f"{where}[{i}]: only 'include: reporting' is supported")
            columns.extend(_columns(reporting, [], "reporting", rule_names))
            continue
        here = f"{where}[{i}] ({entry.get('key', '?')})"
        role = entry.get("role")
        if role not in ROLES:
            raise LayoutError(f"{here}: role must be one of {ROLES}, not {role!r}")
        rules = tuple(entry.get("rules") or ())
        unknown = [r for r in rules if r not in rule_names]
        if unknown:
            raise LayoutError(f"{here}: rules {unknown} are not defined in validation/rules.yaml")
        prompt = str(entry.get("prompt") or "")
        if len(prompt) > 255:
            raise LayoutError(f"{here}: prompt is {len(prompt)} characters; Excel allows 255")
        slots = int(entry.get("slots") or 0)
        hidden, hidden_in = _hidden(entry.get("hidden", False), here)
        source = str(entry.get("from") or "")
        if role == "previous":
            declared = [name for name in NOT_FOR_PREVIOUS if name in entry]
            if declared or not source:
                raise LayoutError(
                    f"{here}: a previous column names the reporting column it shows ('from: status') and has no "
                    f"{', '.join(NOT_FOR_PREVIOUS)}" + (f"; remove {', '.join(declared)}" if declared else "")
                )
        elif source:
            raise LayoutError(f"{here}: only a previous column takes 'from'")
        if role == "check" and (hidden is not True or slots or any(k in entry for k in ("list", "rules", "prompt"))):
            raise LayoutError(f"{here}: a check column is hidden everywhere and has no slots, list, rules or prompt")
        merge = str(entry.get("merge") or "")
        if merge and (role != "reporting" or merge not in MERGE_KINDS):
            raise LayoutError(f"{here}: merge must be one of {MERGE_KINDS}, and only on a reporting column")
        for n in range(1, slots + 1) if slots else [0]:
            columns.append(
                Column(
                    key=f"{entry['key']}_{n}" if n else str(entry["key"]),
                    base_key=str(entry["key"]),
                    header=str(entry["header"]).replace("{n}", str(n)),
                    width=float(entry.get("width", 12)),
                    role=role,
                    rules=rules,
                    list_name=str(entry.get("list") or ""),
                    strict=bool(entry.get("strict", True)),
                    prompt=prompt,
                    hidden=hidden,
                    hidden_in=hidden_in,
                    slot=n,
                    source=source,
                    merge=merge,
                )
            )
    return tuple(columns)


def _hidden(value: Any, here: str) -> tuple[bool, tuple[str, ...]]:
    """(hidden everywhere, workbook kinds it is hidden in) from a column's `hidden:` value."""
    if isinstance(value, bool):
        return value, ()
    if value in HIDDEN_IN:
        return False, (HIDDEN_IN[value],)
    raise LayoutError(f"{here}: hidden must be true, false, {' or '.join(HIDDEN_IN)}, not {value!r}")


def parse_layout(node: Mapping[str, Any], rule_names: set[str]) -> Layout:
    lists: dict[str, ListSpec] = {}
    for name, spec in (node.get("lists") or {}).items():
        source = str(spec.get("source") or "")
        if source and source not in LIST_SOURCES:
            raise LayoutError(f"lists.{name}: source must be one of {LIST_SOURCES}")
        values = tuple(str(v) for v in spec.get("values") or ())
        if not source and not values:
            raise LayoutError(f"lists.{name}: needs values or a source")
        lists[name] = ListSpec(title=str(spec.get("title") or name), values=values, source=source)
    merge = node.get("merge") or {}
    sheets: dict[str, SheetLayout] = {}
    for kind, spec in (node.get("sheets") or {}).items():
        columns = _columns(spec.get("columns") or [], node.get("reporting") or [], f"sheets.{kind}", rule_names)
        for label, items in (("key", [c.key for c in columns]), ("header", [c.header for c in columns])):
            repeated = {x for x in items if items.count(x) > 1}
            if repeated:
                raise LayoutError(f"sheets.{kind}: {label}s used twice: {sorted(repeated)}")
        for column in columns:
            if column.list_name and column.list_name not in lists:
                raise LayoutError(f"sheets.{kind}.{column.key}: list {column.list_name} is not declared")
        match_on = tuple(str(k) for k in spec.get("match_on") or ())
        period_key = str(merge.get("period") or "reporting_period")
        body_key = str(merge.get("body") or "reporting_asb")
        roles = {c.key: c.role for c in columns}
        for key in match_on:
            if roles.get(key) != "plan":
                raise LayoutError(f"sheets.{kind}.match_on: {key!r} is not a plan column")
        for key in (period_key, body_key):
            if roles.get(key) != "reporting":
                raise LayoutError(f"merge: {key!r} is not a reporting column of sheets.{kind}")
        for column in columns:
            if column.merge and column.key in (period_key, body_key):
                raise LayoutError(f"sheets.{kind}.{column.key}: says the period or the body, not a value; remove merge")
            if column.role == "previous" and (
                roles.get(column.source) != "reporting" or column.source in (period_key, body_key)
            ):
                raise LayoutError(
                    f"sheets.{kind}.{column.key}: from {column.source!r} is not a reported value column "
                    f"(a reporting column other than {period_key} and {body_key})"
                )
        sheets[kind] = SheetLayout(
            kind=kind,
            columns=columns,
            match_on=match_on,
            period_key=period_key,
            body_key=body_key,
        )
    return Layout(version=int(node.get("version", 1)), lists=lists, sheets=sheets)


@lru_cache(maxsize=1)
def load_layout() -> Layout:
    """The shipped layout, checked against the rule names in validation/rules.yaml."""
    return parse_layout(load_yaml("workbook_templates", "layout.yaml"), set(load_rule_sets()))


@lru_cache(maxsize=1)
def load_rule_sets() -> dict[str, dict[str, Any]]:
    """The named rule sets of validation/rules.yaml that layout columns refer to (their cerberus rules)."""
    node = load_yaml("validation", "rules.yaml")
    if not isinstance(node, dict):
        raise LayoutError("validation/rules.yaml must be a mapping of rule-set names to cerberus rules")
    return {str(name): dict(rules or {}) for name, rules in node.items()}
