"""The `license` stage (not yet built)."""
