"""Load and validate the routing config file, with `${NAME}` placeholders filled from settings."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from alertrouter.models.config import RoutingConfig
from alertrouter.yamltext import YAMLError, load_yaml

_PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")


class ConfigError(ValueError):
    """The routing config cannot be used; the message says where and why."""


def parse_config(text: str, values: Mapping[str, str] | None = None, source: str = "config") -> RoutingConfig:
    values = values or {}

    def fill(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in values:
            raise ConfigError(
                f"{source}: placeholder ${{{name}}} has no value (known: {', '.join(values) or 'none'})"
            )
        return values[name]

    try:
        data = load_yaml(_PLACEHOLDER.sub(fill, text))
    except YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{source}: nested too deeply") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with `route` and `receivers`")
    try:
        return RoutingConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "(top level)"
            problems.append(f"{where}: {error['msg']}")
        raise ConfigError(f"{source}: " + "; ".join(problems)) from exc


def load_config(path: str | Path, values: Mapping[str, str] | None = None) -> RoutingConfig:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read routing config {path}: {exc.strerror}") from exc
    return parse_config(text, values, source=str(path))


def config_version(path: str | Path) -> str:
    """The deployed file's version: the first 12 hex digits of its bytes' SHA-256 ("unreadable" if it cannot
    be read). The same bytes give the same version wherever they are checked (build, Lambda, doctor)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:
        return "unreadable"
