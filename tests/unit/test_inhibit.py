"""Alertmanager's inhibit_rules: parsing, equal labels, the two-sided rule, order independence."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from alertrouter.models.inhibit import InhibitRule
from alertrouter.models.matcher import MatchOp
from alertrouter.routing.inhibit import inhibited_by, source_rules

# The example from Alertmanager's documentation
DOCS_RULES = [
    InhibitRule.model_validate(rule)
    for rule in yaml.safe_load(
        """
- source_matchers: [severity="critical"]
  target_matchers: [severity="warning"]
  equal: [alertname, cluster]
"""
    )
]


def rule(source: list[str], target: list[str], equal: list[str] | None = None) -> InhibitRule:
    return InhibitRule.model_validate(
        {"source_matchers": source, "target_matchers": target, "equal": equal or []}
    )


# --- parsing ---


def test_matchers_parse_from_strings() -> None:
    parsed = rule(['severity="critical"', 'alertname=~"Disk.*"'], ["severity!=critical"], ["cluster"])

    assert [(m.name, m.op, m.value) for m in parsed.source_matchers] == [
        ("severity", MatchOp.EQ, "critical"),
        ("alertname", MatchOp.RE, "Disk.*"),
    ]
    assert [(m.name, m.op) for m in parsed.target_matchers] == [("severity", MatchOp.NE)]
    assert parsed.equal == ["cluster"]
    assert rule(["a=b"], []).target_matchers == []  # no target matchers: every alert is a target


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source_matchers": ["not a matcher"], "target_matchers": []}, "invalid matcher 'not a matcher'"),
        ({"source_matchers": ['alertname=~"(unclosed"'], "target_matchers": []}, "invalid regex"),
        (  # Alertmanager's deprecated key is read (test_routing.py), but only as the mapping it is there
            {"source_match": ["severity=critical"], "source_matchers": ["a=b"], "target_matchers": []},
            "source_match is a mapping of label names to values",
        ),
        ({"source_matchers": ["a=b"], "target_matchers": [], "nonsense": 1}, "Extra"),
    ],
)
def test_bad_rules_fail_clearly(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        InhibitRule.model_validate(data)

    assert message in str(caught.value)


def test_rules_are_frozen() -> None:
    with pytest.raises(ValidationError):
        DOCS_RULES[0].equal = []  # type: ignore[misc]


# --- the documentation example ---

CRITICAL = {"alertname": "DiskFull", "cluster": "eu", "severity": "critical"}
WARNING = {"alertname": "DiskFull", "cluster": "eu", "severity": "warning"}


@pytest.mark.parametrize(
    ("target", "firing", "inhibited"),
    [
        (WARNING, {"c": CRITICAL}, True),
        (WARNING, {}, False),
        (WARNING, {"c": {**CRITICAL, "cluster": "us"}}, False),
        (WARNING, {"c": {**CRITICAL, "alertname": "DiskSlow"}}, False),
        (WARNING, {"c": {**CRITICAL, "severity": "warning"}}, False),
        (WARNING, {"c": {**CRITICAL, "instance": "db-1"}}, True),  # labels outside `equal` do not matter
        (WARNING, {"x": {**CRITICAL, "cluster": "us"}, "c": CRITICAL}, True),
        ({**WARNING, "severity": "info"}, {"c": CRITICAL}, False),
        (CRITICAL, {"c2": CRITICAL}, False),
    ],
)
def test_critical_inhibits_warning_with_the_same_alertname_and_cluster(
    target: dict[str, str], firing: dict[str, dict[str, str]], inhibited: bool
) -> None:
    found = inhibited_by(DOCS_RULES, "t", target, firing)

    assert found is (DOCS_RULES[0] if inhibited else None)


def test_regex_matchers_select_sources_and_targets() -> None:
    rules = [rule(['alertname=~"Node(Down|Unreachable)"'], ['alertname=~"Disk.*"'], ["instance"])]
    down = {"alertname": "NodeDown", "instance": "db-1"}

    assert inhibited_by(rules, "t", {"alertname": "DiskFull", "instance": "db-1"}, {"n": down}) is rules[0]
    assert inhibited_by(rules, "t", {"alertname": "CpuHigh", "instance": "db-1"}, {"n": down}) is None
    assert (
        inhibited_by(
            rules, "t", {"alertname": "DiskFull", "instance": "db-1"}, {"n": {**down, "alertname": "NodeUp"}}
        )
        is None
    )


# --- equal labels ---


@pytest.mark.parametrize(
    ("source_extra", "target_extra", "inhibited"),
    [
        ({}, {}, True),  # missing on both sides counts as equal
        ({"cluster": ""}, {}, True),  # an empty value is the same as a missing one
        ({"cluster": "eu"}, {}, False),
        ({}, {"cluster": "eu"}, False),
        ({"cluster": "eu"}, {"cluster": "eu"}, True),
    ],
)
def test_equal_labels_missing_on_both_sides_count_as_equal(
    source_extra: dict[str, str], target_extra: dict[str, str], inhibited: bool
) -> None:
    rules = [rule(['severity="critical"'], ['severity="warning"'], ["cluster"])]

    found = inhibited_by(
        rules, "t", {"severity": "warning", **target_extra}, {"s": {"severity": "critical", **source_extra}}
    )

    assert (found is not None) is inhibited


# --- an alert on both sides of a rule ---

TEAM_DB = rule(['severity="critical"'], ['team="db"'])
BOTH = {"severity": "critical", "team": "db"}


def test_an_alert_on_both_sides_does_not_inhibit_itself() -> None:
    assert inhibited_by([TEAM_DB], "t", BOTH, {"t": BOTH}) is None


def test_an_alert_on_both_sides_is_not_inhibited_by_another_on_both_sides() -> None:
    assert inhibited_by([TEAM_DB], "t", BOTH, {"t": BOTH, "other": {**BOTH, "alertname": "Other"}}) is None


def test_an_alert_on_both_sides_is_inhibited_by_a_source_only_alert() -> None:
    web = {"severity": "critical", "team": "web"}

    assert inhibited_by([TEAM_DB], "t", BOTH, {"t": BOTH, "w": web}) is TEAM_DB


def test_a_target_only_alert_is_inhibited_by_a_two_sided_one() -> None:
    assert inhibited_by([TEAM_DB], "t", {"severity": "warning", "team": "db"}, {"s": BOTH}) is TEAM_DB


def test_the_target_fingerprint_is_never_its_own_source() -> None:
    # Given stale state where the target's own fingerprint carries source labels
    assert inhibited_by(DOCS_RULES, "t", WARNING, {"t": CRITICAL}) is None


# --- several rules ---


def test_the_first_inhibiting_rule_is_returned_and_source_rules_lists_indices() -> None:
    rules = [
        rule(['severity="info"'], ['severity="warning"']),
        rule(['severity="critical"'], ['severity="warning"'], ["alertname"]),
        rule(['severity=~"critical|page"'], []),
    ]

    assert inhibited_by(rules, "t", WARNING, {"c": CRITICAL}) is rules[1]
    assert inhibited_by(rules, "t", {"severity": "info"}, {"c": CRITICAL}) is rules[2]
    assert source_rules(rules, CRITICAL) == [1, 2]
    assert source_rules(rules, {"severity": "info"}) == [0]
    assert source_rules(rules, {}) == []


# --- properties ---

NAMES = ["alertname", "severity", "cluster"]
VALUES = ["a", "b", ""]
label_sets = st.dictionaries(st.sampled_from(NAMES), st.sampled_from(VALUES), max_size=3)
matchers = st.builds(
    lambda name, op, value: f'{name}{op}"{value}"',
    st.sampled_from(NAMES),
    st.sampled_from(["=", "!=", "=~", "!~"]),
    st.sampled_from(["a", "b", "", "a|b"]),
)
rule_lists = st.lists(
    st.builds(
        rule,
        st.lists(matchers, min_size=1, max_size=2),
        st.lists(matchers, max_size=2),
        st.lists(st.sampled_from(NAMES), max_size=2),
    ),
    max_size=3,
)
firing_maps = st.dictionaries(st.sampled_from([f"fp{n}" for n in range(6)]), label_sets, max_size=6)


@settings(max_examples=200, deadline=None)
@given(rules=rule_lists, target=label_sets, firing=firing_maps)
def test_never_inhibited_without_a_firing_source(
    rules: list[InhibitRule], target: dict[str, str], firing: dict[str, dict[str, str]]
) -> None:
    no_sources = {fp: labels for fp, labels in firing.items() if not source_rules(rules, labels)}

    assert inhibited_by(rules, "target", target, no_sources) is None
    assert inhibited_by(rules, "target", target, {}) is None
    assert inhibited_by(rules, "target", target, {"target": target}) is None


@settings(max_examples=200, deadline=None)
@given(rules=rule_lists, target=label_sets, firing=firing_maps, rnd=st.randoms(use_true_random=False))
def test_inhibition_does_not_depend_on_the_order_of_firing(
    rules: list[InhibitRule], target: dict[str, str], firing: dict[str, dict[str, str]], rnd: random.Random
) -> None:
    items = list(firing.items())
    rnd.shuffle(items)
    found = inhibited_by(rules, "target", target, firing)

    assert inhibited_by(rules, "target", target, dict(items)) is found
    if found is not None:
        assert found.target_matches(target)
        assert any(found.source_matches(labels) for labels in firing.values())


def test_a_rule_without_source_matchers_lets_any_other_firing_alert_inhibit_as_in_alertmanager() -> None:
    """kube-prometheus's InfoInhibitor rule: `target_matchers: [alertname = InfoInhibitor]` and no source
    matchers (Alertmanager reads none as matching every alert): the InfoInhibitor is muted while anything else
    fires, and not by itself."""
    from alertrouter.routing.inhibit import inhibited_by

    rule = InhibitRule.model_validate({"target_matchers": ["alertname = InfoInhibitor"]})
    target = {"alertname": "InfoInhibitor", "severity": "none"}
    assert inhibited_by([rule], "info", target, {"info": target}) is None  # alone: not muted by itself
    assert (
        inhibited_by([rule], "info", target, {"info": target, "x": {"alertname": "KubePodCrashLooping"}})
        == rule
    )
