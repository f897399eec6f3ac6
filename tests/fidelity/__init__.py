"""The Excel-fidelity gate (issue 14): the strongest proxies for Microsoft Excel that run in CI.

Three independent checks of a written package, each returning findings (empty = passes):

- `schemas.schema_findings`: every XML part against the ECMA-376 transitional, OPC and ribbon schemas (lxml), after
  the Markup Compatibility processing an Office application does;
- `gnumeric.gnumeric_findings`: Gnumeric's ssconvert, a third real reader, converts the file without complaint;
- `excel_rules.rule_findings`: what the schemas do not catch but Excel enforces (names, validations, limits, links,
  chart ranges, outline levels, …), each finding with a stable code.
"""
