"""Record when the real Alertmanager notifies an aggregation group on scripted timelines, as golden JSON.

Each scenario of SCENARIOS is a list of steps (post these alerts, firing or resolved, at this second). For
each run of a scenario the script starts its own Alertmanager on loopback (own --storage.path in a temp dir,
own --web.listen-address, clustering off with --cluster.listen-address=""), whose only receiver is a
`webhook_configs` entry pointing to a small HTTP server in this script. The server records each POST: its
arrival time (seconds from the scenario start), the status and groupLabels of the webhook JSON and, per
alert, its labels and status. Alerts are posted with the v2 API (POST /api/v2/alerts) at the steps' times.

Writes golden/timeline.json: the oracle's version, the settings, and per scenario the steps (as data a
replay can feed: per alert its labels, startsAt and endsAt, in seconds from the scenario start) and the
notifications in order, each with its time, its group, the tick it belongs to (see assign_ticks), its
status and its alerts. Every scenario is run --runs times (default 2), several scenarios in parallel on
different ports; a scenario whose notifications (count, order, ticks, contents) differ between runs is
flagged "stable": false and all runs are kept.

Needs prometheus-alertmanager (Debian: `apt-get install prometheus-alertmanager`). Stdlib only:

    python tests/conformance/record_timeline.py [--runs 2] [--jobs 4] [--only NAME ...]

It takes about 4 minutes with the defaults (~5.5 with --runs 3; the scenarios add up to ~7 minutes of
timeline per run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from oracle import stop

GOLDEN = Path(__file__).resolve().parent / "golden" / "timeline.json"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager") or "alertmanager"
GROUP_WAIT = 2.0
GROUP_INTERVAL = 4.0
REPEAT_INTERVAL = 3600.0
TOLERANCE = 0.4  # seconds: a notification this close to group-start + group_wait + k*group_interval is tick k

Labels = dict[str, str]
Step = dict[str, Any]


# --- scenario building -------------------------------------------------------------------------------------


def a(name: str, instance: str = "i1") -> Labels:
    return {"alertname": name, "instance": instance}


def fire(at: float, *alerts: Labels, starts_at: float | None = None, ends_at: float | None = None) -> Step:
    """Post alerts as firing at `at`: startsAt `starts_at` (default now), endsAt `ends_at` (default: none sent,
    so Alertmanager sets endsAt = now + resolve_timeout)."""
    start = at if starts_at is None else starts_at
    return {
        "at": at,
        "status": "firing",
        "alerts": [{"labels": labels, "starts_at": start, "ends_at": ends_at} for labels in alerts],
    }


def resolve(at: float, *alerts: Labels, starts_at: float | None = None) -> Step:
    """Post alerts as resolved at `at` (endsAt now; startsAt: when the alert last fired, filled in later)."""
    return {
        "at": at,
        "status": "resolved",
        "alerts": [{"labels": labels, "starts_at": starts_at, "ends_at": at} for labels in alerts],
    }


def spread(at: float, status: str, alerts: list[Labels], over: float = 0.1) -> list[Step]:
    """One step per alert, spread evenly over `over` seconds from `at`."""
    gap = over / max(1, len(alerts) - 1)
    make = fire if status == "firing" else resolve
    return [make(round(at + i * gap, 3), labels) for i, labels in enumerate(alerts)]


FIVE = [a("Storm", f"i{i}") for i in range(1, 6)]

SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "burst",
        "description": "5 alerts of one group fire within 100 ms.",
        "question": "one notification at group_wait with all 5?",
        "duration": 12,
        "steps": spread(0.0, "firing", [a("Burst", f"i{i}") for i in range(1, 6)]),
    },
    {
        "name": "storm_resolve",
        "description": "5 alerts fire, are notified at 2, then all resolve spread over 100 ms at 7.0.",
        "question": "one resolved notification at the next tick (10), not at once?",
        "duration": 16,
        "steps": spread(0.0, "firing", FIVE) + spread(7.0, "resolved", FIVE),
    },
    {
        "name": "change_mid_interval",
        "description": "A fires at 0, B at 3, B resolves at 6.5, A resolves at 11.",
        "question": "which ticks carry what?",
        "duration": 20,
        "steps": [fire(0, a("Mid", "A")), fire(3, a("Mid", "B")), resolve(6.5, a("Mid", "B"))]
        + [resolve(11, a("Mid", "A"))],
    },
    {
        "name": "quiet_then_change",
        "description": "A fires at 0; nothing until B fires at 13.5.",
        "question": "B is sent at the next tick (14), not at once and not after a new group_wait?",
        "duration": 20,
        "steps": [fire(0, a("Quiet", "A")), fire(13.5, a("Quiet", "B"))],
    },
    {
        "name": "repeat",
        "description": "A fires at 0 and stays firing; repeat_interval 9s, group_interval 4s.",
        "question": "when do repeats go out (first tick at least repeat_interval after the last send)?",
        "duration": 36,
        "config": {"repeat_interval": 9},
        "steps": [fire(0, a("Repeat"))],
    },
    {
        "name": "repeat_reset_by_change",
        "description": "repeat_interval 9s. A fires at 0, B at 5 (a change, sent at 6).",
        "question": "does the change restart the repeat clock (next repeat 18, not 14)?",
        "duration": 24,
        "config": {"repeat_interval": 9},
        "steps": [fire(0, a("RepeatChange", "A")), fire(5, a("RepeatChange", "B"))],
    },
    {
        "name": "episode_restart_soon",
        "description": "A fires at 0, resolves at 3 (resolved sent at 6, group now empty), fires again at 7.",
        "question": "new group_wait (9) or next tick of the old, still existing, empty group (10)?",
        "duration": 16,
        "steps": [fire(0, a("Episode")), resolve(3, a("Episode")), fire(7, a("Episode"))],
    },
    {
        "name": "episode_restart_before_gc",
        "description": "A fires at 0, resolves at 3 (resolved sent at 6), fires again at 27, just before the"
        " dispatcher's first maintenance (~30 s after Alertmanager started) removes the empty group.",
        "question": "still the old group: sent at its tick 30, not at 29 (a new group_wait)?",
        "duration": 34,
        "steps": [fire(0, a("Gc27")), resolve(3, a("Gc27")), fire(27, a("Gc27"))],
    },
    {
        "name": "episode_restart_after_gc",
        "description": "A fires at 0, resolves at 3 (resolved sent at 6), fires again at 41, after the"
        " dispatcher's 30 s maintenance has removed the empty group.",
        "question": "new group, so first notification at 43 (group_wait), off the old 2+4k grid?",
        "duration": 48,
        "steps": [fire(0, a("Gc")), resolve(3, a("Gc")), fire(41, a("Gc"))],
    },
    {
        "name": "two_groups",
        "description": "group_by [alertname]: X/i1 at 0, Y/i1 at 1, X/i2 at 4.5, Y/i1 resolves at 6.5.",
        "question": "each group keeps its own ticks (X: 2,6,10; Y: 3,7,11)?",
        "duration": 16,
        "steps": [fire(0, a("X", "i1")), fire(1, a("Y", "i1")), fire(4.5, a("X", "i2"))]
        + [resolve(6.5, a("Y", "i1"))],
    },
    {
        "name": "resolve_refire_within_interval",
        "description": "A fires at 0 (sent at 2), resolves at 3, fires again at 4.5 (new startsAt).",
        "question": "what does tick 6 send: nothing (same firing set as last sent), the resolve, or A firing?",
        "duration": 14,
        "steps": [fire(0, a("Flap")), resolve(3, a("Flap")), fire(4.5, a("Flap"))],
    },
    {
        "name": "short_lived_member",
        "description": "A fires at 0 (sent at 2); B fires at 3 and resolves at 4, before the next tick.",
        "question": "does tick 6 tell of B (resolved) though its firing was never sent?",
        "duration": 12,
        "steps": [fire(0, a("Short", "A")), fire(3, a("Short", "B")), resolve(4, a("Short", "B"))],
    },
    {
        "name": "prometheus_repost",
        "description": "A re-posted firing every 1 s from 0 to 15 (same labels, startsAt 0, no endsAt), as"
        " Prometheus re-sends firing alerts.",
        "question": "re-posts are not changes: one notification?",
        "duration": 22,
        "steps": [fire(float(t), a("Repost"), starts_at=0.0) for t in range(16)],
    },
    {
        "name": "prometheus_stops",
        "description": "A re-posted every 1 s from 0 to 6 with endsAt = post + 3 s, then never again: it"
        " expires at 9.",
        "question": "the alert resolves by its endsAt alone: resolved sent at the tick after 9 (10)?",
        "duration": 14,
        "steps": [fire(float(t), a("Stops"), starts_at=0.0, ends_at=t + 3.0) for t in range(7)],
    },
    {
        "name": "resolve_timeout",
        "description": "resolve_timeout 5s; A posted once at 0 without endsAt.",
        "question": "Alertmanager sets endsAt = 0 + 5 s: resolved sent at tick 6?",
        "duration": 12,
        "config": {"resolve_timeout": 5},
        "steps": [fire(0, a("Timeout"))],
    },
    {
        "name": "resolved_never_fired",
        "description": "A posted only as resolved (startsAt -1, endsAt 0): a group is made for it.",
        "question": "nothing is sent for a group that never had a firing notification?",
        "duration": 8,
        "steps": [resolve(0, a("Ghost"), starts_at=-1.0)],
    },
    {
        "name": "old_startsat_new_group",
        "description": "A posted at 0 with startsAt -10 (older than group_wait); B fires at 1.",
        "question": "sent at once (0), and the group's ticks then run from that flush (4, 8)?",
        "duration": 10,
        "steps": [fire(0, a("Old", "A"), starts_at=-10.0), fire(1, a("Old", "B"))],
    },
    {
        "name": "group_wait_cut_short",
        "description": "A fires at 0 (group_wait would end at 2); B joins at 0.5 with startsAt -10; C at 2.",
        "question": "B cuts group_wait short (flush at 0.5 with A and B), ticks then 4.5, 8.5: C at 4.5?",
        "duration": 10,
        "steps": [fire(0, a("Cut", "A")), fire(0.5, a("Cut", "B"), starts_at=-10.0), fire(2, a("Cut", "C"))],
    },
    {
        "name": "send_resolved_false",
        "description": "send_resolved false: A and B fire at 0, B resolves at 3, A resolves at 7.",
        "question": "only the firing notification at 2: no resolved-only one, B's resolve is no change?",
        "duration": 14,
        "config": {"send_resolved": False},
        "steps": [fire(0, a("Quiet2", "A"), a("Quiet2", "B")), resolve(3, a("Quiet2", "B"))]
        + [resolve(7, a("Quiet2", "A"))],
    },
    {
        "name": "resolved_during_group_wait",
        "description": "A fires at 0 and resolves at 1, before group_wait ends.",
        "question": "nothing at all is sent (the group's first flush has no firing alert)?",
        "duration": 10,
        "steps": [fire(0, a("Blip")), resolve(1, a("Blip"))],
    },
    {
        "name": "many_groups_burst",
        "description": "group_by [alertname]: 3 groups of 3 alerts each fire within 100 ms.",
        "question": "one notification per group, all at group_wait?",
        "duration": 10,
        "steps": spread(0.0, "firing", [a(f"G{g}", f"i{i}") for g in range(1, 4) for i in range(1, 4)]),
    },
    {
        "name": "repeat_after_partial_resolve",
        "description": "repeat_interval 9s. A and B fire at 0; B resolves at 3 (sent at 6); A stays firing.",
        "question": "the resolve restarts the repeat clock (repeat at 18) and the repeat carries A only?",
        "duration": 24,
        "config": {"repeat_interval": 9},
        "steps": [fire(0, a("Partial", "A"), a("Partial", "B")), resolve(3, a("Partial", "B"))],
    },
    {
        "name": "webhook_errors",
        "description": "A fires at 0; the webhook answers 500 to its first 2 POSTs, then 200.",
        "question": "Alertmanager retries within the tick (backoff) until a 200; how many POSTs, when?",
        "duration": 12,
        "config": {"webhook_status": [500, 500]},
        "steps": [fire(0, a("Flaky"))],
    },
]


def fill_starts(steps: list[Step]) -> list[Step]:
    """Resolved alerts without startsAt get the startsAt of the alert's last firing post (else at - 1)."""
    last: dict[str, float] = {}
    for step in sorted(steps, key=lambda s: s["at"]):
        for alert in step["alerts"]:
            key = json.dumps(alert["labels"], sort_keys=True)
            if step["status"] == "firing":
                last[key] = alert["starts_at"]
            elif alert["starts_at"] is None:
                alert["starts_at"] = last.get(key, step["at"] - 1.0)
    return sorted(steps, key=lambda s: s["at"])


