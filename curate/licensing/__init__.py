"""Licenses: the registry, model-output terms, known sources and the license algebra."""

from curate.licensing.algebra import combine_licenses

__all__ = ["combine_licenses"]
