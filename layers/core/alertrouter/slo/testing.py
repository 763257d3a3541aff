"""Unit tests for SLO alert rules, like `promtool test rules`: `alertrouter slo test FILE`.

A test file gives the SLOs (a file, or inline documents) and cases: the event counts per window, and the
rules that must fire. Counts are judged with the SLO's own rules, target and minimum-events guard. For a
threshold SLO (thresholdMetric) the counts are data points: total, and those that meet the threshold (good)
or miss it (bad).

```yaml
slo_file: ../../config/slos.yaml   # relative to this file; or `slos:` a list of OpenSLO documents
tests:
  - name: a fast burn pages
    slo: checkout-availability
    windows:                       # counts per window: total, and good or bad; a missing window has no data
      5m: {total: 1000, bad: 50}
      1h: {total: 12000, bad: 200}
    expect_firing: [page-1h-5m]    # exactly the rules that fire (BurnRule.name)
    expect_suppressed: []          # optional: exactly the rules a firing page holds back
```
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alertrouter.slo.burn import Counts
from alertrouter.slo.compiled import Slo
from alertrouter.slo.loader import SloError, describe_errors, load_slo_file, slos_from_documents
from alertrouter.slo.rules import RuleResult, evaluate, format_duration, windows_needed
from alertrouter.slo.units import ExactNumber, OptionalExactNumber
from alertrouter.yamltext import YAMLError, load_yaml

_WINDOW = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


@dataclass(frozen=True)
class TestOutcome:
    """One case's verdict; `message` says what was expected and what each rule saw."""

    __test__ = False  # not a pytest test class

    name: str
    passed: bool
    message: str


class WindowCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    total: ExactNumber
    good: OptionalExactNumber = None
    bad: OptionalExactNumber = None

    def counts(self) -> Counts:
        return Counts.of(total=self.total, good=self.good, bad=self.bad)


class RuleTest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    slo: str
    windows: dict[str, WindowCounts] = Field(default_factory=dict)
    expect_firing: list[str]
    expect_suppressed: list[str] | None = None

    @field_validator("windows", mode="before")
    @classmethod
    def _windows(cls, v: Any) -> Any:
        return {} if v is None else v


class RuleTestFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slo_file: str | None = None
    slos: list[Any] | None = None
    tests: list[RuleTest] = Field(min_length=1)


@dataclass(frozen=True)
class _Case:
    test: RuleTest
    slo: Slo
    windows: dict[timedelta, Counts]


def parse_window(text: str) -> timedelta:
    """A window as the rule names write it: 5m, 1h, 6h, 3d, 1h30m, 2w."""
    found = _WINDOW.match(text.strip())
    if found is None or not any(found.groups()):
        raise ValueError(f"{text!r} is not a window: write it like 5m, 1h, 6h, 3d or 1h30m")
    weeks, days, hours, minutes = (int(g or 0) for g in found.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)


def decimal(value: Fraction | None) -> str:
    """A burn rate for people: 4 significant digits, no exponent; None is "no data"."""
    if value is None:
        return "no data"
    with localcontext() as context:
        context.prec = 4
        rounded = Decimal(value.numerator) / Decimal(value.denominator)
    return format(rounded, "f")


def run_test_file(path: str | Path) -> list[TestOutcome]:
    """Run every case of a rule-test file; SloError if the file (or its SLO file) is invalid."""
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SloError(f"cannot read SLO test file {path}: {exc.strerror}") from exc
    except YAMLError as exc:
        raise SloError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SloError(f"{path}: expected a mapping with slo_file (or slos) and tests")
    try:
        spec = RuleTestFile.model_validate(data)
    except ValidationError as exc:
        raise SloError(f"{path}: {describe_errors(exc)}") from exc
    slos = {slo.name: slo for slo in _slos(spec, path)}
    cases = [_prepare(path, index, test, slos) for index, test in enumerate(spec.tests)]
    names = [case.test.name for case in cases]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise SloError(f"{path}: tests.{index}.name: {name!r} is the name of another test too")
    return [_run(case) for case in cases]


