"""FloodGuard: the limit, the sliding window, the mute, per-user counts and the memory bound.

The guard reads time only through its injected clock; here a `SteppedClock` that tests move.
"""

from __future__ import annotations

from bot.telegram.flood import FloodGuard, FloodVerdict

OK, WARN, IGNORE = FloodVerdict.OK, FloodVerdict.WARN, FloodVerdict.IGNORE


class SteppedClock:
    """Monotonic seconds that only move when a test sets them."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def guard(clock: SteppedClock, **overrides) -> FloodGuard:
    settings = {"max_messages": 3, "window_seconds": 10.0, "mute_seconds": 30.0} | overrides
    return FloodGuard(clock=clock, **settings)


def test_the_message_over_the_limit_warns_once_then_the_user_is_ignored() -> None:
    clock = SteppedClock()
    flood = guard(clock)
    assert [flood.check(1) for _ in range(3)] == [OK, OK, OK]
    assert flood.check(1) is WARN
    assert [flood.check(1) for _ in range(5)] == [IGNORE] * 5


def test_the_defaults_allow_twenty_messages_a_minute() -> None:
    clock = SteppedClock()
    flood = FloodGuard(clock=clock)
    for second in range(20):
        clock.now = 1000.0 + second * 2.9  # 20 messages within 58 s
        assert flood.check(1) is OK
    clock.now = 1059.0
    assert flood.check(1) is WARN


def test_the_window_slides_messages_older_than_the_window_stop_counting() -> None:
    clock = SteppedClock(0.0)
    flood = guard(clock)
    for now in (0.0, 1.0, 2.0):
        clock.now = now
        assert flood.check(1) is OK
    clock.now = 10.0  # the message at 0.0 is exactly one window old: it no longer counts
    assert flood.check(1) is OK
    clock.now = 10.5  # 1.0, 2.0, 10.0 and this one: four within 10 s
    assert flood.check(1) is WARN


def test_a_steady_pace_just_under_the_limit_is_never_muted() -> None:
    clock = SteppedClock(0.0)
    flood = guard(clock, window_seconds=9.0)
    verdicts = []
    for step in range(60):
        clock.now = step * 3.0  # exactly 3 per window, for 3 minutes
        verdicts.append(flood.check(1))
    assert verdicts == [OK] * 60


def test_the_mute_lasts_mute_seconds_and_then_the_count_starts_afresh() -> None:
    clock = SteppedClock(0.0)
    flood = guard(clock)
    for _ in range(3):
        flood.check(1)
    assert flood.check(1) is WARN  # muted until 30.0
    clock.now = 29.999
    assert flood.check(1) is IGNORE
    clock.now = 30.0
    # Ignored messages did not count, and the burst that caused the mute was forgotten.
    assert [flood.check(1) for _ in range(4)] == [OK, OK, OK, WARN]
    clock.now = 59.999
    assert flood.check(1) is IGNORE
    clock.now = 60.0
    assert flood.check(1) is OK


def test_users_are_counted_independently() -> None:
    clock = SteppedClock()
    flood = guard(clock)
    assert [flood.check(1) for _ in range(4)] == [OK, OK, OK, WARN]
    assert [flood.check(2) for _ in range(3)] == [OK, OK, OK]  # 1 is muted, 2 is not
    assert flood.check(1) is IGNORE
    assert flood.check(2) is WARN
    assert flood.check(3) is OK


def test_idle_users_are_forgotten_past_the_bound_and_the_mute_survives() -> None:
    clock = SteppedClock(0.0)
    flood = guard(clock, max_tracked_users=5)
    for _ in range(4):
        flood.check(99)  # 99 is muted until 30.0
    for user_id in range(1, 6):
        assert flood.check(user_id) is OK
    # Over the bound: the sweep drops only 99, whose burst was cleared when the mute began.
    assert set(flood._seen) == {1, 2, 3, 4, 5}
    clock.now = 11.0  # everyone's last message is now older than the window
    assert flood.check(6) is OK
    assert set(flood._seen) == {6}
    assert flood.check(99) is IGNORE  # still muted: forgetting history does not lift a mute
    clock.now = 30.0
    assert flood.check(99) is OK


def test_ended_mutes_are_forgotten_too() -> None:
    clock = SteppedClock(0.0)
    flood = guard(clock, max_tracked_users=2)
    for user_id in (1, 2, 3):
        for _ in range(4):
            flood.check(user_id)
    assert set(flood._muted_until) == {1, 2, 3}
    clock.now = 100.0
    for user_id in (10, 11, 12):
        flood.check(user_id)
    assert flood._muted_until == {}
    assert set(flood._seen) == {10, 11, 12}  # swept when 11 came; 12 came in the same window


def test_the_sweep_runs_at_most_once_a_window() -> None:
    clock = SteppedClock(0.0)
    flood = guard(clock, max_tracked_users=2)
    flood.check(1)
    flood.check(2)
    clock.now = 4.0
    flood.check(3)  # over the bound: a sweep that finds nobody idle; the next one at 14.0
    clock.now = 10.5
    flood.check(4)  # 1 and 2 are idle now, but the last sweep was less than a window ago
    assert set(flood._seen) == {1, 2, 3, 4}
    clock.now = 14.0
    flood.check(5)  # a window after the first sweep: 1, 2 and 3 (at 4.0) are idle
    assert set(flood._seen) == {4, 5}
