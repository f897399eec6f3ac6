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

FONT_NAME = "Arial"  # on every machine (Liberation Sans, its metric twin, where LibreOffice runs without it)
FONT_SIZE = 10  # the default font of every workbook tipwp writes (its Normal style)


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


def use_default_font(book: Any, name: str, size: float) -> None:
    """Make `name` at `size` the workbook's default ("Normal") font, before anything is styled.

    Excel and LibreOffice measure column widths in digits of the default font, and a cell without a font of its
    own shows it; with the default Calibri 11 and cells in Arial 10 a program lacking Calibri would size the
    columns with another font than the text. openpyxl has no public setter: font 0 of the style sheet is the
    default font, and the Normal style refers to it.
    """
    from openpyxl.styles import Font
    from openpyxl.utils.indexed_list import IndexedList

    font = Font(name=name, size=size, family=2)  # family 2: a sans-serif fallback wherever it is missing
    book._fonts = IndexedList([font])
    book._named_styles["Normal"].font = font
