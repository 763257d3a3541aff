"""The matcher grammar and regexes against what the real Alertmanager 0.25 (Debian's package) made of the same
strings: tests/conformance/golden/*.json, recorded by tests/conformance/record_matchers.py.

- matchers.json: each case as a `matchers:` entry of an alertmanager.yml: accepted or refused, and the
  matchers it means (name, value, regex or not, equal or not).
- regex_routes.json: regex matchers (RE2 against Python's re) routing label values: accepted or refused, and
  which values each matches.

Every case agrees, but those listed in KNOWN_DIFFERENCES with the reason each is deliberate, and those in
CHANGED_SINCE_0_25, which a current Alertmanager reads differently from 0.25: this router follows the current
one (test_matcher_conformance_current.py checks every string against it)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.models.matcher import Matcher
from alertrouter.models.matcher_syntax import MatcherSyntaxError
from support.matcher_golden import matches, ours, recorded, silence_reading
from support.paths import ROOT

GOLDEN = ROOT / "tests" / "conformance" / "golden"
MATCHERS = json.loads((GOLDEN / "matchers.json").read_text())
REGEX_ROUTES = json.loads((GOLDEN / "regex_routes.json").read_text())
# Alertmanager 0.25 is built with Go 1.19, whose regexp refuses `(?<name>...)`; Go 1.22 accepts it, and so does
# every Alertmanager built since (0.27 on): we follow the current one.
KNOWN_DIFFERENCES = {'a=~"(?<n>a)"'}
CURRENT = {
    case["input"]: case["modes"]["fallback"]
    for case in json.loads((GOLDEN / "matchers_current.json").read_text())["cases"]
}
_UTF8_NAME = "not a classic label name: read by the UTF-8 parser, which Alertmanager 0.27+ falls back to"
_BRACE = (
    "Alertmanager 0.27+ refuses a silence argument that starts or ends with a brace (0.25 took it as a value)"
)
# Strings that the current Alertmanager (default mode) reads differently from 0.25, as a `matchers:` entry or
# as a silence argument, each with why: this router follows the current one.
CHANGED_SINCE_0_25 = {
    'invalid-name="valid label"': _UTF8_NAME,
    '{invalid-name = "valid label"}': _UTF8_NAME,
    "1foo=bar": _UTF8_NAME,
    "foo.bar=baz": _UTF8_NAME,
    '"foo"="bar"': _UTF8_NAME + " (a quoted name)",
    '{"foo"="bar"}': _UTF8_NAME + " (a quoted name)",
    "🙂=bar": _UTF8_NAME,
    'ünïcode="ünï"': _UTF8_NAME,
    "foo:bar=baz": "a silence may name a label with ':' (0.27+'s silence API asks only for non-empty UTF-8)",
    "foo=bar}": _BRACE,
    "foo={bar}": _BRACE,
}


def expected(case: dict[str, Any], key: str) -> dict[str, Any]:
    """What Alertmanager made of a case (`key`: config_matchers, silence, silence_not_first): 0.25's reading,
    or the current one's for the strings in CHANGED_SINCE_0_25."""
    return recorded(CURRENT[case["input"]][key] if case["input"] in CHANGED_SINCE_0_25 else case[key])


@pytest.mark.parametrize("case", MATCHERS["cases"], ids=lambda c: c["input"][:40])
def test_a_matchers_entry_means_what_it_means_in_alertmanager(case: dict[str, Any]) -> None:
    assert ours(case["input"]) == expected(case, "config_matchers")


@pytest.mark.parametrize("case", REGEX_ROUTES["cases"], ids=lambda c: c["matcher"][:40])
def test_a_regex_matches_what_re2_matches_in_alertmanager(case: dict[str, Any]) -> None:
    if case["matcher"] in KNOWN_DIFFERENCES:
        assert case["config"]["accepted"] is False and Matcher.parse(
            case["matcher"]
        )  # accepted here, on purpose
        return
    if not case["config"]["accepted"]:
        with pytest.raises(MatcherSyntaxError):
            Matcher.parse(case["matcher"])
        return
    matcher = Matcher.parse(case["matcher"])
    assert [matches(matcher, r["value"]) for r in case["results"]] == [r["matches"] for r in case["results"]]


