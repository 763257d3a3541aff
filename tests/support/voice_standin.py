"""AWS End User Messaging SMS and Voice's SendVoiceMessage on loopback (moto 5.2 has no `pinpoint-sms-voice-v2`),
speaking the protocol its service model gives botocore: AWS JSON 1.0 (`POST /`,
`X-Amz-Target: PinpointSMSVoiceV2.SendVoiceMessage`). Requests are read with botocore's own JSON parser
against the service model, so a client pointed at it (endpoint_url) makes real calls; errors carry `__type`
and the modelled fields (`Reason`, `ResourceType`...) as the service sends them.

After the API reference: the origination identity must be one the account owns (a phone number, its id or
ARN, a pool's id or ARN; else ResourceNotFoundException); MessageBody at most 3,000 characters as TEXT and
6,000 as SSML (ValidationException MAXIMUM_SIZE_EXCEEDED), SSML well-formed inside <speak> (ValidationException
INVALID_PARAMETER). Injectable failures: `throttle(times)` (ThrottlingException, HTTP 400, the next `times`
calls), `refuse(number)` (ValidationException DESTINATION_COUNTRY_BLOCKED: a number the identity cannot
call), `opt_out(number)` (ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT). Every request is counted
(`attempts`) and each call placed recorded (`calls`).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from xml.etree import ElementTree

import botocore.session
from botocore.config import Config
from botocore.parsers import JSONParser

from support.loopback import post_server

ACCOUNT = "123456789012"
_TARGET = "PinpointSMSVoiceV2"
PHONE_NUMBER = "+15555550199"  # the stand-in account's origination number (555-01xx: fiction)
PHONE_NUMBER_ID = "phone-0123456789abcdef0123456789abcdef"
TEXT_LIMIT, SSML_LIMIT = 3000, 6000
# one try: a test of throttling sees each refusal (the escalator's clients retry with backoff)
ONE_TRY = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=1, read_timeout=2)


@dataclass
class PlacedCall:
    """One call the stand-in accepted: the request as botocore sent it, and the id it answered."""

    message_id: str
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def to(self) -> str:
        return str(self.request["DestinationPhoneNumber"])

    @property
    def body(self) -> str:
        return str(self.request.get("MessageBody", ""))


class VoiceStandIn:
    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        arn = f"arn:aws:sms-voice:{region}:{ACCOUNT}:phone-number/{PHONE_NUMBER_ID}"
        self.identities = {PHONE_NUMBER, PHONE_NUMBER_ID, arn}
        self.number_arn = arn
        self.calls: list[PlacedCall] = []
        self.attempts = 0
        self.throttled = 0  # the next this many requests are throttled
        self.refused: set[str] = set()
        self.opted_out: set[str] = set()
        self._model = botocore.session.get_session().get_service_model("pinpoint-sms-voice-v2")
        self._lock = threading.Lock()
        self.server, self._thread = post_server(self._serve)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def client(self, session: Any | None = None, config: Config = ONE_TRY) -> Any:
        """A botocore `pinpoint-sms-voice-v2` client pointed at the stand-in."""
        made: Any = session or botocore.session.get_session()
        create: Any = getattr(made, "create_client", None) or made.client
        return create(
            "pinpoint-sms-voice-v2",
            region_name=self.region,
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - the stand-in checks no signature
            config=config,
        )

    def throttle(self, times: int = 1) -> None:
        self.throttled = times

    def refuse(self, number: str) -> None:
        self.refused.add(number)

    def opt_out(self, number: str) -> None:
        self.opted_out.add(number)

    def called(self) -> list[str]:
        """The numbers called, in order."""
        return [c.to for c in self.calls]

    # ---- the operation ----
    def _send_voice_message(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.throttled > 0:
            self.throttled -= 1
            raise _Error("ThrottlingException", "Rate exceeded", 400)
        identity = request["OriginationIdentity"]
        if identity not in self.identities:
            raise _Error(
                "ResourceNotFoundException",
                f"origination identity {identity} not found",
                404,
                ResourceType="phone-number",
                ResourceId=identity,
            )
        self._check_body(request)
        number = request["DestinationPhoneNumber"]
        if number in self.opted_out:
            raise _Error(
                "ConflictException",
                "the destination phone number is opted out",
                400,
                Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT",
                ResourceType="opted-out-number",
                ResourceId=number,
            )
        if number in self.refused:
            raise _Error(
                "ValidationException",
                "the destination cannot be called from this origination identity",
                400,
                Reason="DESTINATION_COUNTRY_BLOCKED",
            )
        placed = PlacedCall(message_id=str(uuid.uuid4()), request=request)
        self.calls.append(placed)
        return {"MessageId": placed.message_id}

    @staticmethod
    def _check_body(request: dict[str, Any]) -> None:
        body, kind = request.get("MessageBody", ""), request.get("MessageBodyTextType", "TEXT")
        if len(body) > (SSML_LIMIT if kind == "SSML" else TEXT_LIMIT):
            raise _Error("ValidationException", "MessageBody too long", 400, Reason="MAXIMUM_SIZE_EXCEEDED")
        if kind == "SSML":
            try:
                root = ElementTree.fromstring(body)  # noqa: S314 - our own test's request, on loopback
            except ElementTree.ParseError as exc:
                raise _Error("ValidationException", f"SSML: {exc}", 400, Reason="INVALID_PARAMETER") from exc
            if root.tag != "speak":
                raise _Error(
                    "ValidationException", "SSML must be inside <speak>", 400, Reason="INVALID_PARAMETER"
                )

    # ---- the wire ----
    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        operation = (request.headers.get("X-Amz-Target") or "").removeprefix(f"{_TARGET}.")
        with self._lock:
            self.attempts += 1
            try:
                if operation != "SendVoiceMessage":
                    raise _Error("UnknownOperationException", f"not modelled: {operation}", 400)
                shape: Any = self._model.operation_model(operation).input_shape
                parsed = JSONParser().parse({"status_code": 200, "headers": {}, "body": body}, shape)
                parsed.pop("ResponseMetadata", None)
                status, payload = 200, json.dumps(self._send_voice_message(parsed)).encode()
            except _Error as exc:
                status, payload = exc.status, json.dumps({"__type": exc.code, **exc.fields}).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/x-amz-json-1.0")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def __enter__(self) -> VoiceStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Error(Exception):
    def __init__(self, code: str, message: str, status: int, **fields: str) -> None:
        super().__init__(message)
        self.code, self.status = code, status
        self.fields = {"Message": message, **fields}
