"""End to end: `make demo`'s scenario (demo/run.py, the real handlers on moto server and the Slack stand-in)
tells the same story on every run, and its key outcomes hold.

The whole output is compared with tests/e2e/demo_output.txt; after a deliberate change to the demo or to what
the router sends, record it again with `.venv/bin/python tests/e2e/test_demo.py --record` and review the diff.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # ~30 s: started first by the test workers, left out of make test-fast

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("demo_output.txt")
DEFAULT_PAGE = "demo/out/slack.html"


def run_demo(html: Path) -> str:
    """The demo's output, as `make demo` prints it to a pipe (no colours), the page written to `html`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    done = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "run.py"), "--html", str(html)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout.replace(str(html), DEFAULT_PAGE)


def channel_posts(output: str) -> dict[str, int]:
    """Messages per channel in the demo's closing 'What Slack shows now' section."""
    shown = output.split("▶ What Slack shows now", 1)[1].split("▶ Every SMS sent", 1)[0]
    posts: dict[str, int] = {}
    channel = ""
    for line in shown.splitlines():
        if line.startswith("#"):
            channel = line.strip()
            posts[channel] = 0
        elif line.startswith("  AlertRouter  "):
            posts[channel] += 1
    return posts


def test_the_demo_tells_its_story_the_same_way_every_time(tmp_path: Path) -> None:
    page = tmp_path / "slack.html"
    output = run_demo(page)

    # Every channel by name, never by id
    assert not re.search(r"\bC\d{8}\b", output)
    assert channel_posts(output) == {
        # three of the production account, two of the spokes (step 21), the zone's Health issue, the X-Ray
        # insight, DiskSpaceLow (step 26)
        "#infra-alerts": 8,
        "#oncall": 6,  # ... and the X-Ray insight's page (step 25)
        "#payments-alerts": 3,
        "#alerts": 2,  # ... and the ECS crash loop (step 24)
        "#batch-alerts": 1,
        "#aws-notices": 1,
        "#data-alerts": 3,  # who is on call (09:07), the missed heartbeat, the handoff at noon in Berlin
    }
    # Every page's SMS is shown, or why it waits and when it went out
    sms = [
        line.strip()
        for line in output.split("▶ Every SMS sent", 1)[1].splitlines()
        if line.startswith("  to ")
    ]
    assert [s.split(":", 1)[1].split(" us-east-1")[0].strip() for s in sms] == [
        "CRIT demo: PaymentsApi5xxHigh app/payments-api/7f3c1e9b2d",
        "CRIT demo: CheckoutLatencyP99 app/checkout/50dc6c495c0c9188",
        "CRIT demo: CheckoutLatencyP99 app/checkout/50dc6c495c0c9188",
        "CRIT demo: Checkout availability: error budget burn (page-1h-5m) checkout-availability",
        "CRIT demo: test-domain: High JVM Usage",
        "CRIT demo: CheckoutLatencyP99 app/checkout/50dc6c495c0c9188",
        "CRIT demo: DbReplicaLag orders-db-replica",
        "CRIT demo: 4 pages: CheckoutLatencyP99 app/checkout/50dc6c495c0c9188",  # nobody acknowledged
        "CRIT demo: orders-export: no ping since 10:36 UTC (expected every 5m, 2m grace)",
        "CRIT demo: 3 pages: test-domain: High JVM Usage",
        "CRIT demo: X-Ray insight in checkout: fault at payments",
    ]
    assert [s.split(" ", 2)[1] for s in sms] == [
        "oncall-primary",
        "oncall-primary",
        "oncall-secondary",
        "oncall-primary",
        "oncall-primary",
        "oncall-primary",
        "oncall-primary",
        "oncall-secondary",
        "dana",  # whoever the data schedule has on call
        "oncall-secondary",
        "oncall-primary",
    ]
    assert (
        "⏸ SMS to oncall-primary for CheckoutLatencyP99 held back" in output
        and "escalator at 09:07: 1 SMS" in output
    )
    # The acknowledgement, the escalation of the page nobody acknowledged, the silence that stops it
    assert "✋ Acknowledged by @U0ONCALL1 at 09:15 UTC" in output
    assert "📟 Not acknowledged: paged oncall-secondary (escalation step 1 of 1)" in output
    assert "escalator at 09:30: 0 SMS" in output
    # The storm is one message; 50 Batch failures are one message counted by reason, no thread flood
    # Each reads as a person would write it: what, where (the account's name), how bad
    assert "🟠 WARNING · 12 Lambda error alarms firing in production (us-east-1)" in output
    batch = output.split("▶ 13.", 1)[1].split("▶ 14.", 1)[0]
    headline = "50 jobs failed in queue nightly in production (us-east-1): 48 × Out of memory, 2 × Timeout"
    assert headline in batch
    # per reason: how many, one example job with its log link, the definition and revision; whether the
    # failures are still coming; the replayed events' own time beside when they arrived; the full list
    assert (
        "┃ *48 × Out of memory* · e.g. nightly-render " in batch
        and "exit code 24, 1 attempt · Logs ↗" in batch
    )
    assert "┃ *2 × Timeout* · e.g. " in batch
    assert "job definition render:3" in batch and "Still coming: 50 in the last 5 min" in batch
    assert "first failed 2023-11-14 22:13 UTC by the event's own clock, received 10:00 UTC" in batch
    assert "aws batch list-jobs --job-queue nightly --job-status FAILED" in batch
    assert batch.count("nightly-render failed") == 0  # no run of near-identical lines
    # our severity and the source's own word, on one line, with why
    assert "🔴 CRITICAL (OpenSearch: High) · test-domain: High JVM Usage in production (us-east-1)" in output
    assert [line for line in batch.splitlines() if "→ Slack" in line] == [
        "  → Slack post          #batch-alerts     ok"
    ]
    # The refused channel: the rest still served, then healed; only the malformed record is dead-lettered
    assert "→ Slack post          #infra-alerts     refused: not_in_channel" in output
    assert "✗ Slack channel #infra-alerts: the app is not a member" in output
    assert (
        "dead-letter queue: the malformed record (read at step 10), the stranger's alarm (read at step 21), 0 more"
        in output
    )
    assert "calls made before Retry-After passed: 0" in output
    # Maintenance: the alarm a CloudWatch mute rule muted is kept quiet (no post, no SMS), the maintenance
    # view names it and why beside the silences, and when the window ends it is posted and paged as new
    muted = output.split("▶ 16.", 1)[1].split("▶ 17.", 1)[0]
    assert "Slack posts: 0, SMS: 0" in muted and "→ Slack post" not in muted and "→ SMS" not in muted
    assert (
        "every sun 02:00-04:00 (Europe/Berlin); next window 2026-03-08 01:00 UTC → 2026-03-08 03:00 UTC"
        in muted
    )
    assert (
        "CloudWatch mute rule  DbReplicaLag  [" in muted
        and "muted by CloudWatch mute rule nightly-db until 2026-03-02 10:30 UTC" in muted
    )
    ended = output.split("▶ 17.", 1)[1].split("▶ The acknowledged", 1)[0]
    assert "→ Slack post          #oncall           ok" in ended
    assert "→ SMS to oncall-primary (+*********00): CRIT demo: DbReplicaLag orders-db-replica" in ended
    assert "┃ *🔴 CRITICAL · DbReplicaLag on orders-db-replica in production (us-east-1)*" in ended
    # On call: a heartbeat refused a wrong token, went silent, paged whoever the schedule has on call, was
    # ignored and escalated to a call; its ping resolved it; the schedule handed over at noon in Berlin
    heartbeat = output.split("▶ 18.", 1)[1].split("▶ The acknowledged", 1)[0]
    assert "10:33 POST /ping/orders-export with a wrong token → 401" in heartbeat
    assert "→ SMS to dana (+*********02): CRIT demo: orders-export: no ping since 10:36 UTC" in heartbeat
    assert "escalator at 10:55: 1 SMS, 1 call" in heartbeat
    assert (
        "📞 call to +1*********02, read aloud: This is the alert router. Critical in account demo"
        in heartbeat
    )
    assert (
        "┃ *✅ RESOLVED · orders-export: pinged again in production (us-east-1) · after 14 min*" in heartbeat
    )
    assert "(erin) is on call for *data* until 2026-03-03 12:00 CET (11:00 UTC) (was dana)." in heartbeat
    assert "@data-oncall (S0DATAONCALL) now: U0ERIN0001" in heartbeat
    # One organisation: two spokes' alarms in one channel, each named by AWS Organizations; a stranger refused
    org = output.split("▶ 21.", 1)[1].split("▶ 23.", 1)[0]
    assert "→ Slack post          #infra-alerts     ok   ×2" in org
    for name in ("checkout-prod", "checkout-sandbox"):
        assert f"┃ *🟠 WARNING · WebFleetCpuHigh on i-12345678901234567 in {name} (us-east-1)*" in org
    assert "comes from AWS account 999988887777, which is not a member of organisation o-" in org
    # the org-wide views: the dashboard's panels, and the Grafana JSON written
    assert "▦ Error budget left (%), worst first: SORT(SEARCH(" in org
    assert "▦ Open alerts by account and severity:" in org
    assert (
        "Grafana: demo/out/org-slos.grafana.json:" in org and "variables datasource, region, account" in org
    )
    # What AWS itself says (steps 23-25): a Health issue naming its zone, an ECS crash loop as ONE message
    # counted by reason, an X-Ray insight that pages and then turns resolved when X-Ray closes it
    health = output.split("▶ 23.", 1)[1].split("▶ 24.", 1)[0]
    assert "┃ *🟠 WARNING · EC2 operational issue in us-east-1a in production (us-east-1)*" in health
    assert "*Zone*: us-east-1a" in health
    crash_loop = output.split("▶ 24.", 1)[1].split("▶ 25.", 1)[0]
    assert [line for line in crash_loop.splitlines() if "→ Slack" in line] == [
        "  → Slack post          #alerts           ok"
    ]
    assert (
        "8 tasks of service checkout stopped in production (us-east-1): 6 × Exit code 1, 2 × Out of memory"
        in crash_loop
    )
    insight = output.split("▶ 25.", 1)[1].split("▶ 26.", 1)[0]
    assert (
        "┃ *🔴 CRITICAL · X-Ray insight in checkout: fault at payments in production (us-east-1)*" in insight
    )
    assert "→ SMS to oncall-primary" in insight and "→ Slack edit          #oncall           ok" in insight
    assert (
        "┃ *✅ RESOLVED · X-Ray insight in checkout: fault at payments in production (us-east-1) · after 12 min*"
        in insight
    )
    # The graph (step 1): the text first, then CloudWatch's image uploaded in Slack's three steps and shown in
    # the message under the text; on resolve (step 6) a fresh one in the thread
    first = output.split("▶ 1.", 1)[1].split("▶ 2.", 1)[0]
    assert [line.split()[2:4] for line in first.splitlines() if "→ Slack" in line] == [
        ["post", "#infra-alerts"],
        ["file:", "URL"],
        ["file:", "bytes"],
        ["file:", "done"],
        ["edit", "#infra-alerts"],
    ]
    assert "┃ 🖼  Graph of CPUUtilization for alarm ServerCpuTooHigh against threshold 80" in first
    resolved = output.split("▶ 6.", 1)[1].split("▶ 7.", 1)[0]
    assert "→ Slack file: thread  #infra-alerts     ok" in resolved
    # Acting from Slack (steps 26-28): /alerts answers only the asker; /silence's modal previews the open
    # alert it matches, then saves; the next matching alert is held back (no post, no SMS); App Home lists it
    slack_steps = output.split("▶ 26.", 1)[1].split("▶ The acknowledged", 1)[0]
    assert '← ephemeral: *1 alert firing* matching `alertname="DiskSpaceLow"`' in slack_steps
    assert "modal: *1 open alert matches:*" in slack_steps and "Silence `" in slack_steps
    held = slack_steps.split("▶ 28.", 1)[1]
    assert "→ Slack post" not in held and "→ SMS" not in held
    assert "🔕 silenced by @U0ONCALL1 until 2026-03-02 13:37 UTC" in held and "🔕 Active silences (1)" in held
    # The page: self-contained (its only images the graphs, inline), everything outside escaped
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html
    assert html.count(" src=") == html.count(' src="data:image/png;base64,') == 4
    assert html.count('class="message"') == 24 and "(edited ×2)" in html
    # And word for word what was recorded
    expected = GOLDEN.read_text(encoding="utf-8")
    if output != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), output.splitlines(True), "recorded", "now")
        )
        raise AssertionError(
            f"the demo's output changed (re-record: python {Path(__file__).relative_to(ROOT)} "
            f"--record):\n{diff[:6000]}"
        )


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit(f"usage: {sys.argv[0]} --record   (writes {GOLDEN.relative_to(ROOT)})")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        GOLDEN.write_text(run_demo(Path(tmp) / "slack.html"), encoding="utf-8")
    print(f"recorded {GOLDEN.relative_to(ROOT)}")
