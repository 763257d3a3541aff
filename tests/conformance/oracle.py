"""The oracle the recorders share: Debian's `prometheus-alertmanager` (Alertmanager and amtool), run as
`amtool check-config` or as a loopback Alertmanager of its own (own storage path and port, no cluster).
Stdlib only; imported by the record_*.py scripts next to it (run as `python tests/conformance/record_x.py`)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AMTOOL = shutil.which("amtool") or "amtool"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager") or "alertmanager"
TIMEOUT = 30


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def clean_error(text: str, tmp: str) -> str:
    """Drop the temporary path and amtool's --config.file warning from an error message."""
    lines = [
        ln for ln in text.replace(tmp, "<tmp>").splitlines() if not ln.startswith("Warning: --config.file")
    ]
    return "\n".join(lines).strip()


def check_config(path: Path, tmp: str) -> dict[str, object]:
    """`amtool check-config` of one file: accepted, or refused with amtool's error text."""
    proc = run([AMTOOL, "check-config", str(path)])
    if proc.returncode == 0:
        return {"accepted": True, "error": None}
    out = clean_error(proc.stdout, tmp)
    error = out.split("FAILED: ", 1)[1].strip() if "FAILED: " in out else out or clean_error(proc.stderr, tmp)
    return {"accepted": False, "error": error}


def version() -> str:
    proc = run([ALERTMANAGER, "--version"])
    out = proc.stdout + proc.stderr
    m = re.search(r"version (\S+ \(branch: [^)]*\))", out)
    return m.group(1) if m else out.strip().splitlines()[0]


def write_golden(path: Path, data: dict[str, Any]) -> None:
    """Write a golden file: the oracle's version, when it was recorded, then `data`."""
    header = {
        "alertmanager_version": version(),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    text = json.dumps({**header, **data}, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_json(url: str, payload: object = None) -> Any:
    """GET (payload None) or POST JSON; the answer's JSON (None for an empty body)."""
    request = urllib.request.Request(
        url,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="GET" if payload is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as resp:
        body = resp.read().decode("utf-8")
    return json.loads(body) if body.strip() else None


@contextmanager
def alertmanager(config_text: str) -> Iterator[str]:
    """A loopback Alertmanager of its own with this config, ready; yields its base URL, stopped after."""
    with tempfile.TemporaryDirectory(prefix="am-oracle-") as tmp:
        cfg = Path(tmp) / "alertmanager.yml"
        cfg.write_text(config_text, encoding="utf-8")
        port = free_port()
        log_path = Path(tmp) / "alertmanager.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [
                    ALERTMANAGER,
                    f"--config.file={cfg}",
                    f"--storage.path={Path(tmp) / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + TIMEOUT
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"alertmanager exited: {log_path.read_text()}")
                try:
                    urllib.request.urlopen(f"{url}/-/ready", timeout=2).close()
                    break
                except (urllib.error.URLError, OSError):
                    if time.monotonic() > deadline:
                        raise RuntimeError("alertmanager did not become ready") from None
                    time.sleep(0.1)
            yield url
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process this script started (kill it if it lingers) and reap it."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
