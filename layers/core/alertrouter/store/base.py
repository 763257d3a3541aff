"""The state store contracts, one small Protocol per aggregate, so that each consumer names only what it
uses. Every write is conditional so that repeated, reordered or concurrent deliveries converge on the newest
event and never notify twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from alertrouter.models.alert import Alert
from alertrouter.models.heartbeat import HeartbeatCheck, HeartbeatRecord, HeartbeatState
from alertrouter.models.open_alert import OpenEntry
from alertrouter.models.open_group import OpenGroup
from alertrouter.models.schedule import Override
from alertrouter.models.silence import Silence
from alertrouter.models.state import (
    AlertState,
    Clicks,
    EscalationState,
    GroupState,
    Member,
    NotedHandoff,
    QueuedPage,
)


class GroupProgress(TypedDict, total=False):
    """What a flush writes to its group under the lease (save_progress, release): delivery progress, the
    muting it applied, a new episode's fresh fields. Named as the group item's attributes (flat: `slack_ts`,
    `ack_by`; store/group_item.py puts them into GroupState's parts), records (`notified`, `slack_failed`) in
    their stored, plain form."""

    episode: int
    notified_version: int
    notified: dict[str, Any]
    last_notified_ms: int
    notified_firing: bool
    channel_notified: dict[str, dict[str, Any]]
    sms_notified: dict[str, str]
    slack_ts: dict[str, str]
    slack_channels: dict[str, str]
    slack_attempts: dict[str, int]
    slack_done: dict[str, int]
    slack_failed: dict[str, Any]
    slack_graph: dict[str, Any] | None  # GraphRef, plain
    webhook_done: dict[str, Any]
    webhook_failed: dict[str, Any]
    ack_by: str
    ack_ms: int
    resolved_by: str
    resolved_ms: int
    overflow: dict[str, int]
    muted: dict[str, str]
    flapping: list[str]
    resume_at_ms: int
    open_listed_ms: int


class EscalationChanges(TypedDict, total=False):
    """What an escalator run moves on in an escalation (the store's advance_escalation); the rest stays."""

    next_ms: int
    step: int
    round: int
    sent: list[str]
    reminded_ms: int
    done: bool


class LeaseHeldError(Exception):
    """Another worker is flushing this group right now."""


@dataclass(frozen=True)
class AlertApplied:
    applied: bool  # False: the stored event is as new or newer (duplicate or out of order)
    state: AlertState


class AlertStore(Protocol):
    """Each alert's newest state, by fingerprint."""

    def apply_alert(self, alert: Alert, now_ms: int) -> AlertApplied:
        """Store the alert's new state if its source timestamp is newer than the stored one, and keep the
        open-alert index (OpenAlertIndex) with it: an alert's entry is put before the state that makes it
        firing is written, and deleted after the state that resolves it (a failure between the two leaves an
        entry too many, which the escalator's count drops, never one too few)."""

    def get_alert(self, fingerprint: str) -> AlertState | None: ...

    def get_alerts(self, fingerprints: list[str]) -> dict[str, AlertState]:
        """Several alerts' states at once (the unknown ones left out)."""

    def set_failsafe_group(self, fingerprint: str, ts_ms: int, key: str) -> None:
        """Note on the alert's state (only if it is still the event of ts_ms) the fail-safe group it joined."""


class OpenAlertIndex(Protocol):
    """The open alerts as indexed (an entry per firing alert, written by AlertStore.apply_alert), for the
    escalator's OpenAlerts gauge."""

    def open_entries(self, shard: int | None = None) -> list[OpenEntry]:
        """Every entry (of one shard, when given)."""

    def drop_open(self, entry: OpenEntry) -> bool:
        """Delete the entry if it is still as read (not put again since); True if it was."""


class OpenGroupIndex(Protocol):
    """The groups with something open: an entry per group episode, put by the flush that first finds the group
    firing and deleted after the flush that finds it all resolved (flush/open_group.py), so the readers
    (slack_app/open_now.py) find what fires now without an index write per alert. An entry may outlive its
    group's episode (a crash between the release and the delete): readers check the group."""

    def list_open_group(self, group: OpenGroup) -> None:
        """Put the group's entry (idempotent: a retry, or a newer put, replaces it)."""

    def unlist_open_group(self, key: str, put_ms: int) -> bool:
        """Delete the group's entry if it is still the one put at put_ms; True if it was."""

    def open_groups(self) -> list[OpenGroup]:
        """Every entry, oldest first."""


class ExpiryStore(Protocol):
    """One-shot alerts: resolved after their route's resolve_timeout unless they recur."""

    def set_expiry(self, fingerprint: str, ts_ms: int, due_ms: int) -> None:
        """Resolve this alert at due_ms unless it recurs (only if ts_ms is newer than what is kept)."""

    def expiries(self) -> list[tuple[str, int, int]]:
        """(fingerprint, ts_ms, due_ms) of every pending expiry."""

    def end_expiry(self, fingerprint: str, ts_ms: int) -> None:
        """Drop the expiry set for this event (a newer one, set since, stays)."""


class GroupView(Protocol):
    """A group as stored, to read (not to edit: use the flush lease)."""

    def get_group(self, key: str) -> GroupState | None: ...

    def group_header(self, key: str) -> GroupState | None:
        """The group without (necessarily) its members: enough to know whether and when it is due."""
        return self.get_group(key)

    def get_clicks(self, key: str) -> Clicks | None:
        """The group's acknowledgement and manual resolve as stored now, None if it is gone."""
        group = self.get_group(key)
        return group.clicks if group is not None else None

    def episode_of(self, key: str) -> int | None:
        group = self.get_group(key)
        return group.episode if group is not None else None


class GroupStore(GroupView, Protocol):
    """A group's members (the alerts it holds) and when its next flush is due."""

    def upsert_member(
        self,
        key: str,
        route_id: str,
        receiver: str,
        group_labels: dict[str, str],
        fingerprint: str,
        member: Member,
        now_ms: int,
    ) -> GroupState:
        """Put the member into the group if it is newer than the stored one; bump the version if so.
        A new member is not added to a group that already has MAX_GROUP_MEMBERS (see count_overflow).
        Returns the group as it now is, to read (not to edit: use claim() and save_progress())."""

    def replace_member(
        self, group: GroupState, old: str, fingerprint: str, member: Member, now_ms: int
    ) -> GroupState | None:
        """In a full group, put `member` in the place of the resolved member `old` (unchanged since `group`
        was read) and bump the version. None if `old` changed meanwhile or `fingerprint` is a member already.
        `old`'s `notified` entry stays: the episode that announced it resolved stays announced, so the next
        flush starts a new episode (a new message) for what fires now."""

    def count_overflow(self, group: GroupState, reason: str, now_ms: int) -> GroupState:
        """Count one more firing alert of a full group (by reason) and bump its version. Returns the group
        (`group` as upsert_member returned it, with the new count and version)."""

    def mark_flush_scheduled(self, key: str, due_ms: int) -> bool:
        """Record that a flush is scheduled at due_ms; False if one is already due no later."""


class FlushLeaseStore(Protocol):
    """The lease one flush holds on a group, and what the flush writes under it."""

    def claim(self, key: str, lease_id: str, now_ms: int, lease_ms: int) -> GroupState:
        """Take the group's flush lease, or raise LeaseHeldError."""

    def save_progress(self, key: str, lease_id: str, changes: GroupProgress) -> None:
        """Record partial results (Slack ts, SMS sent) while holding the lease."""

    def release(
        self,
        key: str,
        lease_id: str,
        changes: GroupProgress,
        clear_flush_until_ms: int,
        *,
        expires: bool = False,
        claimed_version: int | None = None,
    ) -> GroupState:
        """Write the flush's outcome, drop the lease and clear a flush mark due no later than given.

        claimed_version: the version the flush notified (None for a failed flush). Only if no change
        arrived since (the group is still at that version) does the pending period end and, with
        `expires`, the group's TTL start: a group with a newer change stays pending and never expires.
        Returns the group as it now is."""

    def prune_members(self, key: str, lease_id: str, members: dict[str, int], sms_keys: list[str]) -> bool:
        """Remove these members (fingerprint -> the ts_ms they must still have), what was notified of them
        and these `sms_notified` keys, all or none; False if any member changed or the lease is gone."""


class ClickStore(GroupView, Protocol):
    """What Slack's buttons record on a group: who acknowledged it, who resolved it by hand."""

    def acknowledge(
        self, key: str, user: str, at_ms: int, *, ack: bool, episode: int | None = None
    ) -> tuple[GroupState | None, bool]:
        """Acknowledge (first click wins) or unacknowledge a group, in the given episode only (a click on an
        older episode's message changes nothing): the group as it now is (None if unknown) and whether this
        call changed it."""

    def resolve_by_hand(
        self, key: str, user: str, at_ms: int, episode: int
    ) -> tuple[GroupState | None, bool]:
        """Record who resolved the group's episode (first click wins; a click on an older episode changes
        nothing): the group as it now is and whether this call changed it."""


class SilenceStore(Protocol):
    def put_silence(self, silence: Silence) -> None: ...

    def extend_silence(self, silence: Silence) -> tuple[Silence, Silence | None]:
        """Put the silence, or, if one with its id is kept, what `models.silence.extended` makes of the two
        (one silence, as long as the longer): the silence as now stored and the one kept before (None if none).
        Safe against a concurrent call for the same id (both choices count)."""

    def silences(self) -> list[Silence]:
        """Every silence kept (expired ones too, until their TTL removes them), by start time."""

    def expire_silence(self, silence_id: str, now_ms: int) -> Silence | None:
        """End a silence now; None if it is unknown or already over."""


class OverrideStore(Protocol):
    """On-call overrides (models/schedule.py), per schedule: few, each kept a while after it ends."""

    def put_override(self, override: Override) -> None: ...

    def overrides(self, schedule: str, from_ms: int, to_ms: int) -> list[Override]:
        """The schedule's overrides that overlap [from_ms, to_ms), by start."""

    def remove_override(self, schedule: str, start_ms: int, created_ms: int) -> Override | None:
        """Delete one (named by its start and when it was made); the one deleted, None if there was none."""


@dataclass(frozen=True, slots=True)
class HeldBack:
    """An alert the last flush of its group held back, and why (the reason its message shows)."""

    group: str
    fingerprint: str
    title: str
    reason: str


class HeldBackView(Protocol):
    """The alerts held back now, across every group (an operator's look: it reads the whole table)."""

    def held_back(self) -> list[HeldBack]: ...


class InhibitSourceStore(Protocol):
    """The firing alerts that inhibit rules could take as sources."""

    def set_inhibit_source(self, fingerprint: str, labels: dict[str, str], ts_ms: int, firing: bool) -> None:
        """Record a possible source as firing, or remove it; only if ts_ms is newer than what is kept."""

    def inhibit_sources(self) -> dict[str, dict[str, str]]:
        """Fingerprint -> labels of every firing alert that may inhibit others."""


class EscalationStore(Protocol):
    """Each paging group's escalation: its policy and how far it went."""

    def start_escalation(self, escalation: EscalationState) -> bool:
        """Keep a group's escalation unless one for the same episode exists (its timer keeps running)."""

    def escalations(self) -> list[EscalationState]: ...

    def advance_escalation(self, escalation: EscalationState, changes: EscalationChanges) -> bool:
        """Move an escalation on (conditional on it being as read): False if someone else moved it."""

    def end_escalation(self, key: str, episode: int) -> None:
        """Drop the group's escalation of this episode (acknowledged, resolved, or a new episode began)."""


class PageOutbox(Protocol):
    """Pages waiting for their recipient's next SMS slot."""

    def queue_pages(self, pages: list[QueuedPage]) -> None: ...

    def queued_pages(self) -> list[QueuedPage]: ...

    def drop_queued_pages(self, pages: list[QueuedPage]) -> None: ...


class PagingSlots(Protocol):
    """The right to text a recipient, or to page the ops topic about a cause, at most once per gap."""

    def claim_sms_slot(self, recipient: str, now_ms: int, gap_ms: int) -> bool:
        """Take the right to text this recipient now: False if they were texted less than gap_ms ago."""

    def release_sms_slot(self, recipient: str, claimed_ms: int) -> None:
        """Give back a slot taken at claimed_ms whose SMS could not be sent (the retry may text at once)."""

    def claim_ops_page(self, cause: str, now_ms: int, gap_ms: int) -> bool:
        """Take the right to page the ops topic about `cause` now: False if it was paged less than gap_ms ago
        (by any worker)."""

    def release_ops_page(self, cause: str, claimed_ms: int) -> None:
        """Give back a claim whose ops page could not be published."""


class HistoryStore(Protocol):
    """Each group's notification history."""

    def add_history(self, key: str, at_ms: int, kind: str, detail: dict[str, Any]) -> None:
        """Keep one entry of a group's notification history (post, update, thread, sms, ack...)."""

    def history(self, key: str, limit: int = 100) -> list[dict[str, Any]]:
        """A group's history, oldest first: dicts with at_ms, kind and the entry's details."""


class RequestStore(Protocol):
    """One-time request keys, against replays."""

    def remember_request(self, key: str, expires_at_s: int) -> bool:
        """Record a one-time request key (a Slack signature); False if it was seen before."""


class SloStateStore(Protocol):
    """The SLO evaluator's rolling aggregates, one record per SLO."""

    def load_slo_state(self, name: str) -> dict[str, Any] | None: ...

    def save_slo_state(self, name: str, state: dict[str, Any]) -> None: ...


class HandoffStore(Protocol):
    """Each schedule's last noted person on call: one escalator run notes a handoff, once."""

    def noted_handoffs(self) -> dict[str, NotedHandoff]: ...

    def note_handoff(self, noted: NotedHandoff, previous: NotedHandoff | None) -> bool:
        """Note who is on call now, if the schedule's note is still `previous` (False: another run did)."""
        ...

    def finish_handoff(self, noted: NotedHandoff) -> None:
        """Record that the notice was posted and the group set (`posted`, `synced`), for that handoff only."""
        ...


class HeartbeatStore(Protocol):
    """Heartbeat checks: each one's definition, its token's hash (never the token) and its state."""

    def add_heartbeat(self, check: HeartbeatCheck, token_hash: str, now_ms: int) -> bool:
        """Keep a new check; False if one of its name exists."""

    def put_heartbeat_definition(self, check: HeartbeatCheck, token_hash: str, now_ms: int) -> bool:
        """Keep the check's definition, its state and token as they are (token_hash is used only for a new
        check); True if the check is new."""

    def heartbeat(self, name: str) -> HeartbeatRecord | None: ...

    def heartbeats(self) -> list[HeartbeatRecord]: ...

    def save_heartbeat_state(self, name: str, state: HeartbeatState, read_rev: int) -> bool:
        """Store the check's new state if it is still at read_rev (as read); False if it moved meanwhile or
        is gone."""

    def set_heartbeat_token(self, name: str, token_hash: str) -> bool:
        """Replace the check's token hash (a rotated token); False if the check is unknown."""

    def remove_heartbeat(self, name: str) -> bool:
        """Forget a check; False if it is unknown."""


@dataclass(frozen=True, slots=True)
class Stores:
    """The router side's aggregates, one reference each (in AWS all are the one DynamoDBStore, in tests the one
    MemoryStore: each whole store's `stores()` builds this, and mypy checks every field against its Protocol).
    Each consumer takes the fields it uses; the SLO evaluator takes its SloStateStore alone."""

    alerts: AlertStore
    expiries: ExpiryStore
    groups: GroupStore
    leases: FlushLeaseStore
    clicks: ClickStore
    silences: SilenceStore
    inhibit_sources: InhibitSourceStore
    escalations: EscalationStore
    outbox: PageOutbox
    paging: PagingSlots
    history: HistoryStore
    requests: RequestStore
    overrides: OverrideStore
    heartbeats: HeartbeatStore
    open_alerts: OpenAlertIndex
    open_groups: OpenGroupIndex
