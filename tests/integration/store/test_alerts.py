"""AlertStore and ExpiryStore: each alert's newest state, and the expiries of one-shot alerts."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.store.dynamodb import DynamoDBStore
from support.store_items import NOW, WholeStore, alert

pytestmark = pytest.mark.integration


def test_first_event_is_applied_as_a_new_episode(store: WholeStore) -> None:
    # Given nothing stored, When the first ALARM arrives
    a = alert(minute=0)
    result = store.apply_alert(a, NOW)
    # Then it is applied and stored as the start of an episode
    assert result.applied
    s = result.state
    assert (s.fingerprint, s.status, s.severity, s.title) == (
        a.fingerprint,
        "firing",
        "warning",
        "ServerCpuTooHigh",
    )
    assert s.ts_ms == s.starts_at_ms == a.timestamp_ms and s.count == 1 and s.updated_ms == NOW
    assert s.labels == a.labels and s.annotations == a.annotations
    assert store.get_alert(a.fingerprint) == s


def test_same_or_older_event_is_not_applied(store: WholeStore) -> None:
    # Given the ALARM of 10:05 is stored
    store.apply_alert(alert(minute=5), NOW)
    # When it is delivered again, Then nothing changes
    again = store.apply_alert(alert(minute=5), NOW + 1000)
    assert not again.applied and again.state.count == 1 and again.state.updated_ms == NOW
    # When an older OK (10:00) arrives late, Then it does not resolve the newer ALARM
    late = store.apply_alert(alert("OK", minute=0), NOW + 2000)
    assert not late.applied and late.state.status == "firing"
    stored = store.get_alert(late.state.fingerprint)
    assert stored is not None and stored.status == "firing" and stored.ts_ms == alert(minute=5).timestamp_ms


def test_counts_repeats_within_an_episode_and_restarts_after_a_resolve(store: WholeStore) -> None:
    start = alert(minute=0).timestamp_ms
    # Given an alarm that fires, then repeats twice
    assert store.apply_alert(alert(minute=0), NOW).state.count == 1
    assert store.apply_alert(alert(minute=1), NOW).state.count == 2
    repeated = store.apply_alert(alert(minute=2), NOW)
    assert repeated.applied and repeated.state.count == 3 and repeated.state.starts_at_ms == start
    # When it resolves, Then the episode keeps its start and its tally
    resolved = store.apply_alert(alert("OK", minute=3), NOW).state
    assert (resolved.status, resolved.count, resolved.starts_at_ms) == ("resolved", 3, start)
    # When it fires again later, Then a new episode starts: count 1 from the new time
    again = store.apply_alert(alert(minute=10), NOW).state
    assert (again.status, again.count, again.starts_at_ms) == ("firing", 1, alert(minute=10).timestamp_ms)
    # and missing data within that episode keeps its start and count
    nodata = store.apply_alert(alert("INSUFFICIENT_DATA", minute=11), NOW).state
    assert (nodata.status, nodata.count, nodata.starts_at_ms) == ("nodata", 1, again.starts_at_ms)
    assert store.get_alert(again.fingerprint) == nodata


def test_unknown_alert_and_group_are_none(store: WholeStore) -> None:
    assert store.get_alert("0000000000000000") is None
    assert store.get_group("route0/none") is None
    assert store.get_clicks("route0/none") is None


def test_get_alerts_reads_more_than_a_batch_and_leaves_out_unknown(store: WholeStore) -> None:
    # Given 150 stored alerts (more than BatchGetItem's 100 keys)
    states = {}
    for i in range(150):
        applied = store.apply_alert(alert(name=f"Alarm{i:03d}"), NOW)
        assert applied.applied
        states[applied.state.fingerprint] = applied.state
    assert len(states) == 150
    unknown = [f"{i:016x}" for i in range(5)]
    fps = list(states)
    # When they are read at once, unknown ones and repeats mixed in
    asked = unknown[:2] + fps + unknown[2:] + fps[:10]
    got = store.get_alerts(asked)
    # Then every known one comes back as stored, and the unknown ones are left out
    assert got == states
    assert got[fps[0]] == store.get_alert(fps[0])
    assert store.get_alerts(unknown) == {}
    assert store.get_alerts([]) == {}
    assert store.get_alerts(fps[140:]) == {fp: states[fp] for fp in fps[140:]}


def test_concurrent_newer_event_wins_over_a_stale_read(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    slow, fast = DynamoDBStore(table, client), DynamoDBStore(table, client)
    slow.apply_alert(alert(minute=0), NOW)
    # Given worker "slow" has read the 10:00 state when worker "fast" stores the OK of 10:05
    real_get = slow.get_alert
    reads = 0

    def get_then_race(fingerprint: str) -> Any:
        nonlocal reads
        reads += 1
        got = real_get(fingerprint)
        if reads == 1:
            assert fast.apply_alert(alert("OK", minute=5), NOW).applied
        return got

    slow.get_alert = get_then_race  # type: ignore[method-assign]
    # When "slow" now applies the ALARM of 10:02, computed from its stale read
    result = slow.apply_alert(alert(minute=2), NOW)
    # Then its conditional write fails, the refusal itself brings the newer state (no second read: DynamoDB's
    # ReturnValuesOnConditionCheckFailure), and the newer OK stands
    assert reads == 1 and not result.applied and result.state.status == "resolved"
    stored = fast.get_alert(alert().fingerprint)
    assert stored is not None and stored.status == "resolved" and stored.ts_ms == alert(minute=5).timestamp_ms


def test_get_alerts_asks_again_for_keys_dynamodb_left_unprocessed(dynamodb_stack: tuple[Any, str]) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    fps = [store.apply_alert(alert(name=f"Alarm{i:03d}"), NOW).state.fingerprint for i in range(120)]
    # Given DynamoDB processes only half of each request of 50 keys or more (as it may under throttling)
    real = client.batch_get_item
    asked: list[int] = []

    def half(**kwargs: Any) -> Any:
        [(table, request)] = kwargs["RequestItems"].items()
        keys = request["Keys"]
        asked.append(len(keys))
        if len(keys) < 50:
            return real(**kwargs)
        done, left = keys[: len(keys) // 2], keys[len(keys) // 2 :]
        got = real(RequestItems={table: {**request, "Keys": done}})
        return {**got, "UnprocessedKeys": {table: {**request, "Keys": left}}}

    client.batch_get_item = half  # type: ignore[method-assign]
    # When 120 alerts are read, Then every one comes back all the same
    got = store.get_alerts(fps)
    assert set(got) == set(fps)
    # (asked in chunks of 100, what was left unprocessed asked again)
    assert asked == [100, 50, 25, 20]


def test_expiries_keep_the_newest_event_and_end_only_their_own(store: WholeStore) -> None:
    store.set_expiry("fp1", 100, NOW + 3_600_000)
    store.set_expiry("fp1", 50, NOW + 10)  # an older event delivered late: ignored
    assert store.expiries() == [("fp1", 100, NOW + 3_600_000)]
    store.set_expiry("fp1", 200, NOW + 7_200_000)  # it recurred: the timeout counts from the newer event
    store.end_expiry("fp1", 100)  # the escalator's message for the older event: the newer expiry stays
    assert store.expiries() == [("fp1", 200, NOW + 7_200_000)]
    store.end_expiry("fp1", 200)
    assert store.expiries() == []


def test_the_failsafe_group_is_noted_only_on_the_event_it_was_chosen_for(store: WholeStore) -> None:
    first = store.apply_alert(alert(minute=0), NOW).state
    store.set_failsafe_group(first.fingerprint, first.ts_ms, "failsafe/one")
    noted = store.get_alert(first.fingerprint)
    assert noted is not None and noted.failsafe_group == "failsafe/one" and noted.ts_ms == first.ts_ms
    # When a newer event was applied meanwhile, Then a late note for the older one changes nothing
    newer = store.apply_alert(alert(minute=1), NOW).state
    store.set_failsafe_group(first.fingerprint, first.ts_ms, "failsafe/two")
    kept = store.get_alert(first.fingerprint)
    assert kept is not None and kept == newer and kept.failsafe_group != "failsafe/two"
    # and a note for an unknown alert stores nothing
    store.set_failsafe_group("0" * 16, 1, "failsafe/one")
    assert store.get_alert("0" * 16) is None


def test_a_one_shot_alert_is_written_without_a_read_and_a_redelivery_is_refused(
    dynamodb_stack: tuple[Any, str],
) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    calls: list[str] = []
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    job = alert(minute=0).model_copy(update={"one_shot": True})
    # When a failed job (a one-shot alert) arrives, Then its open-alert entry is put, then one conditional put
    # stores its state: nothing is read first
    assert store.apply_alert(job, NOW).applied and calls == ["PutItem", "PutItem"]
    # When it is delivered again, Then the refused put brings back what is stored: still no read, applied once
    again = store.apply_alert(job, NOW + 1000)
    assert not again.applied and again.state.updated_ms == NOW and calls == ["PutItem"] * 4
    assert store.get_alert(job.fingerprint) == again.state


def test_labels_and_annotations_are_stored_compressed_and_old_plain_items_still_read(
    dynamodb_stack: tuple[Any, str],
) -> None:
    client, table = dynamodb_stack
    store = DynamoDBStore(table, client)
    a = alert(minute=0)
    state = store.apply_alert(a, NOW).state
    key = {"pk": {"S": f"ALERT#{a.fingerprint}"}, "sk": {"S": "STATE"}}
    item = client.get_item(TableName=table, Key=key)["Item"]
    # The item holds them as one binary attribute, not as maps
    assert "labels" not in item and "annotations" not in item and "B" in item["details"]
    # Given an item as the earlier layout wrote it (plain maps), Then it reads the same
    plain = {k: v for k, v in item.items() if k != "details"}
    plain["labels"] = {"M": {k: {"S": v} for k, v in state.labels.items()}}
    plain["annotations"] = {"M": {k: {"S": v} for k, v in state.annotations.items()}}
    client.put_item(TableName=table, Item=plain)
    assert store.get_alert(a.fingerprint) == state
