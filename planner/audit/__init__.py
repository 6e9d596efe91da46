"""Audit views of an estate: summaries, flat tables, exports and diffs."""
