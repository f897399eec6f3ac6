"""Apply a cell style by copying it, not by assigning its parts.

Assigning `cell.font = …`, `cell.fill = …` in openpyxl hashes the style object and looks it up in the workbook's
style tables every time; a record sheet or a status matrix does that tens of thousands of times. A `StyleBook`
registers each named combination once (on the first cell that wants it) and then gives other cells a copy of the
resulting style array — what openpyxl's own worksheet copy does (`target._style = copy(source._style)`).
The style arrays index the workbook's tables, so a StyleBook belongs to one workbook.
"""

from __future__ import annotations

from collections.abc import Hashable
from copy import copy
from typing import Any


class StyleBook:
    def __init__(self) -> None:
        self._arrays: dict[Hashable, Any] = {}

    def apply(self, cell: Any, name: Hashable, **parts: Any) -> None:
        """Give `cell` the style `name`, made of `parts` (font=, fill=, alignment=, border=, protection=,
        number_format=). The parts of a name must not change between calls: the first call's are kept."""
        array = self._arrays.get(name)
        if array is None:
            for attribute, value in parts.items():
                setattr(cell, attribute, value)
            self._arrays[name] = copy(cell._style)
        else:
            cell._style = copy(array)
