"""The webhook client's retry policy, as Alertmanager's: 5xx, 429 and timeouts or failures to connect are tried
again with exponential backoff and jitter, within a few seconds; any other refusal is final. What it sends (JSON,
its User-Agent, credentials from Secrets Manager), and what its errors say (never the URL)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import requests

from alertrouter.models.webhook import WebhookTarget
from alertrouter.notify.webhook import BUDGET_S, DOWN_S, USER_AGENT, WebhookClient, WebhookError, backoff_s

URL = "https://prod.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3tSIG"
MESSAGE = {"version": "4", "alerts": []}


@dataclass
class Answer:
    status_code: int
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Session:
    """Answers (or raises) in turn; records each request."""

    script: list[Any]
    calls: list[dict[str, Any]] = field(default_factory=list)

    def post(self, url: str, **kwargs: Any) -> Answer:
        self.calls.append({"url": url, **kwargs})
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


@dataclass
class Time:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client(script: list[Any], secrets: dict[str, str] | None = None) -> tuple[WebhookClient, Session, Time]:
    session, time = Session(script), Time()
    known = secrets or {}
    made = WebhookClient(
        lambda name: known[name],
        clock=time.clock,
        sleep=time.sleep,
        rand=lambda: 0.5,
        session=session,  # type: ignore[arg-type]
    )
    return made, session, time


def test_a_webhook_gets_the_json_with_the_products_user_agent() -> None:
    made, session, _ = client([Answer(200)])
    assert made.send(WebhookTarget(url=URL), MESSAGE) == 1
    [call] = session.calls
    assert call["url"] == URL and json.loads(call["data"]) == MESSAGE
    assert call["headers"]["Content-Type"] == "application/json"
    assert call["headers"]["User-Agent"] == USER_AGENT and USER_AGENT.startswith("AlertRouter/")
    assert call["timeout"] == 5.0 and call["allow_redirects"] is False


@pytest.mark.parametrize(
    "failure",
    [
        Answer(500),
        Answer(502),
        Answer(503),
        Answer(429),
        requests.ConnectTimeout(),
        requests.ReadTimeout(),
        requests.ConnectionError(),
    ],
)
def test_5xx_429_timeouts_and_connection_failures_are_tried_again_with_backoff(failure: Any) -> None:
    made, session, time = client([failure, failure, Answer(204)])
    assert made.send(WebhookTarget(url=URL), MESSAGE) == 3
    assert len(session.calls) == 3
    assert time.slept == [backoff_s(1, lambda: 0.5), backoff_s(2, lambda: 0.5)]
    assert time.slept[1] == 2 * time.slept[0]  # exponential


def test_the_backoff_is_jittered_within_half_of_each_step() -> None:
    assert (backoff_s(1, lambda: 0.0), backoff_s(1, lambda: 1.0)) == (0.25, 0.5)
    assert (backoff_s(3, lambda: 0.0), backoff_s(3, lambda: 1.0)) == (1.0, 2.0)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 301])
def test_other_refusals_are_final_with_the_status_and_an_excerpt_of_the_body(status: int) -> None:
    made, session, time = client([Answer(status, text="Bad  payload:\n missing 'text' " + "x" * 500)])
    with pytest.raises(WebhookError) as refused:
        made.send(WebhookTarget(url=URL), MESSAGE)
    assert len(session.calls) == 1 and time.slept == []
    error = refused.value
    assert error.retryable is False and error.code == f"http_{status}" and error.attempts == 1
    assert str(error).startswith(f"HTTP {status}: Bad payload: missing 'text' x") and len(str(error)) < 230


def test_a_webhook_still_failing_gives_up_after_its_attempts_within_the_budget() -> None:
    made, session, time = client([Answer(503)] * 10)
    with pytest.raises(WebhookError) as failed:
        made.send(WebhookTarget(url=URL), MESSAGE)
    assert failed.value.retryable and failed.value.code == "http_503" and failed.value.attempts == 4
    assert len(session.calls) == 4 and time.now < BUDGET_S


def test_timeouts_that_take_their_whole_deadline_stop_within_the_budget() -> None:
    time_box: list[Time] = []

    class Slow(Session):
        def post(self, url: str, **kwargs: Any) -> Answer:
            self.calls.append(kwargs)
            time_box[0].now += kwargs["timeout"]  # each attempt waits out its timeout
            raise requests.ReadTimeout()

    session, time = Slow([]), Time()
    time_box.append(time)
    made = WebhookClient(lambda _: "", clock=time.clock, sleep=time.sleep, rand=lambda: 0.5, session=session)  # type: ignore[arg-type]
    with pytest.raises(WebhookError) as failed:
        made.send(WebhookTarget(url=URL, timeout=timedelta(seconds=4)), MESSAGE)
    assert failed.value.code == "timeout" and time.now <= BUDGET_S
    assert [c["timeout"] for c in session.calls][0] == 4.0 and len(session.calls) == 2


def test_a_429_waits_what_it_asks_when_that_fits_and_gives_up_when_it_does_not() -> None:
    made, _, time = client([Answer(429, headers={"Retry-After": "2"}), Answer(200)])
    assert made.send(WebhookTarget(url=URL), MESSAGE) == 2 and time.slept == [2.0]
    made, session, _ = client([Answer(429, headers={"Retry-After": "120"}), Answer(200)])
    with pytest.raises(WebhookError, match="HTTP 429"):
        made.send(WebhookTarget(url=URL), MESSAGE)
    assert len(session.calls) == 1


def test_the_url_and_credentials_come_from_secrets_manager_when_named() -> None:
    made, session, _ = client(
        [Answer(200)], {"alertrouter/webhook/teams": URL + "\n", "alertrouter/webhook/token": "t0ken"}
    )
    target = WebhookTarget(
        url_secret="alertrouter/webhook/teams",
        http_config={"authorization": {"credentials_secret": "alertrouter/webhook/token"}},  # type: ignore[call-arg]
    )
    made.send(target, MESSAGE)
    assert session.calls[0]["url"] == URL and session.calls[0]["headers"]["Authorization"] == "Bearer t0ken"


def test_a_secret_that_cannot_be_read_or_holds_no_url_is_a_final_failure_that_names_neither() -> None:
    made, session, _ = client([], {"alertrouter/webhook/bad": "not a url s3cr3t"})
    with pytest.raises(WebhookError) as unreadable:
        made.send(WebhookTarget(url_secret="alertrouter/webhook/missing"), MESSAGE)
    assert unreadable.value.code == "secret_unreadable" and "KeyError" in str(unreadable.value)
    with pytest.raises(WebhookError) as no_url:
        made.send(WebhookTarget(url_secret="alertrouter/webhook/bad"), MESSAGE)
    assert no_url.value.code == "secret_not_a_url" and "s3cr3t" not in str(no_url.value)
    assert session.calls == []


def test_errors_never_carry_the_url_or_its_token() -> None:
    made, _, _ = client([requests.ConnectionError(f"Max retries exceeded with url: {URL}")] * 4)
    with pytest.raises(WebhookError) as failed:
        made.send(WebhookTarget(url=URL), MESSAGE)
    assert "s3cr3t" not in str(failed.value) and "logic.azure" not in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.code == "connection"


def test_a_webhook_still_down_is_not_tried_again_by_the_process_for_a_while() -> None:
    # (every group of a storm would otherwise spend the whole budget on it, in one Lambda invocation)
    made, session, time = client([Answer(503)] * 4 + [Answer(200)])
    hook = WebhookTarget(url=URL)
    with pytest.raises(WebhookError):
        made.send(hook, MESSAGE)
    assert len(session.calls) == 4
    with pytest.raises(WebhookError) as skipped:
        made.send(hook, MESSAGE)
    assert skipped.value.code == "http_503" and skipped.value.attempts == 0 and len(session.calls) == 4
    assert made.send(WebhookTarget(url=URL + "&other=1"), MESSAGE) == 1  # another webhook is tried
    time.now += DOWN_S
    session.script.append(Answer(200))
    assert made.send(hook, MESSAGE) == 1 and len(session.calls) == 6


def test_a_webhook_that_refuses_a_message_is_tried_with_the_next_one() -> None:
    made, session, _ = client([Answer(400), Answer(200)])
    with pytest.raises(WebhookError):
        made.send(WebhookTarget(url=URL), MESSAGE)
    assert made.send(WebhookTarget(url=URL), MESSAGE) == 1 and len(session.calls) == 2
