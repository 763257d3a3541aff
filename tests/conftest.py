"""Fixtures and hooks of every tier: the sample events folder, the network refused (unit and infrastructure),
the slow tests ordered first, no secret in any log line. Shared helpers live in the support package."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from support.moto_partitions import query_reads_one_partition
from support.paths import EVENTS


def pytest_configure(config: pytest.Config) -> None:
    query_reads_one_partition()  # moto's Query otherwise sorts the whole table on every call


@pytest.fixture
def events_dir() -> Path:
    return EVENTS


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test (unit and infrastructure tiers)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unit and infrastructure tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow are spread over the first half of the run, the longest first
    (`@pytest.mark.slow(seconds=N)`: about how long it takes; 10 when not said): with make test's workers,
    handed one test at a time, the three-minute test starts at once and the others are all under way well
    before the end, so the workers finish together, while the short tests between them keep the progress
    moving. Every worker sorts the same collection the same way, as pytest-xdist requires."""

    def seconds(item: pytest.Item) -> float:
        mark = item.get_closest_marker("slow")
        return float(mark.kwargs.get("seconds", 10)) if mark else 0.0

    slow = sorted(
        (item for item in items if seconds(item)), key=seconds, reverse=True
    )  # stable: ties keep order
    if not slow:
        return
    fast = [item for item in items if not seconds(item)]
    gap = max(1, len(fast) // 2 // len(slow))  # short tests between two slow ones
    ordered: list[pytest.Item] = []
    for index, item in enumerate(slow):
        ordered.append(item)
        ordered.extend(fast[index * gap : (index + 1) * gap])
    ordered.extend(fast[len(slow) * gap :])
    items[:] = ordered


# ---- no secret in any log line the suite produces ----
# A Slack token (xoxb-..., xoxp-..., also the signing secret's shape), a phone number in E.164 form, or a
# webhook URL's signature (a Teams workflow's `sig=`).
_SECRET_SHAPES = re.compile(r"xox[abposr]-[A-Za-z0-9-]{8,}|\+[1-9]\d{7,14}\b|fake-signing-secret|[?&]sig=")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a record that cannot be rendered is not a leak
            self.lines.append(record.getMessage() + " " + json.dumps(record.__dict__, default=str))


@pytest.fixture(autouse=True)
def _no_secrets_in_logs(capsys: pytest.CaptureFixture[str]) -> Any:
    """Every log record of the alertrouter loggers, and everything printed, is checked after each test."""
    collect = _Collect()
    logger = logging.getLogger("alertrouter")
    logger.addHandler(collect)
    try:
        yield
    finally:
        logger.removeHandler(collect)
    out, err = capsys.readouterr()
    for text in [*collect.lines, out, err]:
        leaked = _SECRET_SHAPES.search(text)
        assert leaked is None, f"a secret-shaped string reached the logs or output: {leaked.group(0)[:6]}…"
    # hand what was printed back, so tests and people still see it
    print(out, end="")
