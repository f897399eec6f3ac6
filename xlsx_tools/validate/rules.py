"""Derive the cerberus schema of a sheet from the layout and the named rule sets in validation/rules.yaml."""

from __future__ import annotations

from typing import Any

from xlsx_tools.layout.loader import load_rule_sets
from xlsx_tools.layout.model import SheetLayout


def schema_for(sheet: SheetLayout) -> dict[str, dict[str, Any]]:
    """One cerberus field per layout column: the merge of the rule sets the column names."""
    rule_sets = load_rule_sets()
    return {c.key: {k: v for name in c.rules for k, v in rule_sets[name].items()} for c in sheet.columns}
