"""An in-process store with the same conditional semantics as the DynamoDB one, for tests, the demo and the
bench (the contract tests in tests/integration/store run every aggregate on both). Split as the DynamoDB
store is: a class per aggregate over one set of dicts and one lock (MemoryTable), composed into MemoryStore."""

from __future__ import annotations

import threading
from dataclasses import fields
from typing import Any

from alertrouter.models.alert import Alert, Status
from alertrouter.models.heartbeat import HeartbeatCheck, HeartbeatRecord, HeartbeatState
from alertrouter.models.open_alert import OpenEntry
from alertrouter.models.open_group import OpenGroup
from alertrouter.models.schedule import Override
from alertrouter.models.silence import Silence, extended
from alertrouter.models.state import (
    MAX_GROUP_MEMBERS,
    AlertState,
    Clicks,
    EscalationState,
    FlushLease,
    GroupState,
    Member,
    NotedHandoff,
    QueuedPage,
)
from alertrouter.store.base import (
    AlertApplied,
    AlertStore,
    ClickStore,
    EscalationChanges,
    EscalationStore,
    ExpiryStore,
    FlushLeaseStore,
    GroupProgress,
    GroupStore,
    GroupView,
    HandoffStore,
    HeartbeatStore,
    HistoryStore,
    InhibitSourceStore,
    LeaseHeldError,
    OpenAlertIndex,
    OpenGroupIndex,
    OverrideStore,
    PageOutbox,
    PagingSlots,
    RequestStore,
    SilenceStore,
    SloStateStore,
    Stores,
)
from alertrouter.store.group_item import with_progress


class MemoryTable:
    """What every aggregate keeps, in dicts behind one lock (the in-memory counterpart of the one table)."""

    def __init__(self) -> None:
        self.alerts: dict[str, AlertState] = {}
        self.groups: dict[str, GroupState] = {}
        self.requests: dict[str, int] = {}
        self.histories: dict[str, list[dict[str, Any]]] = {}
        self.expiring: set[str] = set()  # groups whose TTL would be running in DynamoDB
        self.silence_items: dict[str, Silence] = {}
        self.sources: dict[str, tuple[int, dict[str, str] | None]] = {}  # fp -> (ts, labels while firing)
        self.escalation_items: dict[str, EscalationState] = {}
        self.sms_slots: dict[str, int] = {}
        self.expiry_items: dict[str, tuple[int, int]] = {}  # fp -> (ts, due)
        self.outbox: dict[tuple[str, str, str], QueuedPage] = {}
        self.slo_states: dict[str, dict[str, Any]] = {}
        self.handoffs: dict[str, NotedHandoff] = {}
        self.override_items: dict[tuple[str, int, int], Override] = {}  # (schedule, start, created)
        self.heartbeat_items: dict[str, HeartbeatRecord] = {}
        self.open_items: dict[str, OpenEntry] = {}  # fp -> its open-alert entry
        self.open_group_items: dict[str, OpenGroup] = {}  # group key -> its open-group entry
        self._lock = threading.Lock()


class MemoryAlerts(MemoryTable, AlertStore):
    def apply_alert(self, alert: Alert, now_ms: int) -> AlertApplied:
        with self._lock:
            old = self.alerts.get(alert.fingerprint)
            if old is not None and old.ts_ms >= alert.timestamp_ms:
                return AlertApplied(False, old)
            new = AlertState.first(alert, now_ms) if old is None else old.next(alert, now_ms)
            was_firing = old is not None and old.status == Status.FIRING
            if new.status == Status.FIRING and not was_firing:
                self.open_items[new.fingerprint] = OpenEntry.of(new, now_ms)
            self.alerts[alert.fingerprint] = new
            entry = self.open_items.get(new.fingerprint)
            if was_firing and new.status != Status.FIRING and entry is not None and entry.ts_ms < new.ts_ms:
                del self.open_items[new.fingerprint]
            return AlertApplied(True, new)

    def get_alert(self, fingerprint: str) -> AlertState | None:
        return self.alerts.get(fingerprint)  # immutable: safe to share

    def get_alerts(self, fingerprints: list[str]) -> dict[str, AlertState]:
        return {fp: self.alerts[fp] for fp in fingerprints if fp in self.alerts}

    def set_failsafe_group(self, fingerprint: str, ts_ms: int, key: str) -> None:
        with self._lock:
            state = self.alerts.get(fingerprint)
            if state is not None and state.ts_ms == ts_ms:
                self.alerts[fingerprint] = state.model_copy(update={"failsafe_group": key})


