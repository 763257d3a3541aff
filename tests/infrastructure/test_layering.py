"""The layering rules that import-linter cannot state (.importlinter states the rest, and is run here too):
no code edits sys.path, tests import no other test module, the demo and the bench import only the package,
the support package and libraries (the bench's script its own measurement modules, none of them it)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.paths import ROOT

CODE_DIRS = ("layers", "functions", "tests", "demo", "bench", "docs")
TEST_PACKAGES = {"conftest", "unit", "integration", "infrastructure", "e2e"}
FUNCTIONS = {path.name for path in (ROOT / "functions").iterdir() if path.is_dir()}
BENCH_MODULES = {path.stem for path in (ROOT / "bench").glob("*.py")}
DEMO_MODULES = {path.stem for path in (ROOT / "demo").glob("*.py")}


def python_files(*dirs: str) -> Iterator[Path]:
    for name in dirs:
        yield from sorted(path for path in (ROOT / name).rglob("*.py") if "__pycache__" not in path.parts)


def imported(path: Path) -> Iterator[str]:
    """The module each import statement of the file names (relative imports: their own package's)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def edits_sys_path(node: ast.AST) -> bool:
    def is_sys_path(target: ast.AST) -> bool:
        inner = target.value if isinstance(target, ast.Subscript) else target
        return (
            isinstance(inner, ast.Attribute)
            and inner.attr == "path"
            and isinstance(inner.value, ast.Name)
            and inner.value.id == "sys"
        )

    if isinstance(node, ast.Assign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(is_sys_path(target) for target in targets)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"insert", "append", "extend"}
        and is_sys_path(node.func.value)
    )


def test_no_code_edits_sys_path() -> None:
    editing = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in python_files(*CODE_DIRS)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if edits_sys_path(node)
    ]
    assert editing == [], "import from the installed package or support instead"


def test_tests_import_no_other_test_module_nor_the_demo_or_the_bench() -> None:
    """What tests share lives in the support package (tests/support), never in a test module or conftest, nor
    in demo/ or bench/ (scripts: a test loads one by its path, support.handlers.load_module)."""
    scripts = DEMO_MODULES | BENCH_MODULES
    found = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in python_files("tests")
        for module in imported(path)
        if module.split(".")[0] in TEST_PACKAGES | scripts or module.split(".")[-1].startswith("test_")
    ]
    assert found == []


@pytest.mark.parametrize("folder", ["demo", "bench"])
def test_demo_and_bench_import_only_the_package_support_and_libraries(folder: str) -> None:
    own = {"demo": DEMO_MODULES, "bench": BENCH_MODULES}[folder]
    first_party = TEST_PACKAGES | FUNCTIONS | DEMO_MODULES | BENCH_MODULES | {"tests", "demo", "bench"}
    found = []
    for path in python_files(folder):
        for module in imported(path):
            top = module.split(".")[0]
            # the bench's script (run.py) imports its measurement modules, which import none of bench
            if folder == "bench" and path.stem == "run" and top in own - {"run"}:
                continue
            if top in first_party:
                found.append(f"{path.relative_to(ROOT)}: {module}")
    assert found == []


def test_the_import_contracts_hold() -> None:
    """.importlinter's contracts (make lint runs them too), on this checkout's code."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "core"), str(ROOT / "tests")])}
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-logo", "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
