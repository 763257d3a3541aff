"""Whom a page reaches at this moment: a person as named, or whoever a schedule has on call (its layers and the
overrides kept in the table), looked up when the page goes out."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from alertrouter.models.recipient import Recipient
from alertrouter.models.schedule import Override, Schedule
from alertrouter.observability import ESCALATOR, module_logger
from alertrouter.oncall.schedule import LOOK_AHEAD_MS, resolve
from alertrouter.store.base import OverrideStore

logger = module_logger(ESCALATOR, __name__)
OVERRIDES_FRESH_S = 30  # a schedule's overrides are read again after this long (a page needs them fresh)


class OnCallNow:
    def __init__(
        self,
        schedules: Mapping[str, Schedule],
        store: OverrideStore | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.schedules = schedules
        self.store = store
        self._clock = clock
        self._read: dict[str, tuple[float, list[Override]]] = {}

    def person(self, recipient: Recipient, now_ms: int) -> str | None:
        """The person `recipient` reaches now; None when its schedule is unknown or has nobody on call."""
        if recipient.person is not None:
            return recipient.person
        name = recipient.schedule or ""
        if name not in self.schedules:
            logger.error("page to a schedule the routing config does not have", extra={"schedule": name})
            return None
        found = resolve(recipient.ref, self.schedules, now_ms, self.overrides(name, now_ms))
        return found.person if found is not None else None

    def overrides(self, schedule: str, now_ms: int) -> list[Override]:
        """The schedule's overrides from now on (as far ahead as on_call looks for a shift's end), read again
        when older than OVERRIDES_FRESH_S. Best effort: a failed read keeps the last ones (the layers alone
        still name someone)."""
        if self.store is None:
            return []
        now = self._clock()
        read_at, overrides = self._read.get(schedule, (float("-inf"), []))
        if now - read_at >= OVERRIDES_FRESH_S:
            try:
                overrides = self.store.overrides(schedule, now_ms, now_ms + LOOK_AHEAD_MS)
                self._read[schedule] = (now, overrides)
            except Exception:  # noqa: BLE001 - a page must still go out
                logger.warning(
                    "overrides not read: the layers alone decide", extra={"schedule": schedule}, exc_info=True
                )
        return overrides
