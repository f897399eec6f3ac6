"""Everything validation needs about a plan, computed once per run: layout, schema, lists, plan rows by id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xlsx_tools.layout.loader import load_layout
from xlsx_tools.layout.model import Layout, SheetLayout
from xlsx_tools.plan.loader import load_plan
from xlsx_tools.plan.model import Plan, PlanRow
from xlsx_tools.plan.periods import periods_between
from xlsx_tools.plan.reference import References, load_references
from xlsx_tools.validate.rules import schema_for
from xlsx_tools.validate.validator import RuleContext


def list_values(layout: Layout, plan: Plan, references: References) -> dict[str, tuple[str, ...]]:
    """The values of every declared dropdown list, for this plan."""
    values: dict[str, tuple[str, ...]] = {}
    for name, spec in layout.lists.items():
        if spec.source == "registry":
            values[name] = references.registry.codes
        elif spec.source == "apa":
            values[name] = references.apa_refs
        elif spec.source == "periods":
            values[name] = tuple(str(p) for p in periods_between(plan.start, plan.end))
        else:
            values[name] = spec.values
    return values


@dataclass(frozen=True)
class PlanContext:
    plan: Plan
    layout: Layout
    sheet: SheetLayout
    references: References
    lists: dict[str, tuple[str, ...]]
    schema: dict[str, dict[str, Any]]
    rows_by_id: dict[str, PlanRow]

    @property
    def rule_context(self) -> RuleContext:
        return RuleContext(self.references, self.lists, self.plan.start, self.plan.end)


def plan_context(plan_id: str) -> PlanContext:
    plan = load_plan(plan_id)
    layout = load_layout()
    sheet = layout.sheet(plan.kind)
    references = load_references()
    return PlanContext(
        plan=plan,
        layout=layout,
        sheet=sheet,
        references=references,
        lists=list_values(layout, plan, references),
        schema=schema_for(sheet),
        rows_by_id={row.row_id: row for _, row in plan.rows()},
    )
