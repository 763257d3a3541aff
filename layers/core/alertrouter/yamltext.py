"""One way to read YAML config text (routing, SLOs, rule tests)."""

from __future__ import annotations

from typing import Any

import yaml

YAMLError = yaml.YAMLError
# libyaml's parser where PyYAML has it (its wheels do) reads the same safe YAML ~7x faster (4 ms of the router's
# cold start), but it recurses in C with no limit: nesting tens of thousands deep crashes the process. Every
# level of nesting takes one of these characters (a line, a `-`, `[`, `{` or `?`), so a text with fewer of them
# than MAX_FAST_NESTING is read by libyaml; any other by PyYAML's own parser, whose Python recursion stops with
# a RecursionError the callers report as "nested too deeply".
MAX_FAST_NESTING = 5_000
_FAST = getattr(yaml, "CSafeLoader", None)


def _loader(text: str) -> type[yaml.SafeLoader] | Any:
    if _FAST is None or sum(text.count(c) for c in "\n-[{?") >= MAX_FAST_NESTING:
        return yaml.SafeLoader
    return _FAST


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_loader(text))  # noqa: S506 - a safe loader (libyaml's or PyYAML's)


def load_yaml_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_loader(text)))  # noqa: S506 - as above
