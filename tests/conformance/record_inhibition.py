"""Record which alerts the real Alertmanager (0.25) inhibits: golden/inhibition.json.

For each of SCENARIOS (a set of inhibit_rules and a set of alerts), the script starts its own loopback
Alertmanager (own storage path and port, --cluster.listen-address=""), posts the alerts with
POST /api/v2/alerts (firing ones with no endsAt; resolved ones with an endsAt in the past), waits, and reads
GET /api/v2/alerts back 4 times, half a second apart: per alert its status.state (active / suppressed) and
status.inhibitedBy (the fingerprints of the sources, given here as the alerts' names: where several alerts can
mute one, Alertmanager names one of them, not always the same, so all those named are kept). Resolved alerts
are not listed by Alertmanager (verdict null). A state that differs between reads stops the script.

Run where Alertmanager is installed (`apt-get install prometheus-alertmanager`), about 50 s:

    python tests/conformance/record_inhibition.py

tests/unit/test_inhibition_conformance.py replays every scenario through this project's inhibition."""

from __future__ import annotations

import json
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from oracle import alertmanager, http_json, write_golden

GOLDEN = Path(__file__).with_name("golden") / "inhibition.json"
SETTLE_S = 1.5  # after the POST, before the first read: the inhibitor learns of sources asynchronously
READS = 4  # reads of the alerts, half a second apart

CRIT_WARN_CLUSTER = """
- source_matchers: [severity="critical"]
  target_matchers: [severity="warning"]
  equal: [cluster]
"""


def alert(name: str, resolved: bool = False, **labels: str) -> dict[str, Any]:
    """One alert: `name` is how the golden data names it (its labels must differ from the others')."""
    return {"name": name, "labels": labels, "resolved": resolved}


