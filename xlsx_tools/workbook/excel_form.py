"""The form Excel writes, for what openpyxl (or LibreOffice, for a file we load) would write in another form.

Applied to every workbook we save (xlsx_tools.workbook.atomic), so files made by older versions of tipwp and returns
saved by LibreOffice are written back the way Excel expects:

- print titles of rows and columns together are one name with the columns first (openpyxl puts the rows first, and
  LibreOffice then keeps that name beside its own: a return saved there has the name twice, which Excel repairs);
- a dropdown's source is stored without "=" (tipwp 0.1.0 stored "=ASB_LIST": Gnumeric drops such dropdowns and Excel
  2007 is reported to repair them);
- a validation has a second formula only when its operator uses one ("between", "not between"): LibreOffice gives
  every validation one ("0"), and Gnumeric drops a validation that has one it does not use.
"""

from __future__ import annotations

from typing import Any

ONE_VALUE_OPERATORS = {"equal", "notEqual", "greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual"}
PRINT_TITLES = "Print_Titles"  # openpyxl writes a sheet's name of this name as _xlnm.Print_Titles


def excel_form(book: Any) -> None:
    """Put every worksheet of an openpyxl workbook into Excel's form (see above), just before it is saved."""
    for sheet in book.worksheets:
        _print_titles_columns_first(sheet)
        _tidy_validations(sheet)


def _print_titles_columns_first(sheet: Any) -> None:
    # openpyxl here, not above: xlsx_tools.workbook.atomic imports this module on the reading path too
    from openpyxl.utils import quote_sheetname
    from openpyxl.workbook.defined_name import DefinedName

    rows, columns = sheet.print_title_rows, sheet.print_title_cols
    if not (rows and columns):
        return
    quoted = quote_sheetname(sheet.title)
    text = f"{quoted}!{sheet._print_cols},{quoted}!{sheet._print_rows}"  # "$D:$H" and "$1:$1", as openpyxl writes them
    sheet.defined_names[PRINT_TITLES] = DefinedName(PRINT_TITLES, attr_text=text)
    # openpyxl has no public way to unset them, and would write them again (rows first) beside the name above
    sheet._print_rows = sheet._print_cols = None


def _tidy_validations(sheet: Any) -> None:
    for validation in sheet.data_validations.dataValidation:
        if validation.type == "list":
            if validation.formula1 and str(validation.formula1).startswith("="):
                validation.formula1 = str(validation.formula1)[1:]
            validation.operator = None  # a list has no operator (LibreOffice writes "between")
        if validation.type in ("list", "custom") or validation.operator in ONE_VALUE_OPERATORS:
            validation.formula2 = None