# --- one run -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Webhook(ThreadingHTTPServer):
    """Records every POST with its arrival time; answers the scripted statuses, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.statuses = list(statuses)
        self.t0 = time.monotonic()
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: Webhook

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        arrived = time.monotonic() - self.server.t0
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with self.server.lock:
            code = self.server.statuses.pop(0) if self.server.statuses else 200
            self.server.posts.append(
                {
                    "at": round(arrived, 3),
                    "http_status": code,
                    "status": body.get("status"),
                    "group": body.get("groupLabels", {}),
                    "alerts": [
                        {"labels": al.get("labels", {}), "status": al.get("status")}
                        for al in body.get("alerts", [])
                    ],
                }
            )
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


def duration(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"  # Alertmanager's durations take no decimals


def config_yaml(webhook_port: int, opts: dict[str, Any]) -> str:
    """The Alertmanager config, as JSON (which is YAML)."""
    return json.dumps(
        {
            "global": {"resolve_timeout": duration(opts.get("resolve_timeout", 300))},
            "route": {
                "receiver": "hook",
                "group_by": opts.get("group_by", ["alertname"]),
                "group_wait": duration(opts.get("group_wait", GROUP_WAIT)),
                "group_interval": duration(opts.get("group_interval", GROUP_INTERVAL)),
                "repeat_interval": duration(opts.get("repeat_interval", REPEAT_INTERVAL)),
            },
            "receivers": [
                {
                    "name": "hook",
                    "webhook_configs": [
                        {
                            "url": f"http://127.0.0.1:{webhook_port}/",
                            "send_resolved": opts.get("send_resolved", True),
                        }
                    ],
                }
            ],
        },
        indent=1,
    )


def rfc3339(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post_alerts(port: int, step: Step, wall0: float) -> None:
    payload = []
    for alert in step["alerts"]:
        item: dict[str, Any] = {"labels": alert["labels"], "startsAt": rfc3339(wall0 + alert["starts_at"])}
        if alert["ends_at"] is not None:
            item["endsAt"] = rfc3339(wall0 + alert["ends_at"])
        payload.append(item)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v2/alerts",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        if response.status != 200:
            raise RuntimeError(f"POST /api/v2/alerts: {response.status}")


def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"alertmanager exited {proc.returncode}: {proc.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.05)
    raise RuntimeError("alertmanager not ready in 20 s")


def run_once(scenario: dict[str, Any]) -> dict[str, Any]:
    """Start an Alertmanager, play the steps, return what the webhook got."""
    opts = scenario.get("config", {})
    hook = Webhook(opts.get("webhook_status", []))
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="am-timeline-") as scratch:
        config = Path(scratch) / "alertmanager.yml"
        config.write_text(config_yaml(hook.server_address[1], opts))
        launched = time.monotonic()
        proc = subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={config}",
                f"--storage.path={scratch}/data",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_ready(port, proc)
            hook.t0 = t0 = time.monotonic()
            wall0 = time.time()
            posted = []
            for step in scenario["steps"]:
                time.sleep(max(0.0, step["at"] - (time.monotonic() - t0)))
                posted.append(round(time.monotonic() - t0, 3))
                post_alerts(port, step, wall0)
            time.sleep(max(0.0, scenario["duration"] - (time.monotonic() - t0)))
        finally:
            stop(proc)
            hook.shutdown()
            hook.server_close()
    return {"launched_at": round(launched - t0, 3), "posted_at": posted, "posts": hook.posts}


# --- ticks -------------------------------------------------------------------------------------------------


def group_key(labels: Labels) -> str:
    return json.dumps(labels, sort_keys=True)


def assign_ticks(scenario: dict[str, Any], posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each notification its tick: k where it went at ~ epoch_zero + k * group_interval.

    A group's first epoch starts at its first post + group_wait (tick 0). A notification off that grid
    starts a new epoch (tick 0 = its own time), with the reason: "group_wait" (it came group_wait after a
    post of the group: a new aggregation group), "immediate" (it came right at a post: group_wait cut
    short by an alert whose startsAt is older than group_wait) or "unexplained". A POST that follows a
    failed one (webhook answered non-200) with the same alerts is a retry, with no tick of its own."""
    opts = scenario.get("config", {})
    gw = opts.get("group_wait", GROUP_WAIT)
    gi = opts.get("group_interval", GROUP_INTERVAL)
    by = opts.get("group_by", ["alertname"])
    step_times: dict[str, list[float]] = {}
    for step in scenario["steps"]:
        for alert in step["alerts"]:
            key = group_key({k: v for k, v in alert["labels"].items() if k in by})
            step_times.setdefault(key, []).append(step["at"])
    zero: dict[str, float] = {key: times[0] + gw for key, times in step_times.items()}
    epochs: dict[str, int] = {}
    failed: dict[str, bool] = {}
    out = []
    for post in posts:
        key = group_key(post["group"])
        entry = dict(post)
        if failed.get(key):
            entry.update(tick=None, epoch=epochs.get(key, 0), retry=True)
        else:
            k = (post["at"] - zero[key]) / gi
            if round(k) >= 0 and abs(post["at"] - (zero[key] + round(k) * gi)) <= TOLERANCE:
                entry.update(tick=round(k), epoch=epochs.get(key, 0))
                epochs.setdefault(key, 0)
            else:
                before = [t for t in step_times[key] if t <= post["at"] + TOLERANCE]
                if any(abs(post["at"] - t - gw) <= TOLERANCE for t in before):
                    reason = "group_wait"
                elif any(abs(post["at"] - t) <= TOLERANCE for t in before):
                    reason = "immediate"
                else:
                    reason = "unexplained"
                epochs[key] = epochs[key] + 1 if key in epochs else 0
                zero[key] = post["at"]
                entry.update(tick=0, epoch=epochs[key], epoch_start=reason)
        failed[key] = post["http_status"] != 200
        out.append(entry)
    return out