def _slos(spec: RuleTestFile, path: Path) -> list[Slo]:
    if (spec.slo_file is None) == (spec.slos is None):
        raise SloError(f"{path}: give slo_file (a path relative to this file) or slos (inline documents)")
    if spec.slo_file is not None:
        return load_slo_file(path.parent / spec.slo_file)
    assert spec.slos is not None
    return slos_from_documents(spec.slos, source=f"{path}: slos")


def _prepare(path: Path, index: int, test: RuleTest, slos: dict[str, Slo]) -> _Case:
    where = f"{path}: tests.{index}"
    slo = slos.get(test.slo)
    if slo is None:
        raise SloError(f"{where}.slo: unknown SLO {test.slo!r} (known: {', '.join(slos) or 'none'})")
    read = windows_needed(slo.rules)
    known = ", ".join(format_duration(w) for w in sorted(read))
    windows: dict[timedelta, Counts] = {}
    for key, counts in test.windows.items():
        try:
            window = parse_window(key)
            if window not in read:
                raise ValueError(
                    f"no rule of {slo.name} reads a {format_duration(window)} window (its windows: {known})"
                )
            if window in windows:
                raise ValueError(f"the {format_duration(window)} window is given twice")
            windows[window] = counts.counts()
        except ValueError as exc:
            raise SloError(f"{where}.windows.{key}: {exc}") from exc
    rule_names = [rule.name for rule in slo.rules]
    for field in ("expect_firing", "expect_suppressed"):
        expected = getattr(test, field) or []
        unknown = [name for name in expected if name not in rule_names]
        if unknown:
            raise SloError(
                f"{where}.{field}: unknown rule {unknown[0]!r}: the rules of {slo.name} are "
                f"{', '.join(rule_names)}"
            )
    return _Case(test, slo, windows)


def _run(case: _Case) -> TestOutcome:
    slo, test = case.slo, case.test
    results = evaluate(slo.rules, case.windows, slo.target, min_events=slo.min_events)
    firing = [r.rule.name for r in results if r.firing]
    suppressed = [r.rule.name for r in results if r.suppressed]
    wrong = []
    if set(firing) != set(test.expect_firing):
        wrong.append(f"expected firing: {_names(test.expect_firing)}; got: {_names(firing)}")
    if test.expect_suppressed is not None and set(suppressed) != set(test.expect_suppressed):
        wrong.append(f"expected suppressed: {_names(test.expect_suppressed)}; got: {_names(suppressed)}")
    if not wrong:
        return TestOutcome(test.name, True, f"firing as expected: {_names(firing)}")
    width = max(len(r.rule.name) for r in results)
    lines = [*wrong, *(_describe(r, width) for r in results)]
    return TestOutcome(test.name, False, "\n".join(lines))


def _names(names: Sequence[str]) -> str:
    return ", ".join(sorted(names)) or "(none)"


def _describe(result: RuleResult, width: int) -> str:
    rule = result.rule
    if result.firing:
        verdict = "firing"
    elif result.suppressed:
        verdict = "suppressed by a firing page"
    elif result.reason:
        verdict = f"not judged: {result.reason}"
    else:
        verdict = "not firing"
    return (
        f"  {rule.name:<{width}}  burn {format_duration(rule.long)} {decimal(result.long_burn)}, "
        f"{format_duration(rule.short)} {decimal(result.short_burn)}; threshold {decimal(rule.threshold)}: "
        f"{verdict}"
    )


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """`alertrouter slo test FILE...`: 0 when every case passes, 1 when one fails, 2 for an invalid file."""
    out = out or sys.stdout
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: alertrouter slo test FILE...", file=out)
        return 2
    passed = failed = 0
    for path in paths:
        try:
            outcomes = run_test_file(path)
        except SloError as exc:
            print(f"ERROR {exc}", file=out)
            return 2
        print(path, file=out)
        for outcome in outcomes:
            print(f"  {'PASS' if outcome.passed else 'FAIL'}  {outcome.name}", file=out)
            if not outcome.passed:
                print("\n".join(f"        {line}" for line in outcome.message.splitlines()), file=out)
        passed += sum(o.passed for o in outcomes)
        failed += sum(not o.passed for o in outcomes)
    print(f"{passed} passed, {failed} failed", file=out)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
