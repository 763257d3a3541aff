"""The resources template.yaml generates from mappings render as they did when each was written out: every
CloudWatch alarm and every log group, expanded for sample lists as the AWS::LanguageExtensions transform
does, equals rendered_template.golden.json, recorded from the template before the loops replaced the copies.

A deliberate change to one of them is recorded again and reviewed as the golden file's diff:

    .venv/bin/pytest tests/infrastructure/test_rendered_template.py --record-golden
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.local_aws import expand_for_each, load_template

GOLDEN = Path(__file__).with_name("rendered_template.golden.json")
RENDERED_TYPES = {"AWS::CloudWatch::Alarm", "AWS::Logs::LogGroup"}
# One item in each list parameter's loop, so the loops' alarms are rendered too.
SAMPLE_LISTS = {
    "OpenSearchDomainNames": ["logs-prod"],
    "StuckQueueNames": ["high-priority"],
    "OpsSmsNumbers": ["+15555550100"],  # 555-01xx: fiction
}


def rendered() -> dict[str, Any]:
    resources = expand_for_each(load_template(), SAMPLE_LISTS)["Resources"]
    return {name: r for name, r in sorted(resources.items()) if r["Type"] in RENDERED_TYPES}


def test_alarms_and_log_groups_render_as_recorded(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--record-golden", default=False):
        GOLDEN.write_text(json.dumps(rendered(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip(f"recorded {GOLDEN.name}")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    current = rendered()
    assert sorted(current) == sorted(golden)  # the same logical ids
    for name, resource in golden.items():
        assert current[name] == resource, name
