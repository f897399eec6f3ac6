"""Validation: cerberus rules derived from the layout, findings with codes and cell locations."""
