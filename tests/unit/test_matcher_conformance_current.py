"""The matcher grammar against what a current Alertmanager (0.33.1, Debian's package) made of the same strings:
tests/conformance/golden/matchers_current.json, recorded by tests/conformance/record_matchers_current.py in its
three matcher modes. This router follows the default mode (no feature flag: the UTF-8 parser, falling back to
the classic one), so every string means here what it means there, or is refused here for a reason listed in
DELIBERATE. The other two modes are recorded for the figures of docs/configuration/routing.md#conformance."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.models.matcher import Matcher
from alertrouter.models.matcher_syntax import MatcherSyntaxError
from support.matcher_golden import golden, matches, ours, recorded, silence_reading
from support.paths import ROOT

CURRENT = json.loads((ROOT / "tests" / "conformance" / "golden" / "matchers_current.json").read_text())
CASES = CURRENT["cases"]
NEW_CASES = CASES[CURRENT["classic_cases"] :]
DEFAULT = "fallback"
# Strings refused here that the current Alertmanager takes, each with why (the error it gets here).
DELIBERATE = {
    # A route may match on an empty label name there; it matches no label, Alertmanager writes it back as
    # `="x"` (which neither parser reads), and its silence API refuses it.
    '""="x"': "a label name cannot be empty",
}


def reading(case: dict[str, Any], mode: str, key: str) -> dict[str, Any]:
    return recorded(case["modes"][mode][key])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["input"][:40])
def test_a_matchers_entry_means_what_it_means_in_the_current_alertmanager(case: dict[str, Any]) -> None:
    if case["input"] in DELIBERATE:
        assert reading(case, DEFAULT, "config_matchers")["accepted"]
        with pytest.raises(MatcherSyntaxError, match=DELIBERATE[case["input"]]):
            Matcher.parse_all(case["input"])
        return
    assert ours(case["input"]) == reading(case, DEFAULT, "config_matchers")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["input"][:40])
def test_a_silence_argument_means_what_the_current_amtool_makes_of_it(case: dict[str, Any]) -> None:
    """Each case as a later argument of `silence add` (no alertname fallback), as the server stored it."""
    assert silence_reading(['anchor="x"', case["input"]], 1) == reading(case, DEFAULT, "silence_not_first")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["input"][:40])
def test_silence_adds_first_argument_agrees_with_the_current_amtool_but_where_it_refuses_on_purpose(
    case: dict[str, Any],
) -> None:
    """As the first argument, each case means what amtool made of it, or it is refused here for one of the two
    reasons of docs/configuration/routing.md#conformance: amtool takes any first argument it cannot read for
    an alert name (`alertname="<argument>"`, from 0.27 on quoted), and a silence of != / !~ matchers alone."""
    oracle = case["modes"][DEFAULT]["silence"]
    first = silence_reading([case["input"]], 0)
    if first["accepted"] or not oracle["accepted"]:
        assert first == recorded(oracle)
        return
    [theirs] = oracle["matchers"]
    fallback = theirs["name"] == "alertname" and theirs["value"] == case["input"]
    assert fallback or theirs["isEqual"] is False, (case["input"], theirs)


@pytest.mark.parametrize(
    "case", [c for c in CASES if "silence_args" in c["modes"][DEFAULT]], ids=lambda c: c["input"][:40]
)
def test_matchers_given_as_separate_arguments_mean_what_they_mean_there(case: dict[str, Any]) -> None:
    oracle = case["modes"][DEFAULT]["silence_args"]
    from alertrouter.cli_silences import silence_arguments

    args = oracle["args"]
    matchers = [m if isinstance(m, Matcher) else Matcher.parse(m) for m in silence_arguments(args)]
    assert oracle["accepted"] and golden(matchers) == recorded(oracle)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["input"][:40])
def test_the_default_mode_is_the_classic_reading_else_the_utf8_one(case: dict[str, Any]) -> None:
    """What the golden data shows of Alertmanager's rule, which this router's parser follows: a `matchers:`
    entry means what the classic parser (classic-mode) makes of it, or if that refuses it, what the UTF-8
    parser (utf8-strict-mode) makes of it; and Alertmanager logs which one it kept."""
    classic = reading(case, "classic-mode", "config_matchers")
    utf8 = reading(case, "utf8-strict-mode", "config_matchers")
    assert reading(case, DEFAULT, "config_matchers") == (classic if classic["accepted"] else utf8)
    logged = case["modes"][DEFAULT]["config_matchers"]["warning"]
    if classic["accepted"] and not utf8["accepted"]:
        assert logged == "classic_fallback"
    elif classic["accepted"] and (utf8 != classic or not classic["matchers"]):
        # (no matchers at all is a "disagreement" there too: an empty list against Go's nil)
        assert logged == "disagreement"
    else:
        assert logged is None


def agreement(mode: str, cases: list[dict[str, Any]]) -> tuple[int, int]:
    """How many cases this router reads as `mode` does: as a `matchers:` entry, as a later silence argument."""
    config = sum(ours(c["input"]) == reading(c, mode, "config_matchers") for c in cases)
    later = sum(
        silence_reading(['anchor="x"', c["input"]], 1) == reading(c, mode, "silence_not_first") for c in cases
    )
    return config, later


# The figures of docs/configuration/routing.md#conformance: (config, later silence argument) agreeing, of
# the 119 classic strings and of the 103 new ones, per mode of the current Alertmanager.
FIGURES = {
    ("fallback", "classic"): (119, 119),
    ("fallback", "new"): (102, 103),
    ("utf8-strict-mode", "classic"): (90, 97),
    ("utf8-strict-mode", "new"): (69, 72),
    ("classic-mode", "classic"): (111, 110),
    ("classic-mode", "new"): (83, 83),
}


def test_the_agreement_figures_are_what_the_docs_say() -> None:
    assert CURRENT["alertmanager_version"].startswith("0.33.1")
    assert len(CASES) == 222 and CURRENT["classic_cases"] == 119 and len(NEW_CASES) == 103
    classic_cases = CASES[: CURRENT["classic_cases"]]
    for (mode, part), figures in FIGURES.items():
        assert agreement(mode, classic_cases if part == "classic" else NEW_CASES) == figures, (mode, part)


@pytest.mark.parametrize(
    ("text", "written"),
    [  # as `amtool config routes show` (0.33) writes them
        ('"service name"="a"', '"service name"="a"'),
        ('{"foo.bar"="x"}', 'foo.bar="x"'),
        ("🙂=bar", '🙂="bar"'),
        ('"a b"="tab\\there"', '"a b"="tab\\there"'),
        ("foo=🙂", 'foo="🙂"'),
    ],
)
def test_a_matcher_is_written_as_alertmanager_writes_it(text: str, written: str) -> None:
    [matcher] = Matcher.parse_all(text)
    assert str(matcher) == written
    assert Matcher.parse(written) == matcher


REGEX_ROUTES = json.loads(
    (ROOT / "tests" / "conformance" / "golden" / "regex_routes_current.json").read_text()
)


@pytest.mark.parametrize("case", REGEX_ROUTES["cases"], ids=lambda c: c["matcher"][:40])
def test_a_regex_matches_what_re2_matches_in_the_current_alertmanager(case: dict[str, Any]) -> None:
    """Every regex case, the named group `(?<n>...)` included (0.25's Go refused it; the current one takes it)."""
    if not case["config"]["accepted"]:
        with pytest.raises(MatcherSyntaxError):
            Matcher.parse(case["matcher"])
        return
    matcher = Matcher.parse(case["matcher"])
    assert [matches(matcher, r["value"]) for r in case["results"]] == [r["matches"] for r in case["results"]]
    assert len(REGEX_ROUTES["cases"]) == 35 and REGEX_ROUTES["alertmanager_version"].startswith("0.33.1")
