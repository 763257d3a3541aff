"""DynamoDB's capacity model for the tests and the bench: item sizes, the read and write units each call
consumes, and a throttle for a hot partition key, by DynamoDB's documented rules. moto answers every call but
neither sizes items nor throttles (its ConsumedCapacity is a constant), so the store is metered here.

The rules (AWS documentation, read 2 Dec 2026):
- item size, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html :
  the sum of the attribute names' UTF-8 bytes and the values' sizes; a string its UTF-8 bytes; a number about
  1 byte per two significant digits plus 1 (leading and trailing zeros trimmed); a binary its raw bytes; null
  and Boolean 1 byte; a list or map 3 bytes plus 1 byte per element plus the elements (a map's element: its
  name's bytes and its value). Sets are sized as the sum of their members (the page says nothing more).
- units, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html :
  a write takes 1 unit per 1 KB (rounded up) of the larger of the item before and after it (PutItem,
  UpdateItem even when it sets one attribute, DeleteItem: the deleted item); a write whose condition fails
  still takes units (by the existing item's size, 1 when there is none); BatchWriteItem charges each item as
  its own Put or Delete; TransactWriteItems twice per item. A strongly consistent read takes 1 unit per 4 KB
  of the item (1 for an absent item), an eventually consistent read half; a projection does not lower it
  (units follow the item read, not the attributes returned); Query and Scan take the SUM of the sizes of all
  the items a page reads, rounded up to 4 KB once per page (a page that reads nothing: 1 unit, halved when
  eventually consistent); BatchGetItem rounds each item up on its own.
- partition limits, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html :
  one partition (so one partition key value) serves at most 1,000 write units and 3,000 read units per
  second, on-demand or provisioned; beyond it DynamoDB answers ProvisionedThroughputExceededException, whose
  ThrottlingReasons (API_ThrottlingReason.html, 2025) say e.g. TableWriteKeyRangeThroughputExceeded.

How it meters: hooks on one botocore client's events (`CapacityMeter.attach(client)`). Before a call it reads
the items the call touches with a second client that is not hooked (GetItem, ConsistentRead: protocol-faithful
in-process or against a moto server), to know each item's size before the write; after the call it reads them
again (or takes ReturnValues=ALL_NEW) for the size after. Query and Scan pages that project or filter are read
again without the projection or filter to size what DynamoDB read. Units are added per partition key and per
second of the test's clock (`now_ms`, the clock the router is given). With `throttle=True` a call that would
take a partition key above its limit in that second (its units estimated before the call: the larger of the
existing item and a Put's new item, for reads the minimum of 1 unit) is answered with DynamoDB's throttling
error without reaching the table, and counted; botocore does not retry it (its retries are inside the call this
answer replaces; on a test clock that does not move they would be throttled too).

The table's secondary indexes are not modelled: the router's table has none (template.yaml), and a table that
has one is refused rather than metered wrongly.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
PARTITION_WRITE_UNITS_PER_S = 1000
PARTITION_READ_UNITS_PER_S = 3000
THROTTLE_MESSAGE = (  # what DynamoDB says for a hot key on an on-demand table
    "Throughput exceeds the current capacity for one or more global secondary indexes or the table. DynamoDB is "
    "automatically scaling your table or index so please try again shortly."
)

NARROWING = ("FilterExpression", "QueryFilter", "ScanFilter", "Select")
PAGE_PARAMS = (
    "TableName",
    "IndexName",
    "KeyConditionExpression",
    "ExpressionAttributeValues",
    "ExpressionAttributeNames",
    "ExclusiveStartKey",
    "Limit",
    "ScanIndexForward",
    "ConsistentRead",
    "Segment",
    "TotalSegments",
)
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
READS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems")
_PARAMS, _PLAN, _THROTTLED = "capacity_meter.params", "capacity_meter.plan", "capacity_meter.throttled"
_KEY_CONDITION = re.compile(r"(#?[\w.]+)\s*=\s*(:\w+)")


# --- sizes and units: pure functions of DynamoDB's rules -------------------------------------------------


def number_size(text: str) -> int:
    """Bytes of a Number: 1 per two significant digits (rounded up), plus 1; leading and trailing zeros do not
    count, nor do the sign, the decimal point or an exponent."""
    mantissa = re.split("[eE]", text.strip().lstrip("+-"), maxsplit=1)[0]
    whole, _, fraction = mantissa.partition(".")
    return math.ceil(len((whole + fraction).strip("0")) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:  # noqa: C901 - one branch per DynamoDB type
    """Bytes of one AttributeValue ({"S": ...}, {"M": {...}}...), without its attribute's name."""
    [(kind, inner)] = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return number_size(str(inner))
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Bytes of an item (0 for none): its attribute names and values."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size_before: int, size_after: int, *, transactional: bool = False) -> int:
    """Write units of one item's write: per 1 KB of the larger of before and after (0 bytes: absent), 1 at
    least (a delete of an absent item, a failed condition on one); doubled in a transaction."""
    units = max(1, math.ceil(max(size_before, size_after) / WRITE_UNIT_BYTES))
    return 2 * units if transactional else units


