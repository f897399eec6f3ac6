"""Run a row through the cerberus rules, asking cerberus once per distinct value of a column in a run.

Every rule of validation/rules.yaml looks at one cell, except `requires_when`, which also looks at whether some
other cells of the row are blank. So what cerberus says about a cell depends only on (column, value) — plus, for a
`requires_when` column, which of its other columns are blank — and a run asks cerberus only about combinations it
has not seen yet: 12 returns repeat the same period, body and status values hundreds of times. The answers are
kept on the run (xlsx_tools.validate.run_state.ValidationRun), never between runs.

Blank cells of columns without a rule about blanks (`not_blank`, `expected`) cannot fail any rule and are not sent.
A column whose only rule is `text` (the narratives: progress, results, resource needs; nearly every value distinct)
is answered by that rule's own function (validator.text_problems) rather than through a cerberus call; the answer
is the same by construction, since the rule is that function.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xlsx_tools.validate.run_state import RuleError, ValidationRun
from xlsx_tools.validate.validator import FINDING, text_problems


def rule_errors(run: ValidationRun, document: dict[str, Any]) -> list[tuple[str, RuleError]]:
    """(column key, error) for every rule a row breaks, in the row's column order."""
    rules = run.rules
    memo = run.answers
    keys: dict[str, tuple[Any, ...]] = {}
    for field, value in document.items():
        if field not in rules.ruled or ((value is None or value == "") and field not in rules.blank_matters):
            continue
        keys[field] = (field, value, *(document.get(o) in (None, "") for o in rules.depends.get(field, ())))
    missing = [field for field, key in keys.items() if key not in memo]
    if missing:
        _ask_cerberus(run, document, missing, keys)
    return [(field, error) for field, key in keys.items() for error in memo[key]]


def _ask_cerberus(
    run: ValidationRun, document: dict[str, Any], missing: list[str], keys: dict[str, tuple[Any, ...]]
) -> None:
    rules = run.rules
    memo = run.answers
    for field in [f for f in missing if f in rules.text_only]:
        value = document[field]
        memo[keys[field]] = [(code, display(value), details) for code, details in text_problems(value)]
    missing = [f for f in missing if f not in rules.text_only]
    if not missing:
        return
    asked = {field: document[field] for field in missing}
    for field in missing:
        for other in rules.depends.get(field, ()):
            if other in document:
                asked.setdefault(other, document[other])
    validator = run.validator
    # no normalisation: the rule sets have no coerce/default/rename rules. `update=True` only skips cerberus' scan
    # for `required` fields, so it is used when no column has a `required` rule.
    validator.validate(asked, update=rules.no_required, normalize=False)
    found: dict[str, list[RuleError]] = {field: [] for field in missing}
    for error in validator.errors:  # flat: the run's validator reports through validate.run_state.FlatErrors
        if error.field not in found:
            continue  # a column sent only as another's context; its own answer is asked for when it is missing
        if error.code == FINDING.code:
            found[error.field].append((error.info[0], display(error.value), dict(error.info[1])))
        else:
            found[error.field].append(("CELL_360", display(error.value), {"detail": str(error.rule)}))
    for field, errors in found.items():
        memo[keys[field]] = errors


def display(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)