SCENARIOS: list[dict[str, Any]] = [
    {
        "id": "equal_one_label",
        "question": "critical mutes warning in the same cluster only; a target without the label is not equal",
        "rules": CRIT_WARN_CLUSTER,
        "alerts": [
            alert("crit_a", alertname="Down", severity="critical", cluster="a"),
            alert("warn_a", alertname="Slow", severity="warning", cluster="a"),
            alert("warn_b", alertname="Slow", severity="warning", cluster="b"),
            alert("warn_none", alertname="Slow", severity="warning"),
            alert("info_a", alertname="Slow", severity="info", cluster="a"),
        ],
    },
    {
        "id": "equal_several_labels",
        "question": "every equal label must be the same on both sides",
        "rules": """
            - source_matchers: [severity="critical"]
              target_matchers: [severity="warning"]
              equal: [cluster, namespace]
            """,
        "alerts": [
            alert("crit_a_x", alertname="Down", severity="critical", cluster="a", namespace="x"),
            alert("warn_a_x", alertname="Slow", severity="warning", cluster="a", namespace="x"),
            alert("warn_a_y", alertname="Slow", severity="warning", cluster="a", namespace="y"),
            alert("warn_b_x", alertname="Slow", severity="warning", cluster="b", namespace="x"),
            alert("warn_a", alertname="Slow", severity="warning", cluster="a"),
        ],
    },
    {
        "id": "label_missing_on_both_sides",
        "question": "a label missing on both sides counts as equal (both empty)",
        "rules": """
            - source_matchers: [severity="critical"]
              target_matchers: [severity="warning"]
              equal: [zone]
            """,
        "alerts": [
            alert("crit_nozone", alertname="Down", severity="critical"),
            alert("warn_nozone", alertname="Slow", severity="warning"),
            alert("warn_z1", alertname="Slow", severity="warning", zone="z1"),
            alert("crit_z2", alertname="Down", severity="critical", zone="z2"),
            alert("warn_z2", alertname="Slow", severity="warning", zone="z2"),
            alert("warn_empty_zone", alertname="Lag", severity="warning", zone=""),
        ],
    },
    {
        "id": "regex_matchers",
        "question": "=~ and !~ on both sides, fully anchored",
        "rules": """
            - source_matchers: ['alertname=~"Node(Down|Unreachable)"']
              target_matchers: ['alertname!~"Node.*"', 'severity=~"warning|info"']
              equal: [instance]
            """,
        "alerts": [
            alert("nodedown_i1", alertname="NodeDown", severity="critical", instance="i1"),
            alert("disk_warn_i1", alertname="DiskFull", severity="warning", instance="i1"),
            alert("disk_crit_i1", alertname="DiskFull", severity="critical", instance="i1"),
            alert("nodeload_warn_i1", alertname="NodeLoad", severity="warning", instance="i1"),
            alert("disk_info_i2", alertname="DiskFull", severity="info", instance="i2"),
            alert("xnodedown_i2", alertname="XNodeDown", severity="critical", instance="i2"),
            alert("nodeunreachable_i3", alertname="NodeUnreachable", severity="critical", instance="i3"),
            alert("disk_info_i3", alertname="DiskFull", severity="info", instance="i3"),
        ],
    },
    {
        "id": "both_sides_alone",
        "question": "an alert matching source and target never mutes itself, nor another one on both sides",
        "rules": """
            - source_matchers: ['severity=~"critical|warning"']
              target_matchers: ['severity=~"warning|info"']
              equal: [alertname]
            """,
        "alerts": [
            alert("warn_1", alertname="X", severity="warning", instance="1"),
            alert("warn_2", alertname="X", severity="warning", instance="2"),
            alert("info_1", alertname="X", severity="info", instance="1"),
            alert("warn_y", alertname="Y", severity="warning"),
        ],
    },
    {
        "id": "both_sides_with_a_source_only_alert",
        "question": "an alert on both sides is muted by a source that is not also a target",
        "rules": """
            - source_matchers: ['severity=~"critical|warning"']
              target_matchers: ['severity=~"warning|info"']
              equal: [alertname]
            """,
        "alerts": [
            alert("crit", alertname="X", severity="critical"),
            alert("warn_1", alertname="X", severity="warning", instance="1"),
            alert("warn_2", alertname="X", severity="warning", instance="2"),
            alert("info_1", alertname="X", severity="info", instance="1"),
            alert("crit_y", alertname="Y", severity="critical"),
        ],
    },
    {
        "id": "only_target_matchers",
        "question": "no source matchers: every alert is a source (kube-prometheus' info rule shape)",
        "rules": """
            - target_matchers: [severity="info"]
              equal: [namespace]
            """,
        "alerts": [
            alert("info_a", alertname="Info", severity="info", namespace="a"),
            alert("warn_b", alertname="Warn", severity="warning", namespace="b"),
            alert("info_b", alertname="Info", severity="info", namespace="b"),
            alert("info_c1", alertname="Info1", severity="info", namespace="c"),
            alert("info_c2", alertname="Info2", severity="info", namespace="c"),
            alert("crit_d", alertname="Crit", severity="critical", namespace="d"),
        ],
    },
    {
        "id": "info_inhibitor",
        "question": "kube-prometheus' InfoInhibitor: info alerts muted while an InfoInhibitor fires in the namespace",
        "rules": """
            - target_matchers: [severity="info"]
              source_matchers: [alertname="InfoInhibitor"]
              equal: [namespace]
            """,
        "alerts": [
            alert("inhibitor_a", alertname="InfoInhibitor", severity="none", namespace="a"),
            alert("info_a", alertname="CPUThrottling", severity="info", namespace="a"),
            alert("info_b", alertname="CPUThrottling", severity="info", namespace="b"),
            alert("warn_a", alertname="CPUThrottling", severity="warning", namespace="a"),
        ],
    },
    {
        "id": "legacy_keys",
        "question": "source_match / target_match_re read as in Alertmanager (the regex anchored)",
        "rules": """
            - source_match:
                severity: critical
              target_match_re:
                severity: warn.*
              equal: [service]
            """,
        "alerts": [
            alert("crit_api", alertname="Down", severity="critical", service="api"),
            alert("warn_api", alertname="Slow", severity="warning", service="api"),
            alert("warning2_api", alertname="Lag", severity="warning2", service="api"),
            alert("prewarn_api", alertname="Lag", severity="prewarn", service="api"),
            alert("warn_web", alertname="Slow", severity="warning", service="web"),
        ],
    },
    {
        "id": "resolved_source",
        "question": "a source whose endsAt has passed no longer mutes",
        "rules": CRIT_WARN_CLUSTER,
        "alerts": [
            alert("crit_a_resolved", resolved=True, alertname="Down", severity="critical", cluster="a"),
            alert("warn_a", alertname="Slow", severity="warning", cluster="a"),
            alert("crit_b", alertname="Down", severity="critical", cluster="b"),
            alert("warn_b", alertname="Slow", severity="warning", cluster="b"),
            alert("warn_b_resolved", resolved=True, alertname="Lag", severity="warning", cluster="b"),
        ],
    },
    {
        "id": "several_rules_no_equal",
        "question": "several rules, one without equal (a source mutes every target), the first that holds",
        "rules": """
            - source_matchers: [alertname="Maintenance"]
              target_matchers: ['severity=~".+"']
            - source_matchers: [severity="critical"]
              target_matchers: [severity="warning"]
              equal: [cluster]
            """,
        "alerts": [
            alert("maintenance", alertname="Maintenance", cluster="a"),
            alert("crit_a", alertname="Down", severity="critical", cluster="a"),
            alert("warn_b", alertname="Slow", severity="warning", cluster="b"),
            alert("nosev", alertname="Other", cluster="b"),
            alert("empty_sev", alertname="Other2", severity="", cluster="b"),
        ],
    },
    {
        "id": "several_rules_chain",
        "question": "a muted alert still mutes others (inhibition does not chain off)",
        "rules": """
            - source_matchers: [severity="critical"]
              target_matchers: [severity="warning"]
              equal: [cluster]
            - source_matchers: [severity="warning"]
              target_matchers: [severity="info"]
              equal: [cluster]
            """,
        "alerts": [
            alert("crit_a", alertname="Down", severity="critical", cluster="a"),
            alert("warn_a", alertname="Slow", severity="warning", cluster="a"),
            alert("info_a", alertname="Note", severity="info", cluster="a"),
            alert("warn_b", alertname="Slow", severity="warning", cluster="b"),
            alert("info_b", alertname="Note", severity="info", cluster="b"),
            alert("info_c", alertname="Note", severity="info", cluster="c"),
        ],
    },
]


