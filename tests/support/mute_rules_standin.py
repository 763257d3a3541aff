"""CloudWatch's alarm mute rule operations on loopback (moto 5.2 has none), speaking both protocols the
service model offers botocore: AWS JSON 1.0 (`POST /`, `X-Amz-Target: GraniteServiceVersion20100801.<Name>`,
`x-amzn-query-mode`), which botocore 1.44 picks for CloudWatch (its protocol priority puts `json` before
`smithy-rpc-v2-cbor`), and Smithy RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/operation/<Name>`).
Requests are read with botocore's own parser for the protocol against the service model, so a client pointed
at it (endpoint_url) makes real calls; errors carry `__type` and the `x-amzn-query-error` header.

After the API reference: PutAlarmMuteRule creates or replaces a rule (its ARN
`arn:aws:cloudwatch:<region>:<account>:alarm-mute-rule:<name>`); ListAlarmMuteRules filters by AlarmName
(a rule targeting it) and Statuses, pages with MaxRecords (default 50, 1-100) and NextToken, and its
summaries carry no name (only the ARN); GetAlarmMuteRule answers ResourceNotFoundException for an unknown
name. A rule's Status is EXPIRED once its ExpireDate has passed (the stand-in's `now`), else SCHEDULED.
`deny(operation)` answers AccessDenied (with the query-compatible error header CloudWatch sends) until
`allow()`. Every call is counted per operation (`calls`).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace
from typing import Any

import botocore.session
from botocore.parsers import JSONParser, RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer

from support.loopback import post_server

ACCOUNT = "123456789012"
_TARGET = "GraniteServiceVersion20100801"
_PREFIX = f"/service/{_TARGET}/operation/"


class MuteRulesStandIn:
    def __init__(self, region: str = "us-east-1", now: Callable[[], datetime] | None = None) -> None:
        self.region = region
        self.now = now or (lambda: datetime.now(UTC))
        self.rules: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.denied: set[str] = set()
        self._model = botocore.session.get_session().get_service_model("cloudwatch")
        self._lock = threading.Lock()
        self.server, self._thread = post_server(self._serve)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def client(self, session: Any | None = None) -> Any:
        """A botocore CloudWatch client pointed at the stand-in."""
        made: Any = session or botocore.session.get_session()
        create: Any = getattr(made, "create_client", None) or made.client
        return create(
            "cloudwatch",
            region_name=self.region,
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - the stand-in checks no signature
        )

    def deny(self, *operations: str) -> None:
        """Answer AccessDenied to these operations (none named: all three) until allow()."""
        self.denied |= set(operations or ("ListAlarmMuteRules", "GetAlarmMuteRule", "PutAlarmMuteRule"))

    def allow(self) -> None:
        self.denied.clear()

    # ---- the operations ----
    def _put(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        expression = request["Rule"]["Schedule"]["Expression"]
        self.rules[name] = {
            **{k: v for k, v in request.items() if k != "Tags"},
            "AlarmMuteRuleArn": f"arn:aws:cloudwatch:{self.region}:{ACCOUNT}:alarm-mute-rule:{name}",
            "MuteType": "ONE_TIME" if expression.strip().startswith("at(") else "RECURRING",
            "LastUpdatedTimestamp": self.now(),
        }
        return {}

    def _status(self, rule: dict[str, Any]) -> str:
        expire = rule.get("ExpireDate")
        return "EXPIRED" if expire is not None and expire <= self.now() else "SCHEDULED"

    def _list(self, request: dict[str, Any]) -> dict[str, Any]:
        alarm, statuses = request.get("AlarmName"), request.get("Statuses")
        limit = int(request.get("MaxRecords") or 50)
        if not 1 <= limit <= 100:
            raise _Error("ValidationError", "MaxRecords must be 1-100", 400)
        chosen = [
            rule
            for _, rule in sorted(self.rules.items())
            if (alarm is None or alarm in rule.get("MuteTargets", {}).get("AlarmNames", []))
            and (not statuses or self._status(rule) in statuses)
        ]
        start = int(request.get("NextToken") or 0)
        page = chosen[start : start + limit]
        answer: dict[str, Any] = {
            "AlarmMuteRuleSummaries": [
                {
                    "AlarmMuteRuleArn": rule["AlarmMuteRuleArn"],
                    "Status": self._status(rule),
                    "MuteType": rule["MuteType"],
                    "LastUpdatedTimestamp": rule["LastUpdatedTimestamp"],
                    **({"ExpireDate": rule["ExpireDate"]} if "ExpireDate" in rule else {}),
                }
                for rule in page
            ]
        }
        if start + limit < len(chosen):
            answer["NextToken"] = str(start + limit)
        return answer

    def _get(self, request: dict[str, Any]) -> dict[str, Any]:
        rule = self.rules.get(request["AlarmMuteRuleName"])
        if rule is None:
            raise _Error(
                "ResourceNotFoundException", f"alarm mute rule {request['AlarmMuteRuleName']} not found", 404
            )
        return {**rule, "Status": self._status(rule)}

    # ---- the wire ----
    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        target = request.headers.get("X-Amz-Target") or ""
        cbor = not target
        if cbor:
            operation = request.path.removeprefix(_PREFIX) if request.path.startswith(_PREFIX) else ""
        else:
            operation = target.removeprefix(f"{_TARGET}.")
        handlers = {
            "PutAlarmMuteRule": self._put,
            "ListAlarmMuteRules": self._list,
            "GetAlarmMuteRule": self._get,
        }
        with self._lock:
            self.calls[operation] += 1
            try:
                if operation not in handlers:
                    raise _Error("UnknownOperationException", f"not modelled: {request.path}", 404)
                if operation in self.denied:
                    raise _Error(
                        "AccessDenied",
                        f"User is not authorized to perform: cloudwatch:{operation}",
                        403,
                    )
                model = self._model.operation_model(operation)
                parser = RpcV2CBORParser() if cbor else JSONParser()
                request_shape: Any = model.input_shape
                parsed = parser.parse({"status_code": 200, "headers": {}, "body": body}, request_shape)
                parsed.pop("ResponseMetadata", None)
                answer = handlers[operation](parsed)
                out = model.output_shape
                status, headers = 200, {}
                payload = self._encode(answer, out, cbor) if out else b"" if cbor else b"{}"
            except _Error as exc:
                status, payload = exc.status, self._encode_error(exc, cbor)
                headers = {"x-amzn-query-error": f"{exc.code};Sender"}
        request.send_response(status)
        if cbor:
            request.send_header("smithy-protocol", "rpc-v2-cbor")
        request.send_header("Content-Type", "application/cbor" if cbor else "application/x-amz-json-1.0")
        request.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(payload)

    @staticmethod
    def _encode(answer: dict[str, Any], shape: Any, cbor: bool) -> bytes:
        if not cbor:  # AWS JSON: timestamps as epoch seconds
            return json.dumps(answer, default=lambda t: t.timestamp()).encode()
        body = bytearray()
        serializer: Any = RpcV2CBORSerializer()  # (its item encoder, which the client's requests use too)
        serializer._serialize_data_item(body, answer, shape)
        return bytes(body)

    def _encode_error(self, exc: _Error, cbor: bool) -> bytes:
        error = {"__type": exc.code, "message": exc.message}
        if not cbor:
            return json.dumps(error).encode()
        request: Any = self._model.operation_model("GetAlarmMuteRule").input_shape
        text = request.members["AlarmMuteRuleName"]
        body = bytearray()
        serializer: Any = RpcV2CBORSerializer()
        serializer._serialize_type_map(body, error, SimpleNamespace(key=text, value=text), None)
        return bytes(body)

    def __enter__(self) -> MuteRulesStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Error(Exception):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
