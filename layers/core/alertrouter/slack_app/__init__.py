"""Slack as a place to act from, beyond a message's buttons: slash commands, the Silence modal, App Home."""
