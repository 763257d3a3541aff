"""Shared helpers: real sample events live in events/ and are read with load_event()."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def event_text(name: str) -> str:
    return (EVENTS / name).read_text()


@pytest.fixture
def events_dir() -> Path:
    return EVENTS


# ---- no secret in any log line the suite produces ----
# A Slack token (xoxb-..., xoxp-..., also the signing secret's shape) or a phone number in E.164 form.
_SECRET_SHAPES = re.compile(r"xox[abposr]-[A-Za-z0-9-]{8,}|\+[1-9]\d{7,14}\b|fake-signing-secret")


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
