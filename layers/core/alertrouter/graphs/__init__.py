"""The graph an alert's Slack message shows: the alarm's metrics around the threshold, or an SLO's error
budget and burn rates, drawn by CloudWatch (GetMetricWidgetImage) as a PNG."""
