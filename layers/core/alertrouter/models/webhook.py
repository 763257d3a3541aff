"""A receiver's `webhook_configs` entry, as Alertmanager reads one: where to POST its webhook JSON (version 4).

What would put a secret in the config file is refused with what to write instead: the URL of a webhook that
carries a token (a Teams workflow's `sig=`) and any credentials live in Secrets Manager, under the prefix the
router is allowed to read (template.yaml)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SECRET_PREFIX = "alertrouter/webhook/"  # what the router may read (template.yaml grants this prefix alone)
MAX_TIMEOUT = timedelta(seconds=10)  # one attempt; the flush waits for it (Slack and SMS went out before)
# Alertmanager's http_config keys that would hold a credential, or read one from a file: refused, each with
# what to use here instead
_INLINE_AUTH = ("bearer_token", "basic_auth", "oauth2", "bearer_token_file", "authorization")
_FILES = "no files in Lambda"


def _secret_name(value: str, what: str) -> str:
    name = value.strip()
    if not name.startswith(SECRET_PREFIX) or name == SECRET_PREFIX:
        raise ValueError(
            f"{what} names a Secrets Manager secret under {SECRET_PREFIX} (the only ones the router may read)"
        )
    return name


class WebhookAuth(BaseModel):
    """The Authorization header, its credentials read from a Secrets Manager secret (never the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = "Bearer"
    credentials_secret: str

    @model_validator(mode="before")
    @classmethod
    def _no_inline(cls, data: Any) -> Any:
        if isinstance(data, dict) and {"credentials", "credentials_file"} & set(data):
            raise ValueError(
                "credentials / credentials_file: no secrets in the config file (and no files in Lambda); put "
                f"the credentials in a Secrets Manager secret under {SECRET_PREFIX} and name it in "
                "credentials_secret"
            )
        return data

    @field_validator("type")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if not v.strip() or any(c.isspace() for c in v.strip()):
            raise ValueError("authorization type is one word (Bearer, Basic...)")
        return v.strip()

    @field_validator("credentials_secret")
    @classmethod
    def _secret(cls, v: str) -> str:
        return _secret_name(v, "credentials_secret")


class WebhookTarget(BaseModel):
    """One webhook: its URL (or the secret holding it), whether it hears resolves, how many alerts a message
    carries at most (0: all), how long one attempt may take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = ""
    url_secret: str = ""  # ours: a Secrets Manager secret whose value is the URL (for URLs carrying a token)
    send_resolved: bool = True
    max_alerts: int = Field(default=0, ge=0)
    # None or 0s: the default (Alertmanager's 0s is "none": not in Lambda); Receiver reads the duration text
    timeout: timedelta | None = None
    authorization: WebhookAuth | None = None  # from http_config.authorization

    @model_validator(mode="before")
    @classmethod
    def _alertmanager_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if "url_file" in data:
            raise ValueError(
                f"url_file: {_FILES}; put the URL in a Secrets Manager secret under {SECRET_PREFIX} and name "
                "it in url_secret"
            )
        if "http_config" not in data:
            return data
        data = dict(data)
        http = data.pop("http_config") or {}
        if not isinstance(http, dict):
            raise ValueError("http_config is a mapping")
        inline = sorted(set(http) & set(_INLINE_AUTH) - {"authorization"})
        if inline:
            raise ValueError(
                f"http_config: {', '.join(inline)}: no secrets in the config file ({_FILES}); use "
                f"http_config.authorization.credentials_secret (a Secrets Manager secret under {SECRET_PREFIX})"
            )
        unknown = sorted(set(http) - {"authorization"})
        if unknown:
            raise ValueError(
                f"http_config: {', '.join(unknown)} not supported (only authorization, its credentials in a "
                "Secrets Manager secret)"
            )
        if http.get("authorization") is not None:
            data["authorization"] = http["authorization"]
        return data

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v:
            return v
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an http or https URL with a host")
        if parts.username or parts.password:
            raise ValueError(
                "url: no credentials in the URL (they would sit in the config file); use "
                "http_config.authorization.credentials_secret, or the whole URL in url_secret"
            )
        return v.strip()

    @field_validator("url_secret")
    @classmethod
    def _url_secret(cls, v: str) -> str:
        return _secret_name(v, "url_secret") if v else v

    @field_validator("timeout")
    @classmethod
    def _short(cls, v: timedelta | None) -> timedelta | None:
        if v is not None and v > MAX_TIMEOUT:
            raise ValueError(
                f"timeout above {int(MAX_TIMEOUT.total_seconds())}s is not supported (the flush waits for "
                "each attempt)"
            )
        return v or None

    @model_validator(mode="after")
    def _one_url(self) -> Self:
        if bool(self.url) == bool(self.url_secret):
            raise ValueError("give url or url_secret (one of them)")
        return self

    @property
    def id(self) -> str:
        """A stable name for this webhook in the group's records and logs, that tells nothing of its URL."""
        where = self.url or f"secret:{self.url_secret}"
        return "wh-" + hashlib.sha256(where.encode()).hexdigest()[:10]

    @property
    def label(self) -> str:
        """How logs name it: its id and host (a URL's path and query may carry a token)."""
        host = urlsplit(self.url).hostname if self.url else self.url_secret
        return f"{self.id} ({host})"


def urls_with_a_query(data: Any) -> list[str]:
    """Where a config's webhook URLs carry a query string, often a token (a Teams workflow's `sig=`): the file
    would hold it (for check-config's warnings; the URL itself is not repeated)."""
    found: list[str] = []
    receivers = data.get("receivers") if isinstance(data, dict) else None
    for r, receiver in enumerate(receivers if isinstance(receivers, list) else []):
        hooks = receiver.get("webhook_configs") if isinstance(receiver, dict) else None
        for h, hook in enumerate(hooks if isinstance(hooks, list) else []):
            url = hook.get("url") if isinstance(hook, dict) else None
            if isinstance(url, str) and urlsplit(url).query:
                found.append(
                    f"receivers.{r}.webhook_configs.{h}: the url has a query string (a token?): keep such a URL "
                    f"in a Secrets Manager secret under {SECRET_PREFIX}, named by url_secret"
                )
    return found
