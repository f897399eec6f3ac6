"""The words people use for a status, mapped to the status vocabulary (workbook_templates/status_map.yaml).

Validation and the merge use the map's exact entries to accept a known variant ("On-going", "completed") as the
status it stands for, with a warning naming the change (CELL_322), rather than holding the value back; the status
matrix also uses its patterns to classify the free text of older periods. Declared once here, on plain data, so
that validation need not import the matrix (pandas) to read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from xlsx_tools.resources import load_yaml

STATUSES = ("Completed", "Ongoing", "Concept note / seeking funding", "Not started", "Postponed", "Discontinued")


def fold(text: str) -> str:
    """A status as compared: no case, no surrounding or doubled spaces, no final full stop."""
    return " ".join(text.strip().rstrip(".").split()).casefold()


@dataclass(frozen=True)
class StatusMap:
    """Free-text statuses → vocabulary, as declared in workbook_templates/status_map.yaml."""

    exact: Mapping[str, str] = field(default_factory=dict)
    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()

    def map(self, text: str) -> str | None:
        exact = self.exact.get(fold(text))
        return exact or next((status for pattern, status in self.patterns if pattern.search(text.strip())), None)

    def variant_of(self, text: str, allowed: Sequence[str]) -> str | None:
        """The status of `allowed` that `text` is a known way of writing (other case or spacing, or an exact entry
        of the map), else None. Patterns are left out: a sentence that merely mentions a concept note is a
        narrative, not a status, and stays held back."""
        key = fold(text)
        by_fold = {fold(a): a for a in allowed}
        status = by_fold.get(key) or self.exact.get(key)
        return status if status in allowed and status != text else None


def status_map_from(data: Mapping[str, Any] | None) -> StatusMap:
    data = data or {}
    exact = {fold(str(k)): str(v) for k, v in (data.get("exact") or {}).items()}
    patterns = tuple(
        (re.compile(str(p["pattern"]), re.IGNORECASE), str(p["status"])) for p in data.get("patterns") or ()
    )
    unknown = sorted({s for s in (*exact.values(), *(s for _, s in patterns)) if s not in STATUSES})
    if unknown:
        raise ValueError(f"status_map.yaml maps to {', '.join(unknown)}, which are not statuses of the vocabulary")
    return StatusMap(exact, patterns)


@lru_cache(maxsize=1)
def load_status_map() -> StatusMap:
    return status_map_from(load_yaml("workbook_templates", "status_map.yaml"))
