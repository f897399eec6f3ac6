"""The declared sheet layout (workbook_templates/layout.yaml) as typed objects."""
