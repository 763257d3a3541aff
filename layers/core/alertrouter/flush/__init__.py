"""A group's flush as a pipeline of named stages: new episode -> prune -> mute -> pages -> what changed ->
Slack -> escalation -> release. Shared pieces (the outcome, the environment, the limits) sit below the stages;
nothing here imports the router."""
