"""Record whether the real `amtool check-config` (Alertmanager's) accepts each of CASES, a list of small
alertmanager.yml documents, and its error text where it refuses: golden/acceptance.json.

Run where Alertmanager is installed (`apt-get install prometheus-alertmanager`), about 5 s:

    python tests/conformance/record_acceptance.py

tests/unit/test_acceptance_conformance.py loads every case with this project's parse_config and checks the
verdict is Alertmanager's, or a listed deliberate difference. The cases follow Alertmanager's configuration
reference (docs/configuration.md) and what its config loader checks: durations, legacy and current matchers,
receiver inheritance, the root route's restrictions, group_by, inhibit rules, time intervals, templates,
global settings, unknown keys, integrations and empty documents."""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from oracle import check_config, write_golden

GOLDEN = Path(__file__).with_name("golden") / "acceptance.json"
RECEIVERS = "receivers:\n  - name: default\n  - name: team\n"


def doc(text: str) -> str:
    """Dedented, ending with one newline (empty stays empty)."""
    text = textwrap.dedent(text).strip("\n")
    return text + "\n" if text else ""


def root(extra: str = "", receivers: str = RECEIVERS, top: str = "") -> str:
    """A config whose root route gets `extra` (lines at the route's indentation)."""
    lines = textwrap.indent(doc(extra), "  ") if extra else ""
    return f"{doc(top)}route:\n  receiver: default\n{lines}{receivers}"


def child(extra: str, receivers: str = RECEIVERS, top: str = "", name: str | None = "team") -> str:
    """A config with one child route, which gets `extra` (and `receiver: name` unless extra names one)."""
    body = doc(extra)
    if "receiver:" not in body and name is not None:
        body = f"receiver: {name}\n" + body
    lines = textwrap.indent(body, "      ").replace("      ", "    - ", 1)
    return f"{doc(top)}route:\n  receiver: default\n  routes:\n{lines}{receivers}"


def intervals(spec: str, use: str = "mute_time_intervals: [offhours]") -> str:
    """A config with one time interval `offhours` (one period: `spec`), used by a child route."""
    period = textwrap.indent(doc(spec), "        ").replace("        ", "      - ", 1)
    return child(use, top=f"time_intervals:\n  - name: offhours\n    time_intervals:\n{period}")


def inhibit(rule: str) -> str:
    body = textwrap.indent(doc(rule), "    ").replace("    ", "  - ", 1)
    return root(top="inhibit_rules:\n" + body)


def receiver(entry: str, top: str = "") -> str:
    """A config whose root receiver `default` has `entry` (its integration lists)."""
    lines = textwrap.indent(doc(entry), "    ")
    return root(receivers=f"receivers:\n  - name: default\n{lines}", top=top)


SLACK_URL = "global:\n  slack_api_url: https://hooks.slack.com/services/T0/B0/XXXX\n"
SMTP = "global:\n  smtp_smarthost: smtp.example.com:587\n  smtp_from: am@example.com\n"

