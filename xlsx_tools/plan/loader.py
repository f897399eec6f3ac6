"""Load a shipped plan (workbook_templates/plans/<id>/) into the model, checking the declaration as it goes.

A broken plan file is a programming/data error, not a user error: it stops at load time with PlanDataError naming
the file and the path inside it (the cerberus SchemaError habit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from xlsx_tools.layout.bodies import BODY_KEYS, SUPPORT_KEYS
from xlsx_tools.plan.model import (
    Activity,
    ActivityType,
    Outcome,
    Pillar,
    Plan,
    PlanDataError,
    PlanRow,
    Refs,
    RowValue,
)
from xlsx_tools.plan.reference import load_references
from xlsx_tools.resources import load_yaml

PLAN_IDS = ("bwp2", "bwp1")
DEFAULT_PLAN = "bwp2"


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise PlanDataError(where, f"expected a list of text, found {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str | int | float):
            raise PlanDataError(f"{where}[{i}]", f"expected text, found {type(item).__name__}")
    return tuple(text for item in value if (text := str(item).strip()))


def _text(node: Mapping[str, Any], key: str, where: str, required: bool = False) -> str:
    value = node.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str | int | float):
        raise PlanDataError(f"{where}.{key}", f"expected text, found {type(value).__name__}")
    text = " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()
    if required and not text:
        raise PlanDataError(f"{where}.{key}", "is required")
    return text


def parse_refs(value: Any, where: str) -> Refs:
    """Footnote references: one mapping or a list of them (see DATA_FORMAT.md)."""
    if value is None:
        return Refs()
    if isinstance(value, list):
        return sum((parse_refs(item, f"{where}[{i}]") for i, item in enumerate(value)), Refs())
    if not isinstance(value, Mapping):
        raise PlanDataError(where, "refs must be a mapping or a list of mappings")
    footnote = value.get("footnote")
    footnotes: tuple[int, ...] = ()
    if footnote is not None:
        try:
            footnotes = (int(footnote),)
        except (TypeError, ValueError) as exc:
            raise PlanDataError(f"{where}.footnote", f"not a number: {footnote!r}") from exc
    return Refs(
        actip=_strings(value.get("actip"), f"{where}.actip"),
        apa=_strings(value.get("apa"), f"{where}.apa"),
        bwp=_strings(value.get("bwp"), f"{where}.bwp"),
        other=_strings(value.get("other"), f"{where}.other"),
        footnotes=footnotes,
        sources=_strings(value.get("source"), f"{where}.source"),
    )


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise PlanDataError(where, f"not a date: {value!r}") from exc


def _bwp2_rows(outcomes: tuple[Outcome, ...]) -> tuple[PlanRow, ...]:
    rows: list[PlanRow] = []
    for outcome in outcomes:
        for atype in outcome.types:
            refs = outcome.refs + atype.refs
            activities = atype.activities or (Activity(text=""),)
            for number, activity in enumerate(activities, start=1):
                row_refs = refs + activity.refs
                coordinating = atype.coordinating_asbs
                values: dict[str, RowValue] = {
                    "outcome_code": outcome.code,
                    "outcome_text": outcome.text,
                    "type_code": atype.code,
                    "type_description": atype.description,
                    "example": atype.example,
                    "activity_no": str(number) if atype.activities else "",
                    "activity": activity.text,
                    "coordinating_asb": coordinating[0] if coordinating else "",
                    "co_coordinating_asb": "; ".join(coordinating[1:]),
                    "supporting_asb": atype.supporting_asbs,
                    "indicators": "\n".join(f"• {i}" for i in atype.indicators),
                    "apa_refs": "; ".join(row_refs.apa),
                    "actip_refs": "; ".join(f"Art. {a}" for a in row_refs.actip),
                    "bwp_refs": "; ".join(row_refs.bwp),
                }
                flags = list(atype.flags)
                if not atype.activities:
                    flags.append("no activity/project listed in source")
                rows.append(PlanRow(f"{atype.code}-{number:02d}", values, tuple(dict.fromkeys(flags))))
    return tuple(rows)


def _bwp2_pillar(node: Mapping[str, Any], where: str, sheet: str) -> Pillar:
    code = _text(node, "code", where, required=True)
    outcomes = []
    for i, onode in enumerate(node.get("outcomes") or []):
        owhere = f"{where}.outcomes[{i}]"
        types = []
        for j, tnode in enumerate(onode.get("types") or []):
            twhere = f"{owhere}.types[{j}]"
            activities = tuple(
                Activity(
                    text=_text(anode, "text", f"{twhere}.activities[{k}]"),
                    refs=parse_refs(anode.get("refs"), f"{twhere}.activities[{k}].refs"),
                )
                for k, anode in enumerate(tnode.get("activities") or [])
            )
            types.append(
                ActivityType(
                    code=_text(tnode, "code", twhere, required=True),
                    description=_text(tnode, "description", twhere, required=True),
                    example=_text(tnode, "example", twhere),
                    coordinating_asbs=_strings(tnode.get("coordinating_asbs"), f"{twhere}.coordinating_asbs"),
                    supporting_asbs=_strings(tnode.get("supporting_asbs"), f"{twhere}.supporting_asbs"),
                    activities=activities,
                    indicators=_strings(tnode.get("indicators"), f"{twhere}.indicators"),
                    refs=parse_refs(tnode.get("refs"), f"{twhere}.refs"),
                    flags=_strings(tnode.get("flags"), f"{twhere}.flags"),
                    notes=_strings(tnode.get("notes"), f"{twhere}.notes"),
                )
            )
        outcomes.append(
            Outcome(
                code=_text(onode, "code", owhere, required=True),
                text=_text(onode, "text", owhere, required=True),
                types=tuple(types),
                refs=parse_refs(onode.get("refs"), f"{owhere}.refs"),
            )
        )
    return Pillar(
        code=code,
        title=_text(node, "title", where, required=True),
        sheet_name=sheet,
        goal=_text(node, "goal", where),
        rows=_bwp2_rows(tuple(outcomes)),
        outcomes=tuple(outcomes),
        goal_refs=parse_refs(node.get("goal_refs"), f"{where}.goal_refs"),
    )


def _bwp1_pillar(node: Mapping[str, Any], where: str, sheet: str) -> Pillar:
    code = _text(node, "code", where, required=True)
    rows: list[PlanRow] = []
    for i, pnode in enumerate(node.get("provisions") or []):
        pwhere = f"{where}.provisions[{i}]"
        for j, anode in enumerate(pnode.get("areas") or []):
            awhere = f"{pwhere}.areas[{j}]"
            for k, act in enumerate(anode.get("activities") or []):
                xwhere = f"{awhere}.activities[{k}]"
                lead = _strings(act.get("lead"), f"{xwhere}.lead")
                activity_code = _text(act, "code", xwhere, required=True)
                values: dict[str, RowValue] = {
                    "apa_ref": _text(pnode, "apa", pwhere),
                    "provision_text": _text(pnode, "text", pwhere),
                    "area_code": _text(anode, "code", awhere),
                    "area_text": _text(anode, "text", awhere),
                    "activity_code": activity_code,
                    "activity": _text(act, "text", xwhere, required=True),
                    "expected_output": _text(act, "expected_output", xwhere),
                    "lead_asb": lead[0] if lead else "",
                    "co_lead_asb": "; ".join(lead[1:]),
                    "cooperating_asb": _strings(act.get("cooperating"), f"{xwhere}.cooperating"),
                    "source_status": _text(act, "status", xwhere),
                }
                flags = _strings(act.get("flags"), f"{xwhere}.flags")
                rows.append(PlanRow(f"{code}.{activity_code}", values, flags))
    return Pillar(
        code=code,
        title=_text(node, "title", where, required=True),
        sheet_name=sheet,
        goal="",
        rows=tuple(rows),
    )


@lru_cache(maxsize=4)
def load_plan(plan_id: str = DEFAULT_PLAN) -> Plan:
    """Load one of the shipped plans by id ("bwp2" or "bwp1"). The plans are package data and the model is
    immutable, so a process loads each once (a merge, the matrix and the Excel bridge share it)."""
    if plan_id not in PLAN_IDS:
        raise PlanDataError("plan", f"unknown plan {plan_id!r}; choose one of {', '.join(PLAN_IDS)}")
    meta = load_yaml("workbook_templates", "plans", plan_id, "plan.yaml")
    where = f"plans/{plan_id}/plan.yaml"
    kind = _text(meta, "kind", where, required=True)
    build = _bwp2_pillar if kind == "bwp2" else _bwp1_pillar
    pillars = []
    for i, entry in enumerate(meta.get("pillars") or []):
        file_name = _text(entry, "file", f"{where}.pillars[{i}]", required=True)
        sheet = _text(entry, "sheet", f"{where}.pillars[{i}]", required=True)
        if len(sheet) > 31 or any(ch in sheet for ch in "[]:*?/\\"):
            raise PlanDataError(f"{where}.pillars[{i}].sheet", f"{sheet!r} is not a valid Excel sheet name")
        node = load_yaml("workbook_templates", "plans", plan_id, file_name)
        pillars.append(build(node, f"plans/{plan_id}/{file_name}", sheet))
    plan = Plan(
        id=_text(meta, "id", where, required=True),
        kind=kind,
        title=_text(meta, "title", where, required=True),
        short_title=_text(meta, "short_title", where, required=True),
        version=_text(meta, "version", where, required=True),
        start=_date(meta.get("start"), f"{where}.start"),
        end=_date(meta.get("end"), f"{where}.end"),
        pillars=tuple(pillars),
    )
    _check_unique_ids(plan)
    return _with_registry_codes(plan)


def _with_registry_codes(plan: Plan) -> Plan:
    """Sectoral bodies written with the registry's code (SOMED → SOM-ED), so that the dropdown cells of the master
    hold list values. The source's own spelling stays in the data files (lead_source, notes)."""
    registry = load_references().registry

    def code(name: str) -> str:
        body = registry.resolve(name)
        return body.code if body else name

    def canonical(row: PlanRow) -> PlanRow:
        values = dict(row.values)
        for key in (*BODY_KEYS, *SUPPORT_KEYS):
            value = values.get(key)
            if isinstance(value, tuple):
                values[key] = tuple(code(v) for v in value)
            elif value:
                values[key] = "; ".join(code(v.strip()) for v in value.split(";"))
        return replace(row, values=values)

    pillars = tuple(replace(p, rows=tuple(canonical(r) for r in p.rows)) for p in plan.pillars)
    return replace(plan, pillars=pillars)


def _check_unique_ids(plan: Plan) -> None:
    seen: set[str] = set()
    for pillar, row in plan.rows():
        if row.row_id in seen:
            raise PlanDataError(f"plans/{plan.id}/{pillar.sheet_name}", f"row id {row.row_id} is not unique")
        seen.add(row.row_id)
