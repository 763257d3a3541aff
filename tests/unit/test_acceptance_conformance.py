"""Config acceptance against the real `amtool check-config` (Alertmanager 0.25): every alertmanager.yml of
tests/conformance/golden/acceptance.json (recorded by tests/conformance/record_acceptance.py) is loaded with
`parse_config`. Where Alertmanager refuses, this router refuses; where it accepts, this router accepts; but for
the cases listed below, each with its reason. Every golden case is asserted one way or the other."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alertrouter.config import ConfigError, parse_config
from support.paths import ROOT

GOLDEN = json.loads((ROOT / "tests" / "conformance" / "golden" / "acceptance.json").read_text())
CASES = {case["id"]: case for case in GOLDEN["cases"]}

_NOT_DELIVERED = "not delivered by this router (Slack, SMS and webhooks)"
# Alertmanager accepts these; this router refuses them on purpose: case -> words the refusal must say
REFUSED_ON_PURPOSE = {
    # integrations this router does not deliver to: refused by name, never dropped quietly
    "email_valid": f"email_configs: {_NOT_DELIVERED}",
    "pagerduty_valid": f"pagerduty_configs: {_NOT_DELIVERED}",
    "opsgenie_valid": f"opsgenie_configs: {_NOT_DELIVERED}",
    "sns_valid": f"sns_configs: {_NOT_DELIVERED}",
    "victorops_valid": f"victorops_configs: {_NOT_DELIVERED}",
    # the bot token posts to a channel; Alertmanager's webhook URL knows its own channel
    "slack_no_channel": "needs its channel (the bot token posts there)",
    # the message is edited to resolved: resolved notices cannot be switched off
    "slack_send_resolved_false": "send_resolved: false is not supported",
    # Alertmanager's host zone; here the host is a Lambda (UTC), so the zone must be named
    "ti_location_local": "location Local (Alertmanager's: the zone of the host it runs on) is not supported",
    # entries that match no date: Alertmanager 0.25 does not range-check numeric months or years
    "ti_month_13": "13 is outside 1..12",
    "ti_year_zero": "0 is outside 1..9999",
}
# Alertmanager refuses these; this router accepts them on purpose: case -> why
ACCEPTED_ON_PURPOSE = {
    "slack_no_api_url": "Slack is posted to with the bot token: Alertmanager's api_url is not used (warned)",
    "slack_invalid_api_url": "Slack is posted to with the bot token: Alertmanager's api_url is not used (warned)",
    "global_invalid_slack_url": "Alertmanager's integration settings in global are not used (warned)",
}
# Alertmanager 0.25 refuses these; the current one (0.33.1, its default matcher mode) accepts them, and so does
# this router, which follows the current Alertmanager: UTF-8 label names in `matchers:` (0.27+)
FOLLOWS_CURRENT = {
    "matchers_dotted_name": "accepted",
    "matchers_quoted_utf8_name": "accepted",
}
# Differences not fixed here: the verdict here, and why. A bare number of minutes is how a parsed interval holds
# a time, and is read so from a config too; Alertmanager wants HH:MM.
OPEN_DIFFERENCES = {
    "ti_time_as_minutes": ("accepted", "a bare 600 reads as 10:00 (minutes after midnight)"),
}
LISTS = (REFUSED_ON_PURPOSE, ACCEPTED_ON_PURPOSE, FOLLOWS_CURRENT, OPEN_DIFFERENCES)


def ours(case: dict[str, Any]) -> tuple[bool, str]:
    """This router's verdict on a case: accepted, and the refusal's message."""
    try:
        parse_config(case["config"], source="alertmanager.yml")
    except ConfigError as exc:
        return False, str(exc)
    return True, ""


def verdict(accepted: bool) -> str:
    return "accepted" if accepted else "refused"


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["id"])
def test_a_config_is_accepted_or_refused_as_alertmanager_does(case: dict[str, Any]) -> None:
    accepted, message = ours(case)
    case_id = case["id"]
    if case_id in REFUSED_ON_PURPOSE:
        assert case["accepted"] and not accepted
        assert REFUSED_ON_PURPOSE[case_id] in message
    elif case_id in ACCEPTED_ON_PURPOSE:
        assert not case["accepted"] and accepted, ACCEPTED_ON_PURPOSE[case_id]
    elif case_id in FOLLOWS_CURRENT:
        assert not case["accepted"] and verdict(accepted) == FOLLOWS_CURRENT[case_id], message
    elif case_id in OPEN_DIFFERENCES:
        assert verdict(accepted) == OPEN_DIFFERENCES[case_id][0] != verdict(case["accepted"])
    else:
        assert accepted == case["accepted"], case["error"] or message
        assert (
            accepted or message.startswith("alertmanager.yml: ") and len(message) > len("alertmanager.yml: ")
        )


def agreeing() -> int:
    return sum(ours(case)[0] == case["accepted"] for case in GOLDEN["cases"])


def test_the_lists_name_golden_cases_once_and_the_figures_are_the_documented_ones() -> None:
    listed = [case_id for found in LISTS for case_id in found]
    assert len(listed) == len(set(listed)) and set(listed) <= set(CASES)
    assert GOLDEN["alertmanager_version"].startswith("0.25") and len(CASES) >= 60
    # the agreement figure in the docs: cases where this router's verdict is Alertmanager's
    row = f"| config acceptance (`amtool check-config` of {len(CASES)} small alertmanager.yml files"
    docs = (ROOT / "docs" / "configuration" / "routing.md").read_text()
    assert row in docs and f"| {agreeing()} of {len(CASES)};" in docs.split(row, 1)[1].splitlines()[0]
