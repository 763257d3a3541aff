"""The console examples of README.md and docs/: each one is produced by running its command.

In a Markdown file an example is a marked block; everything between the markers is generated:

    <!-- example: route-cpu -->
    ```console
    $ alertrouter route events/...json
    ...output...
    ```
    <!-- /example -->

    python docs/examples.py            # rewrite every block from its command (`make docs-examples`)
    python docs/examples.py --check    # exit 1 and name each block that differs (tests/unit/test_docs_examples.py)
    python docs/examples.py --local    # also the examples that need the demo's local stack (moto server)

Commands run from the repository root with fixed placeholder values, so the output depends on the code and
the files only. JSON event examples are not copied here: the pages include the files in events/ with
pymdownx.snippets (`--8<--`, check_paths on), so a missing file fails `mkdocs build --strict`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Every Markdown file that may hold a marked block.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# A block inside a list item is indented like its markers.
BLOCK = re.compile(
    r"^(?P<indent>[ ]*)(?P<start><!-- example: (?P<name>[\w-]+) -->\n)(?P<body>.*?)^(?P=indent)(?P<end><!-- /example -->)",
    re.S | re.M,
)
# The placeholder values the CLI reads from the environment (see `alertrouter route --help`).
CLI_ENV = {"DEFAULT_SLACK_CHANNEL": "#alerts", "ACCOUNT_LABEL": "prod"}
# Settings of the person running it that would change the examples (another routing file, another account).
UNSET = ("ROUTING_CONFIG_PATH", "AWS_PROFILE")
CPU_EVENT = "events/eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json"


@dataclass(frozen=True)
class Example:
    render: Callable[[], str]
    local: bool = False  # needs the demo's local stack: checked by the integration tests, not the unit tests


def run_cli(*args: str, separate_process: bool = False) -> str:
    """The CLI's output (stdout and stderr, in order) as `alertrouter ARGS` prints it from the repository root.

    In this process unless `separate_process` (a command that starts servers): the CLI reads its placeholders
    from the environment and prints to sys.stdout and sys.stderr as they are when it runs."""
    if separate_process:
        env = {key: value for key, value in os.environ.items() if key not in UNSET} | CLI_ENV
        done = subprocess.run(
            [sys.executable, "-m", "alertrouter.cli", *args],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
        output = done.stdout
    else:
        from alertrouter import cli

        # only the variables the CLI reads are changed (and put back): other threads of a test process keep theirs
        changed = {*CLI_ENV, *UNSET}
        saved = {key: os.environ.get(key) for key in changed}
        captured = io.StringIO()
        try:
            for key in UNSET:
                os.environ.pop(key, None)
            os.environ.update(CLI_ENV)
            with (
                contextlib.chdir(ROOT),
                contextlib.redirect_stdout(captured),
                contextlib.redirect_stderr(captured),
            ):
                cli.main(list(args))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        output = captured.getvalue()
    return output.replace(f"{ROOT}/", "")


def console(
    *args: str, output: Callable[[str], str] = lambda text: text, separate_process: bool = False
) -> Callable[[], str]:
    """A console block: the command line and what it printed."""

    def render() -> str:
        printed = output(run_cli(*args, separate_process=separate_process)).rstrip()
        return f"```console\n$ alertrouter {' '.join(args)}\n{printed}\n```\n"

    return render


def route_json_trimmed() -> str:
    """`route --json`, cut to the keys the docs explain (the full output has every label and Slack block)."""
    full = json.loads(run_cli("route", CPU_EVENT, "--json"))
    trimmed = {
        "alerts": [
            {key: alert[key] for key in ("fingerprint", "status", "severity", "title", "receivers", "groups")}
            for alert in full["alerts"]
        ],
        "messages": [
            {
                "group": message["group"],
                "receiver": message["receiver"],
                "route": message["route"],
                "slack": [{"channel": post["channel"], "text": post["text"]} for post in message["slack"]],
                "sms": message["sms"],
            }
            for message in full["messages"]
        ],
    }
    return "```json\n" + json.dumps(trimmed, indent=2, ensure_ascii=False) + "\n```\n"


def slack_scopes() -> str:
    """The bot scopes of slack/manifest.yaml, as a list."""
    manifest = yaml.safe_load((ROOT / "slack/manifest.yaml").read_text())
    return "".join(f"- `{scope}`\n" for scope in manifest["oauth_config"]["scopes"]["bot"])


def demo_steps() -> str:
    """The story of `make demo`, step by step: the headlines of its output as tests/e2e/test_demo.py pins it."""
    output = (ROOT / "tests/e2e/demo_output.txt").read_text()
    steps = [line.removeprefix("▶ ") for line in output.splitlines() if line.startswith("▶ ")]
    return "```text\n" + "\n".join(steps) + "\n```\n"


def without_ports(text: str) -> str:
    """The local stack listens on free ports: the same run prints other numbers each time."""
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", text)


EXAMPLES: dict[str, Example] = {
    "route-cpu": Example(console("route", CPU_EVENT)),
    "route-cpu-json": Example(route_json_trimmed),
    "check-config": Example(console("check-config", "--config", "config/routing.yaml")),
    "check-config-staging": Example(
        console(
            "check-config",
            "--config",
            "config/routing.yaml",
            "--samconfig",
            "samconfig.toml",
            "--config-env",
            "staging",
        )
    ),
    "check-config-bad": Example(console("check-config", "--config", "docs/snippets/bad-routing.yaml")),
    "check-config-bad-interval": Example(
        console("check-config", "--config", "docs/snippets/bad-routing-interval.yaml")
    ),
    "oncall-now": Example(
        console("oncall", "now", "--config", "docs/snippets/oncall-routing.yaml", "--at", "2026-03-27T12:00Z")
    ),
    "oncall-show": Example(
        console(
            "oncall",
            "show",
            "payments",
            "--config",
            "docs/snippets/oncall-routing.yaml",
            "--from",
            "2026-03-27",
            "--weeks",
            "1",
        )
    ),
    # where each AWS service's sample event goes with the shipped routing, and the message it makes
    "route-health": Example(
        console(
            "route",
            "events/eventbridge_health_ec2_instance_store_drive_degraded_ACCOUNT_SPECIFIC_awsdocs.json",
        )
    ),
    "route-ecs": Example(
        console(
            "route", "events/eventbridge_ecs_deployment_state_change_SERVICE_DEPLOYMENT_FAILED_awsdocs.json"
        )
    ),
    "route-ecs-ignored": Example(
        console("route", "events/eventbridge_ecs_task_state_change_RUNNING_awsdocs.json")
    ),
    "route-stepfunctions": Example(
        console("route", "events/eventbridge_stepfunctions_execution_status_change_FAILED_awsdocs.json")
    ),
    "route-rds": Example(
        console("route", "events/eventbridge_rds_db_instance_failover_completed_awsdocs.json")
    ),
    "route-guardduty": Example(
        console("route", "events/eventbridge_guardduty_finding_ec2_outbound_connection_real_awssamples.json")
    ),
    "route-securityhub": Example(
        console("route", "events/eventbridge_securityhub_findings_imported_cis_1_4_MEDIUM_real_asr.json")
    ),
    "slo-validate": Example(console("slo", "validate", "config/slos.yaml")),
    "slo-test": Example(console("slo", "test", "tests/slo/checkout.tests.yaml")),
    "slack-scopes": Example(slack_scopes),
    "demo-steps": Example(demo_steps),
    "doctor-local": Example(
        console("doctor", "--local", output=without_ports, separate_process=True), local=True
    ),
}


def regenerate(pages: list[Path], *, local: bool) -> dict[Path, tuple[str, list[str]]]:
    """Each page's new text and the names of the blocks whose text changed.

    Examples that need the local stack are left as they are unless `local`."""
    found: dict[Path, str] = {page: page.read_text() for page in pages if page.exists()}
    names = {match["name"] for text in found.values() for match in BLOCK.finditer(text)}
    unknown = sorted(names - EXAMPLES.keys())
    if unknown:
        raise SystemExit(f"docs/examples.py: no example named {', '.join(unknown)}")
    wanted = sorted(name for name in names if local or not EXAMPLES[name].local)
    rendered = {name: EXAMPLES[name].render() for name in wanted}
    result: dict[Path, tuple[str, list[str]]] = {}
    for page, text in found.items():
        changed: list[str] = []

        def replace(match: re.Match[str], changed: list[str] = changed) -> str:
            name, indent = match["name"], match["indent"]
            if name not in rendered:
                return match[0]
            # blank lines around the output: Markdown then reads it as blocks of its own, not part of the comment
            text = "\n" + rendered[name] + "\n"
            body = "".join(indent + line if line.strip() else line for line in text.splitlines(True))
            if match["body"] != body:
                changed.append(name)
            return indent + match["start"] + body + indent + match["end"]

        result[page] = (BLOCK.sub(replace, text), changed)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block differs")
    parser.add_argument("--local", action="store_true", help="also the examples that need the local stack")
    parser.add_argument("pages", nargs="*", type=Path, help="Markdown files (default: README.md and docs/)")
    args = parser.parse_args(argv)
    drift = 0
    for page, (text, changed) in regenerate(args.pages or PAGES, local=args.local).items():
        if not changed:
            continue
        drift += len(changed)
        shown = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page
        if args.check:
            print(f"{shown}: out of date: {', '.join(changed)} (run `make docs-examples`)")
        else:
            page.write_text(text)
            print(f"{shown}: rewrote {', '.join(changed)}")
    return 1 if args.check and drift else 0


if __name__ == "__main__":
    sys.exit(main())
