"""The `quality` stage (not yet built)."""
