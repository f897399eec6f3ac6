"""Property tests: over random sequences of returns — conflicting, repeated, superseding, malformed — no submitted
value is ever lost. Each one is shown in the master, or kept in the history (current, superseded or held back), and
every disagreement between bodies is on the Conflicts list.

The first test drives the pure merge core over many sequences; the second drives the real thing (real templates
filled with openpyxl, `merge_returns` writing the real master) over fewer, and checks the same on the saved file.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.returns_kit import fill, issue, logs, master_values
from xlsx_tools.layout.loader import load_layout
from xlsx_tools.merge.consolidate import consolidate, latest_returns
from xlsx_tools.merge.model import MasterState, Refusal, Source, Submission, SubmittedValue
from xlsx_tools.merge.run import merge_returns
from xlsx_tools.sheet_names import HISTORY_SHEET
from xlsx_tools.workbook.master import build_master

ROWS = ("R1", "R2", "R3")
FIELDS = ("status", "progress")
BODIES = ("SOMTC", "SOM-ED", "ACWC")
TEXTS = ("Ongoing", "Completed", "Not started", "=1+1", "two workshops", "")


def empty_state() -> MasterState:
    return MasterState(
        period="2026-H2",
        cells={row: {"status": "", "progress": "", "reporting_period": "", "reporting_asb": ""} for row in ROWS},
        coordinators={"R1": ("SOMTC",), "R2": ("SOM-ED",), "R3": ()},
        value_fields=FIELDS,
    )


@st.composite
def returns(draw: st.DrawFn) -> list[Submission | Refusal]:
    """A batch sequence: new files, exact repeats of earlier files, and refused (malformed) files."""
    items: list[Submission | Refusal] = []
    for number in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["new", "new", "new", "repeat", "malformed"]))
        if kind == "repeat" and any(isinstance(i, Submission) for i in items):
            items.append(draw(st.sampled_from([i for i in items if isinstance(i, Submission)])))
            continue
        if kind == "malformed":
            items.append(Refusal(f"bad{number}.xlsx", draw(st.uuids()).hex, []))
            continue
        body = draw(st.sampled_from(BODIES))
        cells = draw(
            st.dictionaries(
                st.tuples(st.sampled_from(ROWS), st.sampled_from(FIELDS)), st.sampled_from(TEXTS), max_size=5
            )
        )
        held = draw(st.sets(st.sampled_from(sorted(cells)), max_size=1)) if cells else set()
        sha = draw(st.uuids()).hex  # a new file has new content, hence a new hash
        source = Source(asb=body, file=f"{body}-{number}.xlsx", sha256=sha, period="2026-H2")
        values = [
            SubmittedValue(row, field, text, "A", "A1", held="CELL_320" if (row, field) in held else "")
            for (row, field), text in cells.items()
            if text
        ]
        items.append(Submission(source=source, values=values))
    return items


def check_nothing_lost(state: MasterState, submitted: Iterable[Submission], conflicts: list) -> None:
    history = {(h.sha256, h.row_id, h.field, h.value) for h in state.history}
    for submission in submitted:
        for value in submission.values:
            assert (submission.source.sha256, value.row_id, value.field, value.value) in history
    latest = latest_returns(state)
    current: dict[tuple[str, str], dict[str, str]] = {}
    for entry in state.history:
        if latest.get(entry.asb) == entry.sha256 and not entry.note.startswith("held") and entry.value:
            current.setdefault((entry.row_id, entry.field), {})[entry.asb] = entry.value
    listed = {(c.row_id, c.field): dict(c.candidates) for c in conflicts}
    for (row, field), by_body in current.items():
        shown = state.cells[row][field]
        if len(set(by_body.values())) > 1:
            assert listed[(row, field)] == by_body  # every disagreeing value is on the Conflicts list
        else:
            assert shown == next(iter(by_body.values()))
        assert shown in by_body.values() or shown == state.decisions.get((state.period, row, field))


@settings(max_examples=300, deadline=None)
@given(batches=st.lists(returns(), min_size=1, max_size=4), decide=st.booleans())
def test_pure_merge_never_loses_a_value(batches: list[list[Submission | Refusal]], decide: bool) -> None:
    state = empty_state()
    submitted: list[Submission] = []
    last_decision = ("", "", "")
    for batch in batches:
        before = list(state.history)
        plan = consolidate(state, batch, merged_at="2026-12-01T00:00:00Z")
        assert plan.state.history[: len(before)] == before  # the history only grows
        state = plan.state
        submitted += [i for i in batch if isinstance(i, Submission)]
        check_nothing_lost(state, submitted, plan.conflicts)
        decided = decide and bool(plan.conflicts)
        if decided:  # the secretariat sides with the last-ranked body; the next merge must apply it
            first = plan.conflicts[0]
            last_decision = (first.period, first.row_id, first.field)
            state.decisions[last_decision] = first.candidates[-1][0]
    everything = [i for b in batches for i in b if isinstance(i, Submission)]
    again = consolidate(state, everything, "2026-12-02T00:00:00Z")
    assert {o.outcome for o in again.outcomes} <= {"already merged"}
    if decided:
        chosen = next(c for c in again.conflicts if (c.period, c.row_id, c.field) == last_decision)
        assert again.state.cells[chosen.row_id][chosen.field] == dict(chosen.candidates)[chosen.decision]
        again = consolidate(again.state, everything, "2026-12-03T00:00:00Z")
    assert again.changes == []  # merging everything again changes nothing


SHARED = ("A.1.1-01", "A.1.1-02")  # coordinated by SOMTC, supported by SOM-ED


@pytest.fixture(scope="module")
def real_templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("property")
    master = folder / "master.xlsx"
    build_master(master, plan_id="bwp2", period="2026-H2")
    return master, issue(master, folder / "templates", asbs=("SOMTC", "SOM-ED"))


REAL_TEXTS = ("Ongoing", "Completed", "Postponed", "done: 3 workshops", "=SUM(1,2)", "")


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["SOMTC", "SOM-ED"]),
            st.dictionaries(
                st.tuples(st.sampled_from(SHARED), st.sampled_from(["status", "progress"])),
                st.sampled_from(REAL_TEXTS),
                min_size=1,
                max_size=3,
            ),
            st.booleans(),  # send the previous file again as well
        ),
        min_size=1,
        max_size=3,
    )
)
def test_real_merges_never_lose_a_value(
    real_templates: tuple[Path, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory, steps: list
) -> None:
    master_template, templates = real_templates
    folder = tmp_path_factory.mktemp("run")
    master = folder / "master.xlsx"
    shutil.copy(master_template, master)
    sent: list[tuple[str, Path, dict]] = []
    for number, (body, cells, repeat) in enumerate(steps):
        values: dict[str, dict[str, str]] = {}
        for (row, field), text in cells.items():
            values.setdefault(row, {})[field] = text
        path = fill(templates[body], values, out=folder / f"{number}-{body}.xlsx")
        batch = [path] + ([sent[-1][1]] if repeat and sent else [])
        merge_returns(master, batch)
        sent.append((body, path, cells))
    history = logs(master)[HISTORY_SHEET]
    # by content, not name: two returns filled alike within one second are the same bytes, and the second is
    # rightly "already merged" (MERGE_505); its values are in History under the first one's name
    recorded = {(h["sha256"], h["row_id"], h["field"], h["value"]) for h in history}
    labels = {"status": "Status", "progress": "Progress narrative"}
    for _body, path, cells in sent:
        for (row, field), text in cells.items():
            if text:
                assert (hashlib.sha256(path.read_bytes()).hexdigest(), row, labels[field], text) in recorded
    shown = master_values(master)
    conflicts = {(c["row_id"], c["field"]) for c in logs(master)["Conflicts"]}
    combined = load_layout().sheet("bwp2").combine_keys  # every body's text kept, attributed: never a conflict
    assert "progress" in combined and "status" not in combined
    for row in SHARED:
        for field in ("status", "progress"):
            current = {h["value"] for h in history if h["row_id"] == row and h["field"] == labels[field]}
            current_now = {
                h["value"]
                for h in history
                if h["row_id"] == row and h["field"] == labels[field] and h["status"] == "current"
            }
            if field in combined:
                assert (row, labels[field]) not in conflicts
                assert all(value in shown[row][field] for value in current_now), (shown[row][field], current_now)
                continue
            if len(current_now) > 1:
                assert (row, labels[field]) in conflicts
            if shown[row][field]:
                assert shown[row][field] in current
