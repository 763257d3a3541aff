"""`make package` (deploy/stackset.py): the spoke as a template a service-managed StackSet accepts (no transform,
no SAM resource, no Fn::ForEach, parameters every account can share), lint-clean, and deterministic zips of
exactly the code the spoke runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.deploy_tools import deploy_module
from support.lint_tools import run_cfn_lint
from support.paths import ROOT

stackset = deploy_module("stackset")
HUB_ONLY_TYPES = {
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::Lambda::Url",
    "AWS::Events::EventBus",
    "AWS::Oam::Sink",
}


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A core layer as `make build` leaves it (python/ with the package; its dependencies are left out here:
    installing them needs PyPI)."""
    layer = tmp_path_factory.mktemp("CoreLayer")
    shutil.copytree(ROOT / "layers" / "core" / "alertrouter", layer / "python" / "alertrouter")
    return layer


def package(out: Path, layer: Path, *extra: str) -> tuple[dict[str, Any], str]:
    """Runs the packager as `make package` does; the template it wrote and what it printed."""
    result = subprocess.run(
        [sys.executable, "-m", "deploy.stackset", "--out", str(out), "--layer-build", str(layer), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    template = yaml.safe_load((out / stackset.STACKSET_TEMPLATE).read_text(encoding="utf-8"))
    return template, result.stdout


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory, built_layer: Path) -> tuple[Path, dict[str, Any], str]:
    out = tmp_path_factory.mktemp("dist")
    template, printed = package(out, built_layer)
    return out, template, printed


def test_the_stackset_template_uses_no_macro(packaged: tuple[Path, dict[str, Any], str]) -> None:
    out, template, _ = packaged
    text = (out / stackset.STACKSET_TEMPLATE).read_text(encoding="utf-8")
    assert "Transform" not in template
    assert (
        "Fn::ForEach" not in text and "AWS::Serverless" not in text and "AWS::LanguageExtensions" not in text
    )
    types = {r["Type"] for r in template["Resources"].values()}
    assert not {t for t in types if t.startswith("AWS::Serverless::")}
    assert "us-east-1" not in text  # the region SAM was given offline is written nowhere


def test_the_stackset_is_the_spoke_and_nothing_of_the_router(
    packaged: tuple[Path, dict[str, Any], str],
) -> None:
    _, template, _ = packaged
    resources = template["Resources"]
    assert not {r["Type"] for r in resources.values()} & HUB_ONLY_TYPES
    functions = [n for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"]
    assert functions == ["BatchQueueMetricsFunction"]
    assert {
        "SpokeAlarmsForwardRule",
        "SpokeBatchEventsForwardRule",
        "SpokeBatchQueueBlockedForwardRule",
        "SpokeOpenSearchForwardRule",
        "SpokeHeartbeatSchedule",
        "SpokeHeartbeatForwardRule",
        "SpokeObservabilityLink",
    } <= set(resources)
    text = json.dumps(template)
    assert "secretsmanager" not in text and "Mode" not in template["Parameters"]


def test_the_stackset_forwards_the_aws_services_events_each_account_may_switch_off(
    packaged: tuple[Path, dict[str, Any], str],
) -> None:
    _, template, _ = packaged
    parameters = template["Parameters"]
    watched = {
        "WatchAwsHealth": "SpokeAwsHealthForwardRule",
        "WatchXRayInsights": "SpokeXRayInsightsForwardRule",
        "WatchEcsTasks": "SpokeEcsEventsForwardRule",
        "WatchStepFunctions": "SpokeStepFunctionsForwardRule",
        "WatchRdsEvents": "SpokeRdsEventsForwardRule",
        "WatchGuardDuty": "SpokeGuardDutyForwardRule",
        "WatchSecurityHub": "SpokeSecurityHubForwardRule",
    }
    for parameter, rule in watched.items():
        assert parameters[parameter]["AllowedValues"] == ["true", "false"], parameter
        condition = template["Resources"][rule]["Condition"]
        assert template["Conditions"][condition] == {"Fn::Equals": [{"Ref": parameter}, "true"]}, rule
    # the RDS events a spoke forwards are of the categories its own parameter lists (the hub's rule filters again)
    assert "RdsAlertCategories" in parameters


def test_every_parameter_has_a_default_but_the_hubs_bus(packaged: tuple[Path, dict[str, Any], str]) -> None:
    _, template, _ = packaged
    required = {name for name, spec in template["Parameters"].items() if "Default" not in spec}
    assert required == {"HubEventBusArn"}
    assert template["Parameters"]["HubSinkArn"]["Default"] == ""  # optional: no link
    # a StackSet without the bus fails before anything is made
    [assertion] = template["Rules"]["SpokeNeedsTheHubsBus"]["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "HubEventBusArn"}, ""]}]}


def test_names_fit_a_stackset_instances_long_stack_name(packaged: tuple[Path, dict[str, Any], str]) -> None:
    _, template, _ = packaged
    # instance stacks are StackSet-<name>-<uuid>: names come from NamePrefix instead (Lambda's limit is 64)
    function = template["Resources"]["BatchQueueMetricsFunction"]["Properties"]
    assert function["FunctionName"] == {"Fn::Sub": "${NamePrefix}-${AccountLabel}-batch-queue-metrics"}
    assert "${AWS::StackName}-${AccountLabel}" not in json.dumps(template)
    assert template["Parameters"]["NamePrefix"]["MaxLength"] + len("-spoke-batch-queue-metrics") <= 64


def test_the_code_comes_from_the_artifact_bucket_by_content_hash(
    packaged: tuple[Path, dict[str, Any], str],
) -> None:
    out, template, printed = packaged
    zips = sorted(p.name for p in out.glob("*.zip"))
    assert [z.rsplit("-", 1)[0] for z in zips] == ["batch-queue-metrics", "core-layer"]
    function = template["Resources"]["BatchQueueMetricsFunction"]["Properties"]["Code"]
    [layer] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    keys = [function, layer["Properties"]["Content"]]
    assert all(k["S3Bucket"] == {"Ref": "ArtifactBucket"} for k in keys)
    assert sorted(k["S3Key"]["Fn::Sub"] for k in keys) == [f"${{ArtifactPrefix}}/{z}" for z in zips]
    for name in zips:
        assert f"aws s3 cp {out / name} s3://" in printed


def test_the_zips_hold_what_the_spoke_runs_and_are_the_same_every_time(
    packaged: tuple[Path, dict[str, Any], str], built_layer: Path, tmp_path: Path
) -> None:
    out, _, _ = packaged
    package(tmp_path, built_layer)
    for first in out.glob("*.zip"):
        assert (tmp_path / first.name).read_bytes() == first.read_bytes(), first.name
        with zipfile.ZipFile(first) as archive:
            names = archive.namelist()
            assert names == sorted(names) and all(
                i.date_time == (1980, 1, 1, 0, 0, 0) for i in archive.infolist()
            )
            assert not [n for n in names if "__pycache__" in n]
            if first.name.startswith("batch-queue-metrics"):
                assert names == ["app.py", "requirements.txt"]
            else:
                assert "python/alertrouter/batch_metrics.py" in names


def test_it_prints_the_commands_of_a_service_managed_roll_out(
    packaged: tuple[Path, dict[str, Any], str],
) -> None:
    _, _, printed = packaged
    assert "aws cloudformation create-stack-set" in printed
    assert "--permission-model SERVICE_MANAGED" in printed
    assert "--auto-deployment Enabled=true" in printed  # an account that joins an OU gets the spoke
    assert "--capabilities CAPABILITY_IAM" in printed
    assert "ParameterKey=HubEventBusArn" in printed
    assert "aws cloudformation create-stack-instances" in printed
    assert "--deployment-targets OrganizationalUnitIds=" in printed


def test_per_name_alarm_sets_are_expanded_for_the_names_given(built_layer: Path, tmp_path: Path) -> None:
    template, _ = package(
        tmp_path, built_layer, "--opensearch-domains", "logs-prod", "--stuck-queues", "high"
    )
    alarms = {n for n, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert "BatchStuckQueuehighAlarm" in alarms and "OpenSearchlogsprodClusterStatusRedAlarm" in alarms
    assert len([a for a in alarms if a.startswith("OpenSearchlogsprod")]) == 12
    assert "OpenSearchDomainNames" not in template["Parameters"]


@pytest.mark.slow
def test_the_stackset_template_passes_cfn_lint(packaged: tuple[Path, dict[str, Any], str]) -> None:
    out, _, _ = packaged
    result = run_cfn_lint(out / stackset.STACKSET_TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_stackset_template_with_alarm_sets_passes_cfn_lint(built_layer: Path, tmp_path: Path) -> None:
    package(
        tmp_path,
        built_layer,
        "--opensearch-domains",
        "logs-prod,search",
        "--stuck-queues",
        "high,default_queue",
    )
    result = run_cfn_lint(tmp_path / stackset.STACKSET_TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr
