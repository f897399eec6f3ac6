"""Package data: validation (shipped with xlsx_tools; see pyproject.toml)."""
