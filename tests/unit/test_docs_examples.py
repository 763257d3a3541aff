"""The console examples in README.md and docs/ are what their commands print today (docs/examples.py), and the
operations runbook has one entry for every self-monitoring alarm the template creates."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from support.local_aws import expand_for_each, load_template
from support.paths import ROOT

RUNBOOK = ROOT / "docs/operations.md"


def examples_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_examples", ROOT / "docs/examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_console_example_is_what_its_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    code = examples_module().main(["--check"])
    assert code == 0, capsys.readouterr().out


def test_an_example_that_no_longer_matches_its_command_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.md"
    original = "Intro.\n\n<!-- example: slo-validate -->\n```console\n$ alertrouter slo validate\nold\n```\n<!-- /example -->\n"
    page.write_text(original)
    module = examples_module()
    assert module.main(["--check", str(page)]) == 1
    assert "slo-validate" in capsys.readouterr().out
    assert page.read_text() == original, "--check must not write"
    assert module.main([str(page)]) == 0
    assert "config/slos.yaml: OK" in page.read_text()
    assert module.main(["--check", str(page)]) == 0


def test_a_block_naming_no_example_is_an_error(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- example: no-such-example -->\n<!-- /example -->\n")
    with pytest.raises(SystemExit, match="no-such-example"):
        examples_module().main(["--check", str(page)])


def ops_alarm_suffixes() -> set[str]:
    """The name after `-ops-` of every alarm that notifies the ops topic, optional resources switched on."""
    template = expand_for_each(
        load_template(),
        {"OpenSearchDomainNames": ["logs"], "StuckQueueNames": ["high"], "OpsSmsNumbers": ["+15555550100"]},
    )
    suffixes = set()
    for resource in template["Resources"].values():
        properties: dict[str, Any] = resource.get("Properties", {})
        actions = properties.get("AlarmActions", [])
        if isinstance(actions, dict) and "If" in actions:
            actions = actions["If"][1]  # an alarm a spoke keeps too: its topic where the router runs
        if resource.get("Type") != "AWS::CloudWatch::Alarm" or {"Ref": "OpsTopic"} not in actions:
            continue
        name = properties["AlarmName"]["Sub"]
        assert "-ops-" in name, f"{name}: an ops alarm outside the -ops- prefix would go through the router"
        suffixes.add(name.split("-ops-", 1)[1])
    return suffixes


def runbook_entries() -> dict[str, str]:
    """Each `### `alarm`` section of the runbook and its text."""
    text = RUNBOOK.read_text()
    parts = re.split(r"^### `([\w-]+)`\n", text, flags=re.M)
    return {
        name: re.split(r"^#{1,3} ", body, flags=re.M)[0]
        for name, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def test_the_template_has_the_self_monitoring_alarms_this_test_reads() -> None:
    assert {
        "ingest-dlq-not-empty",
        "router-errors",
        "slack-channel-failures",
        "slo-broken",
        "routing-config-invalid",
        "preflight-regressions",
    } <= ops_alarm_suffixes()


def test_every_ops_alarm_has_a_runbook_entry_saying_what_it_means_and_what_to_do() -> None:
    entries = runbook_entries()
    assert sorted(ops_alarm_suffixes() - entries.keys()) == [], (
        "alarms without a runbook entry in docs/operations.md"
    )
    assert sorted(entries.keys() - ops_alarm_suffixes()) == [], (
        "runbook entries for alarms the template lacks"
    )
    for name, body in entries.items():
        for part in ("**Fires when:**", "**What it means:**", "**What to do:**"):
            assert part in body, f"{name}: no {part}"


FRONT_DOOR = ["README.md", "CONTRIBUTING.md", "SECURITY.md", "CHANGELOG.md"]


def test_the_readme_is_a_short_front_door_with_the_demo_picture() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200, "the README is a front door: move detail into docs/"
    assert "](docs/img/demo.png)" in readme
    assert (ROOT / "docs/img/demo.png").is_file()


@pytest.mark.parametrize("name", FRONT_DOOR)
def test_the_front_door_files_link_only_to_files_that_exist(name: str) -> None:
    """mkdocs --strict checks the links of docs/; these files are outside it."""
    text = (ROOT / name).read_text()
    targets = {target.split("#")[0] for target in re.findall(r"\]\(([^)\s]+)\)", text)}
    missing = sorted(
        target for target in targets if target and "://" not in target and not (ROOT / target).exists()
    )
    assert missing == [], f"{name} links to files that do not exist"


def test_the_license_is_apache_2() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert (
        "Apache License" in text
        and "Version 2.0, January 2004" in text
        and "END OF TERMS AND CONDITIONS" in text
    )
