"""Alertmanager's `inhibit_rules`: a firing source alert mutes matching target alerts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from alertrouter.models.matcher import Matcher


class InhibitRule(BaseModel):
    """While a `source_matchers` alert fires, mute `target_matchers` alerts sharing its `equal` labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_matchers: list[Matcher]
    target_matchers: list[Matcher]
    equal: list[str] = []

    @field_validator("source_matchers", "target_matchers", mode="before")
    @classmethod
    def _matchers(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [Matcher.coerce(m) for m in v]
        return v

    @field_validator("source_matchers")
    @classmethod
    def _some_source(cls, v: list[Matcher]) -> list[Matcher]:
        if not v:
            raise ValueError("source_matchers must not be empty: it would let every firing alert inhibit")
        return v

    def source_matches(self, labels: Mapping[str, str]) -> bool:
        return _all(self.source_matchers, labels)

    def target_matches(self, labels: Mapping[str, str]) -> bool:
        return _all(self.target_matchers, labels)


def _all(matchers: list[Matcher], labels: Mapping[str, str]) -> bool:
    plain = labels if isinstance(labels, dict) else dict(labels)
    return all(m.matches(plain) for m in matchers)


def inhibited_by(
    rules: Sequence[InhibitRule],
    target_fp: str,
    target_labels: Mapping[str, str],
    firing: Mapping[str, Mapping[str, str]],
) -> InhibitRule | None:
    """The first rule under which some other firing alert (fingerprint -> labels) mutes the target."""
    for rule in rules:
        if not rule.target_matches(target_labels):
            continue
        # An alert on both sides of a rule cannot be muted by another alert on both sides (nor by itself).
        two_sided = rule.source_matches(target_labels)
        for fp, labels in firing.items():
            if fp == target_fp or not rule.source_matches(labels):
                continue
            # A label missing on both sides counts as equal (both read as "").
            if any(labels.get(name, "") != target_labels.get(name, "") for name in rule.equal):
                continue
            if two_sided and rule.target_matches(labels):
                continue
            return rule
    return None


def source_rules(rules: Sequence[InhibitRule], labels: Mapping[str, str]) -> list[int]:
    """Indices of the rules for which an alert with these labels can be a source."""
    return [index for index, rule in enumerate(rules) if rule.source_matches(labels)]
