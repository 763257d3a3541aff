"""Pydantic models, one set per edge: alerts, routing config, settings, storage items."""
