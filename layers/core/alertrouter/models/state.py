"""Storage items: what the table keeps about each alert and each notification group."""

from __future__ import annotations

from copy import copy

from pydantic import BaseModel, ConfigDict, Field

from alertrouter.models.alert import Alert, MuteWindow, Status
from alertrouter.models.config import MAX_TRANSITIONS, FlapPolicy
from alertrouter.mrkdwn import shorten
from alertrouter.weburl import whole_url


class AlertState(BaseModel):
    """The latest applied state of one alert (one item per fingerprint). Immutable: changes are new states."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    fingerprint: str
    status: Status
    severity: str
    title: str
    summary: str = ""
    source: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    ts_ms: int
    starts_at_ms: int
    count: int = 1
    updated_ms: int = 0
    one_shot: bool = False
    # when the latest status changes were applied (our clock, like the settle time it is compared with)
    changes_ms: tuple[int, ...] = ()
    # the fail-safe group (see failsafe.py) this episode joined while the routing config was invalid: later
    # events of the episode reach it too, so its message still shows the resolve
    failsafe_group: str = ""
    # when the episode's first event reached us (our clock): a replayed or late event's own time can be far
    # from it, and the message then says both
    received_ms: int = 0
    # the CloudWatch mute rule window this state change came with (each state change brings its own, or none)
    muted: MuteWindow | None = None

    @classmethod
    def first(cls, alert: Alert, now_ms: int) -> AlertState:
        ts_ms = alert.timestamp_ms
        return cls(
            fingerprint=alert.fingerprint,
            status=alert.status,
            severity=alert.severity.value,
            title=alert.title,
            summary=alert.summary,
            source=alert.source,
            labels=alert.labels,
            annotations=alert.annotations,
            ts_ms=ts_ms,
            starts_at_ms=ts_ms,
            count=1,
            updated_ms=now_ms,
            one_shot=alert.one_shot,
            received_ms=now_ms,
            muted=alert.muted,
        )

    def next(self, alert: Alert, now_ms: int) -> AlertState:
        """The state after a newer event: a new episode starts when a resolved alert fires again."""
        new_episode = self.status == Status.RESOLVED and alert.status != Status.RESOLVED
        repeat = self.status == alert.status == Status.FIRING
        # A resolve is routed where the alert fired: its labels (and so its routes and groups) are the firing
        # ones, as in Alertmanager, where a resolved alert is the same label set. A source's "it is over" event
        # may say less or other things (RDS's end event has its own event id, a passed Security Hub finding
        # drops to INFORMATIONAL); its title and summary are still shown.
        ends = alert.status == Status.RESOLVED and self.status == Status.FIRING
        ts_ms = alert.timestamp_ms
        return AlertState(
            fingerprint=self.fingerprint,
            status=alert.status,
            severity=self.severity if ends else alert.severity.value,
            title=alert.title,
            summary=alert.summary,
            source=alert.source,
            labels=self.labels if ends else alert.labels,
            annotations=alert.annotations,
            ts_ms=ts_ms,
            starts_at_ms=ts_ms if new_episode else self.starts_at_ms,
            # how often it fired in this episode: repeats count, a resolve keeps the tally
            count=1 if new_episode else self.count + (1 if repeat else 0),
            updated_ms=now_ms,
            one_shot=alert.one_shot,
            changes_ms=self.changes_ms
            if self.status == alert.status.value
            else (*self.changes_ms, now_ms)[-MAX_TRANSITIONS:],
            failsafe_group="" if new_episode else self.failsafe_group,
            received_ms=now_ms if new_episode or not self.received_ms else self.received_ms,
            muted=alert.muted,
        )


MAX_LINK = 300
LINK_ANNOTATIONS = ("logs", "domain")  # annotations shown as links beside Console and Runbook
# The labels a member keeps beside its fields (account, region, resource, severity, reason, source are fields):
# what its message shows per source, and the name templates read most. Bounded, so a member item stays
# under 1 KB (one write unit) for a typical Batch job.
KEPT_LABELS = (
    "alertname",
    # AWS Batch
    "queue",
    "job_name",
    "job_definition",
    "job_definition_revision",
    "exit_code",
    "attempts",
    # CloudWatch
    "namespace",
    "metric",
    "threshold",
    "contributor",
    # OpenSearch Service
    "domain",
    "event_status",
    "source_severity",
    # RDS, GuardDuty, Security Hub
    "event_id",
    "finding_type",
    "product",
    "compliance",
    # Amazon ECS
    "task_id",
    "cluster",
    "task_definition",
    "container",
    "stop_code",
    "deployment",
    # Step Functions
    "state_machine",
    "execution",
    # AWS Health
    "availability_zone",
    "scope",
    # X-Ray Insights
    "xray_group",
    "insight_id",
    # who owns it
    "service",
    "team",
    "env",
    # the account's name, when the router knew one (config or AWS Organizations): messages name the account
    "account_name",
)
_KEPT_ORDER = {name: index for index, name in enumerate(KEPT_LABELS)}
MAX_KEPT_LABEL = 60
KEPT_LABELS_BUDGET = (
    240  # characters of names and values (a Batch job's take ~170): beyond, later ones are left
)
# A group keeps at most this many alerts as members (each its own item of the group's partition, at most
# ~2.7 KB, typically under 1 KB: a 5,000-job array failing is kept whole); firing alerts beyond it are only
# counted, by reason, in `overflow`.
MAX_GROUP_MEMBERS = 5_000


def _kept_labels(labels: dict[str, str]) -> dict[str, str]:
    """The KEPT_LABELS an alert has, in that order, within KEPT_LABELS_BUDGET."""
    kept: dict[str, str] = {}
    used = 0
    for name in sorted(labels.keys() & _KEPT_ORDER.keys(), key=_KEPT_ORDER.__getitem__):
        value = labels[name]
        if not value:
            continue
        if len(value) > MAX_KEPT_LABEL:  # (a plain cut: the message escapes and shortens what it shows)
            value = value[: MAX_KEPT_LABEL - 1] + "…"
        used += len(name) + len(value)
        if used > KEPT_LABELS_BUDGET:
            break
        kept[name] = value
    return kept


MAX_MUTE_RULE = 100


def _member_window(window: MuteWindow | None) -> MuteWindow | None:
    """A mute rule window as a member keeps it: the rule's name shortened, no ARN."""
    if window is None:
        return None
    return MuteWindow(
        rule=shorten(window.rule, MAX_MUTE_RULE),
        starts_at_ms=window.starts_at_ms,
        ends_at_ms=window.ends_at_ms,
    )


