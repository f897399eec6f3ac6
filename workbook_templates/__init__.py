"""Package data: workbook_templates (shipped with xlsx_tools; see pyproject.toml)."""
