"""Unit tests are pure: any attempt to open a network connection fails the test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _offline(no_network: None) -> None:
    """Every unit test runs with the network refused (tests/conftest.py's no_network)."""
