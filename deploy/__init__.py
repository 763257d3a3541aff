"""Deployment helpers run on a person's machine (no AWS account needed): `make package` builds the spoke's
service-managed StackSet template and its code artefacts (deploy/stackset.py)."""
