"""The request kinds Slack sends to the interactions function's one Request URL besides a click in a message,
after interactions.py has checked the signature and refused a replay: slash commands, the Events API
(url_verification, app_home_opened) and the Silence modal's payloads (part S2). The allow-lists apply to each
as to clicks: a team not on its list is refused (403), a user not on theirs is told so (an App Home says so)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alertrouter.models.config import RoutingConfig
from alertrouter.notify.base import NotifyError
from alertrouter.notify.render import utc_text
from alertrouter.observability import INTERACTIONS, module_logger
from alertrouter.slack_app.commands import Acknowledge, Commands, ephemeral, slack_text
from alertrouter.slack_app.home import home_view, refused_view
from alertrouter.slack_app.links import AlertGroups, AppSlack, workspace_url
from alertrouter.slack_app.listing import listed
from alertrouter.slack_app.oncall import on_call_lines
from alertrouter.slack_app.open_now import open_alerts
from alertrouter.slack_app.payloads import (
    RequestKind,
    UrlVerification,
    parse_command,
    parse_event,
)
from alertrouter.store.base import Stores

logger = module_logger(INTERACTIONS, __name__)

MAX_HOME_ALERTS = (
    60  # alerts App Home looks up groups for (one read each, within Slack's 3 s); the rest counted
)
SILENCE_COMMAND = "/silence"
# the Silence modal opened for a command: (trigger id, user, channel, text) -> the command's answer
OpenSilence = Callable[[str, str, str, str], dict[str, Any]]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class SlackAppEndpoint:
    def __init__(
        self,
        stores: Stores,
        slack: AppSlack | None,
        *,
        routing: Callable[[], RoutingConfig | None],
        allowed_teams: frozenset[str],
        refuse: Callable[[str, float], str | None],
        acknowledge: Acknowledge,
        open_silence: OpenSilence,
    ) -> None:
        self.stores = stores
        self.slack = slack
        self.routing = routing
        self.allowed_teams = allowed_teams
        self.refuse = refuse  # the user allow-lists: why this user may not act, None if they may
        self.open_silence = open_silence  # the Silence modal (slack_app/silence_modal.py), for /silence
        self.commands = Commands(
            index=stores.open_groups,
            alerts=stores.alerts,
            groups=stores.clicks,
            routing=routing,
            overrides=stores.overrides,
            slack=slack,
            acknowledge=acknowledge,
        )

    def answer(self, kind: RequestKind, body: bytes, now: float) -> Answer:
        """The answer to a verified request of one of the kinds besides a click in a message."""
        if kind is RequestKind.COMMAND:
            return self._command(body, now)
        if kind is RequestKind.EVENT:
            return self._event(body, now)
        return Answer(
            400, {"error": f"not a request this endpoint answers: {kind}"}
        )  # (modals: interactions)

    # ---- slash commands ----
    def _command(self, body: bytes, now: float) -> Answer:
        try:
            command = parse_command(body)
        except ValueError as exc:
            return Answer(400, {"error": str(exc)})
        refused = self._refused(command.team_id, command.user_id, now)
        if refused is not None:
            return refused
        if command.command.lower() == SILENCE_COMMAND:  # opens the Silence modal (views.open, within 3 s)
            return Answer(
                200,
                # the text as typed (Slack sends &, < and > as entities): a matcher's value is matched as is
                self.open_silence(
                    command.trigger_id, command.user_id, command.channel_id, slack_text(command.text)
                ),
            )
        return Answer(200, self.commands.answer(command, int(now * 1000)))

    # ---- the Events API ----
    def _event(self, body: bytes, now: float) -> Answer:
        try:
            event = parse_event(body)
        except ValueError as exc:
            return Answer(400, {"error": str(exc)})
        if isinstance(event, UrlVerification):  # Slack checking the Request URL: it only wants the challenge
            return Answer(200, {"challenge": event.challenge})
        if self.allowed_teams and event.team_id not in self.allowed_teams:
            return Answer(403, {"error": "team not allowed"})
        opened = event.app_home_opened()
        if opened is not None and opened.tab == "home":
            self.publish_home(opened.user, now)
        return Answer(200, {})  # any other event: acknowledged, so Slack does not send it again

    def _refused(self, team: str, user: str, now: float) -> Answer | None:
        if self.allowed_teams and team not in self.allowed_teams:
            return Answer(403, {"error": "team not allowed"})
        reason = self.refuse(user, now)
        return Answer(200, ephemeral(reason)) if reason is not None else None

    # ---- App Home ----
    def publish_home(self, user: str, now: float) -> None:
        """Publish the user's Home tab as the table holds it now (or why they may not see it). Best effort:
        a failure is logged; the tab keeps what was published before."""
        if self.slack is None:
            return
        reason = self.refuse(user, now)
        view = refused_view(reason) if reason is not None else self.home(int(now * 1000))
        try:
            self.slack.views_publish(user, view)
        except NotifyError as exc:
            logger.warning("App Home not published", extra={"user": user, "reason": str(exc)})

    def home(self, now_ms: int) -> dict[str, Any]:
        found = open_alerts(self.stores.open_groups, self.stores.clicks, self.stores.alerts)
        states = found.states
        groups = AlertGroups(self.routing, self.stores.clicks).known(found.groups)
        shown = listed(states[:MAX_HOME_ALERTS], groups, workspace_url(self.slack))
        silences = sorted(
            (s for s in self.stores.silences.silences() if s.active(now_ms)), key=lambda s: s.ends_at_ms
        )
        on_call = on_call_lines(self.routing(), self.stores.overrides, now_ms)
        return home_view(
            shown, len(states), silences, on_call, now_ms, utc_text(now_ms), unread_groups=found.unread_groups
        )
