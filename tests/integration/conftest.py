"""Integration fixtures: moto for AWS (resources made from template.yaml), the Slack stand-in on loopback,
and the real RouterService wired to both (support.harness), with a controllable clock."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from support.handlers import load_handler
from support.harness import Harness, make_harness
from support.local_aws import use_fake_aws_environment
from support.slack_standin import SlackStandIn


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything the alertrouter loggers write during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("alertrouter")
    handler.setFormatter(logger.handlers[0].formatter)  # Powertools' JSON formatter, extras included
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    use_fake_aws_environment(monkeypatch)
    with mock_aws():
        yield boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(timeout_delay=0.6) as standin:
        yield standin


@pytest.fixture
def harness(aws: Any, slack: SlackStandIn, tmp_path: Path) -> Harness:
    return make_harness(aws, slack, tmp_path)


@pytest.fixture
def app(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real router handler module, its service wired to the harness (moto + Slack stand-in)."""
    module = load_handler("router")
    monkeypatch.setattr(module, "build_service", lambda: harness.service)
    return module
