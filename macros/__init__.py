"""Package data: macros (shipped with xlsx_tools; see pyproject.toml)."""
