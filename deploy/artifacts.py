"""The code a spoke runs, as deterministic zip files: the same sources make the same bytes (entries sorted, one
timestamp, fixed permissions, no bytecode of this machine), so a file's content hash in its S3 key changes only
when its code does, and a StackSet update redeploys only then."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
LEFT_OUT = {"__pycache__", ".pytest_cache", ".mypy_cache"}
# The Lambda runtime the layer is built for (template.yaml's Globals): its wheels, not this machine's.
LAYER_PLATFORM = ["--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.13"]


@dataclass(frozen=True)
class Artifact:
    """A zip written to dist/: its file name (with its content hash) and its SHA-256."""

    path: Path
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def _files(root: Path) -> Iterator[Path]:
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in LEFT_OUT)
        for name in sorted(names):
            yield Path(directory) / name


def deterministic_zip(sources: list[tuple[Path, str]], out_dir: Path, stem: str) -> Artifact:
    """One zip of every file under each source directory, placed under its prefix in the archive (`python/`
    for a layer), named `<stem>-<first 16 hex of its SHA-256>.zip` in out_dir."""
    entries: list[tuple[str, Path]] = []
    for root, prefix in sources:
        entries += [(prefix + path.relative_to(root).as_posix(), path) for path in _files(root)]
    entries.sort()
    with tempfile.NamedTemporaryFile(dir=out_dir, suffix=".zip", delete=False) as fh:
        temporary = Path(fh.name)
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            executable = path.stat().st_mode & stat.S_IXUSR
            info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    digest = hashlib.sha256(temporary.read_bytes()).hexdigest()
    final = out_dir / f"{stem}-{digest[:16]}.zip"
    temporary.chmod(0o644)
    temporary.replace(final)
    return Artifact(final, digest)


def layer_dependencies(requirements: Path, work_dir: Path) -> Path:
    """The layer's requirements installed for the Lambda runtime (arm64, CPython 3.13, wheels only) into
    work_dir/python, with pip from PyPI: the directory."""
    target = work_dir / "python"
    subprocess.run(  # noqa: S603 - pip of this interpreter, arguments of this module
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "--only-binary=:all:",
            *LAYER_PLATFORM,
        ]
        + ["--target", str(target), "--requirement", str(requirements)],
        check=True,
    )
    return target