class MemoryOpenAlerts(MemoryTable, OpenAlertIndex):
    def open_entries(self, shard: int | None = None) -> list[OpenEntry]:
        with self._lock:
            return [e for e in self.open_items.values() if shard is None or e.shard == shard]

    def drop_open(self, entry: OpenEntry) -> bool:
        with self._lock:
            if self.open_items.get(entry.fingerprint) != entry:
                return False
            del self.open_items[entry.fingerprint]
            return True


class MemoryOpenGroups(MemoryTable, OpenGroupIndex):
    def list_open_group(self, group: OpenGroup) -> None:
        with self._lock:
            self.open_group_items[group.key] = OpenGroup(group.key, group.put_ms, dict(group.labels))

    def unlist_open_group(self, key: str, put_ms: int) -> bool:
        with self._lock:
            entry = self.open_group_items.get(key)
            if entry is None or entry.put_ms != put_ms:
                return False
            del self.open_group_items[key]
            return True

    def open_groups(self) -> list[OpenGroup]:
        with self._lock:
            return sorted(self.open_group_items.values(), key=lambda e: (e.put_ms, e.key))


class MemoryExpiries(MemoryTable, ExpiryStore):
    def set_expiry(self, fingerprint: str, ts_ms: int, due_ms: int) -> None:
        with self._lock:
            kept = self.expiry_items.get(fingerprint)
            if kept is None or kept[0] < ts_ms:
                self.expiry_items[fingerprint] = (ts_ms, due_ms)

    def expiries(self) -> list[tuple[str, int, int]]:
        return [(fp, ts, due) for fp, (ts, due) in self.expiry_items.items()]

    def end_expiry(self, fingerprint: str, ts_ms: int) -> None:
        with self._lock:
            if self.expiry_items.get(fingerprint, (None,))[0] == ts_ms:
                del self.expiry_items[fingerprint]


class MemoryGroupView(MemoryTable, GroupView):
    def get_group(self, key: str) -> GroupState | None:
        group = self.groups.get(key)
        return group.detached() if group else None

    def get_clicks(self, key: str) -> Clicks | None:
        group = self.groups.get(key)  # read in place: no copy of the group
        return group.clicks if group is not None else None


class MemoryGroups(MemoryGroupView, GroupStore):
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
        with self._lock:
            group = self.groups.get(key)
            if group is None:
                group = GroupState(
                    key=key,
                    route_id=route_id,
                    receiver=receiver,
                    group_labels=group_labels,
                    created_ms=now_ms,
                )
                self.groups[key] = group
            old = group.members.get(fingerprint)
            full = old is None and len(group.members) >= MAX_GROUP_MEMBERS
            if not full and (old is None or old.ts_ms < member.ts_ms):
                # copy-on-write: snapshots handed out earlier keep the members they were given
                group.members = {**group.members, fingerprint: member}
                self._changed_in_place(group, now_ms)
            if fingerprint not in group.members:
                return group.model_copy()  # full: all the members, to find a resolved one's place
            # the group's own fields and this member, as the DynamoDB store hands them back (a read-only
            # snapshot: get_group/claim give detached copies)
            return group.model_copy(update={"members": {fingerprint: group.members[fingerprint]}})

    def replace_member(
        self, group: GroupState, old: str, fingerprint: str, member: Member, now_ms: int
    ) -> GroupState | None:
        with self._lock:
            stored = self.groups[group.key]
            was = stored.members.get(old)
            if (
                was is None
                or was.status != Status.RESOLVED
                or was.ts_ms != group.members[old].ts_ms
                or fingerprint in stored.members
            ):
                return None
            stored.members = {**{fp: m for fp, m in stored.members.items() if fp != old}, fingerprint: member}
            self._changed_in_place(stored, now_ms)
            return stored.model_copy()

    def count_overflow(self, group: GroupState, reason: str, now_ms: int) -> GroupState:
        with self._lock:
            group = self.groups[group.key]
            group.overflow = {**group.overflow, reason: group.overflow.get(reason, 0) + 1}
            self._changed_in_place(group, now_ms)
            return group.model_copy()

    def _changed_in_place(self, group: GroupState, now_ms: int) -> None:
        """What every change of a group's alerts does (as the DynamoDB store's updates do): a new version, no
        TTL, and the start of its pending period if it was not pending."""
        group.version += 1
        self.expiring.discard(group.key)
        if not group.pending_since_ms:
            group.pending_since_ms = now_ms

    def mark_flush_scheduled(self, key: str, due_ms: int) -> bool:
        with self._lock:
            group = self.groups.get(key)
            if group is None:
                return False
            if group.flush_at_ms and group.flush_at_ms <= due_ms:
                return False
            group.flush_at_ms = due_ms
            return True


