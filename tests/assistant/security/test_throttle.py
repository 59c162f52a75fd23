from assistant.security.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_free_failures_then_a_wait_that_doubles() -> None:
    clock = Clock()
    throttle = Throttle(free=3, delay_s=2, max_delay_s=60, clock=clock)
    for _ in range(3):
        assert throttle.wait("lead") == 0
        throttle.failure("lead")
    assert throttle.wait("lead") == 2
    clock.now = 2
    assert throttle.wait("lead") == 0
    throttle.failure("lead")
    assert throttle.wait("lead") == 4
    clock.now = 6
    throttle.failure("lead")
    assert throttle.wait("lead") == 8


def test_every_key_of_a_try_must_allow_it_and_a_success_clears_them() -> None:
    clock = Clock()
    throttle = Throttle(free=1, delay_s=5, max_delay_s=60, clock=clock)
    throttle.failure(("account", "lead"), ("address", "10.0.0.1"))
    assert throttle.wait(("account", "lead"), ("address", "10.0.0.2")) == 5  # the account is held
    assert throttle.wait(("account", "other"), ("address", "10.0.0.1")) == 5  # so is the address
    assert throttle.wait(("account", "other"), ("address", "10.0.0.2")) == 0
    throttle.success(("account", "lead"), ("address", "10.0.0.1"))
    assert throttle.wait(("account", "lead")) == 0


def test_the_wait_is_capped_and_old_failures_are_forgotten() -> None:
    clock = Clock()
    throttle = Throttle(free=1, delay_s=1, max_delay_s=10, clock=clock)
    for _ in range(20):
        throttle.failure("k")
    assert throttle.wait("k") == 10
    clock.now = 100
    throttle.failure("other")  # a later failure sweeps the stale records
    assert throttle.wait("k") == 0


def test_most_tries_is_what_a_flood_gets_through() -> None:
    clock = Clock()
    throttle = Throttle(free=3, delay_s=2, max_delay_s=900, clock=clock)
    allowed = 0
    while clock.now <= 60:
        wait = throttle.wait("lead")
        if wait == 0:
            allowed += 1
            throttle.failure("lead")
        clock.now += 0.25
    assert allowed == throttle.most_tries(60) == 7
