"""The alerts firing now, as `/alerts`, App Home and the Silence modal's preview list them: the open-group index
(an entry per group with something open, kept by the flush: no index write per alert), each listed group read
(at most MAX_GROUPS_READ of them), its members still firing, their alert states read back (full labels; only
states still firing count: an entry may outlive its group's episode) and filtered by label matchers as a silence
would match them. An alert is listed from its group's first flush on (its group_wait), as its message is."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from alertrouter.models.alert import Status
from alertrouter.models.matcher import Matcher
from alertrouter.models.open_group import OpenGroup
from alertrouter.models.silence import FINGERPRINT_LABEL
from alertrouter.models.state import AlertState, GroupState
from alertrouter.notify.headline import SEVERITY_ORDER
from alertrouter.store.base import AlertStore, GroupView, OpenGroupIndex

MAX_LISTED = 500  # firing alerts read back per call: once the groups read hold this many, no more are read
MAX_GROUPS_READ = 200  # groups read per call (a Query each); the open groups beyond are counted, not read
PARALLEL_READS = 16  # groups read at once: Slack waits 3 s for the answer, a Query takes some milliseconds


@dataclass(frozen=True)
class OpenNow:
    """What is firing now (the matchers' selection, worst severity first, then the oldest), the groups read for
    it (key -> group, for their messages and acknowledgements) and how many open groups were left unread."""

    states: list[AlertState]
    groups: dict[str, GroupState] = field(default_factory=dict)
    unread_groups: int = 0


def matches(state: AlertState, matchers: Sequence[Matcher]) -> bool:
    """Whether the alert matches every matcher, as a silence matches it (its labels and its fingerprint)."""
    view = {**state.labels, FINGERPRINT_LABEL: state.fingerprint}
    return all(m.matches(view) for m in matchers)


def may_match(entry: OpenGroup, matchers: Sequence[Matcher]) -> bool:
    """Whether some member of the group may match: every member has the group's labels, so a matcher on one of
    them that the group's value fails rules the whole group out."""
    return all(m.matches(entry.labels) for m in matchers if m.name in entry.labels)


def open_alerts(
    index: OpenGroupIndex, groups: GroupView, alerts: AlertStore, matchers: Sequence[Matcher] = ()
) -> OpenNow:
    """The firing alerts the matchers select, worst severity first, then the oldest first. The newest groups
    are read first (an entry a crash left behind is old: it never crowds out what fires now), PARALLEL_READS at
    a time, until MAX_GROUPS_READ groups or MAX_LISTED firing alerts; the open groups left are counted."""
    entries = [
        e for e in reversed(index.open_groups()) if may_match(e, matchers)
    ]  # (the index: oldest first)
    read: dict[str, GroupState] = {}
    firing: set[str] = set()
    done = 0
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        while done < min(len(entries), MAX_GROUPS_READ) and len(firing) < MAX_LISTED:
            batch = entries[done : min(done + PARALLEL_READS, MAX_GROUPS_READ)]
            for entry, group in zip(batch, pool.map(lambda e: groups.get_group(e.key), batch), strict=True):
                if group is None:
                    continue  # an entry left over by a group since expired
                read[entry.key] = group
                firing.update(fp for fp, m in group.members.items() if m.status == Status.FIRING)
            done += len(batch)
    states = alerts.get_alerts(sorted(firing)) if firing else {}
    selected = [s for s in states.values() if s.status == Status.FIRING and matches(s, matchers)]
    ordered = sorted(
        selected,
        key=lambda s: (SEVERITY_ORDER.get(s.severity, len(SEVERITY_ORDER)), s.starts_at_ms, s.fingerprint),
    )
    return OpenNow(ordered, read, len(entries) - done)


def unread_text(groups: int) -> str:
    """What a listing says of the open groups it did not read (MAX_GROUPS_READ, MAX_LISTED); each listing adds
    what to do about it."""
    return f"…and {groups} more group{'s' if groups != 1 else ''} with open alerts, not read"
