"""What a permanent Slack failure means and how a person fixes it: one channel broken, or the token itself."""

from __future__ import annotations

# The token is the problem, not the channel: every channel (and a fallback) would fail the same way.
TOKEN_ERRORS = frozenset({"token_revoked", "invalid_auth", "account_inactive", "not_authed", "token_expired"})
# Slack's own `missing_scope` answers say which scope; this is the one chat.postMessage needs.
DEFAULT_SCOPE = "chat:write"


def channel_label(channel: str) -> str:
    """A configured channel as people write it: `#name`, or the id as configured."""
    if channel.startswith("#") or (channel[:1] in "CGD" and channel.isupper() and channel.isalnum()):
        return channel
    return "#" + channel


def is_token_error(code: str) -> bool:
    return code in TOKEN_ERRORS


def fix_for(code: str, channel: str, *, needed: str = "", token_secret: str = "") -> str:
    """The action that makes `channel` reachable again after Slack answered `code`."""
    label = channel_label(channel)
    if code == "not_in_channel":
        return f"invite the app to {label} (/invite @<app name> in the channel)"
    if code == "is_archived":
        return f"unarchive {label} or change the receiver's channel in the routing config"
    if code == "channel_not_found":
        return (
            f"check the channel name/id {label} in the routing config (a private channel needs the app "
            "invited before it can see it)"
        )
    if code == "missing_scope":
        return f"add the scope {needed or DEFAULT_SCOPE} to the Slack app and reinstall it to the workspace"
    if code in TOKEN_ERRORS:
        where = f"the secret {token_secret}" if token_secret else "the Slack token secret"
        return f"rotate the token in {where} (the installed app's bot token)"
    if code in ("restricted_action", "ekm_access_denied"):
        return f"a workspace admin restricts posting in {label}: allow the app or change the channel"
    return f"see Slack's documentation of `{code}` for chat.postMessage / chat.update"


def fallback_banner(failed: dict[str, tuple[str, str]]) -> str:
    """The line atop a message posted in a fallback channel: which channels Slack refused and why
    (channel -> (error code, fix)); plain text, escaped by the caller."""
    if not failed:
        return (
            "ℹ️ A copy kept here while the receiver's channels could not be reached: they are reachable again"
        )
    refused = "; ".join(f"{channel_label(c)}: {code} ({fix})" for c, (code, fix) in sorted(failed.items()))
    return f"⚠️ Posted here because Slack refuses the receiver's channels. {refused}"
