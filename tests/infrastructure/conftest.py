"""Infrastructure tests read template.yaml and the code and lint the template and its variants (cfn-lint and
sam validate run as subprocesses); the tests themselves open no network connection."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _offline(no_network: None) -> None:
    """Every infrastructure test runs with the network refused (tests/conftest.py's no_network)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-golden",
        action="store_true",
        help="record tests/infrastructure/rendered_template.golden.json from template.yaml as it is",
    )
