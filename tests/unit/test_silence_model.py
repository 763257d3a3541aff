"""The Silence model: validation with clear errors, Alertmanager's matching, and which silence applies."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from alertrouter.models.matcher import Matcher
from alertrouter.models.silence import Silence, extended, message_silence_id, silencing

T0 = 1_700_000_000_000
HOUR = 3_600_000


def silence(*matchers: str, start: int = T0, end: int = T0 + HOUR, **extra: object) -> Silence:
    return Silence(matchers=list(matchers), starts_at_ms=start, ends_at_ms=end, created_by="alice", **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("matchers", "start", "end", "by", "message"),
    [
        (['alertname!="x"'], T0, T0 + HOUR, "alice", "would silence every alert"),
        (['alertname=~".*"'], T0, T0 + HOUR, "alice", "would silence every alert"),
        (['alertname="x"'], T0, T0, "alice", "must end after it starts"),
        (['alertname="x"'], T0, T0 + 31 * 24 * HOUR, "alice", "at most 30 days"),
        (['alertname="x"'], T0, T0 + HOUR, " ", "needs its creator"),
        (['alertname=~"("'], T0, T0 + HOUR, "alice", "invalid regex"),
        ([], T0, T0 + HOUR, "alice", "at least 1"),
    ],
)
def test_bad_silences_are_refused_with_a_clear_reason(
    matchers: list[str], start: int, end: int, by: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Silence(matchers=matchers, starts_at_ms=start, ends_at_ms=end, created_by=by)


def test_it_round_trips_through_storage_as_strings() -> None:
    original = silence('alertname=~"Disk.*"', 'region!="eu-west-1"', comment="maintenance")
    dumped = original.model_dump()
    assert dumped["matchers"] == ['alertname=~"Disk.*"', 'region!="eu-west-1"']
    assert Silence.model_validate(dumped) == original


def test_active_between_start_and_end_only() -> None:
    s = silence('alertname="x"')
    assert [s.active(t) for t in (T0 - 1, T0, T0 + HOUR - 1, T0 + HOUR)] == [False, True, True, False]


def test_the_fingerprint_label_names_alerts_exactly() -> None:
    s = silence('fingerprint=~"aaa|bbb"')
    assert s.matches("aaa", {}) and s.matches("bbb", {"alertname": "x"}) and not s.matches("ccc", {})


def test_silencing_picks_the_one_that_ends_last_and_skips_ended_episodes() -> None:
    short, long = silence('alertname="x"'), silence('alertname="x"', end=T0 + 5 * HOUR)
    assert silencing([short, long], "fp", {"alertname": "x"}, T0 + 1, {}) == long
    until_resolved = silence('alertname="x"', end=T0 + 9 * HOUR, group="g1", episode=3)
    assert silencing([until_resolved], "fp", {"alertname": "x"}, T0 + 1, {"g1": 3}) == until_resolved
    assert silencing([until_resolved], "fp", {"alertname": "x"}, T0 + 1, {"g1": 4}) is None
    assert silencing([short], "fp", {"alertname": "y"}, T0 + 1, {}) is None


names = st.sampled_from(["alertname", "region", "severity"])
values = st.sampled_from(["", "a", "b", "ab", "Disk-1"])
matcher_texts = st.tuples(
    names,
    st.sampled_from(["=", "!=", "=~", "!~"]),
    st.sampled_from(["a", "b", "a.*", "(a|b)", "", "Disk-.*"]),
)
label_sets = st.dictionaries(names, values, max_size=3)


def expected_match(name: str, op: str, value: str, labels: dict[str, str]) -> bool:
    """Alertmanager's rules, written out independently: missing is empty; regexes are anchored."""
    actual = labels.get(name, "")
    return {
        "=": actual == value,
        "!=": actual != value,
        "=~": re.fullmatch(value, actual) is not None,
        "!~": re.fullmatch(value, actual) is None,
    }[op]


@settings(max_examples=500, deadline=None)
@given(st.lists(matcher_texts, min_size=1, max_size=3), label_sets, st.text(min_size=1, max_size=8))
def test_a_silence_matches_exactly_when_every_matcher_does(
    parts: list[tuple[str, str, str]], labels: dict[str, str], fp: str
) -> None:
    texts = [f'{n}{op}"{v}"' for n, op, v in parts]
    if all(Matcher.parse(t).matches({}) for t in texts):
        with pytest.raises(ValidationError):  # would silence everything: refused
            silence(*texts)
        return
    s = silence(*texts)
    assert s.matches(fp, labels) == all(expected_match(n, op, v, labels) for n, op, v in parts)
    # and a silence never applies outside its time
    assert silencing([s], fp, labels, T0 + HOUR, {}) is None


# ---- a second silence with the same id (Silence clicked twice on one message) ----


def test_a_messages_silence_id_depends_on_its_group_and_episode_only() -> None:
    same = message_silence_id("0|team|alertname=DiskFull", 2)
    assert same == message_silence_id("0|team|alertname=DiskFull", 2)
    assert re.fullmatch(r"[0-9a-f]{12}", same)
    assert (
        len(
            {
                same,
                message_silence_id("0|team|alertname=DiskFull", 3),
                message_silence_id("0|team|alertname=Other", 2),
            }
        )
        == 3
    )