def read_units(total_bytes: int, *, consistent: bool = True, transactional: bool = False) -> float:
    """Read units of one item (GetItem, each of a BatchGetItem) or of one Query/Scan page (the sum of the
    sizes it read): per 4 KB rounded up, 1 at least; half when eventually consistent, double in a
    transaction."""
    units = float(max(1, math.ceil(total_bytes / READ_UNIT_BYTES)))
    if transactional:
        return 2 * units
    return units if consistent else units / 2


def key_prefix(pk: str) -> str:
    """The kind of partition a key value names: `GROUP#...` -> `GROUP#`; a key without `#` is its own."""
    head, sep, _ = pk.partition("#")
    return head + sep


# --- the meter --------------------------------------------------------------------------------------------


@dataclass
class Units:
    write: float = 0.0
    read: float = 0.0


@dataclass
class Peak:
    """The most units one partition key took in one second of the test's clock."""

    units: float = 0.0
    pk: str = ""
    second: int = 0


@dataclass
class _Touch:
    """One item a call touches: its table and key, its partition key value, its size before the call."""

    table: str
    key: dict[str, Any]
    pk: str
    before: int = 0
    put: int | None = None  # a Put's new item's size, known before the call
    transactional: bool = False


@dataclass
class _Plan:
    operation: str
    touches: list[_Touch] = field(default_factory=list)
    estimate_pk: str = ""
    estimate_write: float = 0.0
    estimate_read: float = 0.0


