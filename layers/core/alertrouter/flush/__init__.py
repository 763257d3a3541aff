"""A group's flush as a pipeline of named stages: new episode -> prune -> mute -> pages (and the fail-safe ops
page) -> what changed -> Slack -> escalation -> release, run in order by pipeline.py. Shared pieces (the outcome,
the environment, the limits) sit below the stages; nothing here imports the router."""
