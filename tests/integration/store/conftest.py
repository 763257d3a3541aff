"""The store contract, aggregate by aggregate, run against both stores: MemoryStore (support.memory_store)
and DynamoDBStore on a moto table made from template.yaml. Repeated, reordered and concurrent deliveries
must converge on the newest event, the same way in both."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alertrouter.store.dynamodb import DynamoDBStore
from support.local_aws import deploy, use_fake_aws_environment
from support.memory_store import MemoryStore
from support.store_items import WholeStore

_stacks = itertools.count()


@pytest.fixture(scope="module")
def moto_session() -> Iterator[Any]:
    """One moto for the module (making a client per test is most of a test's time); each test deploys its
    own stack (a fresh table from template.yaml) under its own prefix."""
    with pytest.MonkeyPatch.context() as mp:
        use_fake_aws_environment(mp)
        with mock_aws():
            yield boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def dynamodb_stack(moto_session: Any) -> tuple[Any, str]:
    """A fresh state table: its client (one of the test's own) and its name."""
    stack = deploy(moto_session, prefix=f"t{next(_stacks)}")
    return moto_session.client("dynamodb"), stack.table_name


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[WholeStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        client, table = request.getfixturevalue("dynamodb_stack")
        yield DynamoDBStore(table, client)