def test_a_second_click_after_an_alert_joined_a_label_less_group_widens_the_one_silence() -> None:
    # Given a group without grouping labels, silenced by the fingerprints its message showed
    first = Silence(
        id="s1",
        matchers=[Matcher.parse('fingerprint=~"aaa|bbb"')],
        starts_at_ms=T0,
        ends_at_ms=T0 + HOUR,
        created_by="<@U1>",
        comment="from Slack, for 1 hour",
    )
    # When a second click on the same message comes after alert ccc joined it
    second = first.model_copy(
        update={
            "matchers": [Matcher.parse('fingerprint=~"bbb|ccc"')],
            "starts_at_ms": T0 + 60_000,
            "ends_at_ms": T0 + 60_000 + HOUR,
            "created_by": "<@U2>",
        }
    )
    merged = extended(first, second)
    # Then the one silence covers all three, ends no sooner, and keeps its id and start
    assert list(merged.matchers) == [Matcher.parse('fingerprint=~"aaa|bbb|ccc"')]
    assert (merged.id, merged.starts_at_ms, merged.ends_at_ms) == ("s1", T0, T0 + 60_000 + HOUR)
    assert all(merged.matches(fp, {}) for fp in ("aaa", "bbb", "ccc"))
    # and the same click again changes nothing
    assert extended(merged, second.model_copy(update={"starts_at_ms": T0 + 61_000})) == merged
    # as does a click that saw fewer of them
    assert (
        extended(merged, first.model_copy(update={"starts_at_ms": T0 + 62_000, "ends_at_ms": T0 + HOUR}))
        == merged
    )


@pytest.mark.parametrize(
    ("kept_hours", "new_start_h", "new_hours", "until_resolved", "ends_h", "group"),
    [
        (1, 0.5, 4, False, 4.5, ""),  # longer: the end moves out
        (4, 0.5, 1, False, 4, ""),  # shorter: unchanged
        (1, 1 / 3600, 1, False, 1, ""),  # the same choice a second later (a double click): unchanged
        (1, 0.5, 720, True, 720, "g"),  # until resolved: the longest, capped 30 days after the kept start
        (1, 2, 1, False, 3, ""),  # the kept one is over: the new one replaces it (start included)
    ],
)
def test_extended_keeps_the_longer_of_the_two(
    kept_hours: float, new_start_h: float, new_hours: float, until_resolved: bool, ends_h: float, group: str
) -> None:
    kept = silence('alertname="x"', end=T0 + int(kept_hours * HOUR), id="abc")
    new_start = T0 + int(new_start_h * HOUR)
    new = Silence(
        id="abc",
        matchers=['alertname="x"'],
        starts_at_ms=new_start,
        ends_at_ms=new_start + int(new_hours * HOUR),
        created_by="bob",
        group="g" if until_resolved else "",
        episode=1 if until_resolved else 0,
    )
    merged = extended(kept, new)
    assert (merged.ends_at_ms, merged.group) == (T0 + int(ends_h * HOUR), group)
    assert merged.starts_at_ms == (new_start if new_start_h >= kept_hours else T0)
    assert extended(None, new) == new


def test_until_resolved_stays_when_a_timed_choice_follows() -> None:
    kept = silence('alertname="x"', end=T0 + 720 * HOUR, id="abc", group="g", episode=1)
    new = silence('alertname="x"', start=T0 + HOUR, end=T0 + 25 * HOUR, id="abc")
    assert extended(kept, new) == kept


def test_a_silence_stored_by_an_earlier_release_is_read_as_it_was_written() -> None:
    """Releases before the Alertmanager grammar wrote `name<op>"value"` unescaped and allowed `.` and `-` in
    label names: read back, such a silence means what it meant; a new one is held to the grammar."""
    from alertrouter.models.silence import STORED

    old = {
        "id": "abc123def456",
        "matchers": ['k8s.namespace="prod"', 'title="say "hi""', 'host=~"web-\\d+"'],
        "starts_at_ms": 1_700_000_000_000,
        "ends_at_ms": 1_700_003_600_000,
        "created_by": "alice",
    }
    silence = Silence.model_validate(old, context={STORED: True})
    assert [(m.name, m.value) for m in silence.matchers] == [
        ("k8s.namespace", "prod"),
        ("title", 'say "hi"'),
        ("host", "web-\\d+"),
    ]
    assert silence.matches("f", {"k8s.namespace": "prod", "title": 'say "hi"', "host": "web-12"})
    with pytest.raises(ValidationError, match="invalid matcher"):
        Silence.model_validate(old)  # typed today, the same strings are refused as Alertmanager refuses them
    # what this release writes reads back the same, escapes and all
    again = Silence.model_validate(silence.model_dump(), context={STORED: True})
    assert again.matchers == silence.matchers
