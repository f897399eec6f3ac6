"""openpyxl adapters: write the master workbook, read any workbook back as plain rows."""
