"""Record when Prometheus fires Sloth-shaped multiwindow, multi-burn-rate alerts over the SLO scenarios of
support/slo_scenarios.py, as golden/slo_prometheus.json (read by tests/unit/test_slo_prometheus_conformance.py).

What it does:

1. writes every scenario's data as two OpenMetrics counters, `slo_requests_total{scenario=...}` and
   `slo_errors_total{scenario=...}`, one sample a minute, and turns them into TSDB blocks with
   `promtool tsdb create-blocks-from openmetrics`. Prometheus gets every point on time, late errors
   included: it is the truth;
2. writes the rules the way Sloth generates them: recording rules `slo:sli_error:ratio_rate<W>` for
   W in 5m, 30m, 1h, 6h, 3d as `sum(rate(errors[W])) / sum(rate(total[W]))`, and one alert per Workbook rule,
   `(long > threshold * 0.001) and (short > threshold * 0.001)`; the file is checked with
   `promtool check rules` (and kept next to the golden's recording for reading: golden/slo_prometheus.rules.yml);
3. starts `prometheus` on 127.0.0.1 (a free port, the blocks in a temporary storage directory, retention
   100 years: the blocks are in the past and must not be deleted), and asks `query_range` for each alert's
   expression at 60-s steps over the scenario's span. The server evaluates rules only from now on, never in
   the past, so the recording rules are INLINED: each alert's query is its expression with the recording
   rules' own expressions in their place (the same text as in the rules file; `and` matches them on the
   empty label set, as Sloth's `without (sloth_window)` does);
4. checks the alignment below: at three minutes of each span, each window's ratio as Prometheus computes it
   is the ratio of the scenario's events over the evaluator's minutes (`alignment_checked`: how many);
5. records per scenario and rule the intervals where the expression has a value, [first step firing, first
   step no longer firing) in epoch seconds (null: still firing at the span's last step), with Prometheus's
   version and each scenario's fingerprint (a digest of the data and span: the test refuses a stale golden).

Alignment. Minute m (epoch seconds) holds the events of [m, m + 60). The evaluator's window of length W at
`now` sums the minutes [now - W, now). Prometheus 2.x selects the samples in [t - W, t] (both ends
included; 3.x excludes the left end). Each minute's cumulative count is written at m + 60, the minute's end,
plus a 0 at the data's start, so at t = now the selector holds the samples at now - W, ..., now: their
first is the count before minute now - W, their last the count through minute now - 60, and increase() is
exactly the events of the evaluator's minutes. rate() does not extrapolate (the samples reach both ends of
the range: no gap to extrapolate over), so it is that increase over W; the ratio of the two rates is the
ratio of the events, as the evaluator's. Where samples are missing (the data gap) Prometheus's
extrapolation and the evaluator's buckets may differ by a minute: that is the oracle's own reading.
Counter resets are counters restarting at 0 at a minute's start; both rate() and the evaluator count the
new value as the increase. Thresholds are compared in float64 here and exactly in the evaluator: the
scenarios keep clear of the thresholds.

Needs Prometheus and promtool (Debian 12: `apt-get install prometheus`, 2.42). Run from the repository root:

    PYTHONPATH=layers/core:tests python tests/conformance/record_slo_prometheus.py

It takes about half a minute.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from support.slo_scenarios import MINUTE, SCENARIOS, Scenario

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "slo_prometheus.json"
RULES_COPY = HERE / "golden" / "slo_prometheus.rules.yml"
PROMETHEUS = shutil.which("prometheus") or "prometheus"
PROMTOOL = shutil.which("promtool") or "promtool"
ERRORS, TOTAL = "slo_errors_total", "slo_requests_total"
ERROR_BUDGET = "0.001"  # 1 - 0.999

# The Workbook's rules for a 30-day period, as the evaluator names them: (name, long, short, threshold)
RULES = (
    ("page-1h-5m", "1h", "5m", "14.4"),
    ("page-6h-30m", "6h", "30m", "6"),
    ("ticket-3d-6h", "3d", "6h", "1"),
)
WINDOWS = ("5m", "30m", "1h", "6h", "3d")


def ratio(scenario: str, window: str) -> str:
    """The recording rule slo:sli_error:ratio_rate<window> of one scenario."""
    sel = f'{{scenario="{scenario}"}}'
    return f"sum(rate({ERRORS}{sel}[{window}])) / sum(rate({TOTAL}{sel}[{window}]))"


def alert_expr(scenario: str, long: str, short: str, threshold: str, *, inline: bool) -> str:
    def side(window: str) -> str:
        if inline:
            return f"({ratio(scenario, window)})"
        return f'slo:sli_error:ratio_rate{window}{{sloth_slo="{scenario}"}}'

    bound = f"({threshold} * {ERROR_BUDGET})"
    if inline:
        return f"({side(long)} > {bound}) and ({side(short)} > {bound})"
    return (
        f"(max({side(long)} > {bound}) without (sloth_window)) and "
        f"(max({side(short)} > {bound}) without (sloth_window))"
    )


def rules_yaml() -> str:
    """Sloth-shaped rule groups: per scenario the SLI recordings and the multiwindow alerts."""
    lines = ["groups:"]
    for s in SCENARIOS:
        lines += [f"  - name: sloth-slo-sli-recordings-{s.name}", "    rules:"]
        for w in WINDOWS:
            lines += [
                f"      - record: slo:sli_error:ratio_rate{w}",
                f"        expr: {json.dumps(ratio(s.name, w))}",
                "        labels:",
                f"          sloth_slo: {s.name}",
                f"          sloth_window: {w}",
            ]
        lines += [f"  - name: sloth-slo-alerts-{s.name}", "    rules:"]
        for name, long, short, threshold in RULES:
            alert = "Slo" + "".join(part.capitalize() for part in name.split("-"))
            lines += [
                f"      - alert: {alert}",
                f"        expr: {json.dumps(alert_expr(s.name, long, short, threshold, inline=False))}",
                "        labels:",
                f"          sloth_slo: {s.name}",
                f"          severity: {name.split('-')[0]}",
                f"          rule: {name}",
            ]
    return "\n".join(lines) + "\n"


def openmetrics() -> str:
    """Both counters of every scenario; one metric family after the other, as OpenMetrics requires."""
    out = []
    for family, index in ((TOTAL, 1), (ERRORS, 2)):
        out.append(f"# TYPE {family.removesuffix('_total')} counter")
        for s in SCENARIOS:
            for sample in s.prometheus_samples():
                out.append(f'{family}{{scenario="{s.name}"}} {sample[index]} {sample[0]}')
    out.append("# EOF")
    return "\n".join(out) + "\n"


def run(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout + proc.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(base: str, path: str, **params: Any) -> Any:
    url = f"{base}{path}?{urllib.parse.urlencode(params)}" if params else f"{base}{path}"
    with urllib.request.urlopen(url, timeout=120) as response:
        return json.loads(response.read())


def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("prometheus exited before it was ready")
        try:
            with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("prometheus not ready after 60 s")


def firing_intervals(base: str, scenario: Scenario, expr: str) -> list[list[int | None]]:
    answer = get(base, "/api/v1/query_range", query=expr, start=scenario.start, end=scenario.end, step=MINUTE)
    if answer.get("status") != "success":
        raise SystemExit(f"query failed: {answer}")
    result = answer["data"]["result"]
    if len(result) > 1:
        raise SystemExit(f"{scenario.name}: more than one series for {expr}")
    steps = [int(float(t)) for t, _ in result[0]["values"]] if result else []
    spans: list[list[int | None]] = []
    for t in steps:
        if spans and spans[-1][1] == t:
            spans[-1][1] = t + MINUTE
        else:
            spans.append([t, t + MINUTE])
    for span in spans:
        if span[1] is not None and span[1] > scenario.end:
            span[1] = None
    return spans


SECONDS = {"5m": 300, "30m": 1800, "1h": 3600, "6h": 21600, "3d": 259200}


def check_alignment(base: str, scenario: Scenario) -> int:
    """Prometheus's ratio over each window, at the span's first, middle and last minute with data, is the
    ratio of the scenario's own events over the evaluator's minutes [t - W, t) (to float precision): the
    alignment the docstring describes. Windows touching a data gap or the first minute after it are left
    out: there Prometheus has no sample at the minute's start, so it leaves that minute out and extrapolates. Returns how many were checked."""
    checked = 0
    last = min(scenario.end, scenario.last_data)
    for t in sorted({scenario.start, (scenario.start + last) // 2 // MINUTE * MINUTE, last}):
        for window, length in SECONDS.items():
            if any(
                b + MINUTE > t - length and a < t for a, b in scenario.gaps
            ):  # (and its first minute after)
                continue
            requests, errors = scenario.truth(t - length, t)
            answer = get(base, "/api/v1/query", query=ratio(scenario.name, window), time=t)
            [sample] = answer["data"]["result"]
            got = float(sample["value"][1])
            if abs(got - errors / requests) > 1e-12 + 1e-9 * errors / requests:
                raise SystemExit(
                    f"{scenario.name} {window} at {t}: Prometheus {got}, events {errors}/{requests}"
                )
            checked += 1
    return checked


def version() -> str:
    out = run([PROMETHEUS, "--version"])
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else out.splitlines()[0]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="slo-prometheus-") as tmp:
        root = Path(tmp)
        (root / "data.om").write_text(openmetrics())
        storage = root / "tsdb"
        run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(root / "data.om"), str(storage)])
        rules = rules_yaml()
        (root / "rules.yml").write_text(rules)
        run([PROMTOOL, "check", "rules", str(root / "rules.yml")])
        RULES_COPY.write_text(
            "# Written by tests/conformance/record_slo_prometheus.py (checked with promtool check rules);\n"
            "# not loaded by the server: the recording below is inlined into the alert queries.\n" + rules
        )
        (root / "prometheus.yml").write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={storage}",
                "--storage.tsdb.retention.time=100y",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(root / "prometheus.log").open("w"),
        )
        try:
            wait_ready(base, proc)
            scenarios: dict[str, Any] = {}
            for s in SCENARIOS:
                scenarios[s.name] = {
                    "about": s.about,
                    "fingerprint": s.fingerprint(),
                    "start": s.start,
                    "end": s.end,
                    "step": MINUTE,
                    "alignment_checked": check_alignment(base, s),
                    "rules": {
                        name: firing_intervals(
                            base, s, alert_expr(s.name, long, short, threshold, inline=True)
                        )
                        for name, long, short, threshold in RULES
                    },
                }
                print(s.name, json.dumps(scenarios[s.name]["rules"]))
            queries = {
                name: alert_expr("<scenario>", long, short, threshold, inline=True)
                for name, long, short, threshold in RULES
            }
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    GOLDEN.write_text(
        json.dumps(
            {
                "prometheus_version": version(),
                "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "recording_rules": "inlined into the alert queries (the server does not evaluate rules in the past)",
                "queries": queries,
                "scenarios": scenarios,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
