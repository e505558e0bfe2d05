"""The `language` stage (not yet built)."""
