"""The login throttle on a fake clock: free failures, doubling lockouts capped, reset on success,
bounded memory."""
from __future__ import annotations

from localnet.rails.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_lockouts_double_up_to_the_cap_and_success_clears() -> None:
    clock = Clock()
    t = LoginThrottle(free_failures=3, base_seconds=2, max_seconds=10, now=clock)
    for _ in range(3):
        t.failed("a")
        assert t.seconds_locked("a") == 0
    waits = []
    for _ in range(4):
        t.failed("a")
        waits.append(t.seconds_locked("a"))
        clock.t += waits[-1]
        assert t.seconds_locked("a") == 0
    assert waits == [2, 4, 8, 10]
    assert t.seconds_locked("b") == 0  # other handles are unaffected
    t.succeeded("a")
    for _ in range(3):
        t.failed("a")
    assert t.seconds_locked("a") == 0  # a fresh count after success


def test_memory_is_bounded_oldest_first() -> None:
    t = LoginThrottle(free_failures=0, base_seconds=5, max_entries=3, now=Clock())
    for h in "abcd":
        t.failed(h)
    assert t.seconds_locked("a") == 0 and all(t.seconds_locked(h) == 5 for h in "bcd")