def test_the_golden_data_is_what_the_figures_say() -> None:
    # the 0.25 figures of docs/configuration/routing.md#conformance: every recorded case, one known difference
    # and the strings of CHANGED_SINCE_0_25
    assert MATCHERS["alertmanager_version"].startswith("0.25")
    assert len(MATCHERS["cases"]) == 119 and len(REGEX_ROUTES["cases"]) == 35
    assert {c["matcher"] for c in REGEX_ROUTES["cases"]} >= KNOWN_DIFFERENCES
    for key, changed in (("config_matchers", 8), ("silence_not_first", 9)):  # 111 and 110 of 119 alike
        assert (
            sum(recorded(c[key]) != recorded(CURRENT[c["input"]][key]) for c in MATCHERS["cases"]) == changed
        )


def test_the_strings_changed_since_0_25_are_those_the_current_alertmanager_reads_differently() -> None:
    keys = ("config_matchers", "silence_not_first")
    changed = {
        case["input"]
        for case in MATCHERS["cases"]
        if any(recorded(case[key]) != recorded(CURRENT[case["input"]][key]) for key in keys)
    }
    assert changed == set(CHANGED_SINCE_0_25)


@pytest.mark.parametrize("value", ['say "hi"', "back\\slash", "two\nlines", "\\d+", 'a\\"b', "", "'x'"])
def test_a_matcher_written_out_reads_back_the_same(value: str) -> None:
    for op in ("=", "!=", "=~", "!~"):
        matcher = Matcher.of("label", op, value if op in ("=", "!=") else "x")
        assert Matcher.parse(str(matcher)) == matcher


def test_a_silence_matcher_is_one_matcher_and_a_config_entry_may_hold_several() -> None:
    assert [str(m) for m in Matcher.parse_all('{a="x", b=~"y.*",}')] == ['a="x"', 'b=~"y.*"']
    with pytest.raises(MatcherSyntaxError, match="unescaped double quote"):  # as amtool refuses it
        Matcher.parse('a="x", b="y"')
    assert Matcher.parse("foo=a,b").value == "a,b"  # one argument, one matcher: as amtool reads it


@pytest.mark.parametrize("case", MATCHERS["cases"], ids=lambda c: c["input"][:40])
def test_a_silence_argument_means_what_amtool_makes_of_it(case: dict[str, Any]) -> None:
    """Each case as a later argument of `amtool silence add` (after a first matcher), as the real
    Alertmanager stored it: accepted or refused, and the matcher it made."""
    assert silence_reading(['anchor="x"', case["input"]], 1) == expected(case, "silence_not_first")


@pytest.mark.parametrize("case", MATCHERS["cases"], ids=lambda c: c["input"][:40])
def test_silence_adds_first_argument_agrees_with_amtool_but_where_it_refuses_on_purpose(
    case: dict[str, Any],
) -> None:
    """As the first argument of `silence add`, each case means what amtool made of it, or it is refused here
    for one of the two reasons docs/configuration/routing.md#conformance gives."""
    oracle = CURRENT[case["input"]]["silence"] if case["input"] in CHANGED_SINCE_0_25 else case["silence"]
    first = silence_reading([case["input"]], 0)
    if first["accepted"] or not oracle["accepted"]:
        assert first == recorded(oracle)
        return
    [theirs] = oracle["matchers"]
    fallback = theirs["name"] == "alertname" and not case["input"].startswith("alertname")
    # amtool took text that is not a matcher for an alert name (a silence nothing has): refused here instead
    no_label_needed = (
        theirs["isEqual"] is False
    )  # a != or !~ matcher alone: refused here as matching everything
    assert fallback or no_label_needed, (case["input"], theirs)
