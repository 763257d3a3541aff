"""`make build` validates the config files first, with the CLI (the code the Lambda loads them with): a config
the router cannot load stops the build with its error line. Runs make itself (no sam, no network)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "config" / "routing.yaml").read_text()

pytestmark = [pytest.mark.skipif(shutil.which("make") is None, reason="needs make"), pytest.mark.slow]


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_routing_config_with_an_unknown_receiver_stops_the_check_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "routing.yaml"
    bad.write_text(GOOD.replace("receiver: oncall-page", "receiver: oncall-pagr", 1))
    done = make("check-config", f"ROUTING={bad}")
    assert done.returncode != 0
    assert (
        f"alertrouter: {bad}: (top level): Value error, route 0.0 names unknown receiver 'oncall-pagr'"
        in (done.stderr.splitlines())
    )


def test_a_broken_slo_file_stops_the_check(tmp_path: Path) -> None:
    slos = tmp_path / "slos.yaml"
    slos.write_text("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: {}\n")
    done = make("check-config", f"SLOS={slos}")
    assert done.returncode != 0 and any(line.startswith("alertrouter: ") for line in done.stderr.splitlines())


def test_the_shipped_files_pass_with_their_version_and_warnings_of_names_the_stack_does_not_know() -> None:
    done = make("check-config", "CONFIG_ENV=prod")
    assert done.returncode == 0, done.stderr
    assert (
        "config/routing.yaml: OK (7 receivers), version " in done.stdout
        and "config/slos.yaml: OK" in done.stdout
    )
    warnings = [line for line in done.stderr.splitlines() if line.startswith("alertrouter: warning: ")]
    assert len(warnings) == 2
    assert "(it knows DefaultSlackChannel #alerts): #oncall," in warnings[0]
    assert (
        "oncall-primary, oncall-secondary are named, but [prod] sets no SmsNumbersSecretName" in warnings[1]
    )


def test_build_runs_the_check_before_sam() -> None:
    commands = make("-n", "build").stdout.splitlines()
    check = next(
        i for i, c in enumerate(commands) if "alertrouter check-config --config config/routing.yaml" in c
    )
    sam = next(i for i, c in enumerate(commands) if "sam build" in c)
    assert check < sam and any("alertrouter slo validate config/slos.yaml" in c for c in commands[:sam])
