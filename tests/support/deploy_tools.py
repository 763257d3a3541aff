"""The deploy/ package (`make package`'s packager), loaded from the checkout's root by its path: pytest puts
tests/ and the layers on sys.path (pyproject's pythonpath), not the root it lives in, and no code edits sys.path."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from support.paths import ROOT

PACKAGE = ROOT / "deploy"


def deploy_module(name: str) -> ModuleType:
    """deploy.<name>, e.g. deploy_module("stackset") (the package loaded once, from ROOT/deploy)."""
    if "deploy" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "deploy", PACKAGE / "__init__.py", submodule_search_locations=[str(PACKAGE)]
        )
        assert spec is not None and spec.loader is not None, PACKAGE
        package = importlib.util.module_from_spec(spec)
        sys.modules["deploy"] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"deploy.{name}")