def config_yaml(rules: str) -> str:
    body = textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ")
    return f"route:\n  receiver: default\nreceivers:\n  - name: default\ninhibit_rules:\n{body}\n"


def rfc3339(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def key(labels: dict[str, str]) -> str:
    """An alert's identity: its labels, those with an empty value left out (Alertmanager drops them)."""
    return json.dumps({k: v for k, v in labels.items() if v}, sort_keys=True)


def read_verdicts(url: str, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """Per alert name: state and inhibitedBy (as names), or None when Alertmanager does not list it."""
    by_labels = {key(a["labels"]): a["name"] for a in alerts}
    listed = http_json(f"{url}/api/v2/alerts")
    names = {item["fingerprint"]: by_labels[key(item["labels"])] for item in listed}
    verdicts: dict[str, Any] = {a["name"]: None for a in alerts}
    for item in listed:
        status = item["status"]
        verdicts[names[item["fingerprint"]]] = {
            "state": status["state"],
            "inhibited_by": sorted(names.get(fp, fp) for fp in status["inhibitedBy"]),
        }
    return verdicts


def record(scenario: dict[str, Any]) -> dict[str, Any]:
    config = config_yaml(scenario["rules"])
    alerts = scenario["alerts"]
    keys = {key(a["labels"]) for a in alerts}
    if len(keys) != len(alerts):
        raise SystemExit(f"{scenario['id']}: two alerts with the same labels")
    with alertmanager(config) as url:
        now = datetime.now(UTC)
        payload = []
        for a in alerts:
            item = {"labels": a["labels"], "startsAt": rfc3339(now - timedelta(minutes=5))}
            if a["resolved"]:
                item["endsAt"] = rfc3339(now - timedelta(seconds=30))
            payload.append(item)
        http_json(f"{url}/api/v2/alerts", payload)
        time.sleep(SETTLE_S)
        reads = []
        for _ in range(READS):
            reads.append(read_verdicts(url, alerts))
            time.sleep(0.5)
    return {
        "id": scenario["id"],
        "question": scenario["question"],
        "config": config,
        "alerts": alerts,
        "verdicts": merge(scenario["id"], reads),
    }


def merge(scenario_id: str, reads: list[dict[str, Any]]) -> dict[str, Any]:
    """The reads' verdicts: each alert's state must be the same in all; its sources are those any read named
    (where several alerts can mute it, Alertmanager names one, not always the same)."""
    verdicts: dict[str, Any] = {}
    for name, first in reads[0].items():
        seen = [read[name] for read in reads]
        if any((v is None) != (first is None) or (v and v["state"] != first["state"]) for v in seen):
            raise SystemExit(f"{scenario_id}: {name} read differently: {seen}")
        verdicts[name] = first and {
            "state": first["state"],
            "inhibited_by": sorted({source for v in seen for source in v["inhibited_by"]}),
        }
    return verdicts


def main() -> None:
    started = time.monotonic()
    scenarios = [record(s) for s in SCENARIOS]
    write_golden(GOLDEN, {"scenarios": scenarios})
    verdicts = [v for s in scenarios for v in s["verdicts"].values() if v is not None]
    suppressed = sum(v["state"] == "suppressed" for v in verdicts)
    print(
        f"{GOLDEN}: {len(scenarios)} scenarios, {len(verdicts)} verdicts ({suppressed} suppressed) "
        f"in {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
