"""Durable state behind one interface: DynamoDB in AWS, memory for the CLI and benchmarks."""

from alertrouter.store.base import AlertApplied, LeaseHeldError, StateStore

__all__ = ["AlertApplied", "LeaseHeldError", "StateStore"]
