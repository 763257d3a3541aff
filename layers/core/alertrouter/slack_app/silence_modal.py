"""The Silence modal: a silence made in Slack with its own matchers, duration or end time and comment, opened
by `/silence` or by the Silence menu's "Custom…" (pre-filled with the group's labels).

Flow (https://docs.slack.dev/surfaces/modals): `views.open` with the trigger id of the command or click (valid
3 s); the Submit button posts `view_submission`, answered in the HTTP response: `response_action: errors`
(`{block_id: text}`, shown under the field) for what cannot be saved, `response_action: update` with the
preview of the open alerts the matchers select while those matchers were not previewed yet, else the silence
is saved and the view becomes its confirmation. Enter in the matchers field (`dispatch_action`) posts
block_actions from the view, answered by `views.update` (with the view's `hash`, so a stale refresh does not
overwrite a newer view). `private_metadata` (JSON, small) carries where the modal came from and a digest of
the matchers last previewed.

Matchers are one Alertmanager matcher string (`alertname="DiskFull", env=~"prod|staging"`, braces optional),
read as `Matcher.parse_all` reads a `matchers:` entry; a lone bare word is the alert name, as
`alertrouter silence add DiskFull` takes it. Durations are Prometheus durations (`parse_duration`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from alertrouter.flush.visible import visible_members
from alertrouter.models.alert import Status
from alertrouter.models.duration import parse_duration
from alertrouter.models.matcher import Matcher, MatchOp, is_alert_name
from alertrouter.models.silence import FINGERPRINT_LABEL, MAX_SILENCE_MS, Silence
from alertrouter.models.state import AlertState, GroupState
from alertrouter.mrkdwn import escape, mention, shorten
from alertrouter.notify.base import NotifyError
from alertrouter.notify.headline import ICONS
from alertrouter.notify.render import SECTION_BUDGET, SlackMessage, utc_text, whole_lines
from alertrouter.observability import INTERACTIONS, module_logger
from alertrouter.slack_app.modal_payloads import SubmittedView, ViewBlockActions, ViewSubmission
from alertrouter.slack_app.open_now import open_alerts, unread_text
from alertrouter.store.base import Stores

logger = module_logger(INTERACTIONS, __name__)

CALLBACK_ID = "alertrouter_silence"
MATCHERS, DURATION, ENDS, COMMENT, PREVIEW = "matchers", "duration", "ends", "comment", "preview"
DEFAULT_DURATION = "2h"
PREVIEW_LISTED = 10  # alerts named in the preview; the others are counted
MAX_INPUT = 3000  # Slack's longest plain_text_input value (max_length)
MAX_COMMENT = 500
METADATA_LIMIT = 3000  # Slack's private_metadata limit


class ModalSlack(Protocol):
    """What the modal needs of Slack (SlackClient has it)."""

    def views_open(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]: ...

    def views_update(self, view_id: str, view: dict[str, Any], *, hash: str = "") -> dict[str, Any]: ...

    def post(
        self,
        channel: str,
        message: SlackMessage,
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> tuple[str, str]: ...


@dataclass(frozen=True)
class Origin:
    """The modal's private_metadata: the message it was opened from (if any) and the matchers last previewed."""

    channel: str = ""
    ts: str = ""
    group: str = ""
    episode: int = 0
    previewed: str = ""  # matchers_digest of the matchers the view's preview shows ("" = none yet)

    def encode(self) -> str:
        text = json.dumps({k: v for k, v in asdict(self).items() if v}, separators=(",", ":"))
        if len(text) > METADATA_LIMIT:  # (a group key is short; never send Slack what it refuses)
            return json.dumps({"previewed": self.previewed})
        return text

    @classmethod
    def decode(cls, text: str) -> Origin:
        """Read back what `encode` wrote; anything else is an origin-less modal that was never previewed."""
        try:
            data = json.loads(text or "{}")
        except (ValueError, RecursionError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        episode = data.get("episode", 0)
        return cls(
            channel=str(data.get("channel", "")),
            ts=str(data.get("ts", "")),
            group=str(data.get("group", "")),
            episode=episode if isinstance(episode, int) and not isinstance(episode, bool) else 0,
            previewed=str(data.get("previewed", "")),
        )


@dataclass(frozen=True)
class Fields:
    """What the modal's inputs hold."""

    matchers: str = ""
    duration: str = DEFAULT_DURATION
    ends_s: int | None = None  # the datetimepicker's Unix time (seconds)
    comment: str = ""


@dataclass(frozen=True)
class Preview:
    text: str  # the preview section's mrkdwn
    count: int | None  # alerts it selects (None: the matchers could not be read)


def parse_matchers(text: str) -> list[Matcher]:
    """The field's matchers; ValueError with the reason when they cannot be read."""
    given = text.strip()
    if not given:
        raise ValueError('give at least one matcher, e.g. alertname="DiskFull"')
    if is_alert_name(given):
        return [Matcher.of("alertname", "=", given)]  # as `silence add DiskFull`
    matchers = Matcher.parse_all(given)
    if not matchers:
        raise ValueError('give at least one matcher, e.g. alertname="DiskFull"')
    return matchers


def matchers_digest(matchers: Sequence[Matcher]) -> str:
    """The same for the same matchers however they were typed (blanks, order, braces)."""
    text = "\n".join(sorted(str(m) for m in matchers))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def silence_matchers(group: GroupState, firing: list[str]) -> list[Matcher]:
    """What a silence from a message covers: the group's labels (so alerts joining it later are silenced
    too), or, for a group without grouping labels, exactly the alerts the message shows."""
    labels = [Matcher(name=k, op=MatchOp.EQ, value=v) for k, v in sorted(group.group_labels.items())]
    if any(m.value for m in labels):
        return labels
    return [Matcher.parse(f'{FINGERPRINT_LABEL}=~"{"|".join(sorted(firing))}"')]


def read_fields(view: SubmittedView) -> Fields:
    picked = view.value(ENDS, ENDS).get("selected_date_time")
    return Fields(
        matchers=view.text(MATCHERS, MATCHERS),
        duration=view.text(DURATION, DURATION),
        ends_s=picked if isinstance(picked, int) and not isinstance(picked, bool) else None,
        comment=view.text(COMMENT, COMMENT),
    )


def validate(fields: Fields, now_ms: int) -> tuple[list[Matcher], int, dict[str, str]]:
    """The matchers and the end (epoch ms) the fields ask for, and the errors by block id ({}: none)."""
    errors: dict[str, str] = {}
    matchers: list[Matcher] = []
    try:
        matchers = parse_matchers(fields.matchers)
    except ValueError as exc:
        errors[MATCHERS] = shorten(str(exc), 300)
    else:
        if all(m.matches({}) for m in matchers):
            errors[MATCHERS] = "these matchers would silence every alert: add one that needs a label value"
    ends_ms, field, error = _end(fields, now_ms)
    if error:
        errors[field] = error
    return matchers, ends_ms, errors


def _end(fields: Fields, now_ms: int) -> tuple[int, str, str]:
    """When the silence ends (epoch ms), or the block id and text of what is wrong with the fields saying so."""
    duration = fields.duration.strip()
    if duration and fields.ends_s is not None:
        return 0, DURATION, "give a duration or an end time, not both"
    if fields.ends_s is not None:
        ends_ms = fields.ends_s * 1000
        if ends_ms <= now_ms:
            return 0, ENDS, "this time is in the past: pick a time to come"
        if ends_ms - now_ms > MAX_SILENCE_MS:
            return 0, ENDS, "a silence may last at most 30 days: pick an earlier end"
        return ends_ms, "", ""
    if not duration:
        return 0, DURATION, "give a duration (e.g. 2h, 1d) or pick an end time"
    try:
        length_ms = int(parse_duration(duration).total_seconds() * 1000)
    except ValueError as exc:
        return 0, DURATION, shorten(str(exc), 300)
    if length_ms <= 0:
        return 0, DURATION, "a silence must last a while: e.g. 30m, 2h, 1d"
    if length_ms > MAX_SILENCE_MS:
        return 0, DURATION, "a silence may last at most 30 days"
    return now_ms + length_ms, "", ""


def preview_of(states: list[AlertState], unread_groups: int = 0) -> Preview:
    """The preview section: how many open alerts the matchers select and which (the worst first);
    `unread_groups`: open groups not read (open_now's bound), said after them."""
    unread = f"\n{unread_text(unread_groups)}." if unread_groups else ""
    if not states and not unread:
        return Preview(
            "*No open alert matches these matchers now.* The silence would mute matching alerts that fire "
            "while it lasts.",
            0,
        )
    head = f"*{len(states)} open alert{'s' if len(states) != 1 else ''} match{'es' if len(states) == 1 else ''}:*"
    lines = [
        f"{ICONS.get(s.severity, '🔴')} {escape(shorten(s.title, 150))} · {escape(shorten(s.severity, 20))}"
        f" · since {utc_text(s.starts_at_ms)}"
        for s in states[:PREVIEW_LISTED]
    ]
    listing = whole_lines(lines, SECTION_BUDGET - len(head) - len(unread) - 1, len(states))
    return Preview(head + "\n" + listing + unread, len(states))


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def modal_view(fields: Fields, origin: Origin, preview: Preview | None) -> dict[str, Any]:
    """The Silence modal (https://docs.slack.dev/reference/views/modal-view-object): inputs keep their block and
    action ids across updates, so Slack keeps what the user typed."""
    matchers: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": MATCHERS,
        "max_length": MAX_INPUT,
        "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
        "placeholder": _plain('alertname="DiskFull", env=~"prod|staging"'),
    }
    if fields.matchers and len(fields.matchers) <= MAX_INPUT:
        matchers["initial_value"] = fields.matchers
    duration: dict[str, Any] = {"type": "plain_text_input", "action_id": DURATION, "max_length": 20}
    if fields.duration:
        duration["initial_value"] = fields.duration
    ends: dict[str, Any] = {"type": "datetimepicker", "action_id": ENDS}
    if fields.ends_s is not None:
        ends["initial_date_time"] = fields.ends_s
    comment: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": COMMENT,
        "multiline": True,
        "max_length": MAX_COMMENT,
    }
    if fields.comment:
        comment["initial_value"] = fields.comment[:MAX_COMMENT]
    if preview is None:
        shown = "_Press Enter in the matchers field, or Preview, to see the open alerts they select._"
        submit = "Preview"
    else:
        shown = preview.text
        submit = "Silence" if preview.count is None else f"Silence {preview.count} open"
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain("Silence alerts"),
        "submit": _plain(submit),
        "close": _plain("Cancel"),
        "private_metadata": origin.encode(),
        "blocks": [
            {
                "type": "input",
                "block_id": MATCHERS,
                "dispatch_action": True,
                "label": _plain("Matchers"),
                "hint": _plain(
                    'Alertmanager syntax: name="value", name!="value", name=~"regex", name!~"regex"'
                ),
                "element": matchers,
            },
            {
                "type": "input",
                "block_id": DURATION,
                "optional": True,
                "label": _plain("For"),
                "hint": _plain(
                    "A duration such as 30m, 2h or 1d (at most 30 days); or leave it empty and pick"
                    " an end below"
                ),
                "element": duration,
            },
            {
                "type": "input",
                "block_id": ENDS,
                "optional": True,
                "label": _plain("Or until"),
                "element": ends,
            },
            {
                "type": "input",
                "block_id": COMMENT,
                "optional": True,
                "label": _plain("Comment"),
                "element": comment,
            },
            {
                "type": "section",
                "block_id": PREVIEW,
                "text": {"type": "mrkdwn", "verbatim": True, "text": shown},
            },
        ],
    }


