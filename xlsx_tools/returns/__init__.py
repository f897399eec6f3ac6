"""The return cycle: per-body return templates (and, later, merging the returned copies)."""
