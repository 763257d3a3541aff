"""The flush lease's holder id."""

from __future__ import annotations

import random


def new_lease_id() -> str:
    """Unique enough to tell workers apart (no syscall, no UUID object: this is on every flush)."""
    return f"{random.getrandbits(128):032x}"
