"""Where the template linters are: cfn-lint beside the running Python (the project's venv), SAM CLI in its own
venv (`make cfn` installs both), else on PATH; a test that needs one it cannot find is skipped, saying so."""

from __future__ import annotations

import shutil
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
