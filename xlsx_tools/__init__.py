"""Spreadsheet tools for the ASEAN Bohol TIP Work Plan secretariat.

The package keeps a pure core (plan model, layout, validation) and thin edges (openpyxl adapters, the CLI).
Importing it is cheap on purpose: each ribbon click starts a fresh Python, so heavy imports live inside functions.
"""

__version__ = "0.1.0"