class Member(BaseModel):
    """An alert as its group's message shows it. Immutable: shared safely between group copies."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Status
    severity: str
    title: str
    summary: str = ""
    resource: str = ""
    account: str = ""
    region: str = ""
    console: str = ""
    runbook: str = ""
    ts_ms: int
    starts_at_ms: int
    count: int = 1
    changes_ms: tuple[int, ...] = ()
    source: str = ""
    reason: str = ""  # a short cause that groups count by ("Out of memory"): the `reason` label
    links: dict[str, str] = Field(default_factory=dict)  # further named links (a job's logs, a domain)
    labels: dict[str, str] = Field(default_factory=dict)  # KEPT_LABELS the alert has
    received_ms: int = 0  # when the episode's first event reached us (0: not known, an older item)
    # the state change's CloudWatch mute rule window, its rule's name shortened and without its ARN (small)
    muted: MuteWindow | None = None

    @classmethod
    def of(cls, state: AlertState) -> Member:
        # Field lengths are capped so that a member item costs at most 3 write units (one per KB) to write;
        # shown text is shortened as the message shows it (never inside a link, within the escaped length).
        annotations = state.annotations
        return cls(
            status=state.status,
            severity=state.severity,
            title=shorten(state.title, 200),
            summary=shorten(state.summary, 300),
            resource=shorten(state.labels.get("resource", ""), 200),
            account=state.labels.get("account", ""),
            region=state.labels.get("region", ""),
            console=whole_url(annotations.get("console", ""), MAX_LINK),
            runbook=whole_url(annotations.get("runbook", ""), MAX_LINK),
            ts_ms=state.ts_ms,
            starts_at_ms=state.starts_at_ms,
            count=state.count,
            changes_ms=state.changes_ms,
            source=state.source,
            reason=shorten(state.labels.get("reason", ""), 60),
            links={
                name: url
                for name in LINK_ANNOTATIONS
                if (url := whole_url(annotations.get(name, ""), MAX_LINK))
            },
            labels=_kept_labels(state.labels),
            received_ms=state.received_ms,
            muted=_member_window(state.muted),
        )

    def label_set(self, group_labels: dict[str, str]) -> dict[str, str]:
        """The alert's labels as far as the member knows them: the group's, its kept ones, its fields'."""
        fields = {
            "account": self.account,
            "region": self.region,
            "resource": self.resource,
            "severity": self.severity,
            "reason": self.reason,
            "source": self.source,
        }
        return {**group_labels, **self.labels, **{k: v for k, v in fields.items() if v}}

    def flapping_until(self, policy: FlapPolicy) -> int:
        """Until when this alert counts as flapping (0: it does not): more than `policy.changes` status
        changes within `policy.window`, and then until it has kept one state for `policy.settle`."""
        times, changes = self.changes_ms, policy.changes
        # the latest `changes + 1` changes within the window: old flaps followed by calm do not count
        if len(times) > changes and times[-1] - times[-1 - changes] <= policy.window.total_seconds() * 1000:
            return times[-1] + int(policy.settle.total_seconds() * 1000)
        return 0


