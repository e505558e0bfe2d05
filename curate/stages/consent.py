"""The `consent` stage (not yet built)."""