class MemoryFlushLeases(MemoryTable, FlushLeaseStore):
    def claim(self, key: str, lease_id: str, now_ms: int, lease_ms: int) -> GroupState:
        with self._lock:
            group = self.groups[key]
            if group.lease.id and group.lease.id != lease_id and group.lease.until_ms > now_ms:
                raise LeaseHeldError(key)
            group.lease = FlushLease(id=lease_id, until_ms=now_ms + lease_ms)
            return group.detached()

    def save_progress(self, key: str, lease_id: str, changes: GroupProgress) -> None:
        with self._lock:
            group = self.groups[key]
            if group.lease.id != lease_id:
                raise LeaseHeldError(key)
            group = self.groups[key] = with_progress(group, changes)

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
        with self._lock:
            group = self.groups[key]
            if group.lease.id != lease_id:
                raise LeaseHeldError(key)
            group = self.groups[key] = with_progress(group, changes)
            group.lease = FlushLease()
            if claimed_version is not None and group.version == claimed_version:
                group.pending_since_ms = 0
                if expires:
                    self.expiring.add(key)
            elif claimed_version is not None:
                self.expiring.discard(
                    key
                )  # (a change during the flush: its upsert took the TTL away already)
            if group.flush_at_ms and group.flush_at_ms <= clear_flush_until_ms:
                group.flush_at_ms = 0
            return group.detached()

    def prune_members(self, key: str, lease_id: str, members: dict[str, int], sms_keys: list[str]) -> bool:
        with self._lock:
            group = self.groups[key]
            if group.lease.id != lease_id:
                return False
            if any(fp in group.members and group.members[fp].ts_ms != ts for fp, ts in members.items()):
                return False
            group.members = {fp: m for fp, m in group.members.items() if fp not in members}
            group.notified = {fp: n for fp, n in group.notified.items() if fp not in members}
            group.sms_notified = {k: v for k, v in group.sms_notified.items() if k not in sms_keys}
            return True


class MemoryClicks(MemoryGroupView, ClickStore):
    def acknowledge(
        self, key: str, user: str, at_ms: int, *, ack: bool, episode: int | None = None
    ) -> tuple[GroupState | None, bool]:
        with self._lock:
            group = self.groups.get(key)
            if group is None:
                return None, False
            changed = False
            if episode is not None and group.episode != episode:
                return group.detached(), False
            clicks = group.clicks
            if ack and not clicks.ack_by:
                group.clicks, changed = clicks.model_copy(update={"ack_by": user, "ack_ms": at_ms}), True
            elif not ack and clicks.ack_by:
                group.clicks, changed = clicks.model_copy(update={"ack_by": "", "ack_ms": 0}), True
            return group.detached(), changed

    def resolve_by_hand(
        self, key: str, user: str, at_ms: int, episode: int
    ) -> tuple[GroupState | None, bool]:
        with self._lock:
            group = self.groups.get(key)
            if group is None:
                return None, False
            if group.episode != episode or group.clicks.resolved_by:
                return group.detached(), False
            group.clicks = group.clicks.model_copy(update={"resolved_by": user, "resolved_ms": at_ms})
            return group.detached(), True


class MemorySilences(MemoryTable, SilenceStore):
    def put_silence(self, silence: Silence) -> None:
        with self._lock:
            self.silence_items[silence.id] = silence

    def extend_silence(self, silence: Silence) -> tuple[Silence, Silence | None]:
        with self._lock:
            kept = self.silence_items.get(silence.id)
            stored = self.silence_items[silence.id] = extended(kept, silence)
            return stored, kept

    def silences(self) -> list[Silence]:
        return sorted(self.silence_items.values(), key=lambda s: s.starts_at_ms)

    def expire_silence(self, silence_id: str, now_ms: int) -> Silence | None:
        with self._lock:
            silence = self.silence_items.get(silence_id)
            if silence is None or silence.ends_at_ms <= now_ms:
                return None
            # one that has not started yet is moved back, so that it is over now too
            ended = silence.model_copy(
                update={"ends_at_ms": now_ms, "starts_at_ms": min(silence.starts_at_ms, now_ms - 1)}
            )
            self.silence_items[silence_id] = ended
            return ended


