"""The `decontaminate` stage (not yet built)."""
