"""How a group is laid out in the table: a small header item and one item per member, in the group's partition.

- header `GROUP#<key>` / `GROUP`: who the group is, its version and episode, per-channel Slack progress, the clicks,
  the schedule, the lease, the overflow counts, and three counters of its own (`member_count`, `resolved_count`,
  `records_gen`). Under 1 KB for a group posted to a few channels: every alert that joins bumps its version.
- member `GROUP#<key>` / `M#<fingerprint>`: the member as its message shows it (`m`, at most ~2.6 KB, typically
  under 1 KB) and what was done about it: `ann` (what the episode announced), `mute` (why it is held back),
  `flap`, `s:<recipient>` (its SMS), `c:<channel>` (what one channel was told ahead of the others).

An alert joining writes its own member item and bumps the header: a storm costs a few write units per alert, not
a rewrite of one item that grows with it. A flush reads the header and Queries the members.

Records carry what they are valid for, so that starting a new episode or a new flush invalidates them all
without touching a member: `ann` its episode and the header's `created_ms` (a group key used again after its
header expired does not inherit old announcements), `c:` the header's `records_gen`, which each release moves on.

A group item of the earlier single-item layout (its `members`, `notified`... maps in the header) is read as it
is, member items written since merged over it; its first flush moves the maps into member items.

These functions work on plain decoded values, in the stored names (the flat form GroupState is read from).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

HEADER_SK = "GROUP"
MEMBER_PREFIX = "M#"
SMS_PREFIX = "s:"
CHANNEL_PREFIX = "c:"
# the header's own bookkeeping, not part of GroupState
COUNTERS = ("member_count", "resolved_count", "records_gen")
# GroupState's per-member maps (stored names): on member items, never in a header of this layout
PER_MEMBER = ("members", "notified", "sms_notified", "muted", "flapping", "channel_notified")
RECORD_FIELDS = ("status", "count", "thread_ms")  # a Notified record


def member_sk(fingerprint: str) -> str:
    return MEMBER_PREFIX + fingerprint


def fingerprint_of(sk: str) -> str:
    return sk[len(MEMBER_PREFIX) :]


def _record(value: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value[name] for name in RECORD_FIELDS if name in value}


def header_values(header: Mapping[str, Any]) -> dict[str, Any]:
    """The flat group values of a header alone (no members), its counters and keys left out."""
    return {k: v for k, v in header.items() if k not in COUNTERS and k not in ("pk", "sk", "expires_at")}


def assemble(header: Mapping[str, Any], member_items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The group's flat values (the single-item form GroupState is read from) from its decoded header and
    member items."""
    flat = header_values(header)
    members: dict[str, Any] = dict(flat.get("members") or {})
    notified: dict[str, Any] = dict(flat.get("notified") or {})
    sms: dict[str, Any] = dict(flat.get("sms_notified") or {})
    muted: dict[str, Any] = dict(flat.get("muted") or {})
    flapping = set(flat.get("flapping") or ())
    channels: dict[str, dict[str, Any]] = {
        c: dict(v) for c, v in (flat.get("channel_notified") or {}).items()
    }
    episode, created, gen = flat.get("episode", 1), flat.get("created_ms", 0), header.get("records_gen", 0)
    for item in member_items:
        member = item.get("m")
        fp = fingerprint_of(item["sk"])
        ann = item.get("ann")
        if ann is not None and ann.get("ep") == episode and ann.get("gc") == created:
            notified[fp] = _record(ann)  # a member that gave its place keeps this alone (replace_member)
        if member is None or (fp in members and members[fp]["ts_ms"] > member["ts_ms"]):
            continue  # the earlier layout's copy is newer (written before the upgrade, not yet moved)
        members[fp] = member
        if "mute" in item:
            muted[fp] = item["mute"]
        if item.get("flap"):
            flapping.add(fp)
        for name, value in item.items():
            if name.startswith(SMS_PREFIX):
                sms[f"{fp}@{name[len(SMS_PREFIX) :]}"] = value
            elif name.startswith(CHANNEL_PREFIX) and value.get("gen") == gen:
                channels.setdefault(name[len(CHANNEL_PREFIX) :], {})[fp] = _record(value)
    flat.update(
        members=members,
        notified=notified,
        sms_notified=sms,
        muted=muted,
        flapping=sorted(flapping),
        channel_notified=channels,
    )
    return flat


