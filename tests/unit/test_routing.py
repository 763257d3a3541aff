"""Alertmanager's route-tree semantics: matchers, continue, inheritance, grouping; config validation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alertrouter.config import ConfigError, load_config, parse_config
from alertrouter.models.config import parse_duration
from alertrouter.models.matcher import Matcher
from alertrouter.routing.tree import group_key, group_labels, match_routes

ROOT = Path(__file__).resolve().parents[2]

TREE = """
route:
  receiver: default
  group_by: [alertname]
  group_wait: 30s
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      continue: true
      group_wait: 5s
    - matchers: ['service=~"pay.*"', 'env!="dev"']
      receiver: payments
      group_by: [service]
      routes:
        - matchers: ['region!~"eu-.*"']
          receiver: payments-us
    - matchers: ['service="web"']
      receiver: web
receivers:
  - {name: default, slack: [{channel: "#alerts"}]}
  - {name: pager, slack: [{channel: "#oncall"}], sms: [primary]}
  - {name: payments, slack: [{channel: "#pay"}]}
  - {name: payments-us, slack: [{channel: "#pay-us"}]}
  - {name: web, slack: [{channel: "#web"}]}
"""


@pytest.fixture
def config():
    return parse_config(TREE)


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('a="x"', {"a": "x"}, True),
        ('a="x"', {"a": "xy"}, False),
        ("a=x", {"a": "x"}, True),
        ('a!="x"', {"a": "y"}, True),
        ('a!="x"', {}, True),
        ('a=""', {}, True),  # a missing label is the empty string
        ('a=~"x|y"', {"a": "y"}, True),
        ('a=~"x"', {"a": "xx"}, False),  # regexes are anchored
        ('a=~"x.*"', {"a": "xx"}, True),
        ('a!~"eu-.*"', {"a": "us-east-1"}, True),
        ('a!~"eu-.*"', {"a": "eu-west-1"}, False),
        ('a!~".+"', {}, True),
    ],
)
def test_matchers(text: str, labels: dict[str, str], expected: bool) -> None:
    assert Matcher.parse(text).matches(labels) is expected


@pytest.mark.parametrize(
    # (`9a=1` was here: a current Alertmanager takes 9a as a UTF-8 label name, and so does this router)
    "bad",
    ["a", "=x", 'a=~"("', "a b=1", 'severity=="critical"', 'a="x', "a='x\"", 'a=x"'],
)
def test_bad_matchers_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        Matcher.parse(bad)


def test_no_match_falls_back_to_the_root(config) -> None:
    [route] = match_routes(config, {"alertname": "X"})
    assert route.receiver == "default" and route.id == "0"


def test_continue_lets_later_siblings_match_too(config) -> None:
    routes = match_routes(config, {"severity": "critical", "service": "web"})
    assert [r.receiver for r in routes] == ["pager", "web"]


def test_first_match_wins_without_continue(config) -> None:
    routes = match_routes(config, {"service": "payments", "env": "prod", "region": "eu-west-1"})
    assert [r.receiver for r in routes] == ["payments"]


def test_deepest_matching_child_is_used_and_settings_inherit(config) -> None:
    [route] = match_routes(config, {"service": "payments", "env": "prod", "region": "us-east-1"})
    assert route.receiver == "payments-us" and route.id == "0.1.0"
    assert route.group_by == ("service",)  # from its parent
    assert route.group_wait == timedelta(seconds=30)  # from the root
    assert route.group_interval == timedelta(minutes=5)  # Alertmanager's default
    assert route.repeat_interval == timedelta(hours=4)


def test_critical_only_gets_pager_with_its_own_wait(config) -> None:
    routes = match_routes(config, {"severity": "critical", "service": "db"})
    assert [(r.receiver, r.group_wait.total_seconds()) for r in routes] == [
        ("pager", 5.0)
    ]  # a matched child replaces its parent


def test_grouping_by_labels(config) -> None:
    [route] = match_routes(config, {"service": "payments", "env": "prod", "region": "eu-west-1"})
    a = {"service": "payments", "alertname": "A", "env": "prod"}
    b = {"service": "payments", "alertname": "B", "env": "prod"}
    assert group_key(route, a) == group_key(route, b)  # grouped by service only
    assert group_labels(route, a) == {"service": "payments"}
    [root] = match_routes(config, {"alertname": "A"})
    assert group_key(root, {"alertname": "A"}) != group_key(root, {"alertname": "B"})


def test_group_by_all_labels() -> None:
    cfg = parse_config("route: {receiver: r, group_by: ['...']}\nreceivers: [{name: r}]")
    [route] = match_routes(cfg, {"a": "1"})
    assert group_key(route, {"a": "1", "b": "2"}) != group_key(route, {"a": "1", "b": "3"})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("4h", 14400),
        ("1h30m", 5400),
        ("1d", 86400),
        ("2w", 14 * 86400),
        ("1y", 365 * 86400),
        ("500ms", 0.5),
        ("1h0m30s", 3630),
        ("0", 0),
        (0, 0),
    ],
)
def test_durations(text, seconds) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", [10, "10", "1.5h", "1m1h", "30S", " ", "", "1h 30m", "٣s", True])
def test_durations_alertmanager_refuses_are_refused(text) -> None:
    # Prometheus' format, as Alertmanager reads it: a unit on every number, largest first, whole numbers
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("route: {receiver: nobody}\nreceivers: [{name: r}]", "unknown receiver 'nobody'"),
        (
            "route: {receiver: r, matchers: ['a=b']}\nreceivers: [{name: r}]",
            "root route must not have matchers",
        ),
        ("route: {}\nreceivers: [{name: r}]", "root route must name a receiver"),
        ("route: {receiver: r, group_wait: soon}\nreceivers: [{name: r}]", "invalid duration 'soon'"),
        ("route: {receiver: r}\nreceivers: [{name: r}, {name: r}]", "receiver names must be unique: r"),
        (
            "route: {receiver: r}\nreceivers: [{name: r, sms: ['+1 555 555 0100']}]",
            "do not put numbers in the file",
        ),
        ("route: {receiver: r, routes: [{matchers: ['a=~\"(\"']}]}\nreceivers: [{name: r}]", "invalid regex"),
        (
            "route: {receiver: r, colour: blue}\nreceivers: [{name: r}]",
            "route.colour: Extra inputs are not permitted",
        ),
        (
            "route: {receiver: r, repeat_interval: 0s}\nreceivers: [{name: r}]",
            "repeat_interval cannot be zero",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r, sms_severities: [Critical]}]",
            "unknown severities ['Critical']",
        ),
        ("route: [", "not valid YAML"),
        (
            "route: {receiver: r}\nreceivers: [{name: r, slack: [{channel: '${NOPE}'}]}]",
            "placeholder ${NOPE} has no value",
        ),
    ],
)
def test_config_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert message in str(caught.value)


def test_shipped_config_is_valid_and_routes_as_documented() -> None:
    config = load_config(ROOT / "config" / "routing.yaml", {"DEFAULT_SLACK_CHANNEL": "#alerts"})
    assert config.receiver("default").slack[0].channel == "#alerts"
    critical_ec2 = {"severity": "critical", "namespace": "AWS/EC2", "alertname": "x"}
    assert [r.receiver for r in match_routes(config, critical_ec2)] == ["oncall-page", "infra"]
    assert [r.receiver for r in match_routes(config, {"service": "checkout"})] == ["payments"]
    assert [r.receiver for r in match_routes(config, {"alertname": "other"})] == ["default"]
    assert config.receiver("oncall-page").sms == ["oncall-primary"]


FALLBACK_BASE = """
route: {receiver: team}
receivers:
  - name: team
    slack: [{channel: "#team"}]
  - name: ops
    slack: [{channel: "#ops"}]
