"""The Excel ribbon add-in: build it from text sources (build), put it where Excel finds it (install), and the Python
side its buttons call (bridge). Nothing here is imported by the CLI until an `addin` command runs."""
