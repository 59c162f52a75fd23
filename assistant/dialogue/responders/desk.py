"""The order desk's turn: lookups, identity checks and changes, as the desk answers them."""

from __future__ import annotations

import time

from assistant.dialogue.responders.base import Ask, Immediate
from assistant.dialogue.turn import Draft, elapsed_ms
from assistant.shop.desk import OrderDesk


class DeskResponder(Immediate):
    def __init__(self, desk: OrderDesk | None) -> None:
        self.desk = desk

    def run(self, ask: Ask) -> Draft:
        assert self.desk is not None, "the router sends turns to the desk only when there is one"
        u = ask.understanding
        t = time.perf_counter()
        answer = self.desk.run(
            ask.session.desk,
            u.text,
            u.prediction.label,
            u.entities.order_numbers,
            turn_id=ask.turn_id,
            session_id=ask.log_id,
            client=ask.client,
        )
        return Draft(
            text=answer.text,
            strategy="order",
            handoff=answer.handoff,
            handoff_reason=answer.reason,
            desk=answer,
            timings={"order": elapsed_ms(t)},
        )
