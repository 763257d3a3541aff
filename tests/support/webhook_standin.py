"""A webhook receiver on loopback, as anything that takes Alertmanager's webhooks (a Teams workflow, an incident
tool): it records every POST (path, query, headers, JSON body) and can be told to fail the next N with a 500, a
429, a 400, or by taking longer than the sender waits (a timeout)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from support.loopback import post_server

FAULTS = ("500", "429", "400", "timeout")


@dataclass
class Post:
    path: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int  # what it answered (0: it kept the sender waiting past its timeout)


class WebhookStandIn:
    def __init__(self, *, timeout_delay: float = 1.0, retry_after: float = 0) -> None:
        self.posts: list[Post] = []
        self.faults: dict[str, list[str]] = {}  # path -> faults for its next POSTs ("*": any path)
        self.timeout_delay = timeout_delay
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self.server, self._thread = post_server(self._serve)

    def url(self, path: str = "/hook", query: str = "") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}" + (f"?{query}" if query else "")

    def fail(self, times: int, fault: str, path: str = "*") -> None:
        """Fail the next `times` POSTs (to `path`) with `fault`: 500, 429, 400 or timeout."""
        assert fault in FAULTS
        with self._lock:
            self.faults.setdefault(path, []).extend([fault] * times)

    def taken(self, path: str = "/hook") -> list[dict[str, Any]]:
        """The messages a path took (answered 200)."""
        return [p.body for p in self.posts if p.path == path and p.status == 200]

    def tries(self, path: str = "/hook") -> list[int]:
        return [p.status for p in self.posts if p.path == path]

    def _fault(self, path: str) -> str:
        with self._lock:
            for key in (path, "*"):
                if self.faults.get(key):
                    return self.faults[key].pop(0)
        return ""

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length) or b"{}")
        parts = urlsplit(request.path)
        fault = self._fault(parts.path)
        status = {"": 200, "500": 500, "429": 429, "400": 400, "timeout": 0}[fault]
        self.posts.append(Post(parts.path, parts.query, dict(request.headers), body, status))
        if fault == "timeout":
            time.sleep(self.timeout_delay)  # the sender has given up by now
            status = 200
        text = b"Bad Request: missing field 'text'" if status == 400 else b"ok"
        try:
            request.send_response(status)
            if status == 429:
                request.send_header("Retry-After", str(self.retry_after))
            request.send_header("Content-Length", str(len(text)))
            request.end_headers()
            request.wfile.write(text)
        except OSError:
            pass  # the sender hung up (a timeout)

    def __enter__(self) -> WebhookStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
