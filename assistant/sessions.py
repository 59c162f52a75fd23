"""Conversation sessions: issued by the server, unguessable, and forgotten after a while.

A session reached over HTTP is named by a token the server issued (256 random bits, see
:meth:`SessionStore.issue`); a token the server does not know, or one idle for longer than
the time in settings, starts a new, empty session under a new token and never joins an
existing one. In-process callers (the CLI, evaluations, tests) may name their own sessions
(:meth:`SessionStore.named`); those names are never accepted from outside.

The turn log and the handoff tickets see a session's ``log_id``, a one-way digest of its
token, so nothing written to disk or shown to a support lead can be used to join a chat.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

S = TypeVar("S")
TOKEN_BYTES = 32


def log_id(token: str) -> str:
    """The name a session's turns are logged under: a digest of its token (not usable to join it)."""
    return "s-" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:24]


@dataclass
class _Entry(Generic[S]):
    state: S
    log_id: str
    issued: bool
    seen: float


class SessionStore(Generic[S]):
    """Sessions in memory, the least recently used dropped beyond ``limit``, idle ones dropped after ``idle_s``.

    Args:
        factory: Makes the state of a new session.
        limit: Sessions kept at most.
        idle_s: Seconds without a turn after which a session is gone.
        clock: Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self, factory: Callable[[], S], limit: int, idle_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._factory = factory
        self._limit = limit
        self._idle_s = idle_s
        self._clock = clock
        self._entries: OrderedDict[str, _Entry[S]] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self) -> str:
        """A new, empty session; returns its token."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._lock:
            self._put(token, _Entry(self._factory(), log_id(token), issued=True, seen=self._clock()))
        return token

    def live(self, token: str | None) -> bool:
        """Whether ``token`` names a session the server issued that has not expired."""
        if not token:
            return False
        with self._lock:
            return self._alive(token) is not None and self._entries[token].issued

    def resume(self, token: str | None) -> str:
        """``token`` when it names a live issued session, else the token of a new one."""
        return token if token and self.live(token) else self.issue()

    def get(self, token: str) -> tuple[S, str] | None:
        """The state and log id of a live session (issued or named), touched; None when unknown or expired."""
        with self._lock:
            entry = self._alive(token)
            if entry is None:
                return None
            entry.seen = self._clock()
            self._entries.move_to_end(token)
            return entry.state, entry.log_id

    def named(self, name: str) -> tuple[S, str]:
        """An in-process caller's session under a name it chose (made when new); logged under that name.

        The HTTP layer never gets here: it passes only tokens that :meth:`resume` has just vouched for.
        """
        with self._lock:
            entry = self._alive(name)
            if entry is None:
                entry = _Entry(self._factory(), name, issued=False, seen=self._clock())
                self._put(name, entry)
            entry.seen = self._clock()
            self._entries.move_to_end(name)
            return entry.state, entry.log_id

    def __len__(self) -> int:
        return len(self._entries)

    def _alive(self, token: str) -> _Entry[S] | None:
        entry = self._entries.get(token)
        if entry is not None and self._clock() - entry.seen > self._idle_s:
            del self._entries[token]
            return None
        return entry

    def _put(self, token: str, entry: _Entry[S]) -> None:
        self._entries[token] = entry
        while len(self._entries) > self._limit:
            self._entries.popitem(last=False)
