"""On call, evaluated in pure code: who is on call when (schedules, layers, overrides) and whether a
heartbeat check is up, late or down. No AWS here: the store and the escalator apply these."""
