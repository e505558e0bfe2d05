"""The `normalize` stage (not yet built)."""
