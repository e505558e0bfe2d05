"""The base of every part of the run record (``curate.record``): immutable, strict, and quiet
about optional keys that hold nothing."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer


class Record(BaseModel):
    """A part of the run record: immutable once built, unknown keys are errors, and
    ``optional_keys`` stay out of the JSON when they are None (or an empty mapping), as the
    manifest has always written them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    optional_keys: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _leave_out_empty(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in self.optional_keys:
            if key in data and (data[key] is None or data[key] == {}):
                del data[key]
        return data
