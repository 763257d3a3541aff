"""The graph an alert's Slack message shows: the alarm's metrics around the threshold, or an SLO's error
budget and burn rates, drawn by CloudWatch (GetMetricWidgetImage) as a PNG."""

# The reasons a graph fails (the GraphFailures metric's `reason` dimension: keep the set small and fixed). Here,
# not in render.py, so that the router's delivery names them without importing the renderer at a cold start.
REASONS = frozenset(
    {
        "alarm_not_found",
        "throttled",
        "access_denied",
        "invalid_widget",
        "cloudwatch_error",
        "timeout",
        "not_png",
        "too_large",
    }
)
