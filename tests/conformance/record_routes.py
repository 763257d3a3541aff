"""Record what the real `amtool` (Alertmanager's) says of random route trees: `config routes show` for each
tree, and `config routes test` for random label sets against it, into golden/routes.json.

Run where Alertmanager is installed (`apt-get install prometheus-alertmanager`):

    python tests/conformance/record_routes.py [--trees 30] [--labels 12] [--seed 7]

tests/unit/test_routes_conformance.py checks this project's `config routes show` / `test` against the file,
so `make test` needs no Alertmanager. The trees use `=`, `!=`, `=~`, `!~`, several matchers per route,
`continue`, nesting, receivers inherited (left out) or named, and labels that are missing from an alert."""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

GOLDEN = Path(__file__).with_name("golden") / "routes.json"
REAL_WORLD = Path(__file__).with_name("golden") / "real_world.json"
CONFIGS = Path(__file__).with_name("configs")  # configs of real-world shape, written here
REAL_WORLD_ALERTS = [
    ["alertname=Watchdog", "severity=none", "namespace=monitoring"],
    ["alertname=InfoInhibitor", "severity=none", "namespace=prod"],
    ["alertname=KubePodCrashLooping", "severity=warning", "namespace=prod"],
    ["alertname=KubePodCrashLooping", "severity=critical", "namespace=prod"],
    ["alertname=TargetDown", "severity=info", "namespace=staging"],
    ["alertname=KubeAPIDown", "severity=critical"],
    ["severity=critical", "namespace=payments", "team=payments"],
    ["alertname=DiskFull", "severity=warning", "team=db", "env=prod"],
    ["alertname=PaymentsSlow", "team=payments", "env=prod", "severity=critical"],
    ["alertname=Heartbeat", "team=checkout", "env=staging"],
    ["alertname=CheckoutErrors", "team=checkout", "env=dev", "severity=critical"],
    ["alertname=ReplicationLag", "team=data", "service=PostgreS", "severity=critical", "env=production"],
    ["alertname=CacheMiss", "service=redis", "severity=warning"],
    ["alertname=CacheMiss", "service=redis-cluster", "severity=warning"],
    ["alertname=Noise", "severity=none", "env=prod"],
]
LABELS = {"severity": ["critical", "warning", "info"], "service": ["payments", "prepay", "search", "db"]}
LABELS["team"] = ["db", "web", "data"]
LABELS["env"] = ["prod", "staging"]


def matcher(rng: random.Random) -> str:
    name = rng.choice(sorted(LABELS))
    values = LABELS[name]
    op = rng.choice(["=", "!=", "=~", "!~"])
    if op in ("=~", "!~"):
        value = rng.choice([f"{rng.choice(values)[:3]}.*", "|".join(rng.sample(values, 2)), ".+", "(?i)PROD"])
    else:
        value = rng.choice([*values, ""])
    return f"{name}{op}{json.dumps(value)}"


def route(rng: random.Random, depth: int, receivers: list[str]) -> dict[str, object]:
    node: dict[str, object] = {"matchers": [matcher(rng) for _ in range(rng.randint(1, 2))]}
    if rng.random() < 0.7:
        node["receiver"] = rng.choice(receivers)
    if rng.random() < 0.3:
        node["continue"] = True
    if depth < 2 and rng.random() < 0.4:
        node["routes"] = [route(rng, depth + 1, receivers) for _ in range(rng.randint(1, 3))]
    return node


def tree(rng: random.Random) -> dict[str, object]:
    receivers = [f"r{i}" for i in range(5)]
    return {
        "route": {
            "receiver": "default",
            "routes": [route(rng, 0, receivers) for _ in range(rng.randint(1, 4))],
        },
        "receivers": [{"name": n} for n in ["default", *receivers]],
    }


def alert(rng: random.Random) -> list[str]:
    return [f"{name}={rng.choice(values)}" for name, values in sorted(LABELS.items()) if rng.random() < 0.8]


def amtool(*args: str) -> str:
    done = subprocess.run(["amtool", *args], capture_output=True, text=True, check=False, timeout=30)
    return done.stdout


def version() -> str:
    done = subprocess.run(["amtool", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout + done.stderr).split()[2]


def record_real_world() -> None:
    """Each config of configs/: what amtool checks, draws and routes for REAL_WORLD_ALERTS."""
    cases = []
    for path in sorted(CONFIGS.glob("*.yml")):
        check = subprocess.run(
            ["amtool", "check-config", str(path)], capture_output=True, text=True, check=False
        )
        cases.append(
            {
                "config": path.name,
                "accepted": check.returncode == 0,
                "show": amtool("config", "routes", "show", f"--config.file={path}"),
                "tests": [
                    {
                        "labels": labels,
                        "receivers": amtool(
                            "config", "routes", "test", f"--config.file={path}", *labels
                        ).strip(),
                    }
                    for labels in REAL_WORLD_ALERTS
                ],
            }
        )
    REAL_WORLD.write_text(
        json.dumps({"alertmanager_version": version(), "cases": cases}, indent=1, ensure_ascii=False) + "\n"
    )
    print(f"{REAL_WORLD}: {len(cases)} configs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=int, default=30)
    parser.add_argument("--labels", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--out", type=Path, default=GOLDEN, help="where to write (make conformance: a fresh file)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = []
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "alertmanager.yml"
        for _ in range(args.trees):
            config = json.dumps(tree(rng), indent=1)  # JSON is YAML: what both tools read
            path.write_text(config)
            show = amtool("config", "routes", "show", f"--config.file={path}")
            tests = []
            for _ in range(args.labels):
                labels = alert(rng)
                tests.append(
                    {
                        "labels": labels,
                        "receivers": amtool(
                            "config", "routes", "test", f"--config.file={path}", *labels
                        ).strip(),
                    }
                )
            cases.append({"config": config, "show": show, "tests": tests})
    args.out.write_text(
        json.dumps(
            {
                "alertmanager_version": version(),
                "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "seed": args.seed,
                "cases": cases,
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )
    if args.out == GOLDEN:
        record_real_world()
    print(f"{args.out}: {len(cases)} trees, {sum(len(c['tests']) for c in cases)} label sets")


if __name__ == "__main__":
    main()
