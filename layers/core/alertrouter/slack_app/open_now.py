"""The alerts firing now, as `/alerts`, App Home and the Silence modal's preview list them: the open-alert index
read whole, each entry's alert state read back (an entry may outlive its alert by a moment: only states still
firing count), filtered by label matchers as a silence would match them."""

from __future__ import annotations

from collections.abc import Sequence

from alertrouter.models.alert import Severity, Status
from alertrouter.models.matcher import Matcher
from alertrouter.models.silence import FINGERPRINT_LABEL
from alertrouter.models.state import AlertState
from alertrouter.store.base import AlertStore, OpenAlertIndex

MAX_LISTED = 500  # a storm's worth; what is listed beyond this is counted, not shown


def severity_rank(severity: str) -> int:
    try:
        return Severity(severity).rank
    except ValueError:
        return len(Severity)


def matches(state: AlertState, matchers: Sequence[Matcher]) -> bool:
    """Whether the alert matches every matcher, as a silence matches it (its labels and its fingerprint)."""
    view = {**state.labels, FINGERPRINT_LABEL: state.fingerprint}
    return all(m.matches(view) for m in matchers)


def open_alerts(
    index: OpenAlertIndex, alerts: AlertStore, matchers: Sequence[Matcher] = ()
) -> list[AlertState]:
    """The firing alerts the matchers select, worst severity first, then the oldest first."""
    fingerprints = sorted({entry.fingerprint for entry in index.open_entries()})
    states = alerts.get_alerts(fingerprints) if fingerprints else {}
    firing = [s for s in states.values() if s.status == Status.FIRING and matches(s, matchers)]
    return sorted(firing, key=lambda s: (severity_rank(s.severity), s.starts_at_ms, s.fingerprint))