class MemoryInhibitSources(MemoryTable, InhibitSourceStore):
    def set_inhibit_source(self, fingerprint: str, labels: dict[str, str], ts_ms: int, firing: bool) -> None:
        with self._lock:
            kept = self.sources.get(fingerprint)
            if kept is None or kept[0] < ts_ms:
                self.sources[fingerprint] = (ts_ms, dict(labels) if firing else None)

    def inhibit_sources(self) -> dict[str, dict[str, str]]:
        return {fp: labels for fp, (_, labels) in self.sources.items() if labels is not None}


class MemoryEscalations(MemoryTable, EscalationStore):
    def start_escalation(self, escalation: EscalationState) -> bool:
        with self._lock:
            kept = self.escalation_items.get(escalation.key)
            if kept is not None and kept.episode == escalation.episode:
                return False
            self.escalation_items[escalation.key] = escalation
            return True

    def escalations(self) -> list[EscalationState]:
        return list(self.escalation_items.values())

    def advance_escalation(self, escalation: EscalationState, changes: EscalationChanges) -> bool:
        with self._lock:
            kept = self.escalation_items.get(escalation.key)
            if kept is None or (kept.episode, kept.rev) != (escalation.episode, escalation.rev):
                return False
            self.escalation_items[escalation.key] = EscalationState.model_validate(
                {**escalation.model_dump(), **changes, "rev": escalation.rev + 1}
            )
            return True

    def end_escalation(self, key: str, episode: int) -> None:
        with self._lock:
            kept = self.escalation_items.get(key)
            if kept is not None and kept.episode == episode:
                del self.escalation_items[key]


class MemoryOutbox(MemoryTable, PageOutbox):
    def queue_pages(self, pages: list[QueuedPage]) -> None:
        with self._lock:
            self.outbox.update({(p.recipient, p.key, p.fingerprint): p for p in pages})

    def queued_pages(self) -> list[QueuedPage]:
        return sorted(self.outbox.values(), key=lambda p: p.queued_ms)

    def drop_queued_pages(self, pages: list[QueuedPage]) -> None:
        with self._lock:
            for page in pages:
                if self.outbox.get((page.recipient, page.key, page.fingerprint)) == page:
                    del self.outbox[(page.recipient, page.key, page.fingerprint)]


class MemoryPagingSlots(MemoryTable, PagingSlots):
    def claim_sms_slot(self, recipient: str, now_ms: int, gap_ms: int) -> bool:
        with self._lock:
            if now_ms - self.sms_slots.get(recipient, -gap_ms) < gap_ms:
                return False
            self.sms_slots[recipient] = now_ms
            return True

    def release_sms_slot(self, recipient: str, claimed_ms: int) -> None:
        with self._lock:
            if self.sms_slots.get(recipient) == claimed_ms:
                del self.sms_slots[recipient]

    def claim_ops_page(self, cause: str, now_ms: int, gap_ms: int) -> bool:
        return self.claim_sms_slot(f"OPS#{cause}", now_ms, gap_ms)

    def release_ops_page(self, cause: str, claimed_ms: int) -> None:
        self.release_sms_slot(f"OPS#{cause}", claimed_ms)


class MemoryHistory(MemoryTable, HistoryStore):
    def add_history(self, key: str, at_ms: int, kind: str, detail: dict[str, Any]) -> None:
        with self._lock:
            self.histories.setdefault(key, []).append({"at_ms": at_ms, "kind": kind, **detail})

    def history(self, key: str, limit: int = 100) -> list[dict[str, Any]]:
        return sorted(self.histories.get(key, []), key=lambda e: e["at_ms"])[-limit:]


class MemoryRequests(MemoryTable, RequestStore):
    def remember_request(self, key: str, expires_at_s: int) -> bool:
        with self._lock:
            if key in self.requests:
                return False
            self.requests[key] = expires_at_s
            return True


class MemorySloState(MemoryTable, SloStateStore):
    def load_slo_state(self, name: str) -> dict[str, Any] | None:
        state = self.slo_states.get(name)
        return dict(state) if state is not None else None

    def save_slo_state(self, name: str, state: dict[str, Any]) -> None:
        with self._lock:
            self.slo_states[name] = dict(state)


