"""Page calls through AWS End User Messaging SMS and Voice (SendVoiceMessage, botocore's
`pinpoint-sms-voice-v2`): Amazon Polly reads the page to the number kept under the recipient's name in the
SMS numbers secret. Numbers are never logged in full.

Which failures are worth trying again follows the service model: ThrottlingException (modelled retryable,
throttling) and InternalServerException (retryable); a timeout or a lost connection too. The rest are the
request's or the account's and stay so: ValidationException (a number the identity cannot call, a country not
enabled...), ConflictException (DESTINATION_PHONE_NUMBER_OPTED_OUT, a destination not verified in the
sandbox), AccessDeniedException, ResourceNotFoundException (the origination identity), and
ServiceQuotaExceededException (DAILY_DESTINATION_CALL_LIMIT, MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from alertrouter.notify.base import NotifyError
from alertrouter.notify.sms import mask_number
from alertrouter.notify.voice_script import VoiceScript

_RETRYABLE = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "InternalServerException",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestTimeout",
}
CALL_TTL_S = 600  # a page call not placed within 10 minutes is dropped by the service: stale by then
TextType = Literal["SSML", "TEXT"]


class SmsVoiceClient(Protocol):
    """The one call of botocore's `pinpoint-sms-voice-v2` client used here (no boto3-stubs package for it)."""

    def send_voice_message(self, **kwargs: Any) -> Mapping[str, Any]: ...


class VoiceCaller:
    """A VoiceSender (structurally: the IAM grant analysis treats a subclass's constructor as its family's)."""

    def __init__(
        self,
        sms_voice: SmsVoiceClient,
        numbers: Callable[[], dict[str, str]],
        origination_identity: str,
        voice_id: str = "JOANNA",
        *,
        text_type: TextType = "SSML",
        configuration_set: str = "",
        ttl_s: int = CALL_TTL_S,
    ) -> None:
        if not origination_identity:
            raise ValueError(
                "a VoiceCaller needs an origination identity (a phone number, its ARN or a pool)"
            )
        self.sms_voice = sms_voice
        self._numbers = numbers
        self.origination_identity = origination_identity
        self.voice_id = voice_id.upper()
        self.text_type = text_type
        self.configuration_set = configuration_set
        self.ttl_s = ttl_s
        self.placed = 0

    def number_for(self, name: str) -> str:
        numbers = self._numbers()
        if name not in numbers:
            raise NotifyError(
                f"voice recipient {name!r} is not in the SMS numbers secret",
                retryable=False,
                code="no_number",
            )
        return numbers[name]

    def call(self, name: str, script: VoiceScript, context: Mapping[str, str] | None = None) -> str:
        """Place one call to the number kept under `name`, reading `script`; returns the masked number.
        `context` (at most 5 short entries) goes with the call's delivery events."""
        number = self.number_for(name)
        request: dict[str, Any] = {
            "DestinationPhoneNumber": number,
            "OriginationIdentity": self.origination_identity,
            "MessageBody": script.ssml() if self.text_type == "SSML" else script.text(),
            "MessageBodyTextType": self.text_type,
            "VoiceId": self.voice_id,
            "TimeToLive": self.ttl_s,
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        if context:
            request["Context"] = {k: v.strip()[:800] for k, v in list(context.items())[:5] if v.strip()}
        try:
            self.sms_voice.send_voice_message(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            reason = str(exc.response.get("Reason") or error.get("Reason") or "")
            said = f"{code}: {reason}" if reason else code
            raise NotifyError(
                f"call to {mask_number(number)}: {said}", retryable=code in _RETRYABLE, code=reason or code
            ) from exc
        except BotoCoreError as exc:  # timeouts, lost connections: the call may be tried again
            raise NotifyError(
                f"call to {mask_number(number)}: {type(exc).__name__}", retryable=True, code="connection"
            ) from exc
        self.placed += 1
        return mask_number(number)