def shape(notifications: list[dict[str, Any]]) -> list[Any]:
    """What must agree between runs: everything but the exact times."""
    return [
        [n["group"], n["status"], n["tick"], n["epoch"], n.get("epoch_start"), n["http_status"], n["alerts"]]
        for n in notifications
    ]


# --- main --------------------------------------------------------------------------------------------------


def version() -> str:
    done = subprocess.run([ALERTMANAGER, "--version"], capture_output=True, text=True, check=False)
    first = (done.stdout + done.stderr).splitlines()[
        0
    ]  # alertmanager, version 0.25.0 (branch: ..., revision: ...)
    return first.split("version ", 1)[1]


def record(scenario: dict[str, Any], runs: int) -> dict[str, Any]:
    results = []
    for _ in range(runs):
        raw = run_once(scenario)
        raw["notifications"] = assign_ticks(scenario, raw.pop("posts"))
        results.append(raw)
    shapes = [shape(r["notifications"]) for r in results]
    stable = all(s == shapes[0] for s in shapes)
    notifications = results[0]["notifications"]
    if stable:
        for i, n in enumerate(notifications):
            times = [r["notifications"][i]["at"] for r in results]
            n["at_runs"] = times
    entry = {
        "name": scenario["name"],
        "description": scenario["description"],
        "question": scenario["question"],
        "config": scenario.get("config", {}),
        "duration": scenario["duration"],
        "steps": scenario["steps"],
        "notifications": notifications,
        "count": len([n for n in notifications if n["http_status"] == 200]),
        "stable": stable,
        "runs": [
            {
                "launched_at": r["launched_at"],
                "posted_at": r["posted_at"],
                "count": len([n for n in r["notifications"] if n["http_status"] == 200]),
                **({} if stable else {"notifications": r["notifications"]}),
            }
            for r in results
        ],
    }
    print(
        f"{scenario['name']}: {entry['count']} sent"
        f" {[(n['at'], n['tick'], n['status']) for n in notifications]}{'' if stable else '  UNSTABLE'}",
        flush=True,
    )
    return entry


