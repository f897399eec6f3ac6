"""A plan as every part of the tool sees it: the plan, its sheet layout, the reference lists, its dropdown values
and the tables worked out from its rows (their cell texts, fingerprints, bodies and a text-match index).

The writers, validation, the merge and the status matrix all take a `PlanContext`. It depends on the plan and the
layout only (no cerberus: validation builds its validator from it, xlsx_tools.validate.run_state), is made once per
process and plan, and is read-only once made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

from xlsx_tools.layout.bodies import named_bodies
from xlsx_tools.layout.cells import normal_text
from xlsx_tools.layout.loader import load_layout
from xlsx_tools.layout.model import Layout, SheetLayout
from xlsx_tools.plan.cells import fingerprint, plan_cells
from xlsx_tools.plan.loader import load_plan
from xlsx_tools.plan.model import Plan, PlanRow
from xlsx_tools.plan.periods import periods_between
from xlsx_tools.plan.reference import References, load_references


def list_values(layout: Layout, plan: Plan, references: References) -> dict[str, tuple[str, ...]]:
    """The values of every declared dropdown list, for this plan."""
    computed = {
        "registry": references.registry.codes,
        "apa": references.apa_refs,
        "periods": tuple(str(p) for p in periods_between(plan.start, plan.end)),
    }
    return {name: computed.get(spec.source, spec.values) for name, spec in layout.lists.items()}


# (plan rows by all match_on texts, by the last match_on text alone, each row's match_on texts by id)
TextIndex = tuple[dict[tuple[str, ...], list[str]], dict[str, list[str]], dict[str, tuple[str, ...]]]


@dataclass(frozen=True)
class PlanContext:
    """One plan with its layout, references, dropdown values and rows by id; the tables worked out from its rows
    are made on first use (see the module's docstring)."""

    plan: Plan
    layout: Layout
    sheet: SheetLayout
    references: References
    lists: dict[str, tuple[str, ...]]
    rows_by_id: dict[str, PlanRow]

    @cached_property
    def plan_texts(self) -> dict[str, dict[str, str]]:
        """Row id → the row's plan cells as the sheets show them (plan.cells.plan_cells)."""
        return {row_id: plan_cells(self.sheet, row) for row_id, row in self.rows_by_id.items()}

    @cached_property
    def fingerprints(self) -> dict[str, str]:
        """Row id → fingerprint of its locked plan columns, as issued templates record them in their manifest."""
        return {row_id: fingerprint(self.sheet, cells) for row_id, cells in self.plan_texts.items()}

    @cached_property
    def match_index(self) -> TextIndex:
        """Where rows whose ids were lost are looked up (layout `match_on`, texts compared by `normal_text`)."""
        keys = self.sheet.match_on
        by_all: dict[tuple[str, ...], list[str]] = {}
        by_last: dict[str, list[str]] = {}
        by_id: dict[str, tuple[str, ...]] = {}
        for row_id, cells in self.plan_texts.items():
            by_id[row_id] = tuple(normal_text(cells.get(k, "")) for k in keys)
            by_all.setdefault(by_id[row_id], []).append(row_id)
            if keys and cells.get(keys[-1]):
                by_last.setdefault(normal_text(cells[keys[-1]]), []).append(row_id)
        return by_all, by_last, by_id

    @cached_property
    def bodies(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        """Row id → (coordinating, supporting) sectoral bodies of the plan, as registry codes; collective terms
        ("Relevant ASBs") are left out, and a body that coordinates is not listed again as supporting. Each in the
        row's order (the order a combined master cell shows their contributions in)."""
        registry = self.references.registry
        code_of: dict[str, str] = {}  # a written name → its body's code ("" for a collective term); names repeat

        def codes(names: tuple[str, ...]) -> tuple[str, ...]:
            for name in names:
                if name not in code_of:
                    body = registry.resolve(name)
                    code_of[name] = body.code if body is not None and body.kind == "body" else ""
            return tuple(dict.fromkeys(code for n in names if (code := code_of[n])))

        out = {}
        for row_id, cells in self.plan_texts.items():
            coordinating, supporting = named_bodies(self.sheet, cells)
            leads = codes(coordinating)
            out[row_id] = (leads, tuple(c for c in codes(supporting) if c not in leads))
        return out


@lru_cache(maxsize=4)
def plan_context(plan_id: str) -> PlanContext:
    """The context of plan `plan_id` (ValueError for an unknown id): the plan, layout and references (cached by
    their loaders too), the dropdown lists and the rows by id."""
    plan = load_plan(plan_id)
    layout = load_layout()
    references = load_references()
    return PlanContext(
        plan=plan,
        layout=layout,
        sheet=layout.sheet(plan.kind),
        references=references,
        lists=list_values(layout, plan, references),
        rows_by_id={row.row_id: row for _, row in plan.rows()},
    )


def as_the_master_shows(context: PlanContext, sheets: Mapping[str, Iterable[Mapping[str, str]]]) -> PlanContext:
    """`context` with the plan as a master shows it: `sheets` gives, per pillar sheet, the id and plan texts (by
    layout key) of each of its rows; a row whose id the shipped plan lacks is an added activity (accepted from a
    proposal, `tipwp proposals apply`), a row whose plan text differs an accepted edit. They are then matched,
    issued, validated and shown like any other. The merge and `tipwp validate` of a master both read it so."""
    added: dict[str, list[PlanRow]] = {}
    amended: dict[str, PlanRow] = {}
    for sheet_name, rows in sheets.items():
        for texts in rows:
            row_id = texts.get("row_id", "")
            if not row_id:
                continue
            if row_id not in context.rows_by_id:
                added.setdefault(sheet_name, []).append(row_from_cells(context.sheet, texts))
            elif any(texts.get(k, "") != v for k, v in context.plan_texts[row_id].items()):
                amended[row_id] = row_from_cells(context.sheet, texts)
    if not added and not amended:
        return context
    pillars = tuple(
        dataclasses.replace(
            pillar,
            rows=(*(amended.get(r.row_id, r) for r in pillar.rows), *added.get(pillar.sheet_name, ())),
        )
        for pillar in context.plan.pillars
    )
    plan = dataclasses.replace(context.plan, pillars=pillars)
    return dataclasses.replace(context, plan=plan, rows_by_id={row.row_id: row for _, row in plan.rows()})


def row_from_cells(sheet: SheetLayout, cells: Mapping[str, str]) -> PlanRow:
    """A plan row from the texts a sheet shows for it (the reverse of plan.cells.plan_cells): slotted columns are
    gathered into their base key."""
    values: dict[str, str | tuple[str, ...]] = {}
    for column in sheet.plan_columns:
        text = cells.get(column.key, "")
        if column.slot:
            values[column.base_key] = (*values.get(column.base_key, ()), *((text,) if text else ()))
        else:
            values[column.key] = text
    return PlanRow(cells.get("row_id", ""), values)
