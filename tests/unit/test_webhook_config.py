"""A receiver's `webhook_configs`, as Alertmanager reads them: what check-config accepts, and what it refuses with
the reason (no secrets in the file, no files in Lambda, http(s) only, unknown keys)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alertrouter.config import ConfigError, load_config, parse_config
from alertrouter.models.webhook import WebhookAuth, WebhookTarget


def check_config(path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from alertrouter.cli import main

    path.write_text(text)
    capsys.readouterr()
    code = main(["check-config", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def config(webhook: str) -> str:
    return (
        f"route: {{receiver: hooks}}\nreceivers:\n  - name: hooks\n    webhook_configs:\n      - {webhook}\n"
    )


def test_alertmanagers_webhook_configs_are_read_with_alertmanagers_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an alertmanager.yml receiver with two webhooks, one with every setting this router takes
    text = (
        "route: {receiver: hooks}\nreceivers:\n  - name: hooks\n    webhook_configs:\n"
        "      - url: 'http://bridge.internal:9000/alerts'\n"
        "      - url_secret: alertrouter/webhook/teams\n        send_resolved: false\n        max_alerts: 20\n"
        "        timeout: 3s\n        http_config:\n          authorization:\n"
        "            credentials_secret: alertrouter/webhook/teams-token\n"
    )
    # When check-config reads it, Then it passes
    code, out, err = check_config(tmp_path / "alertmanager.yml", text, capsys)
    assert code == 0 and "OK (1 receivers)" in out and err == ""
    plain, teams = load_config(tmp_path / "alertmanager.yml").receivers[0].webhook_configs
    # and the defaults are Alertmanager's: resolves sent, every alert, (the timeout: this router's own)
    assert (plain.url, plain.send_resolved, plain.max_alerts, plain.timeout, plain.authorization) == (
        "http://bridge.internal:9000/alerts",
        True,
        0,
        None,
        None,
    )
    assert (teams.url_secret, teams.send_resolved, teams.max_alerts, teams.timeout) == (
        "alertrouter/webhook/teams",
        False,
        20,
        timedelta(seconds=3),
    )
    assert teams.authorization == WebhookAuth(
        type="Bearer", credentials_secret="alertrouter/webhook/teams-token"
    )


def test_a_webhooks_id_and_label_tell_nothing_of_its_url() -> None:
    hook = WebhookTarget(url="https://prod.westus.logic.azure.com/workflows/abc/triggers/manual?sig=s3cr3t")
    assert hook.id.startswith("wh-") and hook.id == WebhookTarget(url=hook.url).id
    assert "s3cr3t" not in hook.label and "workflows" not in hook.label
    assert hook.label == f"{hook.id} (prod.westus.logic.azure.com)"
    assert (
        WebhookTarget(url_secret="alertrouter/webhook/x").id
        != WebhookTarget(url_secret="alertrouter/webhook/y").id
    )


def test_a_zero_timeout_is_the_routers_default() -> None:
    [hook] = parse_config(config("{url: 'https://x.example/', timeout: 0s}")).receivers[0].webhook_configs
    assert hook.timeout is None


@pytest.mark.parametrize(
    ("webhook", "reason"),
    [
        ("{url: 'ftp://files.example/alerts'}", "url must be an http or https URL with a host"),
        ("{url: 'https:///no-host'}", "url must be an http or https URL with a host"),
        ("{url: 'https://user:pw@hooks.example/'}", "no credentials in the URL"),
        (
            "{url_file: /etc/alertmanager/url}",
            "url_file: no files in Lambda; put the URL in a Secrets Manager",
        ),
        ("{send_resolved: true}", "give url or url_secret"),
        ("{url: 'https://a.example/', url_secret: alertrouter/webhook/a}", "give url or url_secret"),
        (
            "{url_secret: prod/teams-url}",
            "url_secret names a Secrets Manager secret under alertrouter/webhook/",
        ),
        ("{url: 'https://a.example/', max_alerts: -1}", "greater than or equal to 0"),
        ("{url: 'https://a.example/', timeout: 1m}", "timeout above 10s is not supported"),
        ("{url: 'https://a.example/', timeout: 5}", "invalid duration"),
        (
            "{url: 'https://a.example/', http_config: {bearer_token: abc}}",
            "bearer_token: no secrets in the config",
        ),
        (
            "{url: 'https://a.example/', http_config: {basic_auth: {username: u, password: p}}}",
            "basic_auth: no secrets in the config file",
        ),
        (
            "{url: 'https://a.example/', http_config: {bearer_token_file: /run/token}}",
            "no files in Lambda",
        ),
        (
            "{url: 'https://a.example/', http_config: {authorization: {credentials: abc}}}",
            "credentials / credentials_file: no secrets in the config file",
        ),
        (
            "{url: 'https://a.example/', http_config: {authorization: {credentials_secret: other/x}}}",
            "credentials_secret names a Secrets Manager secret under alertrouter/webhook/",
        ),
        ("{url: 'https://a.example/', http_config: {proxy_url: 'http://p'}}", "proxy_url not supported"),
        ("{url: 'https://a.example/', http_config: {tls_config: {ca_file: x}}}", "tls_config not supported"),
        ("{url: 'https://a.example/', max_alert: 3}", "max_alert"),
    ],
)
def test_webhook_configs_this_router_cannot_honour_are_refused_with_the_reason(
    webhook: str, reason: str
) -> None:
    with pytest.raises(ConfigError, match=reason.replace("(", r"\(")):
        parse_config(config(webhook))


def test_check_config_names_the_refused_webhook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check_config(
        tmp_path / "am.yml", config("{url: 'https://a.example/', http_config: {bearer_token: t}}"), capsys
    )
    assert code == 2 and "receivers.0.webhook_configs.0" in err and "bearer_token" in err
    assert err.count("\n") == 1  # one line, and the token itself is not repeated


def test_the_documented_example_is_a_valid_config() -> None:
    from support.paths import ROOT

    [receiver] = load_config(ROOT / "docs/snippets/webhook-receiver.yaml").receivers
    incidents, teams, bridge = receiver.webhook_configs
    assert incidents.send_resolved and teams.url_secret == "alertrouter/webhook/payments-teams"
    assert bridge.authorization is not None and bridge.authorization.type == "Bearer"


def test_check_config_warns_of_a_webhook_url_with_a_query_string_without_repeating_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://prod.westus.logic.azure.com/workflows/abc/triggers/manual?api-version=1&sig=s3cr3t"
    code, _, err = check_config(tmp_path / "am.yml", config(f"{{url: '{url}'}}"), capsys)
    assert code == 0
    assert err == (
        "alertrouter: warning: receivers.0.webhook_configs.0: the url has a query string (a token?): keep such a "
        "URL in a Secrets Manager secret under alertrouter/webhook/, named by url_secret\n"
    )
