"""Stage: Alertmanager's repeat_interval. A group that still fires with nothing new is notified again once
repeat_interval has passed since its last notification (on a group_interval tick): its message is redrawn and
its thread says it still fires. Every firing group is looked at again when its next repeat is due."""

from __future__ import annotations

from alertrouter.flush.stage import Flush
from alertrouter.models.alert import Status
from alertrouter.notify.render import render_repeat
from alertrouter.routing.clock import episode_notified, notified_at, repeat_due


class Repeat:
    def run(self, flush: Flush) -> None:
        group = flush.group
        firing = [
            m
            for fp, m in group.members.items()
            if m.status == Status.FIRING and fp not in flush.mutes.reasons
        ]
        news = flush.news
        if not firing or not (news or episode_notified(group)):
            return
        last = notified_at(group, flush.route, flush.now) if news else group.last_notified_ms
        if not news and flush.now >= repeat_due(group, flush.route, last):
            flush.repeat, last = True, notified_at(group, flush.route, flush.now)
            flush.thread_lines.append(render_repeat(firing, flush.now))
            # every channel is redrawn (its age, its counts), and hears the note
            flush.group = group.model_copy(update={"slack": group.slack.model_copy(update={"done": {}})})
        flush.look_again_at(repeat_due(group, flush.route, last))
