"""The deploy/ package (`make package`'s packager), imported from the checkout's root: pytest puts tests/ and the
layers on sys.path (pyproject's pythonpath), not the root it lives in."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from support.paths import ROOT


def deploy_module(name: str) -> ModuleType:
    """deploy.<name>, e.g. deploy_module("stackset")."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"deploy.{name}")