class MemoryHandoffs(MemoryTable, HandoffStore):
    def noted_handoffs(self) -> dict[str, NotedHandoff]:
        return dict(self.handoffs)

    def note_handoff(self, noted: NotedHandoff, previous: NotedHandoff | None) -> bool:
        with self._lock:
            now = self.handoffs.get(noted.schedule)
            if (now is None) != (previous is None) or (
                now is not None
                and previous is not None
                and (now.person, now.since_ms) != (previous.person, previous.since_ms)
            ):
                return False
            self.handoffs[noted.schedule] = noted
            return True

    def finish_handoff(self, noted: NotedHandoff) -> None:
        with self._lock:
            now = self.handoffs.get(noted.schedule)
            if now is not None and (now.person, now.since_ms) == (noted.person, noted.since_ms):
                self.handoffs[noted.schedule] = noted


class MemoryOverrides(MemoryTable, OverrideStore):
    def put_override(self, override: Override) -> None:
        with self._lock:
            self.override_items[(override.schedule, override.start_ms, override.created_ms)] = override

    def overrides(self, schedule: str, from_ms: int, to_ms: int) -> list[Override]:
        return [
            o
            for key, o in sorted(self.override_items.items())
            if key[0] == schedule and o.start_ms < to_ms and o.end_ms > from_ms
        ]

    def remove_override(self, schedule: str, start_ms: int, created_ms: int) -> Override | None:
        with self._lock:
            return self.override_items.pop((schedule, start_ms, created_ms), None)


class MemoryHeartbeats(MemoryTable, HeartbeatStore):
    def add_heartbeat(self, check: HeartbeatCheck, token_hash: str, now_ms: int) -> bool:
        with self._lock:
            if check.name in self.heartbeat_items:
                return False
            self.heartbeat_items[check.name] = HeartbeatRecord(
                check=check, token_hash=token_hash, created_ms=now_ms
            )
            return True

    def put_heartbeat_definition(self, check: HeartbeatCheck, token_hash: str, now_ms: int) -> bool:
        with self._lock:
            kept = self.heartbeat_items.get(check.name)
            if kept is not None:
                self.heartbeat_items[check.name] = kept.model_copy(update={"check": check})
                return False
            self.heartbeat_items[check.name] = HeartbeatRecord(
                check=check, token_hash=token_hash, created_ms=now_ms
            )
            return True

    def heartbeat(self, name: str) -> HeartbeatRecord | None:
        return self.heartbeat_items.get(name)  # immutable: safe to share

    def heartbeats(self) -> list[HeartbeatRecord]:
        return sorted(self.heartbeat_items.values(), key=lambda r: r.check.name)

    def save_heartbeat_state(self, name: str, state: HeartbeatState, read_rev: int) -> bool:
        with self._lock:
            kept = self.heartbeat_items.get(name)
            if kept is None or kept.state.rev != read_rev:
                return False
            self.heartbeat_items[name] = kept.model_copy(update={"state": state})
            return True

    def set_heartbeat_token(self, name: str, token_hash: str) -> bool:
        with self._lock:
            kept = self.heartbeat_items.get(name)
            if kept is None:
                return False
            self.heartbeat_items[name] = kept.model_copy(update={"token_hash": token_hash})
            return True

    def remove_heartbeat(self, name: str) -> bool:
        with self._lock:
            return self.heartbeat_items.pop(name, None) is not None


class MemoryStore(
    MemoryAlerts,
    MemoryExpiries,
    MemoryGroups,
    MemoryFlushLeases,
    MemoryClicks,
    MemorySilences,
    MemoryInhibitSources,
    MemoryEscalations,
    MemoryOutbox,
    MemoryPagingSlots,
    MemoryHistory,
    MemoryRequests,
    MemorySloState,
    MemoryHandoffs,
    MemoryOverrides,
    MemoryHeartbeats,
    MemoryOpenAlerts,
    MemoryOpenGroups,
):
    """Every aggregate over the same dicts and lock: MemoryStore()."""

    def stores(self) -> Stores:
        """This one store as every aggregate of the bundle, as DynamoDBStore.stores()."""
        return Stores(*[self] * len(fields(Stores)))


class MemoryStoreWithoutHistory(MemoryStore):
    """Keeps no history (the soak's store: in DynamoDB the history lives in the table, with a TTL)."""

    def add_history(self, key: str, at_ms: int, kind: str, detail: dict[str, Any]) -> None:
        pass
