"""A throttle for guesses: a few free failures per key, then a wait that doubles with each further failure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0


class Throttle:
    """Failures counted per key (an account, an address); a try is allowed when every key it names allows it.

    After ``free`` failures of a key, its next try must wait ``delay_s`` after the last failure, then twice
    that after the next, and so on up to ``max_delay_s``. A success clears the keys of that try; a key
    with no failure for ``max_delay_s`` is forgotten.

    Args:
        free: Failures allowed without a wait.
        delay_s: The first wait.
        max_delay_s: The longest wait.
        clock: Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self, free: int, delay_s: float, max_delay_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.free = free
        self.delay_s = delay_s
        self.max_delay_s = max_delay_s
        self._clock = clock
        self._records: dict[Hashable, _Record] = {}
        self._lock = threading.Lock()

    def wait(self, *keys: Hashable) -> float:
        """Seconds until a try with these keys is allowed; 0 when it is allowed now."""
        now = self._clock()
        with self._lock:
            return max((self._wait(self._records.get(k), now) for k in keys), default=0.0)

    def failure(self, *keys: Hashable) -> None:
        """Count a failed try for each key."""
        now = self._clock()
        with self._lock:
            self._forget(now)
            for key in keys:
                record = self._records.setdefault(key, _Record())
                record.failures += 1
                record.last = now

    def success(self, *keys: Hashable) -> None:
        """A try succeeded: its keys start afresh."""
        with self._lock:
            for key in keys:
                self._records.pop(key, None)

    def most_tries(self, seconds: float) -> int:
        """The most tries one key can make within ``seconds`` when every one fails (what a flood gets through)."""
        tries, at = 0, 0.0
        while True:
            at += self._delay(tries)
            if at > seconds:
                return tries
            tries += 1

    def _delay(self, failures: int) -> float:
        """The wait after the last of ``failures`` failures."""
        if failures < self.free:
            return 0.0
        return min(self.delay_s * 2 ** (failures - self.free), self.max_delay_s)

    def _wait(self, record: _Record | None, now: float) -> float:
        if record is None:
            return 0.0
        return max(0.0, record.last + self._delay(record.failures) - now)

    def _forget(self, now: float) -> None:
        stale = [k for k, r in self._records.items() if now - r.last > self.max_delay_s]
        for key in stale:
            del self._records[key]
