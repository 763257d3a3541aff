"""The SQS partial-batch loop: a record is only started with enough time left to finish it."""

from __future__ import annotations

from typing import Any

from alertrouter.handler import MIN_REMAINING_MS, process_sqs_batch
from alertrouter.service import Lane

INGEST = "https://sqs.us-east-1.amazonaws.com/123456789012/prod-ingest"
STORM = "https://sqs.us-east-1.amazonaws.com/123456789012/prod-ingest-storm"


class Service:
    def __init__(self, fail: set[str]) -> None:
        from types import SimpleNamespace

        self.fail, self.handled = fail, []  # type: ignore[var-annotated]
        self.settings = SimpleNamespace(ingest_queue_url=INGEST, storm_queue_url=STORM)
        self.lane = Lane(INGEST)
        self.lanes: list[str] = []  # where each record's follow-ups would go

    def handle_body(self, body: str, *, message_id: str = "") -> None:
        self.lanes.append(self.lane.url)
        if message_id in self.fail:
            raise RuntimeError("DynamoDB throttled")
        self.handled.append(message_id)


def records(n: int) -> list[dict[str, Any]]:
    return [{"messageId": f"m{i}", "body": "{}", "receiptHandle": f"r{i}"} for i in range(n)]


def test_failed_records_are_reported_and_the_rest_done() -> None:
    service = Service({"m1"})
    assert process_sqs_batch(service, records(3)) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}  # type: ignore[arg-type]
    assert service.handled == ["m0", "m2"]


def test_a_records_follow_ups_go_back_to_the_queue_it_came_from() -> None:
    service = Service({"m1"})
    batch = records(3)
    batch[1]["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:prod-ingest-storm"
    batch[2]["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:prod-ingest"
    process_sqs_batch(service, batch)  # type: ignore[arg-type]
    # a record without its source (a direct invocation) uses the ingest queue; a failed one sets it back too
    assert service.lanes == [INGEST, STORM, INGEST] and service.lane.url == INGEST


def test_records_are_handed_back_when_time_runs_short() -> None:
    service = Service(set())
    left = iter([MIN_REMAINING_MS + 5_000, MIN_REMAINING_MS - 1, MIN_REMAINING_MS - 1])
    result = process_sqs_batch(service, records(3), lambda: next(left))  # type: ignore[arg-type]
    assert service.handled == ["m0"]
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}


def test_every_kind_of_the_routers_own_messages_passes_the_one_scan_that_tells_them_from_events() -> None:
    from alertrouter.own_messages import EXPIRE_KIND, FLUSH_KIND, GRAPH_KIND, KINDS, REDRAW_KIND, RESOLVE_KIND
    from alertrouter.sources import OWN_PREFIX

    # handle_body decodes a body as the router's own message only if it contains OWN_PREFIX
    kinds = (FLUSH_KIND, RESOLVE_KIND, EXPIRE_KIND, REDRAW_KIND, GRAPH_KIND)
    assert all(kind.startswith(OWN_PREFIX) for kind in kinds)
    assert set(KINDS) == set(kinds)


class RetryAfterService:
    """A service whose every record meets Slack's 429, recording where the router asks SQS to wait."""

    def __init__(self, storm_queue_url: str) -> None:
        from types import SimpleNamespace

        self.waits: list[tuple[str, str, int]] = []

        def change_message_visibility(**kwargs: Any) -> None:
            self.waits.append((kwargs["QueueUrl"], kwargs["ReceiptHandle"], kwargs["VisibilityTimeout"]))

        self.clients = SimpleNamespace(
            sqs=SimpleNamespace(change_message_visibility=change_message_visibility)
        )
        self.settings = SimpleNamespace(ingest_queue_url=INGEST, storm_queue_url=storm_queue_url)
        self.lane = Lane(INGEST)

    def handle_body(self, body: str, *, message_id: str = "") -> None:
        from alertrouter.notify.base import NotifyError

        raise NotifyError("ratelimited", retryable=True, retry_after=7)


def test_a_retry_after_is_waited_out_on_the_queue_the_record_came_from() -> None:
    storm = STORM
    service = RetryAfterService(storm)
    batch = [
        {
            "messageId": "a",
            "body": "{}",
            "receiptHandle": "ra",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:prod-ingest",
        },
        {
            "messageId": "b",
            "body": "{}",
            "receiptHandle": "rb",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:prod-ingest-storm",
        },
    ]
    process_sqs_batch(service, batch)  # type: ignore[arg-type]
    assert service.waits == [(service.settings.ingest_queue_url, "ra", 8), (storm, "rb", 8)]
    # a stack without a storm lane (or a record without its source) waits on the ingest queue
    plain = RetryAfterService("")
    process_sqs_batch(plain, batch)  # type: ignore[arg-type]
    assert [w[0] for w in plain.waits] == [plain.settings.ingest_queue_url] * 2
