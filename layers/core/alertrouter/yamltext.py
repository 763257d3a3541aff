"""One way to read YAML config text (routing, SLOs, rule tests)."""

from __future__ import annotations

import re
from typing import Any

import yaml

YAMLError = yaml.YAMLError
# libyaml's parser where PyYAML has it (its wheels do) reads the same safe YAML ~7x faster (4 ms of the router's
# cold start), but it recurses in C with no limit: nesting tens of thousands deep crashes the process. Every
# level of nesting takes one of these characters (a line, a `-`, `[`, `{` or `?`), so a text with fewer of them
# than MAX_FAST_NESTING is read by libyaml; any other by PyYAML's own parser, whose Python recursion stops with
# a RecursionError the callers report as "nested too deeply".
MAX_FAST_NESTING = 5_000
# YAML 1.1's base-60 numbers (an unquoted 9:00 is 540, 1:5 is 65) are left out: Alertmanager's YAML reader keeps
# such a value a string, and so does this one (a time 09:00, a range '1:5', each read as Alertmanager reads it)
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


def _without_base_60(base: Any) -> Any:
    """The loader with the number resolvers of YAML 1.1 less their base-60 forms."""
    resolvers = {
        first: [
            (tag, _INT if tag.endswith(":int") else _FLOAT if tag.endswith(":float") else pattern)
            for tag, pattern in entries
        ]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    return type(f"{base.__name__}Base10", (base,), {"yaml_implicit_resolvers": resolvers})


_SAFE = _without_base_60(yaml.SafeLoader)
_FAST = _without_base_60(yaml.CSafeLoader) if hasattr(yaml, "CSafeLoader") else None


def _loader(text: str) -> Any:
    if _FAST is None or sum(text.count(c) for c in "\n-[{?") >= MAX_FAST_NESTING:
        return _SAFE
    return _FAST


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_loader(text))  # noqa: S506 - a safe loader (libyaml's or PyYAML's)


def load_yaml_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=_loader(text)))  # noqa: S506 - as above
