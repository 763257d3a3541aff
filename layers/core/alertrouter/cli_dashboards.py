"""`alertrouter dashboard cloudwatch | grafana`: the org-wide views as JSON, for the demo, for a look before a
deploy (the hub's CloudWatch dashboard) and for Grafana's import (the Grafana dashboard)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def add_dashboard_command(sub: Any) -> None:
    """The `dashboard` command and its two views."""
    dashboard = sub.add_parser("dashboard", help="the org-wide SLO dashboards as JSON (CloudWatch, Grafana)")
    views = dashboard.add_subparsers(dest="view", required=True)
    cloudwatch = views.add_parser(
        "cloudwatch", help="the hub's CloudWatch dashboard body (template.yaml's OrgSloDashboard)"
    )
    cloudwatch.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1")),
        help="the hub's region (default: AWS_REGION, else us-east-1)",
    )
    grafana = views.add_parser(
        "grafana", help="the Grafana dashboard (import it into Amazon Managed Grafana)"
    )
    for view in (cloudwatch, grafana):
        view.add_argument("--out", help="write it to this file (default: standard output)")
    dashboard.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    if args.view == "cloudwatch":
        from alertrouter.dashboards.cloudwatch import body_json

        text = body_json(args.region) + "\n"
    else:
        try:  # a local-only dependency: the Lambda layer does not ship it
            from alertrouter.dashboards.grafana import dashboard_json
        except ImportError as exc:
            print(f"alertrouter dashboard grafana needs grafana-foundation-sdk ({exc})", file=sys.stderr)
            return 2
        text = dashboard_json()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
