"""The `split` stage (not yet built)."""
