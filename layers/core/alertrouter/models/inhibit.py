"""Alertmanager's `inhibit_rules` as configured: a firing source alert mutes matching target alerts
(routing/inhibit.py applies them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from alertrouter.models.matcher import Matcher, from_legacy_keys
from alertrouter.models.matcher_syntax import CLASSIC_NAMES_ONLY, NAME


class InhibitRule(BaseModel):
    """While a `source_matchers` alert fires, mute `target_matchers` alerts sharing its `equal` labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # none: every firing alert is a source, as in Alertmanager (kube-prometheus's InfoInhibitor rule)
    source_matchers: list[Matcher] = []
    target_matchers: list[Matcher] = []
    equal: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _legacy_match(cls, data: Any) -> Any:  # Alertmanager's deprecated source_match, target_match_re...
        return from_legacy_keys(
            from_legacy_keys(data, "source_matchers", "source_"), "target_matchers", "target_"
        )

    @field_validator("source_matchers", "target_matchers", mode="before")
    @classmethod
    def _matchers(cls, v: Any) -> Any:
        if isinstance(v, list):  # an entry may hold several matchers, as in Alertmanager
            return [m for entry in v for m in Matcher.coerce_all(entry)]
        return v

    @field_validator("equal")
    @classmethod
    def _equal(cls, v: list[str]) -> list[str]:
        for name in v:
            if not NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a valid label name in equal: {CLASSIC_NAMES_ONLY}")
        return v

    def source_matches(self, labels: Mapping[str, str]) -> bool:
        return _all(self.source_matchers, labels)

    def target_matches(self, labels: Mapping[str, str]) -> bool:
        return _all(self.target_matchers, labels)


def _all(matchers: list[Matcher], labels: Mapping[str, str]) -> bool:
    plain = labels if isinstance(labels, dict) else dict(labels)
    return all(m.matches(plain) for m in matchers)
