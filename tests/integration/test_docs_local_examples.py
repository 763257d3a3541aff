"""The docs' examples that need the demo's local stack (`alertrouter doctor --local`: moto server and the Slack
stand-in) are what their commands print today; tests/unit/test_docs_examples.py checks the others."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from support.paths import ROOT

pytestmark = pytest.mark.integration


def test_every_example_including_the_local_stack_ones_is_what_its_command_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = importlib.util.spec_from_file_location("docs_examples_local", ROOT / "docs/examples.py")
    assert spec is not None and spec.loader is not None
    examples = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = examples  # its dataclass looks its module up there
    spec.loader.exec_module(examples)
    code = examples.main(["--check", "--local"])
    assert code == 0, capsys.readouterr().out
