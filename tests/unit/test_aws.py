"""The small AWS helpers: the secret cache's max age and the DynamoDB attribute codec."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alertrouter.aws import SecretCache
from alertrouter.store.dynamodb.codec import decode, decode_item, encode, encode_item


class FakeSecrets:
    """Answers GetSecretValue like Secrets Manager, counting calls (stands in for the AWS client only)."""

    def __init__(self) -> None:
        self.calls = 0
        self.value = "xoxb-first"

    def get_secret_value(self, SecretId: str) -> dict[str, str]:  # noqa: N803 - botocore's name
        self.calls += 1
        return {"SecretString": self.value if SecretId == "slack" else '{"oncall": "+15555550100"}'}


def test_secret_is_fetched_once_per_max_age_and_refreshed_after() -> None:
    fake, now = FakeSecrets(), [0.0]
    cache = SecretCache(lambda: fake, max_age_s=300, clock=lambda: now[0])
    assert cache.get("slack") == "xoxb-first"
    fake.value = "xoxb-rotated"
    now[0] = 299.0
    assert cache.get("slack") == "xoxb-first" and fake.calls == 1
    now[0] = 300.0
    assert cache.get("slack") == "xoxb-rotated" and fake.calls == 2  # a rotated token is picked up
    assert cache.get_json("sms") == {"oncall": "+15555550100"}


def test_codec_round_trips_what_the_items_hold() -> None:
    values = {
        "s": "x",
        "n": 12,
        "neg": -3,
        "f": 1.5,
        "d": Decimal("2"),
        "b": True,
        "none": None,
        "m": {"a": {"b": [1, "two", False]}},
        "l": [],
        "empty": {},
    }
    assert decode_item(encode_item(values)) == {**values, "d": 2}
    assert encode(True) == {"BOOL": True} and encode(7) == {"N": "7"}
    assert decode({"N": "1700000000000"}) == 1_700_000_000_000


def test_codec_refuses_what_it_cannot_store() -> None:
    with pytest.raises(TypeError, match="set"):
        encode({1, 2})
    with pytest.raises(TypeError, match="unexpected DynamoDB attribute type SS"):
        decode({"SS": ["a"]})


@pytest.mark.parametrize(("config_name", "attempts"), [("CLIENT_CONFIG", 3), ("INTERACTIVE_CONFIG", 1)])
def test_throttled_calls_are_tried_as_often_as_the_deadlines_assume(
    config_name: str, attempts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst case per call (and a click's 3 s) is computed from these attempts: botocore must agree."""
    import botocore.session
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ClientError

    from alertrouter import aws

    monkeypatch.setattr("time.sleep", lambda _s: None)  # botocore's backoff between tries
    client = botocore.session.get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url="http://127.0.0.1:9",
        config=getattr(aws, config_name),
    )
    sent: list[str] = []

    def throttled(request: object, **_: object) -> AWSResponse:
        sent.append("x")
        body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
        return AWSResponse("http://127.0.0.1:9", 400, {"x-amzn-requestid": "r"}, _Raw(body))

    client.meta.events.register("before-send", throttled)
    with pytest.raises(ClientError, match="ThrottlingException"):
        client.describe_table(TableName="t")
    assert len(sent) == attempts


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object) -> object:
        yield self.body
