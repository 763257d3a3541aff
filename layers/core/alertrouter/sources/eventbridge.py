"""The envelope every EventBridge event arrives in; each source's model types its `detail`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventBridgeEvent(BaseModel):
    """The fields of Powertools' EventBridgeModel, written here: importing Powertools' parser models costs
    ~15 ms of every cold start (the package brings the parser machinery and pydantic's constrained types, a
    tenth of the whole floor), and its Scheduler-only `detail` validator runs in Python on every event."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    version: str
    id: str
    source: str
    account: str = ""  # always sent by EventBridge; moto's PutEvents omits it (callers fall back to an ARN)
    time: datetime
    region: str
    resources: list[str]
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any]
    replay_name: str | None = Field(default=None, alias="replay-name")
