"""One page to the ops topic per cause per gap, across all workers (a refused token, an invalid config)."""

from __future__ import annotations

import contextlib

from alertrouter.flush.env import FlushEnv
from alertrouter.flush.outcome import Outcome
from alertrouter.observability import ROUTER, module_logger

logger = module_logger(ROUTER, __name__)


def page_ops(
    env: FlushEnv, cause: str, gap_ms: int, subject: str, text: str, now: int, outcome: Outcome
) -> bool | None:
    """One page to the ops topic, unless one for `cause` went out within `gap_ms` (across all workers):
    True sent, False held back by the gap, None failed (logged, never fatal; its slot given back, so the
    next flush pages instead)."""
    assert env.ops is not None
    try:
        if not env.paging.claim_ops_page(cause, now, gap_ms):
            return False
    except Exception:  # noqa: BLE001 - a page is the fallback's fallback: logged, never fatal
        logger.exception("ops page not claimed", extra={"cause": cause})
        return None
    try:
        env.ops.page(subject, text)
    except Exception:  # noqa: BLE001
        logger.exception("ops page not published", extra={"cause": cause})
        with contextlib.suppress(Exception):
            env.paging.release_ops_page(cause, now)
        return None
    outcome.ops_pages += 1
    return True
