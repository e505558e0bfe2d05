"""The `pii` stage (not yet built)."""
