"""PagingSlots and PageOutbox: the right to text a recipient (or page ops) once per gap, and the pages
waiting for it."""

from __future__ import annotations

from typing import Any

import pytest

from alertrouter.models.state import AlertState, Member, QueuedPage
from support.store_items import KEY, NOW, WholeStore, alert

pytestmark = pytest.mark.integration


def test_claim_sms_slot_enforces_the_gap(store: WholeStore) -> None:
    gap = 60_000
    assert store.claim_sms_slot("ann", NOW, gap) is True
    # within the gap: refused (and a refusal does not move the slot)
    assert store.claim_sms_slot("ann", NOW, gap) is False
    assert store.claim_sms_slot("ann", NOW + 1, gap) is False
    assert store.claim_sms_slot("ann", NOW + gap - 1, gap) is False
    # another recipient has their own slot
    assert store.claim_sms_slot("bob", NOW + 1, gap) is True
    # a clock behind the last text is refused too
    assert store.claim_sms_slot("ann", NOW - 10 * gap, gap) is False
    # once the gap has passed: granted, and the gap counts from then
    assert store.claim_sms_slot("ann", NOW + gap, gap) is True
    assert store.claim_sms_slot("ann", NOW + gap + 1, gap) is False
    assert store.claim_sms_slot("ann", NOW + 2 * gap, gap) is True
    assert store.claim_sms_slot("bob", NOW + gap, gap) is False
    assert store.claim_sms_slot("bob", NOW + gap + 1, gap) is True


def test_a_released_sms_slot_can_be_claimed_again_at_once(store: WholeStore) -> None:
    assert store.claim_sms_slot("primary", NOW, 60_000)
    assert not store.claim_sms_slot("primary", NOW + 1, 60_000)
    store.release_sms_slot("primary", NOW - 5)  # not the claim that was made: nothing changes
    assert not store.claim_sms_slot("primary", NOW + 2, 60_000)
    store.release_sms_slot("primary", NOW)
    assert store.claim_sms_slot("primary", NOW + 3, 60_000)


def queued_page(recipient: str = "primary", fp: str = "fp1", at: int = NOW) -> Any:

    member = Member.of(store_state())
    return QueuedPage(recipient=recipient, key=KEY, episode=1, fingerprint=fp, member=member, queued_ms=at)


def store_state() -> Any:

    return AlertState.first(alert(), NOW)


def test_queued_pages_round_trip_and_only_the_page_as_read_is_dropped(store: WholeStore) -> None:
    first, other = queued_page(), queued_page(recipient="secondary", at=NOW + 1)
    store.queue_pages([first, other])
    assert store.queued_pages() == [first, other]  # oldest first, members intact
    again = queued_page(at=NOW + 5)  # queued again (same recipient, group, alert) after it was read
    store.queue_pages([again])
    store.drop_queued_pages([first])  # the sender drops what it read: the newer one stays
    assert store.queued_pages() == [other, again]
    store.drop_queued_pages([other, again])
    assert store.queued_pages() == []


def test_ops_page_claims_are_paced_per_cause_and_can_be_given_back(store: WholeStore) -> None:
    assert store.claim_ops_page("slack-down", NOW, 60_000)
    assert not store.claim_ops_page("slack-down", NOW + 59_999, 60_000)  # paged less than a gap ago
    assert store.claim_ops_page("sms-down", NOW + 1, 60_000)  # another cause has its own pace
    assert store.claim_sms_slot("slack-down", NOW + 2, 60_000)  # and a recipient's slot is not a cause's
    store.release_ops_page("slack-down", NOW - 5)  # not the claim that was made: nothing changes
    assert not store.claim_ops_page("slack-down", NOW + 3, 60_000)
    store.release_ops_page("slack-down", NOW)
    assert store.claim_ops_page("slack-down", NOW + 4, 60_000)
    assert store.claim_ops_page("slack-down", NOW + 60_004, 60_000)  # a gap after the last claim