class CapacityMeter:
    """Meters (and optionally throttles) the DynamoDB calls of the clients it is attached to.

    `session`: a boto3 or botocore session of the same endpoint, for the unhooked reader. `now_ms`: the test's
    clock (wall time when not given). `read_item(table, key)`: how an item is read whole to size it (the
    reader's GetItem when not given; `moto_backend_reader()` in process, several times quicker on big items). Read the figures from the attributes (`write_units`, `read_units`,
    `by_operation`, `by_prefix`, `calls`, `throttled`, `returned_bytes`, `largest_item`, `per_second`) and
    `peak_write()`, `peak_read()`, `seconds_over()`, `summary()`.
    """

    def __init__(
        self,
        session: Any,
        *,
        now_ms: Callable[[], int] | None = None,
        throttle: bool = True,
        write_limit: float = PARTITION_WRITE_UNITS_PER_S,
        read_limit: float = PARTITION_READ_UNITS_PER_S,
        read_item: Callable[[str, dict[str, Any]], dict[str, Any] | None] | None = None,
    ) -> None:
        create = getattr(session, "create_client", None) or session.client
        self.reader: Any = create("dynamodb")
        self.read_item = read_item or self._get_item
        self.now_ms = now_ms or (lambda: int(time.time() * 1000))
        self.throttle, self.write_limit, self.read_limit = throttle, write_limit, read_limit
        self._lock = threading.Lock()
        self._tables: dict[str, tuple[str, list[str], str]] = {}  # name -> (hash key, key attributes, arn)
        self.reset()

    def reset(self) -> None:
        """Forget every figure (the attachments stay)."""
        with self._lock:
            self.write_units = 0.0
            self.read_units = 0.0
            self.by_operation: dict[str, Units] = defaultdict(Units)
            self.by_prefix: dict[str, Units] = defaultdict(Units)
            self.calls: Counter[str] = Counter()
            self.throttled: Counter[str] = Counter()
            self.returned_bytes = 0
            self.largest_item = (0, "")
            self.per_second: dict[tuple[str, int], Units] = defaultdict(Units)

    # attaching -------------------------------------------------------------------------------------------

    def attach(self, client: Any) -> CapacityMeter:
        """Meter every DynamoDB call `client` makes from now on (a client attached twice is metered once)."""
        for event, handler, unique_id in self._hooks():
            client.meta.events.register(event, handler, unique_id=unique_id)
        return self

    def detach(self, client: Any) -> None:
        for event, handler, unique_id in self._hooks():
            client.meta.events.unregister(event, handler, unique_id=unique_id)

    def _hooks(self) -> list[tuple[str, Callable[..., Any], str]]:
        return [
            (event, handler, f"capacity-meter-{id(self)}-{event}")
            for event, handler in (
                ("before-parameter-build.dynamodb", self._remember_params),
                ("before-call.dynamodb", self._before_call),
                ("after-call.dynamodb", self._after_call),
            )
        ]

    # figures ---------------------------------------------------------------------------------------------

    def peak_write(self) -> Peak:
        return self._peak(lambda u: u.write)

    def peak_read(self) -> Peak:
        return self._peak(lambda u: u.read)

    def _peak(self, units: Callable[[Units], float]) -> Peak:
        best = Peak()
        for (pk, second), used in self.per_second.items():
            if units(used) > best.units:
                best = Peak(units(used), pk, second)
        return best

    def seconds_over(self, write_limit: float | None = None, read_limit: float | None = None) -> int:
        """How many (partition key, second) pairs took more than a partition's limit: the seconds DynamoDB
        would have throttled (what a meter that does not throttle reports)."""
        writes = self.write_limit if write_limit is None else write_limit
        reads = self.read_limit if read_limit is None else read_limit
        return sum(1 for u in self.per_second.values() if u.write > writes or u.read > reads)

    def summary(self) -> dict[str, Any]:
        """Every figure as plain data (for a bench row or a failing assertion's message)."""
        peak_w, peak_r = self.peak_write(), self.peak_read()
        return {
            "write_units": self.write_units,
            "read_units": self.read_units,
            "calls": dict(self.calls),
            "by_operation": {k: (v.write, v.read) for k, v in sorted(self.by_operation.items())},
            "by_prefix": {k: (v.write, v.read) for k, v in sorted(self.by_prefix.items())},
            "peak_write_per_s": (peak_w.units, peak_w.pk),
            "peak_read_per_s": (peak_r.units, peak_r.pk),
            "seconds_over_limit": self.seconds_over(),
            "throttled_calls": sum(self.throttled.values()),
            "returned_bytes": self.returned_bytes,
            "largest_item": self.largest_item,
        }

    # the hooks -------------------------------------------------------------------------------------------

    def _remember_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = params

    def _before_call(
        self, model: Any, context: dict[str, Any], **_: Any
    ) -> tuple[Any, dict[str, Any]] | None:
        operation = model.name
        if operation not in WRITES and operation not in READS:
            return None
        plan = self._plan(operation, context.get(_PARAMS) or {})
        context[_PLAN] = plan
        if self.throttle and plan.estimate_pk:
            with self._lock:
                used = self.per_second[(plan.estimate_pk, self._second())]
                over_write = used.write + plan.estimate_write > self.write_limit and plan.estimate_write > 0
                over_read = used.read + plan.estimate_read > self.read_limit and plan.estimate_read > 0
                if over_write or over_read:
                    self.throttled[operation] += 1
                    context[_THROTTLED] = True
            if context.get(_THROTTLED):
                return self._throttle_answer(plan, "Write" if over_write else "Read")
        return None

    def _after_call(
        self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        plan: _Plan | None = context.get(_PLAN)
        if plan is None or context.get(_THROTTLED):
            return
        params = context.get(_PARAMS) or {}
        ok = http_response.status_code < 300
        code = parsed.get("Error", {}).get("Code", "")
        if not ok and code not in ("ConditionalCheckFailedException", "TransactionCanceledException"):
            return  # a validation error, a missing table...: nothing was read or written
        self.calls[plan.operation] += 1
        if plan.operation in WRITES:
            self._charge_writes(plan, parsed if ok else None, params)
        else:
            self._charge_reads(plan, parsed, params)
        returned = parsed.get("Attributes") or (parsed.get("Item") if plan.operation in WRITES else None)
        if returned:
            with self._lock:
                self.returned_bytes += item_size(returned)

    # planning: which items a call touches, and their sizes before it ------------------------------------

    def _plan(self, operation: str, params: Mapping[str, Any]) -> _Plan:
        plan = _Plan(operation)
        for touch in self._touches(operation, params):
            if operation in WRITES:
                touch.before = item_size(self._read(touch.table, touch.key))
            plan.touches.append(touch)
        if plan.touches:
            first = plan.touches[0]
            plan.estimate_pk = first.pk
            if operation in WRITES:
                plan.estimate_write = sum(
                    write_units(t.before, t.put or 0, transactional=t.transactional)
                    for t in plan.touches
                    if t.pk == first.pk
                )
            else:
                plan.estimate_read = 1.0 if params.get("ConsistentRead") else 0.5
        elif operation == "Query":
            plan.estimate_pk = self._query_pk(params)
            plan.estimate_read = 1.0 if params.get("ConsistentRead") else 0.5
        return plan

    def _touches(self, operation: str, params: Mapping[str, Any]) -> Iterator[_Touch]:
        if operation in ("PutItem", "UpdateItem", "DeleteItem", "GetItem"):
            yield self._touch(params["TableName"], params.get("Key") or params["Item"], params.get("Item"))
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    put = request.get("PutRequest", {}).get("Item")
                    yield self._touch(table, put or request["DeleteRequest"]["Key"], put)
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                [(_, body)] = action.items()
                touch = self._touch(body["TableName"], body.get("Key") or body["Item"], body.get("Item"))
                touch.transactional = True
                yield touch
        elif operation in ("BatchGetItem", "TransactGetItems"):
            pairs = (
                ((table, key) for table, spec in params["RequestItems"].items() for key in spec["Keys"])
                if operation == "BatchGetItem"
                else ((a["Get"]["TableName"], a["Get"]["Key"]) for a in params["TransactItems"])
            )
            for table, key in pairs:
                touch = self._touch(table, key, None)
                touch.transactional = operation == "TransactGetItems"
                yield touch

    def _touch(self, table: str, item_or_key: Mapping[str, Any], put: Mapping[str, Any] | None) -> _Touch:
        hash_key, key_names, _ = self._table(table)
        key = {name: item_or_key[name] for name in key_names}
        [pk] = key[hash_key].values()
        return _Touch(table, key, str(pk), put=item_size(put) if put is not None else None)

    def _table(self, name: str) -> tuple[str, list[str], str]:
        known = self._tables.get(name)
        if known is None:
            table = self.reader.describe_table(TableName=name)["Table"]
            if table.get("GlobalSecondaryIndexes") or table.get("LocalSecondaryIndexes"):
                raise NotImplementedError(f"{name}: the capacity meter does not model secondary indexes")
            schema = table["KeySchema"]
            hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
            known = self._tables[name] = (hash_key, [k["AttributeName"] for k in schema], table["TableArn"])
        return known

    def _read(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.read_item(table, key)

    def _get_item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.reader.get_item(TableName=table, Key=key, ConsistentRead=True).get(
            "Item"
        )
        return item

    def _query_pk(self, params: Mapping[str, Any]) -> str:
        hash_key = self._table(params["TableName"])[0]
        names = params.get("ExpressionAttributeNames") or {}
        for name, placeholder in _KEY_CONDITION.findall(params.get("KeyConditionExpression", "")):
            if names.get(name, name) == hash_key:
                [value] = params["ExpressionAttributeValues"][placeholder].values()
                return str(value)
        return ""

    def _throttle_answer(self, plan: _Plan, kind: str) -> tuple[Any, dict[str, Any]]:
        table = plan.touches[0].table if plan.touches else ""
        arn = self._tables[table][2] if table in self._tables else ""
        reasons = [{"reason": f"Table{kind}KeyRangeThroughputExceeded", "resource": arn}]
        body = {
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": THROTTLE_MESSAGE,
            "ThrottlingReasons": reasons,
        }
        raw = _Body(json.dumps(body).encode())
        http = AWSResponse("https://dynamodb.local/", 400, HTTPHeaders(), raw)
        parsed = {
            "Error": {"Code": "ProvisionedThroughputExceededException", "Message": THROTTLE_MESSAGE},
            "message": THROTTLE_MESSAGE,
            "ThrottlingReasons": reasons,
            "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}, "RetryAttempts": 0},
        }
        return http, parsed

    # charging --------------------------------------------------------------------------------------------

    def _charge_writes(self, plan: _Plan, parsed: dict[str, Any] | None, params: Mapping[str, Any]) -> None:
        unprocessed = self._unprocessed(parsed or {}, "UnprocessedItems")
        new_image = None
        if parsed is not None and plan.operation == "UpdateItem" and params.get("ReturnValues") == "ALL_NEW":
            new_image = parsed.get("Attributes")
        for touch in plan.touches:
            if _key_id(touch.key) in unprocessed:
                continue
            if parsed is None:  # the condition failed: nothing changed, charged by the item there
                after = touch.before
            elif touch.put is not None:
                after = touch.put
            elif new_image is not None:
                after = item_size(new_image)
            else:  # an update (read back) or a delete (gone: 0)
                after = item_size(self._read(touch.table, touch.key))
            units = write_units(touch.before, after, transactional=touch.transactional)
            self._add(plan.operation, touch.pk, write=units, size=max(touch.before, after))

    def _charge_reads(self, plan: _Plan, parsed: dict[str, Any], params: Mapping[str, Any]) -> None:
        if plan.operation in ("Query", "Scan"):
            self._charge_page(plan, parsed, params)
            return
        unprocessed = self._unprocessed(parsed, "UnprocessedKeys")
        for touch, found in zip(plan.touches, self._items_read(plan, parsed, params), strict=True):
            if _key_id(touch.key) in unprocessed:
                continue
            size = item_size(found)
            consistent = _consistent(params, touch.table)
            units = read_units(size, consistent=consistent, transactional=touch.transactional)
            self._add(plan.operation, touch.pk, read=units, size=size)

    def _items_read(
        self, plan: _Plan, parsed: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[dict[str, Any] | None]:
        """The whole item each touch read (None: absent), in the touches' order. A projected answer is read
        again whole: units follow the item, not the attributes returned."""
        if _projects(params):
            return [self._read(t.table, t.key) for t in plan.touches]
        if plan.operation == "GetItem":
            return [parsed.get("Item")]
        if plan.operation == "TransactGetItems":
            return [answer.get("Item") for answer in parsed.get("Responses", [])]
        answered: dict[str, dict[str, Any]] = {}
        for table, items in parsed.get("Responses", {}).items():
            key_names = self._table(table)[1]
            for item in items:
                answered[_key_id({name: item[name] for name in key_names})] = item
        return [answered.get(_key_id(t.key)) for t in plan.touches]

    def _charge_page(self, plan: _Plan, parsed: dict[str, Any], params: Mapping[str, Any]) -> None:
        items: list[dict[str, Any]] = parsed.get("Items", [])
        narrowed = _projects(params) or any(params.get(p) for p in NARROWING)
        if narrowed:  # size what the page read: the same page again, whole items, nothing filtered out
            again = {k: v for k, v in params.items() if k in PAGE_PARAMS}
            call = self.reader.query if plan.operation == "Query" else self.reader.scan
            items = _without_unused_names(call, again).get("Items", [])
        sizes = [item_size(i) for i in items]
        pk = plan.estimate_pk if plan.operation == "Query" else "(scan)"
        units = read_units(sum(sizes), consistent=bool(params.get("ConsistentRead")))
        self._add(plan.operation, pk, read=units, size=max(sizes, default=0))

    def _unprocessed(self, parsed: Mapping[str, Any], field_name: str) -> set[str]:
        """The keys a batch call left unprocessed (not charged: DynamoDB did not do them)."""
        left: set[str] = set()
        for table, spec in (parsed.get(field_name) or {}).items():
            key_names = self._table(table)[1]
            entries = spec.get("Keys", []) if isinstance(spec, Mapping) else spec
            for entry in entries:
                item = (
                    entry.get("PutRequest", {}).get("Item")
                    or entry.get("DeleteRequest", {}).get("Key")
                    or entry
                )
                left.add(_key_id({name: item[name] for name in key_names}))
        return left

    def _add(self, operation: str, pk: str, *, write: float = 0.0, read: float = 0.0, size: int = 0) -> None:
        second = self._second()
        with self._lock:
            self.write_units += write
            self.read_units += read
            for units in (
                self.by_operation[operation],
                self.by_prefix[key_prefix(pk)],
                self.per_second[(pk, second)],
            ):
                units.write += write
                units.read += read
            if size > self.largest_item[0]:
                self.largest_item = (size, pk)

    def _second(self) -> int:
        return self.now_ms() // 1000


def moto_backend_reader(
    account: str = "123456789012", region: str = "us-east-1"
) -> Callable[[str, dict[str, Any]], dict[str, Any] | None]:
    """An item reader straight from moto's in-process backend (mock_aws): the item as moto keeps it, without
    moto's response serialiser (what makes a GetItem of a 100 KB item slow). Binary values come back as their
    base64 text: size a table with binary attributes through the client instead."""
    from moto.backends import get_backend

    def read(table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found = get_backend("dynamodb")[account][region].get_item(table, key)
        return None if found is None else dict(found.to_json()["Attributes"])

    return read


class _Body:
    """The raw body of the throttle answer (what an AWSResponse streams its content from)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterable[bytes]:
        return [self.data]


def _key_id(key: Mapping[str, Any]) -> str:
    return json.dumps(key, sort_keys=True, default=str)


def _projects(params: Mapping[str, Any]) -> bool:
    if params.get("ProjectionExpression") or params.get("AttributesToGet"):
        return True
    for spec in (params.get("RequestItems") or {}).values():
        if isinstance(spec, Mapping) and (spec.get("ProjectionExpression") or spec.get("AttributesToGet")):
            return True
    return False


def _consistent(params: Mapping[str, Any], table: str) -> bool:
    """A strongly consistent read: the call's ConsistentRead, or (BatchGetItem) its table's."""
    spec = (params.get("RequestItems") or {}).get(table)
    return bool(params.get("ConsistentRead") or (isinstance(spec, Mapping) and spec.get("ConsistentRead")))


def _without_unused_names(call: Callable[..., dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """Run a Query or Scan without its projection or filter: the names and values only those used dropped
    (DynamoDB refuses unused ones)."""
    expression = params.get("KeyConditionExpression", "")
    if "ExpressionAttributeNames" in params:
        params["ExpressionAttributeNames"] = {
            k: v for k, v in params["ExpressionAttributeNames"].items() if k in expression
        } or None
    if "ExpressionAttributeValues" in params:
        params["ExpressionAttributeValues"] = {
            k: v for k, v in params["ExpressionAttributeValues"].items() if k in expression
        } or None
    return call(**{k: v for k, v in params.items() if v is not None})
