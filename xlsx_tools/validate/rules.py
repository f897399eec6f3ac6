"""Derive the cerberus schema of a sheet from the layout and the named rule sets in validation/rules.yaml."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from xlsx_tools.layout.model import SheetLayout
from xlsx_tools.resources import load_yaml


@lru_cache(maxsize=1)
def load_rule_sets() -> dict[str, dict[str, Any]]:
    node = load_yaml("validation", "rules.yaml")
    if not isinstance(node, dict):
        raise ValueError("validation/rules.yaml must be a mapping of rule-set names to cerberus rules")
    return {str(name): dict(rules or {}) for name, rules in node.items()}


def schema_for(sheet: SheetLayout) -> dict[str, dict[str, Any]]:
    """One cerberus field per layout column: the merge of the rule sets the column names."""
    rule_sets = load_rule_sets()
    schema: dict[str, dict[str, Any]] = {}
    for column in sheet.columns:
        rules: dict[str, Any] = {}
        for name in column.rules:
            rules.update(rule_sets[name])
        schema[column.key] = rules
    return schema
