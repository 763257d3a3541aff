"""A Slack target's own `title` / `text` templates, rendered against a group as Alertmanager's template data.

A member keeps a bounded set of its alert's labels (models/state.py KEPT_LABELS, with the group's labels and its
fields), so `.CommonLabels.alertname`, `.GroupLabels.queue` or `(index .Alerts 0).Labels.exit_code` read what
Alertmanager's would; its annotations are `summary` (the reason in plain words), `runbook_url`, and the links
it keeps (`console`, `logs`, `domain`). A template that cannot render against a group (a bound hit, data that
does not fit) falls back to the router's own headline or body, logged once per template.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from alertrouter.models.alert import Status
from alertrouter.models.state import GroupState, Member
from alertrouter.notify.template_data import ZERO_TIME, TemplateAlert, TemplateData, common_pairs
from alertrouter.notify.templates import RenderError, compile_template
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _alert(fingerprint: str, member: Member, group_labels: dict[str, str]) -> TemplateAlert:
    resolved = member.status == Status.RESOLVED
    annotations = {
        name: value
        for name, value in (
            ("summary", member.summary),
            ("runbook_url", member.runbook),
            ("console", member.console),
            *member.links.items(),
        )
        if value
    }
    return TemplateAlert(
        status="resolved" if resolved else "firing",  # (no data is firing, as Alertmanager knows only two)
        labels=member.label_set(group_labels),
        annotations=annotations,
        starts_at=_time(member.starts_at_ms),
        ends_at=_time(member.ts_ms) if resolved else ZERO_TIME,
        generator_url=member.console,
        fingerprint=fingerprint,
    )


def template_data(group: GroupState) -> TemplateData:
    """The group as Alertmanager's template data: its alerts, firing first, as its message shows them."""
    members = sorted(
        group.members.items(), key=lambda kv: (kv[1].status == Status.RESOLVED, kv[1].starts_at_ms)
    )
    alerts = tuple(_alert(fp, m, group.group_labels) for fp, m in members)
    common_labels, common_annotations = common_pairs(alerts)
    return TemplateData(
        receiver=group.receiver,
        status="firing" if any(a.status == "firing" for a in alerts) else "resolved",
        alerts=alerts,
        group_labels=dict(group.group_labels),
        common_labels=common_labels,
        common_annotations=common_annotations,
    )


def rendered(source: str | None, data: TemplateData) -> str | None:
    """The template's text for this data; None to draw our own (none given, Alertmanager's default named, an
    empty result, or a render that failed)."""
    if not source:
        return None
    template = compile_template(source)  # (cached; checked when the config was loaded)
    if template.uses_default:
        return None
    try:
        text = template.render(data).strip()
    except RenderError as exc:
        _failed(source, str(exc))
        return None
    return text or None


@lru_cache(maxsize=64)  # once per template and reason: a storm's every flush would repeat it
def _failed(source: str, reason: str) -> None:
    logger.warning(
        "Slack template not rendered: the router's own text is shown",
        extra={"template": source[:200], "reason": reason},
    )