"""


def test_a_receivers_fallback_channel_wins_over_the_global_one_and_is_never_one_of_its_own() -> None:
    config = parse_config(
        'global: {fallback_channel: "#ops"}\n'
        + FALLBACK_BASE.replace(
            '    slack: [{channel: "#team"}]',
            '    slack: [{channel: "#team"}]\n    fallback_channel: "#team-backup"',
        )
    )
    assert config.fallback_channel(config.receiver("team")) == "#team-backup"
    assert config.fallback_channel(config.receiver("ops")) is None  # the global one is its own channel
    assert parse_config(FALLBACK_BASE).fallback_channel(parse_config(FALLBACK_BASE).receiver("team")) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            FALLBACK_BASE.replace(
                '[{channel: "#team"}]', '[{channel: "#team"}]\n    fallback_channel: "#team"'
            ),
            "is one of the receiver's own channels",
        ),
        (
            FALLBACK_BASE.replace('[{channel: "#team"}]', '[{channel: "#team"}]\n    fallback_channel: " "'),
            "must not be empty",
        ),
        # (Alertmanager's own global keys are accepted and named by check-config; a misspelt one is refused)
        ('global: {fallback_channel: "#ops", smtp_frm: x}\n' + FALLBACK_BASE, "global.smtp_frm"),
    ],
)
def test_bad_fallback_channels_are_rejected(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_config(text)


LEGACY_MATCH = """
route:
  receiver: default
  routes:
    - match: {severity: critical}
      match_re: {service: 'pay.*'}
      receiver: pager
    - match_re: {service: 'pay'}
      receiver: exact
