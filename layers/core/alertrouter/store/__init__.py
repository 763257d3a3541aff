"""Durable state behind small interfaces, one per aggregate (base.py): DynamoDB in AWS (dynamodb/), memory in
tests and the bench (support.memory_store)."""

from alertrouter.store.base import AlertApplied, LeaseHeldError, StateStore

__all__ = ["AlertApplied", "LeaseHeldError", "StateStore"]
