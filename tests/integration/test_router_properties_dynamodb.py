"""The router's convergence property again, on the DynamoDB store (moto): the conditional expressions
must give the same guarantees as the memory store's locks."""

from __future__ import annotations

import os

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from moto import mock_aws

from alertrouter.store.dynamodb import DynamoDBStore
from support.local_aws import deploy
from support.router_properties import check_convergence, scenarios

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.mark.slow(seconds=40)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**scenarios)
def test_router_converges_on_dynamodb(events, duplicates, shuffle, group_by, wait, interval, gaps) -> None:
    with mock_aws():
        session = boto3.session.Session(
            region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        stack = deploy(session, prefix="prop")
        store = DynamoDBStore(stack.table_name, session.client("dynamodb"))
        check_convergence(store, events, duplicates, shuffle, group_by, wait, interval, gaps)
