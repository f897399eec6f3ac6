"""Spreadsheet tools for the ASEAN Bohol TIP Work Plan secretariat.

The package keeps a pure core (plan model and context, layout, validation, consolidation, status matrix) and thin
edges (the calamine and openpyxl adapters, the CLI and the ribbon's bridge). Each ribbon click starts a fresh Python,
so the shells import a command's implementation when it runs, and the heavy libraries (openpyxl, pandas) are
imported only where a workbook is written or the matrix computed (docs/internals.md).
"""

__version__ = "0.1.0"
