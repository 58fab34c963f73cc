"""Per-handle lockout after repeated wrong credentials.

Why: every request carries its credential (HTTP Basic), so without a limit anyone on the
machine can guess a victim's credential as fast as argon2id verifies (~60 guesses/s per core).
After ``free_failures`` consecutive wrong credentials for one handle, that handle is locked for
``base_seconds`` doubling with each further failure up to ``max_seconds``; while locked every
request for it is refused with ``too_many_attempts`` (HTTP 429, with the seconds left) before
any hash is computed, even if the credential is right. A correct credential after the lockout
clears the record.

Choices stated plainly:
* Keyed by the canonical handle, for unknown handles too, so a lockout reveals nothing about
  whether an account exists.
* The cost is a denial of service: whoever knows a handle can keep it locked. On a loopback
  sandbox that is the right trade; a public rail would add per-client limits and a second factor.
* Memory only, bounded (oldest records evicted first) and on the monotonic clock, so the
  cluster's warpable Clock cannot unlock anything. A restart forgets lockouts.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable


class LoginThrottle:
    def __init__(self, *, free_failures: int = 5, base_seconds: float = 1.0, max_seconds: float = 300.0,
                 max_entries: int = 100_000, now: Callable[[], float] = time.monotonic) -> None:
        self.free_failures = free_failures
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.max_entries = max_entries
        self._now = now
        self._lock = threading.Lock()
        self._records: OrderedDict[str, tuple[int, float]] = OrderedDict()  # handle -> (failures, locked_until)

    def seconds_locked(self, handle: str) -> float:
        """Seconds until ``handle`` may try again (0 when it may try now)."""
        with self._lock:
            record = self._records.get(handle)
        if record is None:
            return 0.0
        return max(0.0, record[1] - self._now())

    def failed(self, handle: str) -> None:
        with self._lock:
            failures = self._records.pop(handle, (0, 0.0))[0] + 1
            over = failures - self.free_failures
            until = 0.0
            if over > 0:
                until = self._now() + min(self.max_seconds, self.base_seconds * 2 ** min(over - 1, 32))
            self._records[handle] = (failures, until)
            while len(self._records) > self.max_entries:
                self._records.popitem(last=False)

    def succeeded(self, handle: str) -> None:
        with self._lock:
            self._records.pop(handle, None)
