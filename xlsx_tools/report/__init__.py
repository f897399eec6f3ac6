"""Ways to show a validation report: console table, JSON, findings workbook, annotated copy."""
