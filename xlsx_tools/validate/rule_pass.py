"""Run a row through the cerberus rules, asking cerberus once per distinct value of a column in a run.

Every rule of validation/rules.yaml looks at one cell, except `requires_when`, which also looks at whether some
other cells of the row are blank. So what cerberus says about a cell depends only on (column, value) — plus, for a
`requires_when` column, which of its other columns are blank — and a run asks cerberus only about combinations it
has not seen yet: 12 returns repeat the same period, body and status values hundreds of times. The answers are
kept on the run's PlanContext (made per run, like its validator), never between runs.

Blank cells of columns without a rule about blanks (`not_blank`, `expected`) cannot fail any rule and are not sent.
A column whose only rule is `text` (the narratives: progress, results, resource needs; nearly every value distinct)
is answered by that rule's own function (validator.text_problems) rather than through a cerberus call, which costs
twenty times the check; the answer is the same by construction, since the rule is that function.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from xlsx_tools.validate.validator import FINDING, text_problems

if TYPE_CHECKING:
    from xlsx_tools.validate.context import PlanContext

BLANK_RULES = ("not_blank", "expected")
RuleError = tuple[str, str, dict[str, str]]  # (code, value as shown, details)


def rule_errors(context: PlanContext, document: dict[str, Any]) -> list[tuple[str, RuleError]]:
    """(column key, error) for every rule a row breaks, in the row's column order."""
    plan = _rule_plan(context)
    memo: dict[tuple[Any, ...], list[RuleError]] = plan["memo"]
    blank_matters: set[str] = plan["blank_matters"]
    depends: dict[str, tuple[str, ...]] = plan["depends"]
    ruled: set[str] = plan["ruled"]
    keys: dict[str, tuple[Any, ...]] = {}
    for field, value in document.items():
        if field not in ruled or ((value is None or value == "") and field not in blank_matters):
            continue
        others = depends.get(field)
        keys[field] = (field, value) if not others else (field, value, *(document.get(o) in (None, "") for o in others))
    missing = [field for field, key in keys.items() if key not in memo]
    if missing:
        _ask_cerberus(context, document, missing, keys, plan)
    return [(field, error) for field, key in keys.items() for error in memo[key]]


def _ask_cerberus(
    context: PlanContext,
    document: dict[str, Any],
    missing: list[str],
    keys: dict[str, tuple[Any, ...]],
    plan: dict[str, Any],
) -> None:
    memo: dict[tuple[Any, ...], list[RuleError]] = plan["memo"]
    depends: dict[str, tuple[str, ...]] = plan["depends"]
    text_only: set[str] = plan["text_only"]
    for field in [f for f in missing if f in text_only]:
        value = document[field]
        memo[keys[field]] = [(code, display(value), details) for code, details in text_problems(value)]
    missing = [f for f in missing if f not in text_only]
    if not missing:
        return
    asked = {field: document[field] for field in missing}
    for field in missing:
        for other in depends.get(field, ()):
            if other in document:
                asked.setdefault(other, document[other])
    validator = context.validator
    # no normalisation: the rule sets have no coerce/default/rename rules, and cerberus' normalising pass costs
    # five times the validation itself. `update=True` only skips cerberus' scan for `required` fields (a loop over
    # the whole schema on every call), so it is used when no column has a `required` rule.
    validator.validate(asked, update=plan["no_required"], normalize=False)
    found: dict[str, list[RuleError]] = {field: [] for field in missing}
    for error in _flatten(validator._errors):
        if error.field not in found:
            continue  # a column sent only as another's context; its own answer is asked for when it is missing
        if error.code == FINDING.code:
            found[error.field].append((error.info[0], display(error.value), dict(error.info[1])))
        else:
            found[error.field].append(("CELL_360", display(error.value), {"detail": str(error.rule)}))
    for field, errors in found.items():
        memo[keys[field]] = errors


def _rule_plan(context: PlanContext) -> dict[str, Any]:
    """What the pass needs to know of the schema, worked out once per context, with the run's memo."""
    plan: dict[str, Any] | None = context.run_cache.get("rule_pass")
    if plan is None:
        schema = context.schema
        depends = {
            field: tuple(dict.fromkeys(o for needed in rules["requires_when"].values() for o in needed))
            for field, rules in schema.items()
            if "requires_when" in rules
        }
        plan = {
            "memo": {},
            "ruled": {field for field, rules in schema.items() if rules},
            "blank_matters": {field for field, rules in schema.items() if any(r in rules for r in BLANK_RULES)},
            "depends": depends,
            "no_required": not any("required" in rules for rules in schema.values()),
            "text_only": {field for field, rules in schema.items() if rules == {"text": True}},
        }
        context.run_cache["rule_pass"] = plan
    return plan


def _flatten(errors: Any) -> list[Any]:
    out = []
    for error in errors:
        if error.is_group_error:
            out.extend(_flatten(error.child_errors))
        else:
            out.append(error)
    return out


def display(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)
