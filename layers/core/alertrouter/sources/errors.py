"""Why an input could not become an alert. Handlers log the reason, count it, and keep the input."""


class MalformedEventError(ValueError):
    """The input is not valid for the shape it claims (bad JSON, missing field, wrong type)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnrecognisedEventError(MalformedEventError):
    """The input matches no shape the router knows."""
