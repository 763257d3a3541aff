"""Who is on call in a schedule (models/schedule.py), when: one instant, the timeline of a span, the next change.

Nothing steps minute by minute. At an instant each layer's rotation index comes from the local calendar
(`(local time - start) // shift length`, then checked against the real handoff instants); restrictions are
the time intervals of routing/timeintervals.py, searched only as far as the shift reaches. What is found is a
*piece*: a span around the instant in which the answer cannot change. `shifts` walks from piece to piece and
merges neighbours with the same answer; `on_call` widens its piece the same way in both directions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alertrouter.models.recipient import Recipient, parse_recipient
from alertrouter.models.schedule import OVERRIDE, Layer, Override, Schedule
from alertrouter.models.timeinterval import TimeIntervalSpec
from alertrouter.routing.timeintervals import changes, holds

DAY_MS = 86_400_000
# How far `on_call` looks back for when a shift began and ahead for when it ends: a shift that began longer
# ago is shown as beginning then; one that outlasts the look ahead has no end (`until_ms` None).
LOOK_BACK_MS = 366 * DAY_MS
LOOK_AHEAD_MS = 366 * DAY_MS
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class OnCall:
    """Who is on call at an instant, from which layer (or "override"), in the shift [since_ms, until_ms);
    `until_ms` None: no change within LOOK_AHEAD_MS."""

    person: str
    layer: str
    since_ms: int
    until_ms: int | None


@dataclass(frozen=True)
class Shift:
    """One stretch of the final timeline: `person` on call from `layer` (or "override") in [start_ms, end_ms)."""

    person: str
    layer: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class _Piece:
    """A span [start, end) around an instant in which the answer (person, layer) is the same throughout; not
    necessarily the longest such span."""

    answer: tuple[str, str] | None
    start: int
    end: int


def on_call(schedule: Schedule, at_ms: int, overrides: Iterable[Override] = ()) -> OnCall | None:
    """Who is on call at `at_ms`, and in which shift; None when nobody is."""
    mine = _overrides(schedule, overrides)
    low, high = at_ms - LOOK_BACK_MS, at_ms + LOOK_AHEAD_MS
    piece = _piece(schedule, at_ms, mine, low, high)
    if piece.answer is None:
        return None
    start, end = piece.start, piece.end
    while start > low:
        before = _piece(schedule, start - 1, mine, low, start)
        if before.answer != piece.answer:
            break
        start = before.start
    while end < high:
        after = _piece(schedule, end, mine, end, high)
        if after.answer != piece.answer:
            break
        end = after.end
    person, layer = piece.answer
    return OnCall(person, layer, start, end if end < high else None)


def shifts(schedule: Schedule, from_ms: int, to_ms: int, overrides: Iterable[Override] = ()) -> list[Shift]:
    """The final timeline of [from_ms, to_ms): who is on call when, neighbours with the same person and layer
    merged, cut at both ends; spans with nobody on call left out."""
    mine = _overrides(schedule, overrides)
    found: list[Shift] = []
    at = from_ms
    while at < to_ms:
        piece = _piece(schedule, at, mine, at, to_ms)
        end = min(piece.end, to_ms)
        if piece.answer is not None:
            person, layer = piece.answer
            last = found[-1] if found else None
            if last and last.end_ms == at and (last.person, last.layer) == piece.answer:
                found[-1] = Shift(person, layer, last.start_ms, end)
            else:
                found.append(Shift(person, layer, at, end))
        at = end
    return found


def next_change_ms(schedule: Schedule, at_ms: int, overrides: Iterable[Override] = ()) -> int | None:
    """The first instant after `at_ms` at which who is on call changes (another person, or nobody, or someone
    after nobody); a change of layer alone with the same person is none. None: no change within LOOK_AHEAD_MS."""
    mine = _overrides(schedule, overrides)
    high = at_ms + LOOK_AHEAD_MS
    piece = _piece(schedule, at_ms, mine, at_ms, high)
    who = _person(piece)
    while piece.end < high:
        piece = _piece(schedule, piece.end, mine, piece.end, high)
        if _person(piece) != who:
            return piece.start
    return None


def resolve(
    ref: str, schedules: Mapping[str, Schedule], at_ms: int, overrides: Iterable[Override] = ()
) -> Recipient | None:
    """Whom a recipient string (models/recipient.py) reaches at `at_ms`: a person as named, a schedule's person
    on call then, by the same channel; None when the schedule is unknown or has nobody on call."""
    recipient = parse_recipient(ref)
    if recipient.schedule is None:
        return recipient
    schedule = schedules.get(recipient.schedule)
    found = on_call(schedule, at_ms, overrides) if schedule is not None else None
    return recipient.to(found.person) if found is not None else None


def _person(piece: _Piece) -> str | None:
    return piece.answer[0] if piece.answer else None


def _overrides(schedule: Schedule, overrides: Iterable[Override]) -> list[Override]:
    return [o for o in overrides if o.schedule == schedule.name]


def _piece(schedule: Schedule, at: int, overrides: Sequence[Override], low: int, high: int) -> _Piece:
    """The answer at `at` and a span around it, within [low, high], in which it holds."""
    start, end = low, high
    for override in overrides:  # their edges bound every piece: a winner may start or stop at each
        for edge in (override.start_ms, override.end_ms):
            if edge <= at:
                start = max(start, edge)
            else:
                end = min(end, edge)
    active = [o for o in overrides if o.start_ms <= at < o.end_ms]
    if active:
        winner = max(active, key=lambda o: (o.created_ms, o.start_ms))
        return _Piece((winner.person, OVERRIDE), start, end)
    zone = schedule.zone
    for layer in reversed(schedule.layers):  # a later layer wins where it has someone
        piece = _layer_piece(layer, zone, at, start, end)
        start, end = max(start, piece.start), min(end, piece.end)
        if piece.answer is not None:
            return _Piece(piece.answer, start, end)
    return _Piece(None, start, end)


def _layer_piece(layer: Layer, zone: ZoneInfo, at: int, low: int, high: int) -> _Piece:
    """Who the layer has on call at `at` (None outside its shifts and restrictions), within [low, high]."""
    rotation = _rotation_piece(layer, zone, at, low, high)
    if not layer.restrictions or rotation.answer is None:
        return rotation
    inside, start, end = _restriction_stretch(layer.restrictions, at, rotation.start, rotation.end)
    return _Piece(rotation.answer if inside else None, start, end)


def _rotation_piece(layer: Layer, zone: ZoneInfo, at: int, low: int, high: int) -> _Piece:
    """The layer's rotation at `at`, restrictions aside: the member on call, from the first of their turns
    in a row to the last (a member listed twice in a row, or alone, holds on)."""
    index = _index(layer, zone, at)
    if index < 0:
        return _Piece(None, low, min(high, _handoff(layer, zone, 0)))
    members = layer.members
    person = members[index % len(members)]
    if all(m == person for m in members):
        first, after = 0, None
    else:
        first = index
        while first > 0 and members[(first - 1) % len(members)] == person:
            first -= 1
        after = index + 1
        while members[after % len(members)] == person:
            after += 1
    start = max(low, _handoff(layer, zone, first))
    end = high if after is None else min(high, _handoff(layer, zone, after))
    return _Piece((person, layer.name), start, end)


def _index(layer: Layer, zone: ZoneInfo, at: int) -> int:
    """The number of the shift on at `at` (0 from `start`; -1 before it): the largest k whose handoff is not
    after `at` (a shift that a skipped hour leaves empty is passed over)."""
    local = _datetime(at).astimezone(zone).replace(tzinfo=None)
    k = (local - layer.start) // layer.length
    while k >= 0 and _handoff(layer, zone, k) > at:
        k -= 1
    k = max(k, -1)
    while _handoff(layer, zone, k + 1) <= at:
        k += 1
    return k


def _handoff(layer: Layer, zone: ZoneInfo, k: int) -> int:
    """The k-th handoff as epoch ms: `start + k * length` on the local calendar, then placed in time."""
    return local_instant(layer.start + k * layer.length, zone)


def local_instant(wall: datetime, zone: ZoneInfo) -> int:
    """A local wall time as epoch ms: the first of two that the clock shows twice; for one the clock skips,
    the first instant after the gap."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return _ms(first)
    # In a gap: fold=0 reads it with the offset before the change (past the gap), fold=1 with the one after
    # (before the gap); the change lies between.
    low, high = _ms(wall.replace(tzinfo=zone, fold=1).astimezone(UTC)), _ms(first)
    before = _offset(low, zone)
    while high - low > 1000:
        mid = (low + high) // 2
        if _offset(mid, zone) == before:
            low = mid
        else:
            high = mid
    return high - high % 1000


def _offset(ms: int, zone: ZoneInfo) -> timedelta | None:
    return _datetime(ms).astimezone(zone).utcoffset()


def _restriction_stretch(
    specs: Sequence[TimeIntervalSpec], at: int, low: int, high: int
) -> tuple[bool, int, int]:
    """Whether the restrictions hold at `at`, and the stretch of [low, high] around it in which that stays so
    (looked for a day at a time, only as far as needed)."""
    now = _datetime(at)
    inside = holds(specs, now)
    end = high
    if at < high:
        flip = next(changes(specs, now, _datetime(high)), None)
        end = _ms(flip) if flip is not None else high
    start = low
    chunk_end = now
    while _ms(chunk_end) > low:
        chunk_start = max(chunk_end - timedelta(days=1), _datetime(low))
        flips = list(changes(specs, chunk_start, chunk_end))
        if flips:
            start = _ms(flips[-1])
            break
        chunk_end = chunk_start
    return inside, start, end


def _datetime(ms: int) -> datetime:
    return EPOCH + ms * MS


def _ms(at: datetime) -> int:
    return (at - EPOCH) // MS
