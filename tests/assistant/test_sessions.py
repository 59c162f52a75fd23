from assistant.sessions import SessionStore, log_id


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_issued_tokens_are_random_and_only_they_are_live() -> None:
    store: SessionStore[list[str]] = SessionStore(list, limit=10, idle_s=60)
    token = store.issue()
    assert len(token) >= 43 and store.live(token) and token != store.issue()
    assert not store.live("") and not store.live(None) and not store.live("made-up")
    store.named("cli")
    assert not store.live("cli")  # an in-process name is never accepted from outside
    assert store.resume("cli") != "cli" and store.resume(token) == token


def test_idle_sessions_expire_and_their_token_starts_a_new_one() -> None:
    clock = Clock()
    store: SessionStore[list[str]] = SessionStore(list, limit=10, idle_s=60, clock=clock)
    token = store.issue()
    found = store.get(token)
    assert found is not None
    found[0].append("verified 104233")
    clock.now = 59
    assert store.get(token) is not None  # touched: idle time starts again
    clock.now = 110
    assert store.live(token)  # live() does not touch
    clock.now = 120
    assert not store.live(token) and store.get(token) is None
    fresh = store.resume(token)
    assert fresh != token and store.get(fresh) == ([], log_id(fresh))


def test_the_logged_id_is_not_the_token() -> None:
    store: SessionStore[list[str]] = SessionStore(list, limit=10, idle_s=60)
    token = store.issue()
    found = store.get(token)
    assert found is not None and found[1] == log_id(token) and token not in found[1]
    assert store.named("s1")[1] == "s1"


def test_the_least_recently_used_session_goes_beyond_the_limit() -> None:
    store: SessionStore[list[str]] = SessionStore(list, limit=2, idle_s=60)
    a, b = store.issue(), store.issue()
    store.get(a)
    store.issue()
    assert store.live(a) and not store.live(b) and len(store) == 2

