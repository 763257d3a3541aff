"""Modules that are not in a package, loaded by file path: the Lambda handlers (functions/NAME/app.py) and
the bench's scripts. Nothing edits sys.path for them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from support.paths import ROOT


def load_module(path: Path, name: str) -> ModuleType:
    """The file at `path` as the module `name`, loaded once (later calls hand back the same module)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_handler(function: str) -> ModuleType:
    """functions/<function>/app.py as the module `<function>.app`: the same module object that
    `import <function>.app` gives where functions/ is on the path (pytest's pythonpath)."""
    return load_module(ROOT / "functions" / function / "app.py", f"{function}.app")
