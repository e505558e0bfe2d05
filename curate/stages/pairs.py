"""The `pairs` stage (not yet built)."""