receivers: [{name: default}, {name: pager}, {name: exact}]
"""


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [  # what `amtool config routes test` (Alertmanager 0.25) answers for the same file and labels
        ({"severity": "critical", "service": "payments"}, "pager"),
        ({"severity": "critical", "service": "prepay"}, "default"),
        ({"service": "pay"}, "exact"),
        ({"service": "payments"}, "default"),
        ({"severity": "warning", "service": "payments"}, "default"),
    ],
)
def test_alertmanagers_deprecated_match_keys_route_as_amtool_says(
    labels: dict[str, str], receiver: str
) -> None:
    cfg = parse_config(LEGACY_MATCH)
    assert [r.receiver for r in match_routes(cfg, labels)] == [receiver]


def test_deprecated_inhibit_keys_mean_their_matchers() -> None:
    cfg = parse_config(
        LEGACY_MATCH
        + """
inhibit_rules:
  - source_match: {severity: critical}
    target_match_re: {severity: 'warning|info'}
    target_matchers: ['team="db"']
    equal: [alertname]
"""
    )
    [rule] = cfg.inhibit_rules
    assert [str(m) for m in rule.source_matchers] == ['severity="critical"']
    # (anchored as Alertmanager keeps a match_re value, and as amtool shows it)
    assert [str(m) for m in rule.target_matchers] == ['team="db"', 'severity=~"^(?:warning|info)$"']


def check_config(path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`alertrouter check-config --config PATH` on this text: its exit code, what it printed and warned."""
    from alertrouter.cli import main

    path.write_text(text)
    capsys.readouterr()
    code = main(["check-config", "--config", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_config_accepts_the_deprecated_keys_and_says_what_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "alertmanager.yml"
    text = LEGACY_MATCH + "inhibit_rules: [{source_match_re: {a: x}, target_matchers: ['b=y']}]\n"
    code, out, err = check_config(path, text, capsys)
    assert code == 0
    assert f"{path}: OK (3 receivers)" in out
    assert err.splitlines() == [
        "alertrouter: warning: route.routes.0.match: deprecated in Alertmanager (it still works); "
        "write it in matchers",
        "alertrouter: warning: route.routes.0.match_re: deprecated in Alertmanager (it still works); "
        "write it in matchers",
        "alertrouter: warning: route.routes.1.match_re: deprecated in Alertmanager (it still works); "
        "write it in matchers",
        "alertrouter: warning: inhibit_rules.0.source_match_re: deprecated in Alertmanager (it still works); "
        "write it in source_matchers",
    ]


def test_an_empty_receiver_is_the_parents_as_in_alertmanager() -> None:
    cfg = parse_config(
        "route:\n  receiver: team\n  routes:\n    - matchers: ['a=\"x\"']\n      receiver: ''\n"
        "receivers: [{name: team}]"
    )
    assert [r.receiver for r in match_routes(cfg, {"a": "x"})] == ["team"]
    with pytest.raises(ConfigError, match="root route must name a receiver"):
        parse_config("route: {receiver: ''}\nreceivers: [{name: team}]")


@pytest.mark.parametrize(
    ("route", "message"),
    [  # each refused by `amtool check-config` (Alertmanager 0.25) too, in these words
        ("{receiver: r, group_by: [alertname, '...']}", "cannot have wildcard group_by"),
        ("{receiver: r, group_by: [a, a]}", "duplicated label 'a' in group_by"),
        ("{receiver: r, group_by: [a-b]}", "invalid label name 'a-b' in group_by list"),
        ("{receiver: r, continue: true}", "cannot have continue in root route"),
    ],
)
def test_route_checks_alertmanager_makes_are_made(route: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(f"route: {route}\nreceivers: [{{name: r}}]")


def test_an_inhibit_rules_equal_names_are_label_names() -> None:
    with pytest.raises(ConfigError, match="'x-y' is not a valid label name"):
        parse_config(
            "route: {receiver: r}\nreceivers: [{name: r}]\n"
            "inhibit_rules: [{source_matchers: ['a=b'], target_matchers: ['c=d'], equal: ['x-y']}]"
        )


def test_alertmanagers_slack_configs_become_slack_targets_and_what_is_not_used_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "alertmanager.yml"
    code, _, err = check_config(
        path,
        "route: {receiver: team}\nreceivers:\n  - name: team\n    slack_configs:\n"
        "      - {channel: '#alerts', send_resolved: true, api_url: 'https://hooks.slack.example/x', title: t}\n"
        "      - {channel: '#team'}\n",
        capsys,
    )
    [receiver] = load_config(path).receivers
    assert [t.channel for t in receiver.slack] == ["#alerts", "#team"]
    assert code == 0
    assert err == (
        "alertrouter: warning: receivers.0.slack_configs.0: api_url not used (this router posts its own "
        "message with its bot token)\n"
    )


@pytest.mark.parametrize(
    ("receiver", "message"),
    [
        ("{name: t, email_configs: [{to: a@example.com}]}", "email_configs: not delivered by this router"),
        (
            "{name: t, pagerduty_configs: [{routing_key: x}], slack_configs: [{channel: '#a'}]}",
            "pagerduty_configs",
        ),
        ("{name: t, slack_configs: [{api_url: 'https://x'}]}", "needs its channel"),
        ("{name: t, slack_configs: [{channel: '#a', send_resolved: false}]}", "send_resolved: false"),
        ("{name: t, slack_configs: [{channel: '#a', chanel: '#b'}]}", "unknown keys chanel"),
    ],
)
def test_receivers_this_router_cannot_deliver_are_refused_by_name(receiver: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(f"route: {{receiver: t}}\nreceivers: [{receiver}]")


def test_alertmanagers_templates_and_older_mute_time_intervals_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "alertmanager.yml"
    code, _, err = check_config(
        path,
        "templates: ['/etc/alertmanager/*.tmpl']\n"
        "mute_time_intervals:\n  - name: weekends\n    time_intervals: [{weekdays: [saturday, sunday]}]\n"
        "route:\n  receiver: r\n  routes: [{matchers: ['a=b'], receiver: r, mute_time_intervals: [weekends]}]\n"
        "receivers: [{name: r, slack_configs: [{channel: '#a', title: '{{ template \"org.title\" . }}'}]}]\n",
        capsys,
    )
    assert [t.name for t in load_config(path).time_intervals] == ["weekends"]
    assert code == 0
    assert "templates: not read" in err
    # a title that calls one of the file's named templates loads, and check-config says what is shown instead
    assert (
        "receivers.r.slack_configs.0.title: calls template 'org.title' from a templates: file, which is not read: "
        "this router's own text is shown" in err
    )
