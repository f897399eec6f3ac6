"""The twice-yearly status matrix: every activity against every period, roll-ups, completeness and changes."""
