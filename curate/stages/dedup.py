"""The `dedup` stage (not yet built)."""