def counts(members: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """The header's member counters for these members."""
    return {
        "member_count": len(members),
        "resolved_count": sum(1 for m in members.values() if m["status"] == "resolved"),
    }


@dataclass
class MemberWrite:
    """What one member item's records become: attributes set and removed."""

    sets: dict[str, Any] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)


@dataclass
class RecordWrites:
    """The member writes a flush's progress implies, and whether it starts a new records generation (the
    channels' records all reset at once: the header's `records_gen` moves on, no member is written)."""

    members: dict[str, MemberWrite] = field(default_factory=dict)
    new_records_gen: bool = False

    def member(self, fp: str) -> MemberWrite:
        return self.members.setdefault(fp, MemberWrite())


def record_writes(before: Mapping[str, Any], after: Mapping[str, Any], gen: int) -> RecordWrites:
    """The member writes that take the stored per-member maps from `before` to `after` (flat values; `after` is
    `before` with a flush's progress applied). `gen`: the header's records_gen as `before` was read."""
    writes = RecordWrites()
    _announcements(before, after, writes)
    _sms(before.get("sms_notified") or {}, after.get("sms_notified") or {}, writes)
    _muting(before, after, writes)
    _channels(before.get("channel_notified") or {}, after.get("channel_notified") or {}, gen, writes)
    return writes


def _announcements(before: Mapping[str, Any], after: Mapping[str, Any], writes: RecordWrites) -> None:
    old, new = before.get("notified") or {}, after.get("notified") or {}
    episode = after.get("episode", 1)
    new_episode = episode != before.get("episode", 1)  # the old episode's records are void by their tag
    for fp in new.keys() | old.keys():
        record = new.get(fp)
        if record is not None and (new_episode or _record(record) != _record(old.get(fp) or {})):
            writes.member(fp).sets["ann"] = {
                **_record(record),
                "ep": episode,
                "gc": after.get("created_ms", 0),
            }
        elif record is None and fp in old and not new_episode:
            writes.member(fp).removes.append("ann")


def _sms(old: Mapping[str, Any], new: Mapping[str, Any], writes: RecordWrites) -> None:
    for key in new.keys() | old.keys():
        fp, _, recipient = key.rpartition("@")
        if key not in new:
            writes.member(fp).removes.append(SMS_PREFIX + recipient)
        elif new[key] != old.get(key):
            writes.member(fp).sets[SMS_PREFIX + recipient] = new[key]


def _muting(before: Mapping[str, Any], after: Mapping[str, Any], writes: RecordWrites) -> None:
    old, new = before.get("muted") or {}, after.get("muted") or {}
    for fp in new.keys() | old.keys():
        if fp not in new:
            writes.member(fp).removes.append("mute")
        elif new[fp] != old.get(fp):
            writes.member(fp).sets["mute"] = new[fp]
    was, now = set(before.get("flapping") or ()), set(after.get("flapping") or ())
    for fp in now - was:
        writes.member(fp).sets["flap"] = True
    for fp in was - now:
        writes.member(fp).removes.append("flap")


def _channels(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]], gen: int, writes: RecordWrites
) -> None:
    if old and not new:
        writes.new_records_gen = True  # all reset (a release): void by their tag, no member written
        return
    for channel in new.keys() | old.keys():
        was, now = old.get(channel) or {}, new.get(channel) or {}
        for fp in now.keys() | was.keys():
            if fp not in now:
                writes.member(fp).removes.append(CHANNEL_PREFIX + channel)
            elif _record(now[fp]) != _record(was.get(fp) or {}):
                writes.member(fp).sets[CHANNEL_PREFIX + channel] = {**_record(now[fp]), "gen": gen}
