"""The rule that moves an escalation on when its page call went unanswered (unanswered_calls.py), on the
escalation tests' world (memory store, Slack and SMS fakes, a clock in minutes; steps [[secondary], [lead,
manager]] 10 minutes apart). The call's step context is what the escalator wrote on it."""

from __future__ import annotations

from alertrouter.sources.voice import CallUnanswered
from alertrouter.unanswered_calls import Moved, UnansweredCalls
from support.escalation_world import World, page


def unanswered(world: World) -> UnansweredCalls:
    stores = world.store.stores()
    return UnansweredCalls(stores.escalations, stores.groups, stores.history, world.slack)


def call(
    world: World, step: int, round_: int = 0, *, episode: int = 1, to: str = "secondary"
) -> CallUnanswered:
    return CallUnanswered(world.key, episode, step, round_, to, "VOICE_BUSY", "m-1", world.clock())


def test_the_last_step_of_a_round_moves_on_to_the_first_of_the_next() -> None:
    world = World(repeat=1)
    page(world)
    world.at(10).escalator.run()
    world.at(20).escalator.run()  # step 2 paged: the next is step 1 of round 1, at 30
    world.at(21)
    assert unanswered(world).apply(call(world, 2, to="lead"), world.clock()) is Moved.MOVED_ON
    [escalation] = world.store.escalations()
    assert (escalation.step, escalation.round, escalation.next_ms) == (0, 1, world.clock())
    assert world.slack.threads[-1][1] == "📵 lead did not answer (line busy): moving on to step 1 of 2 now"
    world.at(22).escalator.run()
    assert world.texted()[-1] == "secondary"  # round 1, step 1: not at 30


def test_a_step_still_paging_its_other_recipients_is_not_cut_short() -> None:
    world = World()
    page(world)
    world.at(10).escalator.run()
    [escalation] = world.store.escalations()
    world.store.advance_escalation(escalation, {"sent": ("lead",)})  # step 2 under way, manager still due
    world.at(11)
    assert unanswered(world).apply(call(world, 1), world.clock()) is Moved.ELSEWHERE


def test_another_episode_or_a_step_not_just_called_changes_nothing() -> None:
    world = World()
    page(world)
    world.at(10).escalator.run()
    before = world.store.escalations()
    world.at(11)
    assert unanswered(world).apply(call(world, 1, episode=2), world.clock()) is Moved.NO_ESCALATION
    assert unanswered(world).apply(call(world, 2), world.clock()) is Moved.ELSEWHERE
    assert unanswered(world).apply(call(world, 1, 1), world.clock()) is Moved.ELSEWHERE
    assert world.store.escalations() == before


def test_whom_the_thread_names_is_escaped() -> None:
    world = World()
    page(world)
    world.at(10).escalator.run()
    world.at(11)
    assert unanswered(world).apply(call(world, 1, to="<!channel>"), world.clock()) is Moved.MOVED_ON
    assert world.slack.threads[-1][1].startswith("📵 &lt;!channel&gt; did not answer")
    [entry] = [e for e in world.store.history(world.key) if e["kind"] == "call_unanswered"]
    assert (entry["outcome"], entry["from_step"], entry["to_step"]) == ("VOICE_BUSY", 1, 2)
