"""Inhibition applied: which configured rule (models/inhibit.py) lets a firing alert mute another."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alertrouter.models.inhibit import InhibitRule


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
