"""`alertrouter silence add|list|expire` against the state table on moto (made from template.yaml).

moto's in-process mock has no endpoint URL, so the CLI runs without --endpoint-url inside mock_aws: the
botocore client it makes is served by the mock (with fake credentials and us-east-1 in the environment)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from moto import mock_aws

from alertrouter.cli import main
from alertrouter.models.recurrence import parse_every
from alertrouter.models.silence import Silence
from alertrouter.store.dynamodb import DynamoDBStore
from support.local_aws import deploy, use_fake_aws_environment

pytestmark = pytest.mark.integration

_stacks = itertools.count()


class Table:
    def __init__(self, session: Any, prefix: str) -> None:
        self.name = deploy(session, prefix=prefix).table_name
        self.client = session.client("dynamodb")
        self.store = DynamoDBStore(self.name, self.client)

    def silences(self) -> list[Silence]:
        return self.store.silences()

    def item_count(self) -> int:
        return int(self.client.scan(TableName=self.name, Select="COUNT")["Count"])


@pytest.fixture(scope="module")
def moto_session() -> Iterator[Any]:
    """One moto for the module, with the `aws` fixture's fake credentials (a mock per test costs more than
    the test); each test deploys its own stack (a table from template.yaml) under its own prefix."""
    with pytest.MonkeyPatch.context() as mp:
        use_fake_aws_environment(mp)
        for name in ("AWS_REGION", "AWS_PROFILE"):
            mp.delenv(name, raising=False)
        # The CLI makes a botocore session per run; loading the service model anew each time is most of a
        # run's time, so every run here gets one shared session (its clients are still made as the CLI says).
        shared = botocore.session.get_session()
        mp.setattr(botocore.session, "get_session", lambda env_vars=None: shared)
        with mock_aws():
            yield boto3.session.Session(region_name="us-east-1", botocore_session=shared)


@pytest.fixture
def table(moto_session: Any, monkeypatch: pytest.MonkeyPatch) -> Table:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    return Table(moto_session, f"cli{next(_stacks)}")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()  # start clean
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def silence_cmd(table: Table, action: str, *rest: str) -> list[str]:
    return ["silence", action, *rest, "--table", table.name, "--region", "us-east-1"]


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_add_list_expire(table: Table, capsys: pytest.CaptureFixture[str]) -> None:
    # When a silence is added for two hours
    before = int(time.time() * 1000)
    code, out, err = run(
        capsys,
        *silence_cmd(
            table, "add", 'alertname="DiskFull"', "--duration", "2h", "--by", "alice", "--comment", "x"
        ),
    )
    after = int(time.time() * 1000)
    # Then it is printed on one line, with its id, and stored as asked
    assert (code, err) == (0, "")
    [line] = out.splitlines()
    [stored] = table.silences()
    assert line.split()[0] == stored.id and len(stored.id) >= 8
    assert " active " in line and "by alice" in line and 'alertname="DiskFull"' in line and "# x" in line
    assert [str(m) for m in stored.matchers] == ['alertname="DiskFull"']
    assert (stored.created_by, stored.comment, stored.group) == ("alice", "x", "")
    assert before <= stored.starts_at_ms <= after
    assert stored.ends_at_ms - stored.starts_at_ms == 2 * 3_600_000
    assert stored.active(after)

    # When listed, Then it shows as active
    code, out, err = run(capsys, *silence_cmd(table, "list"))
    assert (code, err) == (0, "")
    [listed] = out.splitlines()
    assert listed.split()[:2] == [stored.id, "active"] and 'alertname="DiskFull"' in listed

    # When listed as JSON, Then it is one valid JSON document describing it
    code, out, err = run(capsys, *silence_cmd(table, "list", "--json"))
    assert (code, err) == (0, "")
    [entry] = json.loads(out)
    assert entry["id"] == stored.id and entry["matchers"] == ['alertname="DiskFull"']
    assert (entry["created_by"], entry["comment"]) == ("alice", "x")
    assert (entry["starts_at_ms"], entry["ends_at_ms"]) == (stored.starts_at_ms, stored.ends_at_ms)
    assert Silence.model_validate(entry) == stored

    # When it is expired, Then it ends now
    code, out, err = run(capsys, *silence_cmd(table, "expire", stored.id))
    assert (code, err) == (0, "")
    assert out.split()[:2] == [stored.id, "expired"]
    [ended] = table.silences()
    assert ended.id == stored.id and ended.ends_at_ms <= int(time.time() * 1000)
    assert not ended.active(int(time.time() * 1000))

    # and `list` no longer shows it, while `list --all` does
    code, out, err = run(capsys, *silence_cmd(table, "list"))
    assert (code, err) == (0, "") and stored.id not in out
    assert out.strip() == "no active or pending silences (--all shows ended ones)"
    code, out, err = run(capsys, *silence_cmd(table, "list", "--json"))
    assert (code, json.loads(out)) == (0, [])
    code, out, err = run(capsys, *silence_cmd(table, "list", "--all"))
    assert (code, err) == (0, "")
    [listed] = out.splitlines()
    assert listed.split()[:2] == [stored.id, "expired"]
    code, out, err = run(capsys, *silence_cmd(table, "list", "--all", "--json"))
    assert code == 0 and [e["id"] for e in json.loads(out)] == [stored.id]

    # and expiring it again finds nothing to end
    code, out, err = run(capsys, *silence_cmd(table, "expire", stored.id))
    assert code == 1 and out == "" and stored.id in err


def test_list_of_none_and_json_of_several(table: Table, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *silence_cmd(table, "list"))
    assert (code, err) == (0, "") and "no active or pending silences" in out
    code, out, err = run(capsys, *silence_cmd(table, "list", "--all"))
    assert (code, out.strip(), err) == (0, "no silences", "")
    code, out, _ = run(capsys, *silence_cmd(table, "list", "--json"))
    assert (code, json.loads(out)) == (0, [])
    # Given two silences, one with a regex and a later start
    soon = datetime.now(UTC) + timedelta(days=1)
    assert (
        run(
            capsys,
            *silence_cmd(
                table,
                "add",
                'instance=~"i-0(abc|def).*"',
                'env!="dev"',
                "--by",
                "bob",
                "--start",
                iso(soon),
                "--end",
                iso(soon + timedelta(hours=3)),
            ),
        )[0]
        == 0
    )
    assert run(capsys, *silence_cmd(table, "add", 'alertname="DiskFull"', "--by", "alice"))[0] == 0
    # Then the JSON lists both, by start, matchers as written back
    code, out, err = run(capsys, *silence_cmd(table, "list", "--json"))
    assert (code, err) == (0, "")
    entries = json.loads(out)
    assert [e["created_by"] for e in entries] == ["alice", "bob"]
    assert entries[1]["matchers"] == ['instance=~"i-0(abc|def).*"', 'env!="dev"']
    assert entries[1]["ends_at_ms"] - entries[1]["starts_at_ms"] == 3 * 3_600_000
    assert entries[0]["ends_at_ms"] - entries[0]["starts_at_ms"] == 3_600_000  # the default duration
    # and the human list shows the later one as pending
    code, out, _ = run(capsys, *silence_cmd(table, "list"))
    states = {line.split()[0]: line.split()[1] for line in out.splitlines()}
    assert states == {entries[0]["id"]: "active", entries[1]["id"]: "pending"}


FUTURE = datetime(2099, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(['alertname!="x"'], id="silences-everything"),
        pytest.param(['alertname=~".*"'], id="regex-silences-everything"),
        pytest.param(["not a matcher"], id="bad-matcher"),
        pytest.param(['instance=~"("'], id="bad-regex"),
        pytest.param(
            [
                'alertname="DiskFull',
            ],
            id="unbalanced-quote",
        ),
        pytest.param(['alertname="DiskFull"', "--duration", "2x"], id="bad-duration"),
        pytest.param(['alertname="DiskFull"', "--duration", "0s"], id="zero-duration"),
        pytest.param(['alertname="DiskFull"', "--duration", "800h"], id="longer-than-30-days"),
        pytest.param(
            ['alertname="DiskFull"', "--start", iso(FUTURE), "--end", iso(FUTURE - timedelta(hours=1))],
            id="end-before-start",
        ),
        pytest.param(['alertname="DiskFull"', "--start", "tomorrow"], id="bad-start"),
        pytest.param(['alertname="DiskFull"', "--by", " "], id="no-creator"),
    ],
)
def test_bad_add_exits_2_with_a_one_line_error_and_writes_nothing(
    table: Table, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = run(capsys, *silence_cmd(table, "add", *args))
    assert code == 2
    assert out == ""
    assert err.startswith("alertrouter: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert table.item_count() == 0


def test_a_bare_first_word_is_the_alert_name_as_in_amtool(
    table: Table, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *silence_cmd(table, "add", "DiskFull", 'instance=~"i-0.*"', "--by", "alice"))
    assert (code, err) == (0, "")
    [stored] = table.silences()
    assert [str(m) for m in stored.matchers] == ['alertname="DiskFull"', 'instance=~"i-0.*"']
    # only the first argument, and only a word: a later one, or one with blanks, is read as a matcher
    code, _, err = run(capsys, *silence_cmd(table, "add", 'instance=~"i-0.*"', "DiskFull", "--by", "alice"))
    assert code == 2 and "invalid matcher 'DiskFull'" in err


def test_expire_of_unknown_id_exits_1(table: Table, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *silence_cmd(table, "expire", "nosuchsilence"))
    assert code == 1 and out == ""
    assert err.startswith("alertrouter: ") and "nosuchsilence" in err and err.count("\n") == 1
    assert table.item_count() == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["silence", "add", 'alertname="DiskFull"', "--by", "alice"],
        ["silence", "list"],
        ["silence", "expire", "abc"],
    ],
)
def test_missing_table_exits_2(table: Table, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert "--table" in err and err.count("\n") == 1
    assert table.item_count() == 0


def test_expiring_a_pending_silence_then_listing(table: Table, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a silence planned for tomorrow
    soon = datetime.now(UTC) + timedelta(days=1)
    code, out, _ = run(
        capsys,
        *silence_cmd(
            table, "add", 'alertname="DiskFull"', "--by", "alice", "--start", iso(soon), "--duration", "2h"
        ),
    )
    assert code == 0 and out.split()[1] == "pending"
    silence_id = out.split()[0]
    # When it is called off
    code, out, err = run(capsys, *silence_cmd(table, "expire", silence_id))
    assert (code, err) == (0, "")
    # Then the silences can still be listed: it is no longer pending, and --all shows it
    code, out, err = run(capsys, *silence_cmd(table, "list"))
    assert (code, err) == (0, "") and silence_id not in out
    code, out, err = run(capsys, *silence_cmd(table, "list", "--all"))
    assert (code, err) == (0, "") and out.split()[0] == silence_id


# --- recurring silences: --every, --every-yaml, --tz, --until ---


def test_a_recurring_silence_is_added_and_listed_with_its_next_window(
    table: Table, capsys: pytest.CaptureFixture[str]
) -> None:
    # When a weekly silence is added, Sundays 02:00-04:00 in Tokyo, from a Friday until the end of June
    code, out, err = run(
        capsys,
        *silence_cmd(
            table,
            "add",
            "Backup",
            "--every",
            "sun 02:00-04:00",
            "--tz",
            "Asia/Tokyo",
            "--start",
            iso(FUTURE),
            "--until",
            "2099-06-30",
            "--by",
            "alice",
            "--comment",
            "weekly backup",
        ),
    )
    assert (code, err) == (0, "")
    # Then it is stored with its recurrence and a span ending at the end of that day in Tokyo
    [stored] = table.silences()
    assert stored.every == parse_every("sun 02:00-04:00", "Asia/Tokyo")
    assert stored.starts_at_ms == int(FUTURE.timestamp() * 1000)
    assert stored.ends_at_ms == int(datetime(2099, 6, 30, 15, tzinfo=UTC).timestamp() * 1000)
    # and shown with the recurrence in words and its first window, in UTC and in Tokyo
    first, second = out.splitlines()
    assert first.split()[:2] == [stored.id, "pending"] and "# weekly backup" in first
    assert second.strip() == (
        "every sun 02:00-04:00 (Asia/Tokyo); next window 2099-01-03 17:00 UTC → 2099-01-03 19:00 UTC "
        "(2099-01-04 02:00 JST → 2099-01-04 04:00 JST, Asia/Tokyo)"
    )
    code, out, err = run(capsys, *silence_cmd(table, "list"))
    assert (code, err) == (0, "") and out.splitlines() == [first, second]
    # and its JSON has the periods and the next window (epoch milliseconds), and reads back as the silence
    code, out, err = run(capsys, *silence_cmd(table, "list", "--json"))
    [entry] = json.loads(out)
    window = [int(datetime(2099, 1, 3, h, tzinfo=UTC).timestamp() * 1000) for h in (17, 19)]
    assert (entry["next_window"], entry["active"]) == (window, False)
    assert entry["every"] == [
        {
            "times": [{"start_time": 120, "end_time": 240}],
            "weekdays": [[0, 0]],
            "days_of_month": [],
            "months": [],
            "years": [],
            "location": "Asia/Tokyo",
        }
    ]
    assert Silence.model_validate(entry) == stored
    # When it is expired, Then the whole recurrence is over
    code, out, err = run(capsys, *silence_cmd(table, "expire", stored.id))
    assert (code, err) == (0, "") and out.split()[:2] == [stored.id, "expired"]
    assert "no window left" in out
    code, out, _ = run(capsys, *silence_cmd(table, "list"))
    assert stored.id not in out


def test_a_recurring_silence_in_its_window_is_active_and_runs_90_days_by_default(
    table: Table, capsys: pytest.CaptureFixture[str]
) -> None:
    before = int(time.time() * 1000)
    code, out, err = run(
        capsys, *silence_cmd(table, "add", "Backup", "--every", "00:00-24:00", "--by", "alice")
    )
    assert (code, err) == (0, "")
    [stored] = table.silences()
    assert stored.ends_at_ms - stored.starts_at_ms == 90 * 24 * 3_600_000
    assert before <= stored.starts_at_ms
    first, second = out.splitlines()
    assert first.split()[1] == "active" and "; this window " in second and "(UTC)" in second
    code, out, _ = run(capsys, *silence_cmd(table, "list", "--json"))
    assert json.loads(out)[0]["active"] is True


FIRST_MONDAY_YAML = """\
- weekdays: [monday]
  days_of_month: ['1:7']
  times:
    - start_time: '06:00'
      end_time: '08:00'
