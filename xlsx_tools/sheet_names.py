"""The names of the sheets tipwp itself puts in a workbook, declared once (the finding catalogue names them too)."""

IDENTITY_SHEET = "_tipwp"
LISTS_SHEET = "Lists"
INSTRUCTIONS_SHEET = "Instructions"
# the master's record of every value merged (xlsx_tools.merge.log_sheets); tipwp 0.1.0 called it "History", a name
# Excel reserves (change tracking of shared workbooks): such a master is read as it is and renamed on its next write
HISTORY_SHEET = "Value history"
FORMER_HISTORY_SHEET = "History"
CONFLICTS_SHEET = "Conflicts"
PROPOSALS_SHEET = "Proposals"
AUDIT_SHEET = "Audit"
# the master's record sheets, written by the merge: a master holding them is as tipwp made it (no BOOK_103)
RECORD_SHEETS = (HISTORY_SHEET, FORMER_HISTORY_SHEET, CONFLICTS_SHEET, PROPOSALS_SHEET, AUDIT_SHEET)
