"""Text as an Excel cell can hold it, and text as a person sees it.

A cell's XML cannot hold the control characters U+0000-U+001F other than tab, line feed and carriage return (nor a
lone surrogate, which a file name read from a disk in another encoding may carry); openpyxl refuses them when the
master is written. They reach a return innocently: Word's manual line break is a vertical tab, which LibreOffice
stores as `_x000B_`. `excel_text` turns the vertical tab and the form feed into line breaks and leaves the others
out; the validator reports such a cell (CELL_305, located) and the merge takes the cleaned text.

`visible_text` leaves out what a person cannot see and did not mean to type (a byte order mark, a zero-width space
pasted from a web page), so "On<U+200B>going" is the status "Ongoing".
"""

from __future__ import annotations

import re
from typing import Any

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff]")  # zero-width space, word joiner, byte order mark


def _replacement(match: re.Match[str]) -> str:
    char = match.group()
    if char in "\x0b\x0c":  # vertical tab, form feed
        return "\n"
    return "\ufffd" if char >= "\ud800" else ""  # a lone surrogate; the other control characters are left out


def excel_text(text: str) -> str:
    """`text` without the characters a cell cannot hold (vertical tab and form feed become line breaks)."""
    if not _ILLEGAL.search(text):
        return text
    return _ILLEGAL.sub(_replacement, text)


def excel_value(value: Any) -> Any:
    """A value to write with openpyxl: text through `excel_text`, anything else as it is."""
    return excel_text(value) if isinstance(value, str) else value


def visible_text(text: str) -> str:
    """`text` without zero-width spaces, word joiners and byte order marks (only non-ASCII text can hold them)."""
    if text.isascii() or not _INVISIBLE.search(text):
        return text
    return _INVISIBLE.sub("", text)
