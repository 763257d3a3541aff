"""`alertrouter oncall override|overrides`, and `now`/`show` with --table, against the state table on moto
(made from template.yaml), as tests/integration/test_cli_silence.py runs the silence commands."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from moto import mock_aws

from alertrouter import cli_oncall
from alertrouter.cli import main
from support.local_aws import deploy, use_fake_aws_environment

pytestmark = pytest.mark.integration

_stacks = itertools.count()
NOW = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # a Saturday: bob's day in the primary layer
CONFIG = """
route: {receiver: r}
receivers: [{name: r, sms: [schedule:payments]}]
people: {alice: {}, bob: {}, zoe: {}}
schedules:
  - name: payments
    time_zone: Europe/Berlin
    layers:
      - {name: primary, rotation: daily, start: '2026-03-27T09:00', members: [alice, bob]}
"""


@pytest.fixture(scope="module")
def moto_session() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as mp:
        use_fake_aws_environment(mp)
        for name in ("AWS_REGION", "AWS_PROFILE", "TABLE_NAME"):
            mp.delenv(name, raising=False)
        shared = botocore.session.get_session()
        mp.setattr(botocore.session, "get_session", lambda env_vars=None: shared)
        with mock_aws():
            yield boto3.session.Session(region_name="us-east-1", botocore_session=shared)


@pytest.fixture
def argv(moto_session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """--config and --table of a fresh table, with the CLI's clock at NOW."""
    monkeypatch.setattr(cli_oncall, "clock", NOW.timestamp)
    path = tmp_path / "routing.yaml"
    path.write_text(CONFIG)
    table = deploy(moto_session, prefix=f"oc{next(_stacks)}").table_name
    return ["--config", str(path), "--table", table, "--region", "us-east-1"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["oncall", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_override_is_stored_listed_shown_and_removed(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # When zoe takes over for four hours from now
    code, out, _ = run(
        capsys, "override", "payments", "--person", "zoe", "--for", "4h", "--by", "lead", *argv
    )
    assert code == 0
    override_id = out.split()[0]
    assert out.strip() == (
        f"{override_id}  payments: zoe on call Sat 2026-03-28 13:00 CET → Sat 2026-03-28 17:00 CET  by lead"
    )
    # Then `now` with the table says zoe, and without it the layers' bob
    _, out, _ = run(capsys, "now", *argv)
    assert out.strip() == (
        "payments  zoe (override)  since Sat 2026-03-28 13:00 CET  until Sat 2026-03-28 17:00 CET"
    )
    _, out, _ = run(capsys, "now", *argv[:2])
    assert out.startswith("payments  bob (primary)")
    # and the timeline has the override cut into bob's day
    _, out, _ = run(capsys, "show", "payments", "--from", "2026-03-28T09:00", "--weeks", "1", *argv)
    assert out.splitlines()[1:4] == [
        "  Sat 2026-03-28 09:00 CET → Sat 2026-03-28 13:00 CET  bob    (layer primary)",
        "  Sat 2026-03-28 13:00 CET → Sat 2026-03-28 17:00 CET  zoe    (override)",
        "  Sat 2026-03-28 17:00 CET → Sun 2026-03-29 09:00 CEST  bob    (layer primary)",
    ]
    # and it is listed, then removed
    _, out, _ = run(capsys, "overrides", "payments", *argv)
    assert out.split()[0] == override_id
    code, out, _ = run(capsys, "overrides", "payments", "--remove", override_id, *argv)
    assert code == 0 and out.startswith("removed: ")
    _, out, _ = run(capsys, "overrides", "payments", *argv)
    assert out.strip() == "no overrides in payments now or ahead"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--person", "mallory", "--for", "1h"], "mallory is not in people (alice, bob, zoe)"),
        (["--person", "call:zoe", "--for", "1h"], "--person: 'call:zoe' is not a person's name"),
        (["--person", "zoe", "--until", "2026-03-28T10:00"], "the override would be over before it starts"),
        (["--person", "zoe", "--for", "100d"], "an override lasts at most 90 days"),
    ],
)
def test_an_override_is_refused_with_the_reason(
    argv: list[str], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "override", "payments", *args, *argv)
    assert code == 2
    assert message in err


def test_overrides_need_the_table(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "override", "payments", "--person", "zoe", "--for", "1h", *argv[:2])
    assert code == 2
    assert "name the state table with --table" in err
