"""The org-wide views as code: the hub's CloudWatch dashboard (cloudwatch.py, template.yaml's OrgSloDashboard)
and the Grafana dashboard (grafana.py, built with grafana-foundation-sdk, a local-only dependency). Neither is
imported by a Lambda function; the CLI writes them (`alertrouter dashboard cloudwatch | grafana`)."""