class Notified(BaseModel):
    """What the last successful notification said about a member."""

    model_config = ConfigDict(frozen=True)

    status: Status
    count: int = 1
    thread_ms: int = 0


class SlackFailure(BaseModel):
    """A channel Slack refused for good (not a 429 or a timeout): why, since when, and how often it was tried."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    error: str  # Slack's error code: not_in_channel, is_archived, token_revoked...
    episode: int
    at: int  # first failure (ms)
    last_ms: int  # latest try (ms)
    tries: int = 1
    needed: str = ""  # the scope Slack named with missing_scope


class GraphRef(BaseModel):
    """The graph of an episode's alert uploaded to Slack (flush/graph.py): its file, shown in the message.
    Written before rendering with no file_id (the attempt: an SQS redelivery does not render again)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    episode: int
    file_id: str = ""  # "": attempted, not (or not yet) uploaded
    title: str = ""
    alt_text: str = ""
    resolved: bool = False  # the resolve's fresh graph was attempted too


class SlackDelivery(BaseModel):
    """The group's messages in Slack in its current episode, and how far each configured channel got."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ts: dict[str, str] = Field(default_factory=dict)  # configured channel -> ts of the group's message
    channels: dict[str, str] = Field(default_factory=dict)  # configured channel -> Slack's channel id
    attempts: dict[str, int] = Field(default_factory=dict)  # configured channel -> episode last posted to
    done: dict[str, int] = Field(default_factory=dict)  # configured channel -> version it is up to date with
    # configured channel -> what it was told, when it got ahead of the group's `notified` (a sibling failed)
    notified: dict[str, dict[str, Notified]] = Field(default_factory=dict)
    # configured channel -> why Slack refuses it for good; tried again on later flushes until it heals
    failed: dict[str, SlackFailure] = Field(default_factory=dict)
    graph: GraphRef | None = None  # the episode's graph in its messages (None: none asked for yet)


class WebhookMark(BaseModel):
    """What a webhook was last sent: the group's version and episode then, and what the message held (its
    alerts and their statuses: a change of what is shown at the same version is news too)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: int
    episode: int
    digest: str = ""
    at: int = 0  # when (ms)


class WebhookFailure(BaseModel):
    """A webhook that still failed after the flush's retries: why (an HTTP status, a timeout), since when."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    error: str  # http_503, http_404, timeout, connection
    at: int  # first failure (ms)
    last_ms: int  # latest try (ms)
    tries: int = 1


class WebhookDelivery(BaseModel):
    """How far each of the receiver's webhooks got (by its id: models/webhook.py), and those failing."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    done: dict[str, WebhookMark] = Field(default_factory=dict)
    failed: dict[str, WebhookFailure] = Field(default_factory=dict)


class Clicks(BaseModel):
    """What Slack's buttons recorded in the group's current episode (a new episode starts with none)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ack_by: str = ""  # Slack user id of who acknowledged this episode
    ack_ms: int = 0
    resolved_by: str = ""  # Slack user id of who resolved this episode by hand
    resolved_ms: int = 0


class MutingState(BaseModel):
    """What the last flush held back of the group's members, and when to look at them again."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    reasons: dict[str, str] = Field(default_factory=dict)  # fingerprint -> why it is not sent
    flapping: list[str] = Field(default_factory=list)  # members flapping (shown, their pages held)
    resume_at_ms: int = 0  # when a muted or flapping member must be looked at again


