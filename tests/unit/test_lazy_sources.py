"""The AWS services' parsers are imported only when their source arrives: a cold start that handles CloudWatch
alarms (the common case) loads none of them, and each event loads just its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from alertrouter.sources import SIGNAL_PARSERS
from support.paths import EVENTS, ROOT
from support.signal_events import insight_update

ALARM = EVENTS / "eventbridge_cw_alarm_state_change_single_metric_ALARM_awsdocs.json"
SAMPLES = {
    "aws.health": "eventbridge_health_ec2_operational_issue_PUBLIC_open_awsdocs.json",
    "aws.ecs": "eventbridge_ecs_deployment_state_change_SERVICE_DEPLOYMENT_FAILED_awsdocs.json",
    "aws.states": "eventbridge_stepfunctions_execution_status_change_FAILED_awsdocs.json",
    "aws.rds": "eventbridge_rds_db_instance_failover_completed_awsdocs.json",
    "aws.guardduty": "eventbridge_guardduty_finding_ec2_outbound_connection_real_awssamples.json",
    "aws.securityhub": "eventbridge_securityhub_findings_imported_cis_1_4_MEDIUM_real_asr.json",
}


def loaded_after_parsing(path: str) -> set[str]:
    """The alertrouter.sources modules a fresh interpreter has loaded once it has parsed the file."""
    code = (
        "import sys, json\n"
        "from alertrouter.sources import parse_body\n"
        f"parse_body(open({path!r}, 'rb').read())\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('alertrouter.sources.'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "layers" / "core"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(done.stdout))


SIGNAL_MODULES = {f"alertrouter.sources.{name}" for name in SIGNAL_PARSERS.values()}


def test_a_cloudwatch_alarm_loads_none_of_the_aws_service_parsers() -> None:
    loaded = loaded_after_parsing(str(ALARM))
    assert "alertrouter.sources.cloudwatch" in loaded
    assert not loaded & SIGNAL_MODULES


@pytest.mark.parametrize("source", sorted(SIGNAL_PARSERS))
def test_each_service_event_loads_just_its_own_parser(source: str, tmp_path: Path) -> None:
    if source in SAMPLES:
        path = EVENTS / SAMPLES[source]
    else:  # X-Ray: no published example, the derived one (support/signal_events.py)
        path = tmp_path / "insight.json"
        path.write_text(json.dumps(insight_update()))
    loaded = loaded_after_parsing(str(path))
    assert loaded & SIGNAL_MODULES == {f"alertrouter.sources.{SIGNAL_PARSERS[source]}"}
