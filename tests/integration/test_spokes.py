"""A hub's spokes through the real router on moto and the Slack stand-in: a spoke's heartbeat from the hub's
bus rule makes and pings its watch, one from an account the hub does not serve (or a malformed one) waits in
the DLQ with its reason, a silent spoke is posted as SpokeSilent naming its account, and `alertrouter spokes
list|forget` shows and forgets the watches."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alertrouter import cli_spokes
from alertrouter.aws import EventSender
from alertrouter.cli import main
from alertrouter.heartbeats import HeartbeatSweep
from alertrouter.models.heartbeat import HeartbeatStatus
from support.events import spoke_heartbeat
from support.harness import FAST_CONFIG, Harness, drain_scheduled, make_harness

pytestmark = pytest.mark.integration

HUB = "999988887777"
SPOKE = "111122223333"
STRANGER = "444455556666"
MIN_S = 60
CONFIG = (
    FAST_CONFIG
    + f"""
messages:
  account_names:
    "{SPOKE}": production
"""
)


@pytest.fixture
def h(aws: Any, slack: Any, tmp_path: Path) -> Harness:
    return make_harness(aws, slack, tmp_path, CONFIG, account_id=HUB, allowed_source_account_ids=SPOKE)


def beat(h: Harness, account: str = SPOKE, **kwargs: Any) -> None:
    when = datetime.fromtimestamp(h.clock() / 1000, UTC).isoformat().replace("+00:00", "Z")
    h.service.handle_body(json.dumps(spoke_heartbeat(account, when, **kwargs)))


def sweep(h: Harness) -> None:
    """The escalator's heartbeat sweep, its events put on the router's queue and handled."""
    sender = EventSender(h.sqs, h.stack.queue_url, account=HUB, region="us-east-1")
    HeartbeatSweep(h.service.router.stores.heartbeats, sender.send, h.clock).run()
    drain_scheduled(h)


def spokes(h: Harness, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["spokes", *argv, "--table", h.stack.table_name, "--region", "us-east-1"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI on the harness's table, at the harness's time."""
    import botocore.session

    shared = h.session._session
    monkeypatch.setattr(botocore.session, "get_session", lambda env_vars=None: shared)
    monkeypatch.setattr(cli_spokes, "clock", lambda: h.clock() / 1000)
    monkeypatch.delenv("TABLE_NAME", raising=False)


def test_a_silent_spoke_is_posted_naming_its_account_and_resolves_when_it_beats_again(h: Harness) -> None:
    # Given a spoke's first heartbeats
    beat(h)
    h.clock.advance(5 * MIN_S)
    beat(h)
    watch = h.service.router.stores.heartbeats.heartbeat(f"spoke-{SPOKE}")
    assert watch is not None and watch.state.status == HeartbeatStatus.UP
    assert h.service.counts["SpokeHeartbeats"] == 2
    # When it falls silent for 20 minutes, Then the sweep raises SpokeSilent and it is posted, named
    h.clock.advance(19 * MIN_S)
    sweep(h)
    assert h.slack.channel_messages("#team") == []
    h.clock.advance(MIN_S)
    sweep(h)
    [message] = h.slack.channel_messages("#team")
    assert "Spoke production (111122223333) is silent" in message.text, message.text
    # When it beats again, Then the message says it is resolved
    h.clock.advance(MIN_S)
    beat(h)
    drain_scheduled(h)
    [message] = h.slack.channel_messages("#team")
    assert message.text.startswith("✅ RESOLVED"), message.text


def test_a_heartbeat_from_an_account_not_served_or_malformed_waits_in_the_dlq(h: Harness) -> None:
    beat(h, STRANGER)
    beat(h, SPOKE, every_minutes=0)
    reasons = [
        m["MessageAttributes"]["reason"]["StringValue"]
        for m in h.receive_all(h.stack.dlq_url, attributes=True)
    ]
    assert reasons[0] == (
        f"a spoke heartbeat of AWS account {STRANGER}, which this stack does not serve (add it to "
        "AllowedSourceAccountIds)"
    )
    assert "AlertRouter Spoke Heartbeat" in reasons[1] and "every_minutes" in reasons[1]
    assert h.service.router.stores.heartbeats.heartbeats() == []  # no watch made for either


def test_spokes_list_and_forget(h: Harness, cli: None, capsys: pytest.CaptureFixture[str]) -> None:
    beat(h)
    code, out, _ = spokes(h, capsys, "list")
    assert code == 0 and out.startswith(f"{SPOKE} (production)  up      last seen ")
    assert out.rstrip().endswith("stack alertrouter-spoke in eu-west-1, every 5m")
    code, out, _ = spokes(h, capsys, "list", "--json")
    [row] = json.loads(out)
    assert (row["account"], row["account_name"], row["state"]) == (SPOKE, "production", "up")
    # a silent spoke: forgetting it first resolves its alert (paused; the sweep sends the resolve)
    h.clock.advance(20 * MIN_S)
    sweep(h)
    assert json.loads(spokes(h, capsys, "list", "--json")[1])[0]["state"] == "silent"
    h.clock.advance(MIN_S)
    code, out, _ = spokes(h, capsys, "forget", SPOKE)
    assert code == 0 and "resolves on the escalator's next sweep" in out
    sweep(h)
    [message] = h.slack.channel_messages("#team")
    assert message.text.startswith("✅ RESOLVED"), message.text
    code, out, _ = spokes(h, capsys, "forget", SPOKE)
    assert code == 0 and out.startswith(f"forgot spoke {SPOKE}")
    assert spokes(h, capsys, "list")[1].startswith("no spokes watched")
    code, _, err = spokes(h, capsys, "forget", SPOKE)
    assert code == 1 and "no spoke 111122223333 is watched" in err
    assert spokes(h, capsys, "forget", "12")[0] == 2
