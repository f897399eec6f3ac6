"""Estimate how tall a row must be for its wrapped text, from the declared column widths.

A row of an .xlsx stores its height; openpyxl cannot measure text, and a row without a height opens one line tall in
LibreOffice, with wrapped text cut off or drawn over the next row. So the writers give every row a height estimated
here: the text of each cell is wrapped word by word into lines as wide as its column, and the tallest cell decides.

Widths are in Excel's unit, the width of a digit of the default font (7 pixels at 96 dpi for Arial 10, the font of
our workbooks); a column is `width * 7 + 5` pixels. Letters are measured with Arial's (Helvetica's) advance widths,
which Liberation Sans, LibreOffice's stand-in for Arial, shares; `SAFETY` widens them a little so that the estimate
also holds in a program that substitutes a slightly wider font: some white space reads better than a cut sentence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

DIGIT_PX = 7  # Excel's width unit in pixels (max digit width of the default font)
COLUMN_PADDING_PX = 5  # Excel adds this to every column
CELL_MARGIN_PX = 6  # what the cell's inner margins take from the text
PX_PER_POINT = 96 / 72
POINTS_PER_PIXEL = 72 / 96
SAFETY = 1.06
LINE_SPACING = 1.2  # a line is this many times the font size (an Arial 10 line is about 11.5 pt)
ROW_PADDING_PT = 4.0
MAX_ROW_HEIGHT_PT = 409.0  # Excel's limit

# Advance widths in thousandths of an em (Helvetica / Arial metrics); letters not listed count as DEFAULT_WIDTH.
_REGULAR = {
    **dict.fromkeys("ijl'|", 222),
    **dict.fromkeys(" !,./:;[\\]ftI", 278),
    **dict.fromkeys("()-`r", 333),
    "*": 389,
    **dict.fromkeys("Jckszvxy", 500),
    **dict.fromkeys("0123456789abdeghnopqu$#?_L", 556),
    **dict.fromkeys("+<=>~", 584),
    **dict.fromkeys("FTZ", 611),
    **dict.fromkeys("ABEKPSVXY&", 667),
    **dict.fromkeys("CDHNRUw", 722),
    **dict.fromkeys("GOQ", 778),
    **dict.fromkeys("Mm", 833),
    "%": 889,
    "W": 944,
    "@": 1015,
    "•": 350,
    "–": 556,
    "—": 1000,
}
_BOLD = {
    **_REGULAR,
    **dict.fromkeys("ijl", 278),
    **dict.fromkeys(":;ft()-", 333),
    "r": 389,
    **dict.fromkeys("ckxyv", 556),
    **dict.fromkeys("bdghnopquJL", 611),
    **dict.fromkeys("ABKR", 722),
    "w": 778,
    "m": 889,
}
DEFAULT_WIDTH = 600


def column_pixels(width: float) -> int:
    """A column's width in pixels at 96 dpi (the screen Excel's width unit is defined for)."""
    return int(width * DIGIT_PX + COLUMN_PADDING_PX)


def text_pixels(text: str, font_size: float = 10, bold: bool = False) -> float:
    """The width of `text` in pixels at 96 dpi, erring wide by `SAFETY`."""
    return _thousandths(text, bold) * font_size * PX_PER_POINT / 1000 * SAFETY


@lru_cache(maxsize=8192)
def _thousandths(word: str, bold: bool) -> int:
    """The advance width of `word` in thousandths of an em: kept per word, since a narrative's words repeat."""
    widths = _BOLD if bold else _REGULAR
    return sum(widths.get(ch, DEFAULT_WIDTH) for ch in word)


def wrapped_lines(text: str, width: float, font_size: float = 10, bold: bool = False) -> int:
    """The number of lines `text` takes when wrapped at spaces in a column `width` wide (line breaks kept)."""
    room = column_pixels(width) - CELL_MARGIN_PX
    space = text_pixels(" ", font_size, bold)
    total = 0
    for paragraph in str(text).splitlines() or [""]:
        lines, used = 1, 0.0
        for word in paragraph.split():
            size = text_pixels(word, font_size, bold)
            if used and used + space + size <= room:
                used += space + size
                continue
            if used:
                lines += 1
            extra = max(0, math.ceil(size / room) - 1)  # a word wider than the column is broken at its edge
            lines += extra
            used = size - extra * room
        total += lines
    return total


def text_height(lines: int, font_size: float = 10) -> float:
    """The row height in points for `lines` lines of a `font_size` font."""
    return min(MAX_ROW_HEIGHT_PT, math.ceil(lines * font_size * LINE_SPACING + ROW_PADDING_PT))


def row_height(cells: Iterable[tuple[str, float]], font_size: float = 10, bold: bool = False) -> float:
    """The height in points of a row whose cells hold (text, column width) pairs: its tallest cell's."""
    lines = max((wrapped_lines(text, width, font_size, bold) for text, width in cells if text), default=1)
    return text_height(lines, font_size)
