"""Grounded generation: the language model answers from the retrieved entries, and is checked for invented facts.

A reply that states a fact the entries do not support is generated once more with stricter decoding; if that
fails too, the customer gets the closest entry as the shop wrote it, and the offer of a person.
"""

from __future__ import annotations

import time
from collections.abc import Generator

from assistant import faithfulness
from assistant.answers import curated_answer
from assistant.dialogue.evidence import Lookup
from assistant.dialogue.responders.base import Ask
from assistant.dialogue.turn import Draft, elapsed_ms
from assistant.generation import Generation, ReplyGenerator
from assistant.index import Hit
from assistant.knowledge import Passage
from assistant.prompts import PromptLibrary
from assistant.settings import Settings


class GroundedGeneration:
    def __init__(
        self, lookup: Lookup, generator: ReplyGenerator, prompts: PromptLibrary, settings: Settings, shop_name: str
    ) -> None:
        self.lookup = lookup
        self.generator = generator
        self.prompts = prompts
        self.settings = settings
        self.shop_name = shop_name

    def warm_up(self) -> None:
        self.generator.warm_up()

    def stream(self, ask: Ask) -> Generator[str, None, Draft]:
        session, message = ask.session, ask.understanding.text
        found = ask.evidence.found
        order_number = session.order_number if ask.decision.route == "order" else None
        best = found.hits[0]
        passages = [h for h in found.hits if h.score >= self.settings.min_relevance][:3]
        history = [
            m
            for user, bot in list(session.history)[-self.settings.history_turns :]
            for m in ({"role": "user", "content": user}, {"role": "assistant", "content": bot})
        ]
        messages = self.prompts.reply.messages(
            shop_name=self.shop_name,
            question=message,
            passages=passages,
            history=history,
            order_number=session.order_number or "",
        )
        t = time.perf_counter()
        generation: Generation | None = None
        for piece in self.generator.stream(messages):
            if isinstance(piece, Generation):
                generation = piece
            else:
                yield piece
        timings = {"generate": elapsed_ms(t)}
        assert generation is not None
        context = "\n".join(p.text for p in passages) + "\n" + message + "\n" + (session.order_number or "")
        verdict = faithfulness.check(generation.text, context)
        retried = False
        if not verdict.supported:  # one retry with stricter decoding before giving up on generation
            t = time.perf_counter()
            retry = self.generator.run(messages, strict=True)
            timings["generate"] += elapsed_ms(t)
            retry_verdict = faithfulness.check(retry.text, context)
            retried = True
            if retry_verdict.supported:
                generation, verdict = retry, retry_verdict
        checked = {
            "generation": generation,
            "faithful": verdict.supported,
            "unsupported": verdict.unsupported,
            "retried": retried,
            "timings": timings,
        }
        if verdict.supported and generation.text:
            return Draft(text=generation.text, strategy="generated", used=passages, **checked)
        # Invented facts: fall back to what the shop wrote, and offer a person.
        text = curated_answer(self.lookup.passage(best.id) or _as_passage(best), self.lookup.knowledge)
        if order_number:
            text = self.prompts.responses.render("about_order", order_number=order_number, answer=text)
        text += "\n\n" + self.prompts.responses.render("offer_human", shop_name=self.shop_name)
        yield text
        return Draft(text=text, strategy="extractive", used=[best], **checked)


def _as_passage(hit: Hit) -> Passage:
    return Passage(id=hit.id, doc_type=hit.doc_type, title=hit.title, text=hit.text, source=hit.source)
