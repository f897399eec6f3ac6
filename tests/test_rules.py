"""Rules in isolation: small inline documents through the real cerberus validator (pyxform's inline-table habit)."""

from __future__ import annotations

import datetime as dt

import pytest

from xlsx_tools.plan.context import plan_context
from xlsx_tools.plan.periods import Period, periods_between
from xlsx_tools.validate.dates import parse_dates
from xlsx_tools.validate.run_state import ValidationRun
from xlsx_tools.validate.validator import FINDING


def codes(document: dict[str, object]) -> list[tuple[str, str]]:
    validator = ValidationRun(plan_context("bwp2")).validator
    validator.validate(document)
    return [(e.field, e.info[0]) for e in validator.errors if e.code == FINDING.code]


def test_excel_cell_limit() -> None:
    assert ("progress", "CELL_304") in codes({"progress": "x" * 32_768})
    assert codes({"progress": "x" * 32_767}) == []


def test_control_characters() -> None:
    assert ("progress", "CELL_305") in codes({"progress": "bell\x07here"})
    assert codes({"progress": "two\nlines\tand tab"}) == []


@pytest.mark.parametrize("text", ["=SUM(A1)", "+63 2 555", "-5 participants", "@mention"])
def test_text_excel_would_run_as_a_formula(text: str) -> None:
    assert ("progress", "CELL_303") in codes({"progress": text})


def test_completed_needs_narrative_and_date() -> None:
    assert ("status", "CELL_321") in codes({"status": "Completed", "progress": "", "event_dates": ""})
    assert codes({"status": "Completed", "progress": "Held.", "event_dates": "6 June 2025"}) == []
    assert codes({"status": "Ongoing", "progress": "", "event_dates": ""}) == []


def test_asb_aliases_and_suggestions() -> None:
    assert codes({"reporting_asb": "SOM-ED"}) == []
    assert codes({"reporting_asb": "SOMED"}) == [("reporting_asb", "CELL_311")]
    assert codes({"reporting_asb": "Ministry of Fun"}) == [("reporting_asb", "CELL_310")]


def test_several_apa_items_are_checked_one_by_one() -> None:
    assert codes({"apa_refs": "IV.A(a); IV.A(j)"}) == []
    assert codes({"apa_refs": "IV.A(a); IV.A(z)"}) == [("apa_refs", "CELL_350")]


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("6 June 2017", dt.date(2017, 6, 6), dt.date(2017, 6, 6)),
        ("June 6-8, 2017", dt.date(2017, 6, 6), dt.date(2017, 6, 8)),
        ("27-29 May 2019", dt.date(2019, 5, 27), dt.date(2019, 5, 29)),
        ("29 – 30 March 2022", dt.date(2022, 3, 29), dt.date(2022, 3, 30)),
        ("2025-01-31", dt.date(2025, 1, 31), dt.date(2025, 1, 31)),
        ("06/07/2025", dt.date(2025, 7, 6), dt.date(2025, 7, 6)),
        ("June 6-8, 2017, Manila, Philippines", dt.date(2017, 6, 6), dt.date(2017, 6, 8)),
        ("September 2024", dt.date(2024, 9, 1), dt.date(2024, 9, 30)),
        ("14 October 2026", dt.date(2026, 10, 14), dt.date(2026, 10, 14)),  # "to" inside October is not a range
        ("October 14, 2026", dt.date(2026, 10, 14), dt.date(2026, 10, 14)),
        ("3 to 5 October 2026", dt.date(2026, 10, 3), dt.date(2026, 10, 5)),
    ],
)
def test_text_dates_are_understood(text: str, first: dt.date, last: dt.date) -> None:
    assert parse_dates(text) == [(first, last)]


@pytest.mark.parametrize("text", ["soon", "31 June 2025", "2025-13-01", "Q3"])
def test_non_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_dates(text)


def test_periods() -> None:
    assert str(Period.parse(" 2026-h2 ")) == "2026-H2"
    assert Period.parse("2026-H2").next() == Period(2027, 1)
    assert Period.parse("2026-H1").previous() == Period(2025, 2)
    plan_periods = periods_between(dt.date(2023, 1, 1), dt.date(2028, 12, 31))
    assert len(plan_periods) == 12 and str(plan_periods[0]) == "2023-H1" and str(plan_periods[-1]) == "2028-H2"
    with pytest.raises(ValueError):
        Period.parse("2026-H3")


# The rule pass asks cerberus once per distinct (column, value) in a run, and answers a column whose only rule is
# `text` with that rule's own function; over random rows it must say exactly what one full cerberus validation of
# each row (with normalisation, as cerberus does by default) says.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from xlsx_tools.validate.rule_pass import rule_errors  # noqa: E402

_VALUES = {
    "status": ["", "Completed", "Ongoing", "Done?", "completed", "Not started"],
    "progress": ["", "Held.", "=SUM(A1)", "bell\x07", "-5 people", "x" * 40, "=x" * 16_384 + "\x01", 3],
    "event_dates": ["", "6 June 2025", "2017-06-06", "32 June 2026", dt.date(2026, 6, 6), "June 6-8, 2026"],
    "reporting_period": ["", "2026-H2", "2026-H3", "2031-H1"],
    "reporting_asb": ["", "SOMTC", "SOMTCC", "SOMED"],
    "coordinating_asb": ["", "ACWC", "nobody"],
    "apa_refs": ["", "IV.A(a)", "IV.Z(z); IV.B(a)"],
    "actip_refs": ["", "Art. 12(b)", "Article 99"],
    "activity": ["", "Train officers."],
    "outcome_code": ["", "A.1"],
    "previous_status": ["", "anything"],
}


def _direct(document: dict[str, object]) -> list[tuple[str, str, str]]:
    """What a fresh run's cerberus validator says of the whole row, asked directly."""
    validator = ValidationRun(plan_context("bwp2")).validator
    validator.validate(document)
    out = []
    for error in validator.errors:
        if error.code == FINDING.code:
            out.append((error.field, error.info[0], str(sorted(dict(error.info[1]).items()))))
    return sorted(out)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({k: st.sampled_from(v) for k, v in _VALUES.items()}), min_size=1, max_size=8))
def test_rule_pass_says_what_cerberus_says(rows: list[dict[str, object]]) -> None:
    run = ValidationRun(plan_context("bwp2"))  # one run: the memo is shared by the rows, as in a merge
    for document in rows:
        passed = sorted((f, code, str(sorted(details.items()))) for f, (code, _, details) in rule_errors(run, document))
        assert passed == _direct(document)


def test_runs_share_the_plan_tables_but_not_what_a_run_learnt() -> None:
    """A plan's tables (plan cells, fingerprints, bodies) are worked out once per process; what a run learns from
    its input (cerberus's answers, header rows) and its validator start anew in every run."""
    first, second = ValidationRun(plan_context("bwp2")), ValidationRun(plan_context("bwp2"))
    assert first.context is second.context and first.context.plan_texts is second.context.plan_texts
    rule_errors(first, {"status": "Ongoing", "progress": "Held."})
    assert first.answers and second.answers == {} and second.header_rows == {}
    assert first.validator is not second.validator
