"""What every OpenSLO document model shares: strict camelCase fields, the apiVersion, metadata, and
errors that name the field they are about."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

API_VERSION = "openslo/v1"

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class FieldError(ValueError):
    """A problem found by a model-level check, at `path` below that model (so the message names the field)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class Document(BaseModel):
    """An OpenSLO object as written: camelCase keys, no unknown field, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)


def unsupported(what: str) -> Any:
    """For a field OpenSLO has and this project does not: accepted only when left out."""

    def check(value: Any) -> Any:
        if value is not None:
            raise ValueError(f"not supported: {what}")
        return value

    return BeforeValidator(check)


def check_api_version(cls: Any, v: str | None) -> str | None:
    """The apiVersion of an inline object, which may leave it out."""
    if v is not None and v != API_VERSION:
        raise ValueError(f"expected {API_VERSION}, got {v!r}")
    return v


class Metadata(Document):
    name: str
    display_name: str | None = None
    labels: dict[str, Any] = Field(default_factory=dict)
    annotations: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(
                f"{v!r} is not a valid name: at most 63 lowercase letters, digits and '-', "
                "starting and ending with a letter or digit"
            )
        return v


class InlineObject(Document):
    """An OpenSLO object written inside another: apiVersion, kind and metadata may be left out, and a
    reference (`REF`) to a separate document is not supported."""

    KIND: ClassVar[str]
    REF: ClassVar[str]

    api_version: str | None = None
    kind: str | None = None
    metadata: Metadata | None = None

    @model_validator(mode="before")
    @classmethod
    def _inline(cls, data: Any) -> Any:
        if isinstance(data, dict) and cls.REF in data:
            raise FieldError((cls.REF,), f"not supported: inline the {cls.KIND}")
        return data

    _api = field_validator("api_version")(check_api_version)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str | None) -> str | None:
        if v is not None and v != cls.KIND:
            raise ValueError(f"expected {cls.KIND}, got {v!r}")
        return v
