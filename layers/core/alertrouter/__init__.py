"""alertrouter: CloudWatch alarms (and later Batch, OpenSearch, SLO burn rates) to Slack and SMS."""

__version__ = "0.1.0"
