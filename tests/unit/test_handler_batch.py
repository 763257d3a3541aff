"""The SQS partial-batch loop: a record is only started with enough time left to finish it."""

from __future__ import annotations

from typing import Any

from alertrouter.handler import MIN_REMAINING_MS, process_sqs_batch


class Service:
    def __init__(self, fail: set[str]) -> None:
        self.fail, self.handled = fail, []  # type: ignore[var-annotated]

    def handle_body(self, body: str, *, message_id: str = "") -> None:
        if message_id in self.fail:
            raise RuntimeError("DynamoDB throttled")
        self.handled.append(message_id)


def records(n: int) -> list[dict[str, Any]]:
    return [{"messageId": f"m{i}", "body": "{}", "receiptHandle": f"r{i}"} for i in range(n)]


def test_failed_records_are_reported_and_the_rest_done() -> None:
    service = Service({"m1"})
    assert process_sqs_batch(service, records(3)) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}  # type: ignore[arg-type]
    assert service.handled == ["m0", "m2"]


def test_records_are_handed_back_when_time_runs_short() -> None:
    service = Service(set())
    left = iter([MIN_REMAINING_MS + 5_000, MIN_REMAINING_MS - 1, MIN_REMAINING_MS - 1])
    result = process_sqs_batch(service, records(3), lambda: next(left))  # type: ignore[arg-type]
    assert service.handled == ["m0"]
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}


def test_every_kind_of_the_routers_own_messages_passes_the_one_scan_that_tells_them_from_events() -> None:
    from alertrouter.own_messages import EXPIRE_KIND, FLUSH_KIND, KINDS, REDRAW_KIND, RESOLVE_KIND
    from alertrouter.sources import OWN_PREFIX

    # handle_body decodes a body as the router's own message only if it contains OWN_PREFIX
    kinds = (FLUSH_KIND, RESOLVE_KIND, EXPIRE_KIND, REDRAW_KIND)
    assert all(kind.startswith(OWN_PREFIX) for kind in kinds)
    assert set(KINDS) == set(kinds)
