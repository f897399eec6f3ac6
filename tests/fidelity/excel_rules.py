"""Excel's rules that the schemas do not catch, checked on a written package. Every finding has a stable code (CODES;
tests assert on codes, never on wording).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from tests.fidelity.book import Book, Finding, open_book
from tests.fidelity.package import open_package
from tests.fidelity.rules_charts import check_charts
from tests.fidelity.rules_names import check_names
from tests.fidelity.rules_parts import check_comments, check_hyperlinks, check_shared_strings, check_styles
from tests.fidelity.rules_sheets import (
    check_external,
    check_headers,
    check_outline,
    check_sheet_names,
    check_validations,
)

__all__ = ["CHECKS", "CODES", "Finding", "rule_findings"]

CODES = (
    "NAME_SYNTAX",  # a defined name Excel would not accept (characters, length, cell-like, unknown _xlnm. name)
    "NAME_DUPLICATE",  # one name twice in one scope
    "NAME_SCOPE",  # localSheetId beyond the sheets, or a sheet's built-in name without one
    "NAME_REF",  # a name on a missing sheet, a deleted range (#REF!) or no range
    "PRINT_TITLES",  # not absolute whole rows/columns of the name's own sheet
    "FILTER_NAME",  # _FilterDatabase not hidden, or not the sheet's autoFilter range
    "LIST_EQUALS",  # a dropdown's source stored with its "="
    "LIST_INLINE_LENGTH",  # an inline dropdown list over 255 characters
    "LIST_TARGET",  # a dropdown on no defined name or range
    "MESSAGE_LENGTH",  # an input or error title over 32 characters, or message over 255
    "SHEET_NAME",  # length, characters, apostrophes, a reserved name, twice, or no part
    "STYLE_COUNT",  # style counts that do not match, references beyond a table, Excel's limit on cell formats
    "SST_COUNT",  # shared strings: counts that do not match, an index beyond the table
    "COMMENTS_DRAWING",  # comments without their VML drawing, or a comment without its note shape
    "HYPERLINK_FORM",  # a link not in Excel's form: percent-encoded target, the place in `location`
    "CHART_REF",  # a chart series on a missing sheet or no range
    "CHART_CACHE",  # a series reference without cached values, or with a count that is not the range's
    "CHART_CATEGORY",  # text categories referenced as numbers (numRef)
    "CHART_AXIS",  # an axis without <c:delete val="0"/>, which Excel hides, or one deleted
    "OUTLINE_UNDECLARED",  # outline levels used beyond what sheetFormatPr declares
    "HEADER_LENGTH",  # a page header or footer over 255 characters
    "EXTERNAL_LINK",  # a link into another workbook
)

CHECKS: tuple[Callable[[Book], Iterator[Finding]], ...] = (
    check_names,
    check_sheet_names,
    check_validations,
    check_outline,
    check_headers,
    check_external,
    check_styles,
    check_shared_strings,
    check_comments,
    check_hyperlinks,
    check_charts,
)


def rule_findings(path: Path) -> list[Finding]:
    """Every Excel-rule finding of the workbook or add-in at `path` (empty: it keeps every rule checked here)."""
    with open_package(path) as package:
        book = open_book(package)
        return [finding for check in CHECKS for finding in check(book)]