class FlushLease(BaseModel):
    """Which flush holds the group (its id; "" for none), and until when."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = ""
    until_ms: int = 0


class GroupState(BaseModel):
    """One notification group: its members, its Slack messages, what has been sent. Made of parts (frozen:
    a change is a new part), stored flat (store/group_item.py maps one to the other)."""

    model_config = ConfigDict(extra="ignore")

    # what the group is
    key: str
    route_id: str
    receiver: str
    group_labels: dict[str, str] = Field(default_factory=dict)
    created_ms: int = 0
    route_fp: str = ""  # the alert that created the group: its labels chose the route (routebook)
    # the alerts it holds
    members: dict[str, Member] = Field(default_factory=dict)
    overflow: dict[str, int] = Field(default_factory=dict)  # reason -> firing alerts counted, not kept (cap)
    # what changed and what was told of it
    version: int = 0
    notified_version: int = 0
    notified: dict[str, Notified] = Field(default_factory=dict)
    sms_notified: dict[str, str] = Field(default_factory=dict)
    last_notified_ms: int = 0
    # the last notification showed something firing: the group's changes go on its group_interval ticks (else
    # the next notification waits group_wait). In the header, so scheduling needs no member read.
    notified_firing: bool = False
    pending_since_ms: int = 0  # when the group last went from notified to pending (group_wait counts from it)
    episode: int = 1
    flush_at_ms: int = 0  # when the scheduled flush is due (0: none; one in the past is being or was handled)
    open_listed_ms: int = 0  # when its open-group entry was put (0: not listed; store/base.py OpenGroupIndex)
    # the parts
    slack: SlackDelivery = Field(default_factory=SlackDelivery)
    webhooks: WebhookDelivery = Field(default_factory=WebhookDelivery)
    clicks: Clicks = Field(default_factory=Clicks)
    muting: MutingState = Field(default_factory=MutingState)
    lease: FlushLease = Field(default_factory=FlushLease)

    def detached(self) -> GroupState:
        """A copy whose dicts are its own (their values are immutable), so editing it changes no one else's."""
        copied = self.model_copy()
        fields = copied.__dict__  # (as model_copy(update=...) sets them, without building the update)
        for name in _OWN_DICTS:
            fields[name] = dict(fields[name])
        for part, containers in _PARTS_OWN.items():
            own = fields[part] = fields[part].model_copy()
            own.__dict__.update({name: copy(getattr(own, name)) for name in containers})
        return copied

    @property
    def pending(self) -> bool:
        return self.version > self.notified_version


_OWN_DICTS = (
    "group_labels",
    "members",
    "notified",
    "sms_notified",
    "overflow",
)
# each part's containers: a part is frozen, but its dicts and lists are not
_PARTS_OWN = {
    "slack": ("ts", "channels", "attempts", "done", "notified", "failed"),
    "muting": ("reasons", "flapping"),
    "webhooks": ("done", "failed"),
}


class EscalationState(BaseModel):
    """A group's paging that is waiting for an acknowledgement (one item per group, for its episode).
    It carries its policy, so a config edit changes the next episode, never one half escalated."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)  # built on first use

    key: str
    episode: int
    next_ms: int
    step: int = 0  # index into steps of the next escalation
    round: int = 0  # how many times the steps were all gone through
    sent: tuple[str, ...] = ()  # recipients of the current step already texted (the others were paced)
    after_ms: int
    steps: tuple[tuple[str, ...], ...]
    repeat: int = 0
    reminder_ms: int = 0  # 0: no reminders once acknowledged
    reminded_ms: int = 0
    rev: int = 0  # bumped by every advance: a write from a stale copy is refused
    done: bool = False  # every step was paged: kept (so the episode does not start over) until it ends


class QueuedPage(BaseModel):
    """A page the router could not text at once (its recipient was texted less than a minute ago): the
    escalator sends it on its next run, bundled with whatever else that recipient is due."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)  # built on first use

    recipient: str
    key: str
    episode: int
    fingerprint: str
    member: Member
    queued_ms: int


class NotedHandoff(BaseModel):
    """Who a schedule had on call when the escalator last looked, and whether the team was told (the
    handoff notice posted, the Slack user group set): the next run finishes what a failure left undone."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)  # built on first use

    schedule: str
    person: str = ""  # "" while nobody is on call
    since_ms: int
    posted: bool = False
    synced: bool = False
