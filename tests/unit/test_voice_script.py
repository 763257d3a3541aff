"""What a page call says: the alerts' titles, short and without markup, how to acknowledge, the account; as
TEXT within SendVoiceMessage's 3,000 characters, as SSML within its 6,000, well-formed and escaped."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from hypothesis import given
from hypothesis import strategies as st

from alertrouter.models.alert import Status
from alertrouter.models.state import Member
from alertrouter.notify.base import NotifyError
from alertrouter.notify.voice import VoiceCaller
from alertrouter.notify.voice_script import SSML_LIMIT, TEXT_LIMIT, VoiceScript, spoken, voice_script


def member(title: str, severity: str = "critical") -> Member:
    return Member(status=Status.FIRING, severity=severity, title=title, ts_ms=0, starts_at_ms=0)


def spoken_text(ssml: str) -> str:
    """What Polly reads from SSML: the text of the <speak> element, entities decoded."""
    root = ElementTree.fromstring(ssml)  # noqa: S314 - our own output
    assert root.tag == "speak"
    return "".join(root.itertext())


def test_a_call_names_the_alert_the_account_and_how_to_acknowledge() -> None:
    script = voice_script([member("DiskFull i-0abc")], "prod")
    assert script.text().startswith(
        "This is the alert router. Critical in account prod: 1 alert is not acknowledged. DiskFull i-0abc. "
        "To acknowledge, open the alert in Slack and press Acknowledge."
    )
    assert script.text().count("press Acknowledge") == 2  # said twice: the first words are often missed


def test_alarm_names_with_markup_characters_are_escaped_in_ssml() -> None:
    script = voice_script([member('p99 <latency> & errors > 5% for "api"')])
    ssml = script.ssml()
    assert "&lt;latency&gt; &amp; errors &gt; 5%" in ssml
    assert "p99 <latency> & errors > 5%" in spoken_text(ssml)  # read as written
    assert "<latency>" not in ssml


def test_titles_lose_links_slack_markup_and_control_characters() -> None:
    assert spoken("*Disk* _full_ on `db-1` <https://console.aws.amazon.com/x|see console>\x07") == (
        "Disk full on db-1 see console"
    )
    assert spoken("see https://example.com/a?b=c now") == "see now"


def test_many_alerts_name_three_and_count_the_rest_and_long_titles_are_cut() -> None:
    members = [member("A" * 50 + " " + "tail" * 40), member("CpuHigh"), member("MemoryHigh"), member("X")]
    members += [member(f"More{i}") for i in range(10)]
    script = voice_script(members)
    assert script.total == 14 and len(script.titles) == 3
    assert all(len(t) <= 80 for t in script.titles) and script.titles[0] == "A" * 50
    assert "; and 11 more." in script.text()
    assert "14 alerts are not acknowledged" in script.text()


@given(
    titles=st.lists(st.text(min_size=0, max_size=400), min_size=1, max_size=40),
    label=st.text(max_size=40),
)
def test_any_titles_stay_within_the_limits_and_make_valid_ssml(titles: list[str], label: str) -> None:
    script = voice_script([member(t) for t in titles], label)
    assert 0 < len(script.text()) <= TEXT_LIMIT
    ssml = script.ssml()
    assert len(ssml) <= SSML_LIMIT
    spoken_text(ssml)  # well-formed, inside <speak>


def test_severity_words() -> None:
    assert voice_script([member("A", "warning")]).severity == "Warning"
    assert voice_script([member("A", "sev1*")]).severity == "Sev1"
    with pytest.raises(ValueError, match="nothing to page about"):
        voice_script([])


class RefusingClient:
    """A `pinpoint-sms-voice-v2` client answering each call with the next error of its list."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.requests: list[dict[str, Any]] = []

    def send_voice_message(self, **kwargs: Any) -> dict[str, Any]:
        self.requests.append(kwargs)
        if self.errors:
            raise self.errors.pop(0)
        return {"MessageId": "m-1"}


def client_error(code: str, reason: str = "") -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": "m"}, **({"Reason": reason} if reason else {})}
    return ClientError(response, "SendVoiceMessage")


SCRIPT = VoiceScript(severity="Critical", titles=("DiskFull",), total=1)
NUMBERS = {"alice": "+15555550100"}


@pytest.mark.parametrize(
    ("error", "retryable", "code"),
    [
        (client_error("ThrottlingException"), True, "ThrottlingException"),
        (client_error("InternalServerException"), True, "InternalServerException"),
        (ReadTimeoutError(endpoint_url="https://sms-voice"), True, "connection"),
        (
            client_error("ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT"),
            False,
            "DESTINATION_PHONE_NUMBER_OPTED_OUT",
        ),
        (
            client_error("ValidationException", "DESTINATION_COUNTRY_BLOCKED"),
            False,
            "DESTINATION_COUNTRY_BLOCKED",
        ),
        (
            client_error("ServiceQuotaExceededException", "DAILY_DESTINATION_CALL_LIMIT"),
            False,
            "DAILY_DESTINATION_CALL_LIMIT",
        ),
        (client_error("AccessDeniedException"), False, "AccessDeniedException"),
        (client_error("ResourceNotFoundException"), False, "ResourceNotFoundException"),
    ],
)
def test_call_failures_say_whether_to_try_again_and_never_show_the_number(
    error: Exception, retryable: bool, code: str
) -> None:
    caller = VoiceCaller(RefusingClient(error), lambda: NUMBERS, "+15555550199")
    with pytest.raises(NotifyError) as raised:
        caller.call("alice", SCRIPT)
    assert (raised.value.retryable, raised.value.code) == (retryable, code)
    assert "+15555550100" not in str(raised.value) and "00" in str(raised.value)


def test_a_name_missing_from_the_numbers_secret_is_not_called() -> None:
    client = RefusingClient()
    with pytest.raises(NotifyError, match="not in the SMS numbers secret") as raised:
        VoiceCaller(client, lambda: NUMBERS, "+15555550199").call("bob", SCRIPT)
    assert not raised.value.retryable and client.requests == []


def test_the_request() -> None:
    client = RefusingClient()
    caller = VoiceCaller(client, lambda: NUMBERS, "pool-abc", "Matthew", text_type="TEXT")
    assert caller.call("alice", SCRIPT, {"group": "k", "empty": " "}) == "+*********00"
    [request] = client.requests
    assert request == {
        "DestinationPhoneNumber": "+15555550100",
        "OriginationIdentity": "pool-abc",
        "MessageBody": SCRIPT.text(),
        "MessageBodyTextType": "TEXT",
        "VoiceId": "MATTHEW",
        "TimeToLive": 600,
        "Context": {"group": "k"},
    }
    with pytest.raises(ValueError, match="origination identity"):
        VoiceCaller(client, lambda: NUMBERS, "")