"""


@pytest.mark.parametrize("how", ["file", "inline-yaml", "inline-json"])
def test_time_intervals_entries_as_in_alertmanager(
    table: Table, capsys: pytest.CaptureFixture[str], tmp_path: Any, how: str
) -> None:
    path = tmp_path / "every.yaml"
    path.write_text(FIRST_MONDAY_YAML)
    every = {
        "file": ["--every-yaml", str(path)],
        "inline-yaml": ["--every", FIRST_MONDAY_YAML],
        "inline-json": [
            "--every",
            '[{"weekdays": ["monday"], "days_of_month": ["1:7"], '
            '"times": [{"start_time": "06:00", "end_time": "08:00"}]}]',
        ],
    }[how]
    code, out, err = run(
        capsys,
        *silence_cmd(
            table, "add", "Backup", *every, "--tz", "Europe/Berlin", "--start", iso(FUTURE), "--by", "a"
        ),
    )
    assert (code, err) == (0, "")
    [stored] = table.silences()
    assert stored.every == parse_every("mon 1-7 06:00-08:00", "Europe/Berlin")
    # the first Monday of January 2099 is the 5th (06:00 in Berlin is 05:00 UTC)
    assert "next window 2099-01-05 05:00 UTC → 2099-01-05 07:00 UTC" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "sun 2pm"], "cannot read '2pm'"),
        (["--every", "sun 02:00-04:00", "--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--tz", "Asia/Tokyo"], "--tz is the zone of a recurring silence's --every"),
        (["--every", "sun", "--until", "2100-06-30", "--start", iso(FUTURE)], "at most a year"),
        (["--every", "2030"], "never holds between"),
        (["--every", "sun", "--every-yaml", "x.yaml"], "give --every or --every-yaml, not both"),
        (["--every-yaml", "/nonexistent/every.yaml"], "cannot read /nonexistent/every.yaml"),
        (["--every", "[{weekdays: [funday]}]"], "unknown name 'funday'"),
        (["--every", "sun", "--end", iso(FUTURE), "--until", "2099-01-03"], "give --end or --until"),
        (["--every", "jan 22:00-02:00"], "cannot be combined with months or years"),
    ],
)
def test_bad_recurrences_exit_2_with_a_one_line_error(
    table: Table, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *silence_cmd(table, "add", "Backup", "--by", "alice", *args))
    assert (code, out) == (2, "")
    assert err.startswith("alertrouter: ") and err.count("\n") == 1 and message in err, err
    assert table.item_count() == 0


VIEW_CONFIG = """
route:
  receiver: team
  routes:
    - matchers: ['service="db"']
      receiver: team
      mute_time_intervals: [always]
    - matchers: ['service="web"']
      receiver: team
      mute_time_intervals: [tomorrow]