# (id, what it checks, alertmanager.yml)
CASES: list[tuple[str, str, str]] = [
    # --- durations (Prometheus' format: units largest first, each once, whole numbers; `0` alone) ---
    ("duration_days", "group_wait in days", root("group_wait: 1d")),
    ("duration_compound", "hours and minutes", root("group_interval: 1h30m")),
    ("duration_milliseconds", "milliseconds", root("group_wait: 500ms")),
    ("duration_weeks", "weeks", root("repeat_interval: 2w")),
    ("duration_seconds_ms", "seconds then milliseconds", root("group_wait: 1s500ms")),
    ("duration_bare_number", "a bare YAML number", root("group_wait: 30")),
    ("duration_bare_string", "a bare number as a string", root('group_wait: "30"')),
    ("duration_zero_group_wait", "group_wait 0", root("group_wait: 0")),
    ("duration_zero_group_interval", "group_interval 0", root("group_interval: 0")),
    ("duration_zero_s_group_interval", "group_interval 0s", root("group_interval: 0s")),
    ("duration_zero_repeat_interval", "repeat_interval 0", root("repeat_interval: 0")),
    ("duration_zero_repeat_child", "repeat_interval 0s on a child", child("repeat_interval: 0s")),
    ("duration_zero_interval_child", "group_interval 0m on a child", child("group_interval: 0m")),
    ("duration_zero_ms_repeat", "repeat_interval 0ms", root("repeat_interval: 0ms")),
    ("duration_one_ms_interval", "group_interval 1ms", root("group_interval: 1ms")),
    ("duration_negative", "a negative duration", root("group_wait: -1m")),
    ("duration_fraction", "a fractional number", root("group_interval: 1.5h")),
    ("duration_wrong_order", "units smallest first", root("group_wait: 30s1m")),
    ("duration_repeated_unit", "a unit twice", root("group_wait: 1m1m")),
    ("duration_empty", "an empty string", root('group_wait: ""')),
    ("duration_uppercase", "an upper-case unit", root("group_wait: 5M")),
    ("duration_null", "an empty value (null)", root("group_wait:")),
    ("duration_global_resolve_timeout", "global resolve_timeout", root(top="global:\n  resolve_timeout: 10m\n")),
    ("duration_global_resolve_zero", "global resolve_timeout 0", root(top="global:\n  resolve_timeout: 0\n")),
    ("duration_overflow", "a duration past Go's range", root("repeat_interval: 1000000y")),
    ("duration_year", "a year", root("repeat_interval: 1y")),
    ("duration_global_resolve_bare", "global resolve_timeout bare", root(top="global:\n  resolve_timeout: 300\n")),
    # --- matchers, current and legacy ---
    ("match_legacy", "match: on a child", child("match:\n  severity: critical")),
    ("match_re_legacy", "match_re: on a child", child("match_re:\n  service: pay.*")),
    ("match_re_invalid_regex", "match_re: an invalid regex", child("match_re:\n  service: pay(")),
    ("match_invalid_label_name", "match: a label name with -", child("match:\n  foo-bar: x")),
    ("match_dotted_label_name", "match: a label name with a dot", child("match:\n  service.name: api")),
    ("match_and_matchers", "match: and matchers: on one route", child('match:\n  a: b\nmatchers: [c="d"]')),
    ("matchers_list", "two matchers entries", child("matchers: ['severity=\"critical\"', 'team=~\"db|web\"']")),
    ("matchers_several_in_entry", "several matchers in one entry", child("matchers: ['{a=\"1\", b!=\"2\"}']")),
    ("matchers_bad_operator", "an unknown operator", child("matchers: ['severity=>critical']")),
    ("matchers_invalid_regex", "an invalid regex", child("matchers: ['a=~\"(\"']")),
    ("matchers_dotted_name", "a dotted label name", child("matchers: ['service.name=\"api\"']")),
    ("matchers_quoted_utf8_name", "a quoted UTF-8 label name", child("matchers: ['\"service.name\"=\"api\"']")),
    ("matchers_empty_string", "an empty matchers entry", child("matchers: ['']")),
    ("matchers_empty_braces", "an entry of empty braces", child("matchers: ['{}']")),
    ("matchers_not_list", "matchers as a string", child("matchers: 'a=\"b\"'")),
    # --- receivers and the root route ---
    ("receiver_inherited", "a child without receiver", child("receiver: ''\nmatchers: [a=b]")),
    ("receiver_inherited_absent", "a child with no receiver key", child("matchers: [a=b]", name=None)),
    ("receiver_unknown", "a child naming an unknown receiver", child("receiver: nobody")),
    ("receiver_duplicate", "two receivers of one name", root(receivers="receivers:\n  - name: a\n  - name: a\n  - name: default\n")),
    ("receiver_without_name", "a receiver without a name", root(receivers="receivers:\n  - name: default\n  - {}\n")),
    ("receivers_missing", "no receivers list", "route:\n  receiver: default\n"),
    ("receiver_empty_name", "a receiver named ''", root(receivers="receivers:\n  - name: default\n  - name: ''\n")),
    ("receiver_unused", "a receiver no route names", root(receivers="receivers:\n  - name: default\n  - name: spare\n")),
    ("receiver_null_child", "a child with receiver: null", child("receiver: null\nmatchers: [a=b]")),
    ("root_no_receiver", "a root route without receiver", f"route:\n  group_by: [alertname]\n{RECEIVERS}"),
    ("root_empty_receiver", "a root route with receiver ''", f"route:\n  receiver: ''\n{RECEIVERS}"),
    ("root_matchers", "a root route with matchers", root("matchers: [a=b]")),
    ("root_match_legacy", "a root route with match:", root("match:\n  a: b")),
    ("root_match_empty", "a root route with an empty match:", root("match: {}")),
    ("root_continue", "a root route with continue: true", root("continue: true")),
    ("root_continue_false", "a root route with continue: false", root("continue: false")),
    ("route_missing", "no route", RECEIVERS),
    ("route_unknown_key", "an unknown key in a route", child("colour: red")),
    ("route_child_continue_nested", "nested children with continue", child("continue: true\nroutes:\n  - receiver: default\n    matchers: [b=c]")),
    # --- group_by ---
    ("group_by_all", "group_by ['...']", root("group_by: ['...']")),
    ("group_by_all_and_label", "'...' with another label", root("group_by: ['...', alertname]")),
    ("group_by_duplicate", "a label twice", root("group_by: [alertname, alertname]")),
    ("group_by_invalid_name", "an invalid label name", child("group_by: [foo-bar]")),
    ("group_by_dotted_name", "a dotted label name", child("group_by: [service.name]")),
    ("group_by_string", "group_by as a string", root("group_by: alertname")),
    ("group_by_empty", "an empty list", root("group_by: []")),
    # --- inhibit rules ---
    ("inhibit_full", "source, target and equal", inhibit("source_matchers: [severity=critical]\ntarget_matchers: [severity=warning]\nequal: [alertname, cluster]")),
    ("inhibit_no_source", "only target_matchers (every alert a source)", inhibit("target_matchers: [severity=info]\nequal: [namespace]")),
    ("inhibit_legacy", "source_match and target_match_re", inhibit("source_match:\n  severity: critical\ntarget_match_re:\n  severity: warning|info")),
    ("inhibit_equal_invalid", "equal: an invalid label name", inhibit("target_matchers: [a=b]\nequal: [foo-bar]")),
    ("inhibit_equal_dotted", "equal: a dotted label name", inhibit("target_matchers: [a=b]\nequal: [service.name]")),
    ("inhibit_legacy_invalid_regex", "source_match_re: an invalid regex", inhibit("source_match_re:\n  a: '('\ntarget_match:\n  b: c")),
    ("inhibit_legacy_invalid_name", "target_match: an invalid label name", inhibit("target_match:\n  foo-bar: c")),
    ("inhibit_matchers_invalid", "source_matchers: an invalid regex", inhibit("source_matchers: ['a=~\"(\"']")),
    ("inhibit_equal_string", "equal as a string", inhibit("target_matchers: [a=b]\nequal: alertname")),
    ("inhibit_empty", "an empty rule", inhibit("equal: []")),
    ("inhibit_unknown_key", "an unknown key", inhibit("source: [a=b]")),
    # --- time intervals ---
    ("ti_full", "every field", intervals("times:\n  - start_time: '09:00'\n    end_time: '17:00'\nweekdays: ['monday:friday']\ndays_of_month: ['1:5', '-3:-1']\nmonths: ['january:march', '12']\nyears: ['2024:2030']\nlocation: Europe/Berlin")),
    ("ti_legacy_top_level", "top-level mute_time_intervals", child("mute_time_intervals: [offhours]", top="mute_time_intervals:\n  - name: offhours\n    time_intervals:\n      - weekdays: [saturday, sunday]\n")),
    ("ti_active_child", "active_time_intervals on a child", intervals("weekdays: [saturday]", use="active_time_intervals: [offhours]")),
    ("ti_end_2400", "end_time 24:00", intervals("times:\n  - start_time: '22:00'\n    end_time: '24:00'")),
    ("ti_hour_25", "start_time 25:00", intervals("times:\n  - start_time: '25:00'\n    end_time: '26:00'")),
    ("ti_single_digit_hour", "start_time 9:00 (quoted)", intervals("times:\n  - start_time: '9:00'\n    end_time: '17:00'")),
    ("ti_unquoted_time", "unquoted 17:00 (a base-60 number in YAML 1.1)", intervals("times:\n  - start_time: 09:00\n    end_time: 17:00")),
    ("ti_unquoted_single_digit", "unquoted 9:00 (540 in YAML 1.1)", intervals("times:\n  - start_time: 9:00\n    end_time: 17:00")),
    ("ti_time_as_minutes", "a time as a number of minutes", intervals("times:\n  - start_time: 600\n    end_time: 1020")),
    ("ti_time_missing_end", "start_time without end_time", intervals("times:\n  - start_time: '09:00'")),
    ("ti_months_numeric_range", "months 1:3", intervals("months: ['1:3']")),
    ("ti_start_after_end", "start_time after end_time", intervals("times:\n  - start_time: '17:00'\n    end_time: '09:00'")),
    ("ti_start_equals_end", "start_time equal to end_time", intervals("times:\n  - start_time: '09:00'\n    end_time: '09:00'")),
    ("ti_bad_weekday", "an unknown weekday", intervals("weekdays: [funday]")),
    ("ti_weekday_number", "a weekday as a number", intervals("weekdays: ['1']")),
    ("ti_weekday_backwards", "friday:monday", intervals("weekdays: ['friday:monday']")),
    ("ti_weekday_capitalised", "Monday", intervals("weekdays: [Monday]")),
    ("ti_month_13", "month 13", intervals("months: ['13']")),
    ("ti_month_abbreviated", "month jan", intervals("months: [jan]")),
    ("ti_month_backwards", "december:january", intervals("months: ['december:january']")),
    ("ti_days_unquoted_range", "unquoted 1:5 (65 in YAML 1.1)", intervals("days_of_month: [1:5]")),
    ("ti_months_unquoted_range", "unquoted 1:3 (63 in YAML 1.1)", intervals("months: [1:3]")),
    ("ti_day_0", "day 0", intervals("days_of_month: ['0']")),
    ("ti_day_32", "day 32", intervals("days_of_month: ['32']")),
    ("ti_day_negative_to_positive", "-3:5", intervals("days_of_month: ['-3:5']")),
    ("ti_day_positive_to_negative", "25:-1", intervals("days_of_month: ['25:-1']")),
    ("ti_day_backwards", "10:5", intervals("days_of_month: ['10:5']")),
    ("ti_years_backwards", "2030:2020", intervals("years: ['2030:2020']")),
    ("ti_year_zero", "year 0", intervals("years: ['0']")),
    ("ti_location_unknown", "an unknown time zone", intervals("location: Mars/Phobos")),
    ("ti_location_local", "location Local", intervals("location: Local")),
    ("ti_location_empty", "location ''", intervals("location: ''")),
    ("ti_location_lowercase_utc", "location utc", intervals("location: utc")),
    ("ti_unknown_field", "an unknown field in a period", intervals("hours: ['9:17']")),
    ("ti_unknown_name_mute", "mute_time_intervals naming no interval", intervals("weekdays: [sunday]", use="mute_time_intervals: [nope]")),
    ("ti_unknown_name_active", "active_time_intervals naming no interval", intervals("weekdays: [sunday]", use="active_time_intervals: [nope]")),
    ("ti_root_mute", "mute_time_intervals on the root", root("mute_time_intervals: [offhours]", top="time_intervals:\n  - name: offhours\n    time_intervals: [{weekdays: [sunday]}]\n")),
    ("ti_root_active", "active_time_intervals on the root", root("active_time_intervals: [offhours]", top="time_intervals:\n  - name: offhours\n    time_intervals: [{weekdays: [sunday]}]\n")),
    ("ti_duplicate_name", "two intervals of one name", root(top="time_intervals:\n  - name: x\n    time_intervals: []\n  - name: x\n    time_intervals: []\n")),
    ("ti_duplicate_across_lists", "one name in time_intervals and mute_time_intervals", root(top="time_intervals:\n  - name: x\n    time_intervals: []\nmute_time_intervals:\n  - name: x\n    time_intervals: []\n")),
    ("ti_no_name", "an interval without a name", root(top="time_intervals:\n  - time_intervals: [{weekdays: [sunday]}]\n")),
    ("ti_empty_name", "an interval named ''", root(top="time_intervals:\n  - name: ''\n    time_intervals: []\n")),
    ("ti_legacy_used_as_active", "a top-level mute_time_intervals entry used by active_time_intervals", child("active_time_intervals: [offhours]", top="mute_time_intervals:\n  - name: offhours\n    time_intervals:\n      - weekdays: [saturday]\n")),
    ("ti_no_periods", "an interval without periods", intervals("{}")),
    # --- templates, global, top level, empty ---
    ("templates_glob", "templates matching no file", root(top="templates: ['/nonexistent/*.tmpl']\n")),
    ("templates_not_list", "templates as a string", root(top="templates: x.tmpl\n")),
    ("global_integrations", "SMTP, Slack URL and resolve_timeout in global", root(top=SMTP + "  slack_api_url: https://hooks.slack.com/services/T0/B0/XXXX\n  resolve_timeout: 5m\n")),
    ("global_http_config", "global http_config", root(top="global:\n  http_config:\n    follow_redirects: true\n")),
    ("global_invalid_slack_url", "global slack_api_url not a URL", root(top="global:\n  slack_api_url: not a url\n")),
    ("global_unknown_key", "an unknown key in global", root(top="global:\n  colour: red\n")),
    ("top_level_unknown_key", "an unknown top-level key", root(top="colour: red\n")),
    ("empty_document", "an empty file", ""),
    ("only_comment", "a file with a comment only", "# nothing here\n"),
    ("empty_mapping", "{}", "{}\n"),
    ("not_a_mapping", "a list", "- route\n- receivers\n"),
    ("invalid_yaml", "broken YAML", "route: [\n"),
    # --- receivers' integrations ---
    ("slack_channel_global_url", "slack_configs with channel, global slack_api_url", receiver("slack_configs:\n  - channel: '#ops'", top=SLACK_URL)),
    ("slack_channel_own_url", "slack_configs with channel and api_url", receiver("slack_configs:\n  - channel: '#ops'\n    api_url: https://hooks.slack.com/services/T0/B0/XXXX")),
    ("slack_empty_list", "slack_configs: []", receiver("slack_configs: []")),
    ("slack_no_channel", "slack_configs without channel", receiver("slack_configs:\n  - title: hi", top=SLACK_URL)),
    ("slack_no_api_url", "slack_configs with channel, no api_url anywhere", receiver("slack_configs:\n  - channel: '#ops'")),
    ("slack_send_resolved_false", "slack_configs send_resolved: false", receiver("slack_configs:\n  - channel: '#ops'\n    send_resolved: false", top=SLACK_URL)),
    ("slack_unknown_key", "an unknown key in slack_configs", receiver("slack_configs:\n  - channel: '#ops'\n    colour: red", top=SLACK_URL)),
    ("slack_invalid_api_url", "slack_configs api_url not a URL", receiver("slack_configs:\n  - channel: '#ops'\n    api_url: not a url")),
    ("email_valid", "email_configs with to (global SMTP)", receiver("email_configs:\n  - to: ops@example.com", top=SMTP)),
    ("email_no_to", "email_configs without to", receiver("email_configs:\n  - send_resolved: true", top=SMTP)),
    ("pagerduty_valid", "pagerduty_configs with routing_key", receiver("pagerduty_configs:\n  - routing_key: abc123")),
    ("pagerduty_no_key", "pagerduty_configs without a key", receiver("pagerduty_configs:\n  - severity: critical")),
    ("opsgenie_valid", "opsgenie_configs with api_key", receiver("opsgenie_configs:\n  - api_key: abc123")),
    ("sns_valid", "sns_configs with topic_arn", receiver("sns_configs:\n  - topic_arn: arn:aws:sns:eu-west-1:123456789012:ops\n    sigv4:\n      region: eu-west-1")),
    ("victorops_valid", "victorops_configs with key and routing_key", receiver("victorops_configs:\n  - api_key: abc\n    routing_key: ops")),
    ("unknown_integration", "an integration 0.25 does not know", receiver("carrier_pigeon_configs:\n  - loft: roof")),
    ("webhook_valid", "webhook_configs with a URL", receiver("webhook_configs:\n  - url: http://127.0.0.1:9000/hook")),
    ("webhook_invalid_url", "webhook_configs url not a URL", receiver("webhook_configs:\n  - url: not a url")),
    ("webhook_url_file", "webhook_configs url_file", receiver("webhook_configs:\n  - url_file: /etc/alertmanager/hook-url")),
    ("webhook_no_url", "webhook_configs without url", receiver("webhook_configs:\n  - send_resolved: true")),
    ("webhook_url_and_file", "webhook_configs url and url_file", receiver("webhook_configs:\n  - url: http://127.0.0.1:9000/hook\n    url_file: /etc/hook-url")),
    ("webhook_max_alerts", "webhook_configs max_alerts", receiver("webhook_configs:\n  - url: http://127.0.0.1:9000/hook\n    max_alerts: 10")),
]  # fmt: skip


def main() -> None:
    ids = [case_id for case_id, _, _ in CASES]
    if len(set(ids)) != len(ids):
        raise SystemExit("duplicate case id in CASES")
    cases = []
    with tempfile.TemporaryDirectory(prefix="am-accept-") as tmp:
        path = Path(tmp) / "alertmanager.yml"
        for case_id, what, text in CASES:
            path.write_text(text, encoding="utf-8")
            cases.append({"id": case_id, "checks": what, "config": text, **check_config(path, tmp)})
    write_golden(GOLDEN, {"cases": cases})
    refused = sum(not c["accepted"] for c in cases)
    print(f"{GOLDEN}: {len(cases)} cases, {len(cases) - refused} accepted, {refused} refused")


if __name__ == "__main__":
    main()