def confirmation_view(silence: Silence) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain("Silenced"),
        "close": _plain("Done"),
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "verbatim": True,
                    "text": f"🔕 Silence `{silence.id}` saved: "
                    f"{escape(shorten(silence.describe(), 2000))} until {utc_text(silence.ends_at_ms)}.",
                },
            },
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"To end it: `alertrouter silence expire {silence.id}`"}
                ],
            },
        ],
    }


def _ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


class SilenceModal:
    """Opens the Silence modal and answers what Slack posts from it."""

    def __init__(
        self, stores: Stores, slack: ModalSlack | None, *, now: Callable[[], float] = time.time
    ) -> None:
        self.stores = stores
        self.slack = slack
        self.now = now

    # ---- opening ----
    def open_from_command(self, trigger_id: str, user: str, channel: str, text: str) -> dict[str, Any]:
        """`/silence [matchers]`: the modal, its matchers field holding the command's text. Returns the
        command's answer ({}: nothing to say; the modal is the answer)."""
        return self._open(
            trigger_id, Fields(matchers=text.strip()[:MAX_INPUT]), Origin(channel=channel), user
        )

    def open_from_message(
        self, trigger_id: str, user: str, group: GroupState, channel: str, ts: str
    ) -> dict[str, Any]:
        """The Silence menu's "Custom…": the modal pre-filled with the group's labels (as the menu's own
        silences take them), remembering the message so the saved silence is noted in its thread."""
        firing = [fp for fp, m in visible_members(group).items() if m.status != Status.RESOLVED]
        prefill = ", ".join(str(m) for m in silence_matchers(group, firing)) if firing else ""
        origin = Origin(channel=channel, ts=ts, group=group.key, episode=group.episode)
        return self._open(trigger_id, Fields(matchers=prefill), origin, user)

    def _open(self, trigger_id: str, fields: Fields, origin: Origin, user: str) -> dict[str, Any]:
        # No preview here: the trigger id is valid for 3 s, and reading the open alerts first would spend them.
        if self.slack is None:
            return _ephemeral("The Silence dialog is not set up (no Slack client configured).")
        try:
            self.slack.views_open(trigger_id, modal_view(fields, origin, None))
        except NotifyError as exc:
            logger.warning("silence modal not opened", extra={"reason": str(exc), "user": user})
            if exc.code in ("expired_trigger_id", "exchanged_trigger_id"):
                return _ephemeral(
                    "Slack took too long to hand this over, so the Silence dialog could not open "
                    "(it must open within 3 seconds): please try again."
                )
            return _ephemeral(
                f"The Silence dialog could not open ({escape(exc.code or 'Slack error')}): try again."
            )
        return {}

    # ---- answering ----
    def submit(self, payload: ViewSubmission) -> dict[str, Any]:
        """The answer to the Submit button (the HTTP response body Slack reads `response_action` from)."""
        view = payload.view
        origin = Origin.decode(view.private_metadata)
        now_ms = int(self.now() * 1000)
        fields = read_fields(view)
        matchers, ends_ms, errors = validate(fields, now_ms)
        if errors:
            return {"response_action": "errors", "errors": errors}
        digest = matchers_digest(matchers)
        if digest != origin.previewed:
            preview = self._preview(matchers)
            updated = Origin(**{**asdict(origin), "previewed": digest})
            return {"response_action": "update", "view": modal_view(fields, updated, preview)}
        try:
            silence = Silence(
                matchers=matchers,
                starts_at_ms=now_ms,
                ends_at_ms=ends_ms,
                created_by=f"<@{payload.user.id}>",
                comment=fields.comment.strip() or "from the Slack Silence dialog",
            )
        except ValidationError as exc:
            return {
                "response_action": "errors",
                "errors": {MATCHERS: shorten(str(exc.errors()[0]["msg"]), 300)},
            }
        self.stores.silences.put_silence(silence)
        logger.info("silence saved from Slack", extra={"silence": silence.id, "user": payload.user.id})
        if origin.group:
            self._note(origin, silence, payload.user.id, now_ms)
        return {"response_action": "update", "view": confirmation_view(silence)}

    def action(self, payload: ViewBlockActions) -> dict[str, Any]:
        """Enter in the matchers field: the preview refreshed in place (views.update with the view's hash)."""
        if payload.actions[0].action_id != MATCHERS or self.slack is None:
            return {}
        view = payload.view
        origin = Origin.decode(view.private_metadata)
        fields = read_fields(view)
        try:
            matchers = parse_matchers(fields.matchers)
        except ValueError as exc:
            preview, previewed = Preview(f"⚠️ {escape(shorten(str(exc), 500))}", None), ""
        else:
            preview, previewed = self._preview(matchers), matchers_digest(matchers)
        updated = Origin(**{**asdict(origin), "previewed": previewed})
        try:
            self.slack.views_update(view.id, modal_view(fields, updated, preview), hash=view.hash)
        except NotifyError as exc:  # hash_conflict: a newer view is shown; not_found: it was closed
            logger.info("silence modal not refreshed", extra={"reason": str(exc)})
        return {}

    def _preview(self, matchers: Sequence[Matcher]) -> Preview:
        found = open_alerts(self.stores.open_groups, self.stores.clicks, self.stores.alerts, matchers)
        return preview_of(found.states, found.unread_groups)

    def _note(self, origin: Origin, silence: Silence, user: str, at_ms: int) -> None:
        """A silence saved from a message: in the group's history, and a note in the message's thread."""
        try:  # best effort: the silence is saved
            self.stores.history.add_history(
                origin.group,
                at_ms,
                "silence",
                {
                    "user": user,
                    "silence": silence.id,
                    "matchers": silence.describe(),
                    "ends_at_ms": silence.ends_at_ms,
                    "until_resolved": False,
                    "outcome": "new",
                    "custom": True,
                },
            )
        except Exception:  # noqa: BLE001
            logger.warning("history entry not written", exc_info=True)
        if self.slack is None or not origin.channel or not origin.ts:
            return
        note = (
            f"🔕 Silenced by {mention(user)} until {utc_text(silence.ends_at_ms)} "
            f"({escape(shorten(silence.describe(), 1500))}). To end it: `alertrouter silence expire {silence.id}`"
        )
        try:
            self.slack.post(origin.channel, SlackMessage(text=note), thread_ts=origin.ts)
        except NotifyError as exc:
            logger.warning("silence saved, thread note not posted", extra={"reason": str(exc)})
