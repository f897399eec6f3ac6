"""Merging returned templates into the master: read, plan (pure), write (adapter)."""