receivers: [{name: team, slack_configs: [{channel: '#team'}]}]
time_intervals:
  - name: always
    time_intervals: [{times: [{start_time: '00:00', end_time: '24:00'}]}]
  - name: tomorrow
    time_intervals: [{weekdays: [TOMORROW]}]
inhibit_rules:
  - source_matchers: ['alertname="ClusterDown"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
"""


def test_list_shows_every_mechanism_that_mutes_now_and_next_and_with_held_the_alerts_held_back(
    table: Table, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """The maintenance view: silences, then the routing config's time intervals and inhibition by firing
    alerts, then (asked for: it scans the table) every alert a flush held back, with its reason."""
    from alertrouter.models.state import Member
    from support.store_items import KEY, NOW, alert

    config = tmp_path / "routing.yaml"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    config.write_text(VIEW_CONFIG.replace("TOMORROW", f"{tomorrow:%A}".lower()))
    # Given a silence, a firing ClusterDown (an inhibition source), and a group whose flush held an alert back
    code, _, _ = run(
        capsys, *silence_cmd(table, "add", "DiskFull", "--by", "alice", "--comment", "disk swap")
    )
    assert code == 0
    table.store.set_inhibit_source("fp-cluster", {"alertname": "ClusterDown", "cluster": "eu1"}, NOW, True)
    state = table.store.apply_alert(alert(name="DbReplicaLag"), NOW).state
    table.store.upsert_member(KEY, "route0", "team", {}, state.fingerprint, Member.of(state), NOW)
    table.store.claim(KEY, "lease", NOW + 1, 30_000)
    reason = "muted by CloudWatch mute rule nightly-db until 2026-03-02 04:00 UTC"
    table.store.release(KEY, "lease", {"muted": {state.fingerprint: reason}}, NOW + 1)
    # When the view is listed with the config
    code, out, err = run(capsys, *silence_cmd(table, "list", "--config", str(config)))
    assert (code, err) == (0, "")
    silences, rest = out.split("\n\n")
    [silence] = silences.splitlines()
    assert " active " in silence and "by alice" in silence
    # Then the route muted now, the inhibition, and the route muted tomorrow are each shown with why
    lines = rest.splitlines()
    assert lines[0] == "Also muting now:"
    assert any(
        line.split()[:2] == ["inhibition", 'severity="warning"']
        and "by firing: ClusterDown" in line
        and line.endswith('# while alertname="ClusterDown" fires')
        for line in lines[1:3]
    )
    assert any(
        'route 0.0 (service="db") to team  now  by routing config [route 0.0]  # muted during always' in line
        for line in lines[1:3]
    )
    assert lines[3] == "Also muting next:"
    after = tomorrow + timedelta(days=1)
    assert 'route 0.1 (service="web")' in lines[4] and "# muted during tomorrow" in lines[4]
    assert f"next {tomorrow:%Y-%m-%d} 00:00 UTC → {after:%Y-%m-%d} 00:00 UTC" in lines[4]
    assert len(lines) == 5  # nothing held back is read without --held
    # When --held is asked, Then the alert held back by the mute rule is named, with its reason
    code, out, err = run(capsys, *silence_cmd(table, "list", "--config", str(config), "--held"))
    held = out.split("\n\n")[1].splitlines()
    assert held[-2] == "Held back now (1):"
    assert held[-1].split()[:3] == ["CloudWatch", "mute", "rule"] and held[-1].endswith(reason)
    assert state.fingerprint in held[-1]
    # and a config that cannot be read is said, the silences still listed
    code, out, err = run(capsys, *silence_cmd(table, "list", "--config", str(tmp_path / "missing.yaml")))
    assert code == 0 and "by alice" in out and "time intervals and inhibition not shown:" in out


def test_list_with_mute_rules_shows_the_accounts_alarm_mute_rules_now_and_next(
    table: Table, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """`--mute-rules` reads the account's rules with real ListAlarmMuteRules / GetAlarmMuteRule calls (on the
    loopback stand-in: moto has none) and shows each rule muting now or within 35 days."""
    from support.mute_rules_standin import MuteRulesStandIn

    config = tmp_path / "routing.yaml"
    config.write_text(
        "route: {receiver: team}\nreceivers: [{name: team, slack_configs: [{channel: '#t'}]}]\n"
    )
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with MuteRulesStandIn() as standin:
        client = standin.client()
        schedule = {"Expression": "cron(0 0 * * *)", "Duration": "P1D", "Timezone": "UTC"}  # always, daily
        client.put_alarm_mute_rule(
            Name="freeze", Description="change freeze", Rule={"Schedule": schedule},
            MuteTargets={"AlarmNames": [f"alarm-{i}" for i in range(7)]},
        )  # fmt: skip
        later = today + timedelta(days=3, hours=22)
        client.put_alarm_mute_rule(
            Name="db-upgrade",
            Rule={"Schedule": {"Expression": f"at({later:%Y-%m-%dT%H:%M})", "Duration": "PT2H"}},
            MuteTargets={"AlarmNames": ["DbReplicaLag"]},
        )
        client.put_alarm_mute_rule(
            Name="odd", Rule={"Schedule": {"Expression": "cron(*/5 * * * *)", "Duration": "PT1H"}},
            MuteTargets={"AlarmNames": ["x"]},
        )  # fmt: skip
        argv = [*silence_cmd(table, "list", "--config", str(config), "--mute-rules")]
        code, out, err = run(capsys, *argv, "--cloudwatch-endpoint-url", standin.url)
        assert (code, err) == (0, "")
        # Then the rule in effect now and the one next are shown, with what they mute, and the refused one said
        assert "odd: its schedule is refused" in out
        lines = out.splitlines()
        now_at, next_at = lines.index("Also muting now:"), lines.index("Also muting next:")
        [freeze] = lines[now_at + 1 : next_at]
        assert freeze.split()[:4] == ["CloudWatch", "mute", "rule", "freeze:"]
        assert "alarms alarm-0, alarm-1, alarm-2, alarm-3, alarm-4 and 2 more" in freeze
        assert f"until {today + timedelta(days=1):%Y-%m-%d} 00:00 UTC" in freeze and freeze.endswith(
            "# change freeze"
        )
        [upgrade] = lines[next_at + 1 :]
        assert "db-upgrade: alarms DbReplicaLag" in upgrade
        assert f"next {later:%Y-%m-%d %H:%M} UTC → {later + timedelta(hours=2):%Y-%m-%d %H:%M} UTC" in upgrade
        # When the API refuses, Then the view says so and still lists the rest
        standin.deny("ListAlarmMuteRules")
        code, out, err = run(capsys, *argv, "--cloudwatch-endpoint-url", standin.url)
        assert code == 0 and "CloudWatch alarm mute rules not read: " in out and "AccessDenied" in out