NOTES = [
    "Times are seconds from the scenario start (t0 = just after the scenario's own Alertmanager answered"
    " /-/ready; runs[].launched_at is when its process was started, < 0). A notification's tick k: it was"
    " sent at ~ epoch_zero + k*group_interval, epoch 0's zero being the group's first post + group_wait.",
    "Firing alerts are posted with startsAt (steps' starts_at) and no endsAt unless ends_at is given;"
    " Alertmanager then sets endsAt = now + resolve_timeout (global.resolve_timeout, default 5m) and the"
    " alert resolves by itself at that time if not re-posted. Resolved = posted with endsAt <= now.",
    "The webhook must answer 2xx: otherwise Alertmanager retries the same notification with backoff"
    " (scenario webhook_errors; http_status is what the recorder answered, retry=true marks a retry).",
    "Notifications that carry only resolved alerts are sent only with send_resolved (default true for"
    " webhook_configs); with it false Alertmanager still logs them as sent (so a re-fire is a change).",
    "An aggregation group whose alerts are all resolved and flushed is emptied, but the empty group object"
    " (and its tick timer) lives until the dispatcher's maintenance, every 30 s from its start, removes it;"
    " an alert arriving before that joins the old group's ticks (episode_restart_soon), after it starts a"
    " new group with a new group_wait (episode_restart_after_gc).",
    "An alert whose startsAt is older than group_wait, arriving in a group that has not flushed yet"
    " (including the one it creates), makes the group flush at once; later ticks run from that flush.",
    "Alerts inside a notification are in Alertmanager's order (it sorts them); compare them as sets.",
    "Observed rules (all scenarios, every run alike): a group's first notification goes group_wait after its"
    " first alert; it then flushes on a fixed grid, every group_interval from that first flush; a tick sends"
    " only if the firing set grew or changed, or (send_resolved) an alert resolved, since the last"
    " notification, or repeat_interval has passed since it; a sent notification carries every alert of the"
    " group, firing and resolved, and resolved alerts leave the group once sent.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs of each scenario (>= 2 to check stability)")
    parser.add_argument(
        "--jobs", type=int, default=4, help="scenarios run at once (each its own Alertmanager)"
    )
    parser.add_argument("--only", nargs="*", help="record only these scenarios (printed, file not written)")
    parser.add_argument("--out", type=Path, default=GOLDEN)
    args = parser.parse_args()
    scenarios = [s for s in SCENARIOS if not args.only or s["name"] in args.only]
    for scenario in scenarios:
        scenario["steps"] = fill_starts(scenario["steps"])
    started = time.monotonic()
    order = sorted(scenarios, key=lambda s: -s["duration"])  # longest first: less idle tail
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = dict(
            zip([s["name"] for s in order], pool.map(lambda s: record(s, args.runs), order), strict=True)
        )
    elapsed = time.monotonic() - started
    print(f"{len(scenarios)} scenarios x {args.runs} runs in {elapsed:.0f} s")
    if args.only:
        return
    data = {
        "oracle": {"alertmanager_version": version(), "binary": ALERTMANAGER},
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            "group_wait": GROUP_WAIT,
            "group_interval": GROUP_INTERVAL,
            "repeat_interval": REPEAT_INTERVAL,
            "resolve_timeout": 300,
            "group_by": ["alertname"],
            "send_resolved": True,
            "runs": args.runs,
            "tick_tolerance": TOLERANCE,
            "note": "a scenario's config overrides these for that scenario only",
        },
        "notes": NOTES,
        "scenarios": [done[s["name"]] for s in scenarios],
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    unstable = [s["name"] for s in data["scenarios"] if not s["stable"]]
    print(f"{args.out}: {len(scenarios)} scenarios; unstable: {unstable or 'none'}")


if __name__ == "__main__":
    main()
