"""One validation run: the cerberus validator of a plan, and what the run learns as it goes.

A run is one `tipwp validate` over its files, or one merge over its returns. cerberus validators keep state between
calls, so a validator is never shared between runs (STYLE: stateful validators shared across runs); a run makes its
own, with everything it remembers typed here:
- `answers`: what cerberus said of a (column, value) pair (xlsx_tools.validate.rule_pass) — a dozen returns repeat
  the same period, body and status values hundreds of times, and cerberus is asked about each pair once;
- `header_rows`: what a sheet's header row says (xlsx_tools.validate.checks) — every pillar sheet of every return
  has the same one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cerberus.errors import BaseErrorHandler, ValidationError

from xlsx_tools.findings import Finding
from xlsx_tools.plan.context import PlanContext
from xlsx_tools.plan.status_words import load_status_map
from xlsx_tools.validate.rules import schema_for
from xlsx_tools.validate.validator import PlanValidator, RuleContext

BLANK_RULES = ("not_blank", "expected")
RuleError = tuple[str, str, dict[str, str]]  # (code, value as shown, details)


class FlatErrors(BaseErrorHandler):
    """cerberus' swappable error handler: `validator.errors` as a flat list of its ValidationErrors (the errors of
    a group, such as a rule over a list, opened up), so nothing reads cerberus' private error list."""

    def __call__(self, errors: Any) -> list[ValidationError]:
        return [e for error in errors for e in (self(error.child_errors) if error.is_group_error else [error])]


@dataclass(frozen=True)
class RuleSummary:
    """What the rule pass needs to know of a schema, worked out once per run."""

    ruled: frozenset[str]  # columns with any rule
    blank_matters: frozenset[str]  # columns whose rules say something of a blank cell
    depends: dict[str, tuple[str, ...]]  # column → the other columns its `requires_when` looks at
    no_required: bool  # no column has cerberus' `required` rule
    text_only: frozenset[str]  # columns whose only rule is `text`

    @classmethod
    def of(cls, schema: dict[str, dict[str, Any]]) -> RuleSummary:
        return cls(
            ruled=frozenset(f for f, rules in schema.items() if rules),
            blank_matters=frozenset(f for f, rules in schema.items() if any(r in rules for r in BLANK_RULES)),
            depends={
                f: tuple(dict.fromkeys(o for needed in rules["requires_when"].values() for o in needed))
                for f, rules in schema.items()
                if "requires_when" in rules
            },
            no_required=not any("required" in rules for rules in schema.values()),
            text_only=frozenset(f for f, rules in schema.items() if rules == {"text": True}),
        )


@dataclass(frozen=True)
class HeaderRow:
    """What validating a sheet needs to know of its header row."""

    index: dict[str, int]  # column key → 0-based position, read by header label so moved columns still work
    findings: list[Finding]  # the header row's own problems, with no file or sheet named yet
    letters: dict[str, str]  # column key → its column letter
    plan_keys: list[str]  # the plan columns the sheet has


@dataclass
class ValidationRun:
    """The validator and memory of one run over plan `context` (see the module's docstring)."""

    context: PlanContext
    schema: dict[str, dict[str, Any]] = field(init=False)
    validator: PlanValidator = field(init=False)
    rules: RuleSummary = field(init=False)
    answers: dict[tuple[Any, ...], list[RuleError]] = field(default_factory=dict)
    header_rows: dict[tuple[str, ...], HeaderRow] = field(default_factory=dict)

    def __post_init__(self) -> None:
        context = self.context
        self.schema = schema_for(context.sheet)
        rule_context = RuleContext(
            context.references, context.lists, context.plan.start, context.plan.end, load_status_map()
        )
        self.validator = PlanValidator(
            self.schema,
            rule_context=rule_context,
            labels=context.sheet.labels,
            error_handler=FlatErrors,
            allow_unknown=True,
        )
        self.rules = RuleSummary.of(self.schema)
