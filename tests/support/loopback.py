"""The HTTP server the loopback stand-ins (Slack, webhooks, CloudWatch mute rules) answer POSTs with."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def post_server(
    serve: Callable[[BaseHTTPRequestHandler], None], host: str = "127.0.0.1", port: int = 0
) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """A server handing each POST to `serve` (no request log; port 0: a free one), and the daemon thread to
    run it in (started by the caller)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            serve(self)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server, threading.Thread(target=server.serve_forever, daemon=True)
