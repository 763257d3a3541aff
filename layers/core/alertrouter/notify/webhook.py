"""Webhooks through requests: a JSON POST with a deadline on every attempt, retried as Alertmanager retries
(5xx, 429, timeouts and failures to connect, with exponential backoff and jitter) within a few seconds; any
other answer is final. The URL and credentials may come from Secrets Manager and are never put in an error."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from alertrouter import __version__
from alertrouter.models.webhook import WebhookTarget
from alertrouter.notify.base import NotifyError, WebhookSender

if TYPE_CHECKING:
    import requests

USER_AGENT = f"AlertRouter/{__version__} (Alertmanager webhook v4)"
TIMEOUT_S = 5.0  # one attempt, unless the webhook's own timeout says otherwise
# All attempts at one webhook in one flush: a webhook that is down costs the flush this much at most (the
# router's Lambda keeps a 30 s margin; SMS and Slack went out before)
BUDGET_S = 8.0
ATTEMPTS = 4
BACKOFF_S = 0.5  # before the second attempt; doubled each time, jittered
# A webhook that is still down after its retries is not tried again by this process for this long: every group
# of a storm would otherwise spend the whole budget on it, one after another, in one Lambda invocation (each
# group records the failure and is looked at again later, so nothing is lost)
DOWN_S = 30.0
EXCERPT = 200  # characters of a refusing answer's body kept for the log


class WebhookError(NotifyError):
    """A webhook that did not take the message: its code, and the attempts made."""

    def __init__(self, message: str, *, retryable: bool, code: str, attempts: int = 1) -> None:
        super().__init__(message, retryable=retryable, code=code)
        self.attempts = attempts


def backoff_s(attempt: int, rand: Callable[[], float]) -> float:
    """The wait after a failed attempt: exponential, with half of it random (so webhooks that failed together
    are not all tried again together)."""
    full = BACKOFF_S * 2 ** (attempt - 1)
    return float(full / 2 + rand() * full / 2)


class WebhookClient(WebhookSender):
    def __init__(
        self,
        secret: Callable[[str], str],
        *,
        budget_s: float = BUDGET_S,
        attempts: int = ATTEMPTS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        session: requests.Session | None = None,
    ) -> None:
        self._secret = secret
        self.budget_s = budget_s
        self.attempts = attempts
        self.clock = clock
        self.sleep = sleep
        self.rand = rand
        self._session = session  # made on first send: a cold start that sends nothing never imports requests
        self._down: dict[str, tuple[float, WebhookError]] = {}  # webhook id -> (until, why)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def send(self, target: WebhookTarget, message: dict[str, Any]) -> int:
        down = self._down.get(target.id)
        if down is not None and self.clock() < down[0]:
            raise WebhookError(
                f"not tried: still down ({down[1]})", retryable=True, code=down[1].code, attempts=0
            )
        try:
            attempts = self._send(target, message)
        except WebhookError as exc:
            if exc.retryable:
                self._down[target.id] = (self.clock() + DOWN_S, exc)
            raise
        self._down.pop(target.id, None)
        return attempts

    def _send(self, target: WebhookTarget, message: dict[str, Any]) -> int:
        url, headers = self._request(target)
        body = json.dumps(message, separators=(",", ":"))
        per_try = target.timeout.total_seconds() if target.timeout else TIMEOUT_S
        deadline = self.clock() + self.budget_s
        for attempt in range(1, self.attempts + 1):
            timeout = max(0.1, min(per_try, deadline - self.clock()))
            error, retry_after = self._attempt(url, headers, body, timeout)
            if error is None:
                return attempt
            error.attempts = attempt
            wait = max(backoff_s(attempt, self.rand), retry_after or 0.0)
            if not error.retryable or attempt == self.attempts or self.clock() + wait + 0.1 >= deadline:
                raise error
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _request(self, target: WebhookTarget) -> tuple[str, dict[str, str]]:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        try:
            url = self._secret(target.url_secret).strip() if target.url_secret else target.url
            auth = target.authorization
            if auth is not None:
                headers["Authorization"] = f"{auth.type} {self._secret(auth.credentials_secret).strip()}"
        except Exception as exc:  # noqa: BLE001 - any failure to read the secret: recorded, tried later
            raise WebhookError(
                f"its secret cannot be read ({type(exc).__name__})", retryable=False, code="secret_unreadable"
            ) from None
        if not url.startswith(("http://", "https://")):
            raise WebhookError("its secret holds no http(s) URL", retryable=False, code="secret_not_a_url")
        return url, headers

    def _attempt(
        self, url: str, headers: dict[str, str], body: str, timeout: float
    ) -> tuple[WebhookError | None, float | None]:
        """One POST: None if the webhook took it, else the failure (and the wait a 429 asked for)."""
        import requests

        try:
            response = self.session.post(
                url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            )
        except requests.Timeout:
            # `from None`: requests' own exception names the URL, which may carry a token
            return WebhookError("timed out", retryable=True, code="timeout"), None
        except requests.RequestException as exc:
            return WebhookError(
                f"cannot connect ({type(exc).__name__})", retryable=True, code="connection"
            ), None
        status = response.status_code
        if status < 300:
            return None, None
        retryable = status == 429 or status >= 500
        excerpt = " ".join(response.text[:EXCERPT].split())
        error = WebhookError(f"HTTP {status}: {excerpt}", retryable=retryable, code=f"http_{status}")
        return error, _retry_after(response) if status == 429 else None


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None
