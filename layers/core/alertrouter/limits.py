"""The router's limits and timings: what every part of a flush agrees on (nothing here imports the router)."""

from __future__ import annotations

LEASE_MS = 120_000  # longer than the worst flush (pacing + retries), shorter than the queue's visibility
BUSY_RETRY_S = 5  # when another worker holds the flush lease, look again this much later
PRUNE_BATCH = (
    99  # members dropped per flush: one DynamoDB transaction (100 actions, the header's one), all or none
)
# A flush writes each member's records (what it announced) with this many calls at a time: a storm's first flush
# notes thousands of members in seconds, not tens of seconds, while 3 x ~200 writes a second of ~1-2 units each
# stay under the 1,000 write units a second one partition takes, the storm's own joins beside them.
RECORD_WRITERS = 3
# Expired one-shot alerts the escalator hands to the router per run (~25 ms each: a send and a delete): a
# 5,000-job storm's expiries go over five runs, each well inside the escalator's 50 s, oldest due first.
EXPIRIES_PER_RUN = 1_000
MAX_HOP_MS = 900_000  # a muted group is looked at again at least this often (SQS's longest delay)
DECISION_CACHE = 4096  # label sets whose routing is remembered per process
SILENCE_CACHE_MS = 5_000  # silences are read at most this often per process (a storm flushes many groups)
CLICK_REREAD_MS = 500  # before an edit, clicks are read again if the last read is older than this
# A channel Slack refused for good is tried again by a scheduled flush after these waits (then every 15 min)
# while its group still fires: it heals soon after the app is invited back, without one call per second.
SLACK_RETRY_S = (60, 300, 900)
SLACK_RETRY_GAP_MS = 60_000  # the group's own flushes try it again no sooner than this after the last try
# A webhook still failing after a flush's own retries is tried again by a scheduled flush after these waits (then
# every 15 min), and gets the group's current state once it takes it; a group all resolved stops trying after
# WEBHOOK_RESOLVED_TRIES_MS (its resolve would otherwise keep it, and its flushes, alive for ever).
WEBHOOK_RETRY_S = (60, 300, 900)
WEBHOOK_RETRY_GAP_MS = 60_000  # the group's own flushes try it again no sooner than this after the last try
WEBHOOK_RESOLVED_TRIES_MS = 6 * 3_600_000
OPS_PAGE_GAP_MS = 3_600_000  # one ops page per cause per hour, whichever worker meets it
OPS_RECIPIENT = "ops-topic"  # how a page to the ops topic is recorded among a group's SMS pages
