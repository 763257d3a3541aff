"""Where the template linters are: cfn-lint beside the running Python (the project's venv), SAM CLI in its own
venv (`make cfn` installs both), else on PATH; a test that needs one it cannot find is skipped, saying so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import ROOT


def _tool(path: Path, name: str) -> str:
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (make cfn installs it)")
    return found


def cfn_lint() -> str:
    return _tool(Path(sys.executable).parent / "cfn-lint", "cfn-lint")


def sam_cli() -> str:
    return _tool(ROOT / ".venv-sam" / "bin" / "sam", "sam")


def run_cfn_lint(template: Path) -> subprocess.CompletedProcess[str]:
    """cfn-lint on one template file."""
    return subprocess.run(
        [cfn_lint(), str(template)], capture_output=True, text=True, timeout=120, check=False
    )


def run_sam_validate(template: Path) -> subprocess.CompletedProcess[str]:
    """`sam validate --lint` (with the language extensions the template uses) on one template file."""
    return subprocess.run(
        [sam_cli(), "validate", "--lint", "--language-extensions", "--region", "us-east-1"]
        + ["--template-file", str(template)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=template.parent,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )
