"""Durable state behind small interfaces, one per aggregate (base.py), bundled for the router side as Stores:
DynamoDB in AWS (dynamodb/), memory in tests and the bench (support.memory_store)."""

from alertrouter.store.base import AlertApplied, LeaseHeldError, Stores

__all__ = ["AlertApplied", "LeaseHeldError", "Stores"]
