"""`alertrouter heartbeat add|list|pause|resume|remove|token|apply` against the state table on moto (see
test_cli_silence.py for how the CLI runs inside mock_aws)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from moto import mock_aws

from alertrouter import cli_heartbeats
from alertrouter.cli import main
from alertrouter.models.heartbeat import HeartbeatStatus, PingKind
from alertrouter.oncall.heartbeat import apply_ping, overdue, token_matches
from alertrouter.store.dynamodb import DynamoDBStore
from support.local_aws import deploy, use_fake_aws_environment

pytestmark = pytest.mark.integration

_stacks = itertools.count()
NOW_S = 1_796_000_000.0  # 2026-11-29


@pytest.fixture(scope="module")
def moto_session() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as mp:
        use_fake_aws_environment(mp)
        for name in ("AWS_REGION", "AWS_PROFILE"):
            mp.delenv(name, raising=False)
        shared = botocore.session.get_session()
        mp.setattr(botocore.session, "get_session", lambda env_vars=None: shared)
        with mock_aws():
            yield boto3.session.Session(region_name="us-east-1", botocore_session=shared)


@pytest.fixture
def store(moto_session: Any, monkeypatch: pytest.MonkeyPatch) -> DynamoDBStore:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    monkeypatch.setattr(cli_heartbeats, "clock", lambda: NOW_S)
    name = deploy(moto_session, prefix=f"hb{next(_stacks)}").table_name
    return DynamoDBStore(name, moto_session.client("dynamodb"))


def run(capsys: pytest.CaptureFixture[str], store: DynamoDBStore, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["heartbeat", *argv, "--table", store.table, "--region", "us-east-1"])
    out, err = capsys.readouterr()
    return code, out, err


def token_of(out: str) -> str:
    [line] = [line for line in out.splitlines() if line.startswith("token ")]
    return line.rsplit(" ", 1)[1]


def test_add_prints_the_token_once_and_the_table_keeps_its_hash(
    store: DynamoDBStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, store, "add", "nightly-etl", "--cron", "0 2 * * *", "--tz", "Europe/Berlin", "--grace", "4h",
        "--label", "team=data", "--ping-url", "https://abc.lambda-url.eu-west-1.on.aws/",
    )  # fmt: skip
    assert (code, err) == (0, "")
    token = token_of(out)
    assert "https://abc.lambda-url.eu-west-1.on.aws/ping/nightly-etl" in out
    record = store.heartbeat("nightly-etl")
    assert record is not None and token_matches(token, record.token_hash)
    assert record.check.cron == "0 2 * * *" and record.check.labels == {"team": "data"}
    code, _, err = run(capsys, store, "add", "nightly-etl", "--period", "1d")
    assert code == 1 and "exists" in err
    code, _, err = run(capsys, store, "add", "bad", "--period", "1d", "--grace", "soon")
    assert code == 2 and "invalid duration" in err
    # a rotated token replaces the old one
    code, out, _ = run(capsys, store, "token", "nightly-etl")
    rotated = store.heartbeat("nightly-etl")
    assert code == 0 and rotated is not None
    assert token_matches(token_of(out), rotated.token_hash) and not token_matches(token, rotated.token_hash)


def test_list_pause_resume_remove(store: DynamoDBStore, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, store, "add", "hourly", "--period", "1h", "--grace", "0")
    record = store.heartbeat("hourly")
    assert record is not None
    now_ms = int(NOW_S * 1000)
    pinged = apply_ping(record.check, record.state, PingKind.SUCCESS, now_ms - 2 * 3_600_000)
    assert pinged is not None
    down = overdue(record.check, pinged.state, now_ms - 3_600_000)
    assert down is not None and store.save_heartbeat_state("hourly", down.state, 0)
    code, out, _ = run(capsys, store, "list", "--json")
    [row] = json.loads(out)
    assert (code, row["name"], row["status"]) == (0, "hourly", "down")
    code, _, err = run(capsys, store, "remove", "hourly")
    assert code == 1 and "pause it first" in err
    code, out, _ = run(capsys, store, "pause", "hourly")
    assert code == 0 and "resolves on the escalator's next sweep" in out
    paused = store.heartbeat("hourly")
    assert paused is not None and paused.state.status == HeartbeatStatus.PAUSED
    assert paused.state.outbox is not None and paused.state.outbox["state"] == "resolved"
    code, out, _ = run(capsys, store, "resume", "hourly")
    assert code == 0 and "hourly is new" in out
    code, out, _ = run(capsys, store, "list")
    assert "hourly  new" in out and "last ping 2026-" in out
    assert run(capsys, store, "remove", "hourly")[0] == 0
    assert store.heartbeat("hourly") is None
    assert run(capsys, store, "pause", "hourly")[0] == 1


def test_apply_upserts_the_config_checks_keeping_state(
    store: DynamoDBStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "routing.yaml"
    body = """
route: {{receiver: team}}
receivers: [{{name: team}}]
heartbeats:
  - name: nightly-etl
    cron: "0 2 * * *"
    tz: Europe/Berlin
    grace: {grace}
  - name: batch-report
    period: 1d
    kind: event
    event: {{job_name: "report-*"}}
"""
    config.write_text(body.format(grace="1h"))
    code, out, err = run(capsys, store, "apply", "--config", str(config))
    assert (code, err) == (0, "")
    assert out.count("token (shown once") == 1  # the ping check's; the event check needs none
    run(capsys, store, "add", "manual", "--period", "1h")
    config.write_text(body.format(grace="3h"))
    code, out, _ = run(capsys, store, "apply", "--config", str(config))
    assert code == 0 and "token (shown" not in out and "updated nightly-etl" in out and "manual" in out
    record = store.heartbeat("nightly-etl")
    assert record is not None and record.check.grace.total_seconds() == 3 * 3600
    config.write_text(body.format(grace="1h") + "  - name: nightly-etl\n    period: 1h\n")
    code, _, err = run(capsys, store, "apply", "--config", str(config))
    assert code == 2 and "named twice" in err
