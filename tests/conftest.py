"""Shared helpers: real sample events live in events/ and are read with load_event()."""

from __future__ import annotations

import json
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
