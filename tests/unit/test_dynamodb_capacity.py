"""The capacity model's sizing and units against the worked examples of AWS's own pages (pure: no network)."""

from __future__ import annotations

import math

import pytest

from support.dynamodb_capacity import item_size, key_prefix, number_size, read_units, value_size, write_units

KB = 1024


# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
# "reading a 3,500-byte item consumes the same throughput as reading a 4 KB item"; "if your item size is 8 KB,
# you require 2 read units to sustain one strongly consistent read, 1 read unit if you choose eventually
# consistent reads, or 4 read units for a transactional read request"
def test_reads_are_rounded_up_to_4_kb_halved_when_eventually_consistent_doubled_in_a_transaction() -> None:
    assert read_units(3_500) == 1
    assert read_units(8 * KB) == 2
    assert read_units(8 * KB, consistent=False) == 1
    assert read_units(8 * KB, transactional=True) == 4


# same page, GetItem: "if you read an item of 3.5 KB, DynamoDB rounds the item size to 4 KB. If you read an
# item of 10 KB, DynamoDB rounds the item size to 12 KB"; an absent item still takes a unit
def test_get_item_rounds_each_item_up_and_an_absent_item_costs_one_unit() -> None:
    assert read_units(int(3.5 * KB)) == 1
    assert read_units(10 * KB) == 3
    assert read_units(0) == 1 and read_units(0, consistent=False) == 0.5


# same page, BatchGetItem: "if BatchGetItem reads a 1.5 KB item and a 6.5 KB item, DynamoDB calculates the size
# as 12 KB (4 KB + 8 KB), not 8 KB (1.5 KB + 6.5 KB)"
def test_batch_get_rounds_each_item_on_its_own() -> None:
    assert read_units(int(1.5 * KB)) + read_units(int(6.5 * KB)) == 3  # 12 KB


# same page, Query: "if a query returns 10 items whose combined size is 40.8 KB, DynamoDB rounds the item size
# for the operation to 44 KB. If a query returns 1500 items of 64 bytes each, the cumulative size is 96 KB"
def test_a_query_page_sums_its_items_and_rounds_once() -> None:
    assert read_units(int(40.8 * KB)) == 11  # 44 KB
    assert read_units(1500 * 64) == 24  # 96 KB, not 1,500 units


# https://aws.amazon.com/dynamodb/pricing/provisioned/ : "a standard write request of a 1 KB item would require
# one WCU, a standard write request of a 3 KB item would require three WCUs, and a transactional write request
# of a 3 KB item would require six WCUs"
def test_writes_are_rounded_up_to_1_kb_and_doubled_in_a_transaction() -> None:
    assert write_units(0, 1 * KB) == 1
    assert write_units(0, 3 * KB) == 3
    assert write_units(0, 3 * KB, transactional=True) == 6


# read-write-operations.html, UpdateItem: "the larger of the 'before' and 'after' item sizes", even when one
# attribute changes; DeleteItem: the deleted item's size; a failed conditional write or a delete of an absent
# item: 1 unit
def test_a_write_takes_the_larger_of_the_item_before_and_after() -> None:
    assert write_units(40 * KB, 40 * KB + 10) == 41  # one small attribute added to a 40 KB item
    assert write_units(5 * KB, 0) == 5  # the delete of a 5 KB item
    assert write_units(0, 0) == 1  # a delete of nothing, a failed condition on an absent item
    assert write_units(3 * KB, 3 * KB) == 3  # a failed condition on a 3 KB item


# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html :
# "Numbers are variable length, with up to 38 significant digits. Leading and trailing zeroes are trimmed.
# The size of a number is approximately (1 byte per two significant digits) + (1 byte)"
@pytest.mark.parametrize(
    ("number", "size"),
    [("0", 1), ("7", 2), ("123", 3), ("1000", 2), ("0.001", 2), ("-12.34", 3), ("1767225600000", 5)],
)
def test_a_number_takes_a_byte_per_two_significant_digits_plus_one(number: str, size: int) -> None:
    assert number_size(number) == size


# same page: strings are UTF-8 bytes; binary its raw bytes; null and Boolean 1 byte; "An attribute of type List
# or Map requires 3 bytes of overhead, regardless of its contents ... Each List or Map element also requires 1
# byte of overhead"
def test_values_are_sized_by_type() -> None:
    assert value_size({"S": "héllo"}) == 6  # é is 2 bytes in UTF-8
    assert value_size({"B": b"\x00\x01\x02"}) == 3
    assert value_size({"BOOL": True}) == 1 and value_size({"NULL": True}) == 1
    assert value_size({"L": []}) == 3 and value_size({"M": {}}) == 3
    assert value_size({"L": [{"S": "ab"}, {"N": "12"}]}) == 3 + (1 + 2) + (1 + 2)
    assert value_size({"M": {"x": {"S": "ab"}}}) == 3 + 1 + 1 + 2  # the element's name counts
    assert value_size({"SS": ["a", "bc"]}) == 3


def test_an_item_is_its_names_and_values() -> None:
    item = {"pk": {"S": "GROUP#k"}, "sk": {"S": "GROUP"}, "version": {"N": "12"}, "members": {"M": {}}}
    assert item_size(item) == (2 + 7) + (2 + 5) + (7 + 2) + (7 + 3)
    assert item_size(None) == 0


# A cross-check against an independent sizer (third party, not AWS: github.com/mikaelvesavuori/ddbitemsizer's
# README example, 141 bytes), which applies the same rules
def test_an_independent_sizers_example_comes_to_the_same_bytes() -> None:
    item = {
        "itemType": {"S": "SLOT"},
        "id": {"S": "abc1231"},
        "hostName": {"S": "Harry Mason"},
        "timeSlot": {"S": "February 23, 1999"},
        "slotStatus": {"S": "OPEN"},
        "createdAt": {"S": "February 1, 1999"},
        "updatedAt": {"S": "February 1, 1999"},
        "expiresAt": {"N": "2099"},
    }
    assert item_size(item) == 141
    assert write_units(0, item_size(item)) == 1 and math.isclose(read_units(item_size(item)), 1)


def test_partition_keys_are_grouped_by_their_prefix() -> None:
    assert key_prefix("GROUP#abc#def") == "GROUP#"
    assert key_prefix("HISTORY#x") == "HISTORY#"
    assert key_prefix("SILENCE") == "SILENCE"
