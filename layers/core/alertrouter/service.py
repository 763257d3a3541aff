"""The router function's service: the per-record logic the Lambda handler calls (flush messages, alert
events, bad input to the DLQ with its reason) and the invocation's metrics. Built by
alertrouter.composition.router."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, assert_never

from aws_lambda_powertools import single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from alertrouter import own_messages
from alertrouter.accounts import AccountDirectory, AccountLookupRetryableError
from alertrouter.admission import Admission, RefusedEventError
from alertrouter.aws import Clients
from alertrouter.batch_outcomes import BatchOutcomes
from alertrouter.failsafe import FailSafe
from alertrouter.flush.graph import GraphDelivery
from alertrouter.flush.outcome import Outcome
from alertrouter.joining import GroupFullError
from alertrouter.models.alert import Alert
from alertrouter.models.settings import Settings
from alertrouter.models.state import GraphRef
from alertrouter.notify.base import NotifyError
from alertrouter.observability import ROUTER, function_logger, function_metrics
from alertrouter.own_messages import MalformedOwnMessageError, OwnMessage
from alertrouter.router import Router
from alertrouter.sources import MalformedEventError, ParseResult, parse_body, parse_payload
from alertrouter.sqs_message import fitted

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from alertrouter.mute_rules import MuteRuleLookup
    from alertrouter.spokes import SpokeWatch
    from alertrouter.unanswered_calls import UnansweredCalls

logger = function_logger(ROUTER)
metrics = function_metrics(ROUTER)


class Lane:
    """The queue of the record being handled. What the record schedules (its group's flushes) goes back to
    that queue: a storm's follow-ups stay on the storm lane, behind the storm, never in front of the alarms
    on the ingest lane. Outside a record (a direct invocation), the ingest queue."""

    def __init__(self, ingest_queue_url: str) -> None:
        self.ingest_queue_url = ingest_queue_url
        self.url = ingest_queue_url

    @contextmanager
    def of(self, queue_url: str) -> Iterator[None]:
        """While one record is handled: its queue."""
        self.url = queue_url or self.ingest_queue_url
        try:
            yield
        finally:
            self.url = self.ingest_queue_url


class SqsFlushScheduler:
    """Schedules a group flush as a delayed message on the queue of the record at hand (SQS allows 15 min)."""

    def __init__(self, client: SQSClient, lane: Lane) -> None:
        self.client = client
        self.lane = lane

    def schedule(self, key: str, route_id: str, delay_s: int, due_ms: int) -> None:
        self.client.send_message(
            QueueUrl=self.lane.url,
            DelaySeconds=min(900, max(0, delay_s)),
            MessageBody=own_messages.FlushMessage(group=key, route=route_id, due=due_ms).encode(),
        )


class SqsGraphRequests:
    """Asks for a group's graph with a GraphMessage on the queue of the record at hand (flush/graph.py)."""

    def __init__(self, client: SQSClient, lane: Lane) -> None:
        self.client = client
        self.lane = lane

    def __call__(self, message: own_messages.GraphMessage, delay_s: int) -> None:
        self.client.send_message(
            QueueUrl=self.lane.url, DelaySeconds=min(900, max(0, delay_s)), MessageBody=message.encode()
        )


class RouterService:
    """One warm process's router and what the handler does around it (decoding records, the DLQ, metrics):
    built once per container by the composition root (alertrouter.composition.router)."""

    def __init__(
        self,
        router: Router,
        *,
        settings: Settings,
        clients: Clients,
        admission: Admission,
        fail_safe: FailSafe,
        config_version: str,
        lane: Lane | None = None,
        batch_outcomes: BatchOutcomes | None = None,
        mute_rules: MuteRuleLookup | None = None,
        unanswered: UnansweredCalls | None = None,
        accounts: AccountDirectory | None = None,
        spokes: SpokeWatch | None = None,
    ) -> None:
        self.router = router
        self.lane = lane or Lane(settings.ingest_queue_url)
        self.settings = settings
        self.clients = clients
        self.admission = admission
        self.fail_safe = fail_safe
        self.config_version = config_version
        self.counts: Counter[str] = Counter()  # this invocation's metrics, published once at its end
        self.refusals: Counter[str] = Counter()  # Slack error code -> channels refused (a metric per cause)
        # sending account -> records refused or not understood (EventsRefused, a metric per account)
        self.refused_by_account: Counter[str] = Counter()
        # finished Batch jobs, counted per handled record, published with the invocation's metrics
        self.batch_outcomes = batch_outcomes
        # the mute rules of alarms delivered without them (SNS, alarm actions); None: not looked up
        self.mute_rules = mute_rules
        # moves an escalation on when its page call went unanswered; None: such events are only counted
        self.unanswered = unanswered
        # the accounts' names (the `account_name` label) and, in a hub, who belongs to the organisation
        self.accounts = accounts or AccountDirectory()
        # records the spokes' heartbeats on their watches (a hub); None: such events are only counted
        self.spokes = spokes
        # graph in the message: renders and uploads what a flush asked for (nothing when graphs are off)
        self.graphs = GraphDelivery(router.env)
        self.graph_failures: Counter[str] = Counter()  # reason -> graphs not shown (a metric per reason)

    def publish_metrics(self) -> None:
        """Hand this invocation's counts to Powertools Metrics: one value per metric, not one per record;
        and the Batch job outcomes (their own namespace and dimensions: their own EMF lines)."""
        if self.batch_outcomes is not None:
            try:
                self.batch_outcomes.publish()
            except Exception:  # noqa: BLE001 - lost metrics must not fail the records already handled
                logger.exception("Batch job outcome metrics not published")
        if self.fail_safe.active:
            self.counts["RoutingConfigInvalid"] = 1  # per invocation: what the ops alarm watches
        for name, value in self.counts.items():
            if value:
                metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        self.counts.clear()
        for cause, value in self.refusals.items():
            # its own EMF line: a dimension is for every metric of a line, and only these have a cause
            _own_line("SlackChannelFailures", value, "cause", cause)
        self.refusals.clear()
        for account, value in self.refused_by_account.items():
            # per sending account: which spoke sends what the hub refuses (its own EMF line, as above)
            _own_line("EventsRefused", value, "account", account)
        self.refused_by_account.clear()
        for reason, value in self.graph_failures.items():
            _own_line("GraphFailures", value, "reason", reason)  # (its own EMF line, as above)
        self.graph_failures.clear()

    # ---- entry points ----
    def handle_body(self, body: str, *, message_id: str = "") -> Outcome:
        """One SQS record body. Raises only for failures worth retrying; bad input goes to the DLQ."""
        try:
            own = own_messages.decode(body)
        except MalformedOwnMessageError as exc:
            self.reject(body, exc.reason, "MalformedEvents", message_id)
            return Outcome()
        if own is not None:
            outcome = self._guard(lambda: self._carry_out(own), body, message_id)
            self.count_outcome(outcome)  # (alert events are counted by handle_alerts)
            return outcome
        try:
            parsed = self.admitted(parse_body(body))
            for _, account in parsed.calls:
                self.admission.check_own(account, "a page call's delivery event")
            for heartbeat in parsed.spokes:
                self.admission.check_account(heartbeat.account, "a spoke heartbeat")
        except MalformedEventError as exc:
            self.refuse(body, exc, message_id)
            return Outcome()
        self._note_ignored(parsed, message_id)
        self._unanswered_calls(parsed)
        self._spoke_heartbeats(parsed)
        outcome = self._guard(lambda: self.handle_alerts(self.with_mute_rules(parsed)), body, message_id)
        self._count_jobs(parsed, message_id)  # only now: a record handed back to SQS (it raised) counts on
        return outcome  # its retry

    def _carry_out(self, message: OwnMessage) -> Outcome:
        """The work one of the router's own messages asks for."""
        router = self.router
        match message:
            case own_messages.FlushMessage():
                return router.flush_due(message.group, message.route, message.due)
            case own_messages.ResolveMessage():
                return router.resolve_group(message.group, message.episode, message.at, message.fingerprints)
            case own_messages.ExpireMessage():
                return router.expire(message.fingerprint, message.ts)
            case own_messages.RedrawMessage():
                return router.redraw(message.group, message.episode, message.clicked)
            case own_messages.GraphMessage():
                return self.graphs.run(message.group, message.episode, message.phase, uploaded_of(message))
            case _:
                assert_never(message)

    def handle_event(self, event: dict[str, Any]) -> Outcome:
        """A direct invocation (alarm action, SNS subscription). Input it cannot use goes to the DLQ with its
        reason, as from the queue (a retry would meet the same refusal); other errors propagate for Lambda's
        retries."""
        try:
            parsed = self.admitted(parse_payload(event))
        except MalformedEventError as exc:
            self.refuse(json.dumps(event, default=str), exc)
            return Outcome()
        self._note_ignored(parsed)
        outcome = self.handle_alerts(self.with_mute_rules(parsed))
        self._count_jobs(parsed)
        return outcome

    def admitted(self, parsed: ParseResult) -> ParseResult:
        """The parsed event, its alerts labelled with their accounts' names (before admission and routing, so
        routes can match `account_name`), once admission lets them all in. Raises RefusedEventError, or
        AccountLookupRetryableError when Organizations cannot answer yet (the record is retried)."""
        try:
            parsed.alerts = self.accounts.labelled(parsed.alerts)
            self.admission.check(parsed.alerts, self.router.now_ms())
        except AccountLookupRetryableError:
            self.counts["AccountLookupRetries"] += 1
            raise
        return parsed

    def refuse(self, body: str, exc: MalformedEventError, message_id: str = "") -> None:
        """An input not understood or not let in: kept in the DLQ with its reason, counted (per sending
        account too)."""
        self.refused_by_account[_sender(exc, body)] += 1
        self.reject(body, exc.reason, _metric_of(exc), message_id)

    def _unanswered_calls(self, parsed: ParseResult) -> None:
        """Each page call nobody picked up moves its escalation on, when it still can (unanswered_calls.py)."""
        for call, _ in parsed.calls:
            self.counts["CallsUnanswered"] += 1
            if self.unanswered is None:
                continue
            if self.unanswered.apply(call, self.router.now_ms()).moved_on:
                self.counts["EscalationsMovedOn"] += 1

    def _spoke_heartbeats(self, parsed: ParseResult) -> None:
        """Each spoke's heartbeat recorded on its watch (a new spoke's watch made: alertrouter.spokes)."""
        for heartbeat in parsed.spokes:
            self.counts["SpokeHeartbeats"] += 1
            if self.spokes is not None and self.spokes.record(heartbeat).created:
                logger.info("spoke watched", extra={"account": heartbeat.account, "stack": heartbeat.stack})

    def with_mute_rules(self, parsed: ParseResult) -> list[Alert]:
        """The alerts, those whose delivery could not say they are muted with the window of the CloudWatch mute
        rule covering them (when the stack looks mute rules up; no call otherwise)."""
        lookup = self.mute_rules
        if lookup is None or not parsed.mute_unknown:
            return parsed.alerts
        return [lookup.muted(a) if a.fingerprint in parsed.mute_unknown else a for a in parsed.alerts]

    def _count_jobs(self, parsed: ParseResult, message_id: str = "") -> None:
        """The finished Batch jobs of an event that was handled (or kept in the DLQ: it is not retried), those
        of an account the stack does not serve left out (ignored, not refused: a job only counted has
        nothing for the DLQ to keep)."""
        if not parsed.outcomes or self.batch_outcomes is None:
            return
        served = []
        for outcome in parsed.outcomes:
            if self._serves(outcome.account):
                served.append(outcome)
                continue
            logger.info(
                "event ignored",
                extra={
                    "reason": f"Batch job of AWS account {outcome.account[:20]}, which this stack does not "
                    "serve: not counted (add it to AllowedSourceAccountIds)",
                    "message_id": message_id,
                },
            )
            self.counts["IgnoredEvents"] += 1
        self.batch_outcomes.add(served)

    def _serves(self, account: str) -> bool:
        try:
            return self.admission.serves(account)
        except AccountLookupRetryableError:
            return True  # (the event is handled: a job's count is not worth handling it again)

    def _note_ignored(self, parsed: ParseResult, message_id: str = "") -> None:
        for ignored in parsed.ignored:
            logger.info("event ignored", extra={"reason": ignored.reason, "message_id": message_id})
            self.counts["IgnoredEvents"] += 1

    def handle_alerts(self, alerts: list[Alert]) -> Outcome:
        debug = logger.log_level <= logging.DEBUG
        outcomes = []
        for alert in alerts:
            outcome = self.router.handle(alert)
            if debug:  # (the extra dict alone costs a few percent of an event's time)
                logger.debug(
                    "alert handled",
                    extra={
                        "fingerprint": alert.fingerprint,
                        "status": alert.status.value,
                        "applied": outcome.applied,
                        "groups": outcome.groups,
                    },
                )
            outcomes.append(outcome)
        if len(outcomes) == 1:
            total = outcomes[0]  # (most events are one alert)
        else:
            total = Outcome()
            for outcome in outcomes:
                total.add(outcome)
        self.counts["AlertsReceived"] += len(alerts)
        self.count_outcome(total)
        return total

    def count_outcome(self, outcome: Outcome) -> None:
        """Add what a record did to this invocation's metrics (Slack's refusals also per cause)."""
        counts = self.counts
        for name, value in (
            ("DuplicateOrStaleEvents", outcome.duplicates),
            ("SlackPosts", outcome.posts),
            ("SlackUpdates", outcome.updates),
            ("SmsSent", outcome.sms),
            ("SmsFailures", outcome.sms_failures),
            ("SlackChannelsHealed", outcome.slack_healed),
            ("SlackFallbackPosts", outcome.slack_fallbacks),
            ("OpsPages", outcome.ops_pages),
            ("WebhooksSent", outcome.webhooks_sent),
            ("WebhookRetries", outcome.webhook_retries),
            ("WebhooksHealed", outcome.webhooks_healed),
            ("WebhookFailures", sum(outcome.webhook_failures.values())),
            ("Graphs", outcome.graphs),
        ):
            if value:
                counts[name] += value
        for cause, value in outcome.slack_failures.items():
            counts["SlackChannelFailures"] += value  # the total: what the ops alarm watches
            self.refusals[cause] += value
        for reason, value in outcome.graph_failures.items():
            counts["GraphFailures"] += value  # the total, beside the count per reason
            self.graph_failures[reason] += value

    def _guard(self, work: Any, body: str, message_id: str) -> Outcome:
        try:
            result: Outcome = work()
            return result
        except GroupFullError as exc:
            self.reject(body, exc.reason, "GroupFull", message_id)
            return Outcome()
        except NotifyError as exc:
            if exc.retryable:
                self.counts["NotifyRetries"] += 1
                logger.warning(
                    "notification will be retried", extra={"reason": str(exc), "retry_after": exc.retry_after}
                )
                raise
            self.reject(body, str(exc), "NotifyFailures", message_id)
            return Outcome()

    def reject(self, body: str, reason: str, metric: str, message_id: str = "") -> None:
        """Keep an input we cannot use in the DLQ, with its reason, and count it."""
        logger.error("record rejected", extra={"reason": reason, "message_id": message_id})
        self.counts[metric] += 1
        if not self.settings.dlq_url:
            raise MalformedEventError(reason)  # no DLQ to hand it to: fail it, SQS redrive keeps it
        kept, attributes = fitted(
            body or "<empty>", {"reason": reason[:1000] or "unknown", "source_message_id": message_id or "-"}
        )
        self.clients.sqs.send_message(
            QueueUrl=self.settings.dlq_url, MessageBody=kept, MessageAttributes=attributes
        )


def _sender(exc: MalformedEventError, body: str) -> str:
    """The AWS account a refused record came from: the one refused, else the account its envelope names,
    else `unknown`."""
    account = exc.account if isinstance(exc, RefusedEventError) else ""
    if not account:
        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = None
        named = envelope.get("account") if isinstance(envelope, dict) else None
        account = named if isinstance(named, str) and named.isdigit() and len(named) == 12 else ""
    return account or "unknown"


def _metric_of(exc: MalformedEventError) -> str:
    """The metric a refused input is counted in: refused on purpose, or not understood."""
    return "RefusedEvents" if isinstance(exc, RefusedEventError) else "MalformedEvents"


def _own_line(name: str, value: float, dimension: str, dimension_value: str) -> None:
    """A count on an EMF line of its own, with one more dimension than the invocation's line. (Powertools'
    single_metric prints even with POWERTOOLS_METRICS_DISABLED, which the Metrics object honours.)"""
    if is_metrics_disabled():
        return
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        namespace=metrics.namespace,
        default_dimensions={"service": "alertrouter"},
    ) as one:
        one.add_dimension(name=dimension, value=dimension_value)


def uploaded_of(message: own_messages.GraphMessage) -> GraphRef | None:
    """The upload a "show" request carries (its file not recorded on the group yet), if any."""
    if not message.file_id:
        return None
    return GraphRef(
        episode=message.episode, file_id=message.file_id, title=message.title, alt_text=message.alt_text
    )
