"""Load and validate the routing config file, with `${NAME}` placeholders filled from settings."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from alertrouter.models.am_receivers import slack_templates, unused_slack_keys
from alertrouter.models.config import RoutingConfig
from alertrouter.models.matcher import LEGACY_KEYS
from alertrouter.models.webhook import urls_with_a_query
from alertrouter.notify.templates import TemplateSyntaxError, compile_template
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
    check_templates(data, source)
    try:
        return RoutingConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "(top level)"
            problems.append(f"{where}: {error['msg']}")
        raise ConfigError(f"{source}: " + "; ".join(problems)) from exc


def check_templates(data: dict[str, object], source: str = "config") -> None:
    """Each Slack title/text template compiles (the subset of Go's text/template this router renders)."""
    problems = []
    for where, template in slack_templates(data):
        try:
            compile_template(template)
        except TemplateSyntaxError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))


def load_config(path: str | Path, values: Mapping[str, str] | None = None) -> RoutingConfig:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read routing config {path}: {exc.strerror}") from exc
    return parse_config(text, values, source=str(path))


def deprecations(path: str | Path) -> list[str]:
    """Where the file uses Alertmanager's deprecated `match` / `match_re` keys (and their inhibit-rule forms):
    they work, and `check-config` says what to write instead; `slack_configs` keys that are not used; webhook
    URLs that may carry a token."""
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, YAMLError, RecursionError):
        return []
    found: list[str] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                at = f"{where}.{key}" if where else str(key)
                if key in LEGACY_KEYS:
                    into = f"{str(key).removesuffix('_re').removesuffix('match')}matchers"
                    found.append(f"{at}: deprecated in Alertmanager (it still works); write it in {into}")
                walk(value, at)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}.{index}")

    walk(data, "")
    if isinstance(data, dict) and data.get("templates"):
        found.append(
            "templates: not read (a title or text is one template, in the config itself; "
            "a call of a named template draws this router's own)"
        )
    return found + unread_templates(data) + unused_slack_keys(data) + urls_with_a_query(data)


def unread_templates(data: object) -> list[str]:
    """Where a Slack title or text is a call of a named template from a `templates:` file: this router draws its
    own headline or body there (it keeps no named templates)."""
    found = []
    for where, source in slack_templates(data):
        try:
            compiled = compile_template(source)
        except TemplateSyntaxError:
            continue  # (the load says what is wrong with it)
        if compiled.names_unread_template:
            found.append(
                f"{where}: calls template {compiled.default!r} from a templates: file, which is not read: "
                "this router's own text is shown (write the template in the key itself to keep yours)"
            )
    return found


def config_version(path: str | Path) -> str:
    """The deployed file's version: the first 12 hex digits of its bytes' SHA-256 ("unreadable" if it cannot
    be read). The same bytes give the same version wherever they are checked (build, Lambda, doctor)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:
        return "unreadable"
