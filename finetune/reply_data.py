"""Supervision for the reply model, built from the knowledge folder (and curated turns).

Each example is one chat rendered with the same prompt the assistant uses at run
time (``prompts/reply.yaml``): the retrieved context, the question, and the reply
the model should give. The seed set teaches the model what the shop needs from it:

* ``faq`` / ``policy``: every FAQ entry and policy section asked in several ways;
  the reply is the curated answer, with the right passage among distractors;
* ``product``: price, stock, colours, sizes, materials, care, weight and features
  of every product, answered exactly from the catalogue fields;
* ``followup``: a second question about the product discussed in the previous turn;
* ``clarify``: "how much is it?" with no product named: ask which one;
* ``dont_know``: a shop question whose context does not answer it: say so, offer a person;
* ``refusal``: an out-of-scope request: say what the assistant can help with;
* ``handoff``: a complaint or a request for a person: offer the team, with contact hours.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from assistant.answers import catalogue_answer, curated_answer
from assistant.knowledge import KnowledgeBase, Passage, Product
from assistant.prompts import CatalogueWording, PromptLibrary
from assistant.shop.profile import ShopProfile
from assistant.supervision import CuratedRecord
from assistant.taxonomy import Taxonomy
from finetune.intent_data import load_examples
from finetune.intent_slots import ShopSlots

Kind = Literal["faq", "policy", "product", "followup", "clarify", "dont_know", "refusal", "handoff", "curated"]
MAX_ANSWER_CHARS = 700


class ContextPassage(BaseModel):
    title: str
    text: str
    source: str = ""


class ReplyExample(BaseModel):
    """One supervised reply: the context and question the model sees, and what it should say."""

    kind: Kind
    question: str
    answer: str
    passages: list[ContextPassage]
    history: list[dict[str, str]] = []
    source: str | None = None

    def messages(self, prompts: PromptLibrary) -> list[dict[str, str]]:
        """The chat the model is trained on: the run-time prompt, then the reply."""
        chat = prompts.reply.messages(
            question=self.question,
            passages=[p.model_dump() for p in self.passages],
            history=self.history,
        )
        return [*chat, {"role": "assistant", "content": self.answer}]


def _shop(prompts: PromptLibrary) -> ShopProfile:
    if prompts.shop is None:
        raise ValueError("reply examples need the prompts of a shop: PromptLibrary(folder, profile)")
    return prompts.shop


def _ctx(p: Passage) -> ContextPassage:
    return ContextPassage(title=p.title, text=p.text, source=p.source)


def _trim(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """Whole sentences up to ``limit`` characters (a reply is short; facts come first in the entries)."""
    text = re.sub(r"\n{2,}", "\n", text.strip())
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    out = ""
    for s in sentences:
        if out and len(out) + len(s) + 1 > limit:
            break
        out = f"{out} {s}".strip()
    return out


def _casual(question: str) -> str:
    """The way people type in a chat box: lowercase, no final question mark."""
    return question.rstrip("?.! ").lower()


_PRODUCT_QUESTIONS = {
    "price": ["How much is the {name}?", "what does the {short} cost", "Price of the {name}?"],
    "stock": [
        "Is the {name} in stock?",
        "which colours of the {short} do you have",
        "What sizes does the {name} come in?",
    ],
    "material": ["What is the {name} made of?", "what material is the {short}"],
    "care": ["How do I wash the {name}?", "how should i care for the {short}"],
    "weight": ["How much does the {name} weigh?", "is the {short} heavy"],
    "features": ["What features does the {name} have?"],
}
_FOLLOWUPS = [
    "And how much does it cost?",
    "what's it made of?",
    "How heavy is it?",
    "how do I wash it",
    "Is it in stock?",
]
_CLARIFY = [
    "How much is it?",
    "is it in stock",
    "What's it made of?",
    "does it come in other colours",
    "How heavy is it?",
    "can I wash it in the machine?",
]


def _short_name(product: Product) -> str:
    return product.name.split()[0]


def _product_examples(
    kb: KnowledgeBase, rng: random.Random, passages: dict[str, Passage], wording: CatalogueWording, which: str
) -> list[ReplyExample]:
    """Product questions with their catalogue answers; ``which`` asks which product a vague question means."""
    out: list[ReplyExample] = []
    products = [p for p in kb.products if f"product:{p.sku}" in passages]
    for product in products:
        own = passages[f"product:{product.sku}"]
        aspects = [a for a in _PRODUCT_QUESTIONS if a != "weight" or product.weight_g]
        aspects = [a for a in aspects if a != "features" or product.features]
        for aspect in rng.sample(aspects, k=min(3, len(aspects))):
            template = rng.choice(_PRODUCT_QUESTIONS[aspect])
            question = template.format(name=product.name, short=_short_name(product))
            out.append(
                ReplyExample(
                    kind="product",
                    question=question,
                    answer=catalogue_answer(product, question, wording),
                    passages=[_ctx(own)],  # product facts are long: one passage keeps examples short
                    source=own.source,
                )
            )
        if rng.random() < 0.5:
            continue
        opener = f"Tell me about the {product.name}."
        follow = rng.choice(_FOLLOWUPS)
        out.append(
            ReplyExample(
                kind="followup",
                question=follow,
                answer=catalogue_answer(product, follow, wording),
                passages=[_ctx(own)],
                history=[
                    {"role": "user", "content": opener},
                    {"role": "assistant", "content": catalogue_answer(product, opener, wording)},
                ],
                source=own.source,
            )
        )
    for question in _CLARIFY * 5:
        context = rng.sample([passages[f"product:{p.sku}"] for p in products], k=1)
        out.append(ReplyExample(kind="clarify", question=question, answer=which, passages=[_ctx(p) for p in context]))
    return out


def _article_examples(kb: KnowledgeBase, rng: random.Random, passages: dict[str, Passage]) -> list[ReplyExample]:
    out: list[ReplyExample] = []
    articles = [p for p in passages.values() if p.doc_type in ("faq", "policy") and not p.parent]
    for passage in articles:
        article = kb.article(passage.id.partition(":")[2].partition("#")[0])
        if article is None:
            continue
        if passage.doc_type == "faq":
            questions = list(dict.fromkeys(article.questions or [article.title]))[:3]
            questions.append(_casual(rng.choice(questions)))
        else:
            heading = passage.title.rpartition(": ")[2]
            questions = [f"What is your policy on {heading.lower()}?", f"{heading}?"]
        answer = _trim(curated_answer(passage, kb))
        distractors = [p for p in articles if p.id != passage.id]
        for question in questions:
            context = [passage, *rng.sample(distractors, k=1)] if rng.random() < 0.5 else [passage]
            rng.shuffle(context)
            out.append(
                ReplyExample(
                    kind="faq" if passage.doc_type == "faq" else "policy",
                    question=question,
                    answer=answer,
                    passages=[_ctx(p) for p in context],
                    source=passage.source,
                )
            )
        # The same question with only unrelated context: the model must not guess.
        if passage.doc_type == "faq" and rng.random() < 0.8:
            context = rng.sample(distractors, k=rng.choice([1, 2]))
            out.append(
                ReplyExample(
                    kind="dont_know",
                    question=rng.choice(questions),
                    answer="",  # filled from responses.yaml by build_seed
                    passages=[_ctx(p) for p in context],
                )
            )
    return out


def _paraphrase_examples(kb: KnowledgeBase, rng: random.Random, passages: dict[str, Passage]) -> list[ReplyExample]:
    """Customers' own wordings of each FAQ entry and policy section (``also_asked``), with the curated answer."""
    articles = [p for p in passages.values() if p.doc_type in ("faq", "policy") and not p.parent]
    out = []
    for kind in ("faq", "policy"):
        for article in (a for a in kb.articles if a.type == kind):
            sections = [""] if kind == "faq" else article.headings()
            for i, heading in enumerate(sections):
                passage = passages.get(f"faq:{article.id}" if kind == "faq" else f"policy:{article.id}#{i}")
                questions = article.asked(heading)
                if passage is None or not questions:
                    continue
                answer = _trim(curated_answer(passage, kb))
                for question in questions:
                    context = [passage, rng.choice([p for p in articles if p.id != passage.id])]
                    context = context if rng.random() < 0.5 else context[:1]
                    rng.shuffle(context)
                    out.append(
                        ReplyExample(
                            kind=kind,
                            question=str(question),
                            answer=answer,
                            passages=[_ctx(p) for p in context],
                            source=passage.source,
                        )
                    )
    return out


def build_seed(
    kb: KnowledgeBase,
    prompts: PromptLibrary,
    taxonomy: Taxonomy,
    intent_train: Path,
    seed: int = 13,
) -> list[ReplyExample]:
    """The seed set from the knowledge base, the fixed replies and the intent examples (for refusals and handoffs)."""
    rng = random.Random(seed)
    passages = {p.id: p for p in kb.passages()}
    wording = prompts.catalogue.wording(_shop(prompts).currency_symbol)
    which = prompts.responses.render("which_product")
    out = _article_examples(kb, rng, passages) + _product_examples(kb, rng, passages, wording, which)
    out += _paraphrase_examples(kb, rng, passages)
    responses = prompts.responses
    shop = _shop(prompts).name
    dont_know = responses.render("dont_know", shop_name=shop)
    out = [e.model_copy(update={"answer": dont_know}) if e.kind == "dont_know" else e for e in out]

    examples = load_examples(intent_train, ShopSlots.of(shop, [p.name for p in kb.products]))
    contact = passages.get(taxonomy.answer("human_agent") or "")
    contact_text = curated_answer(contact, kb) if contact else ""
    plain = [p for p in passages.values() if not p.parent]
    refusals = [e.text for e in examples if e.intent == "out_of_scope" and 8 <= len(e.text) <= 200]
    for text in rng.sample(refusals, k=min(60, len(refusals))):
        out.append(
            ReplyExample(
                kind="refusal",
                question=text,
                answer=responses.render("fallback", shop_name=shop),
                passages=[_ctx(p) for p in rng.sample(plain, k=1)],
            )
        )
    wants_person = [e for e in examples if e.intent in ("human_agent", "complaint") and len(e.text) <= 300]
    for e in rng.sample(wants_person, k=min(50, len(wants_person))):
        key = "complaint" if e.intent == "complaint" else "handoff"
        context = [contact] if contact else []
        out.append(
            ReplyExample(
                kind="handoff",
                question=e.text,
                answer=responses.render(key, shop_name=shop, contact=contact_text, answer=""),
                passages=[_ctx(p) for p in context],
                source=contact.source if contact else None,
            )
        )
    return out


def curated_examples(records: Iterable[CuratedRecord], kb: KnowledgeBase) -> list[ReplyExample]:
    """Replies support leads wrote or approved, with the passages the assistant had retrieved for the turn."""
    passages = {p.id: p for p in kb.passages()}
    out = []
    for r in records:
        if not r.reply:
            continue
        context = [_ctx(passages[pid]) for pid in r.retrieved[:2] if pid in passages]
        out.append(ReplyExample(kind="curated", question=r.text, answer=r.reply, passages=context))
    return out


def data_hash(examples: Iterable[ReplyExample]) -> str:
    payload = json.dumps([e.model_dump() for e in examples], sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def write_jsonl(examples: Iterable[ReplyExample], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for e in examples:
            fh.write(e.model_dump_json() + "\n")


def read_jsonl(path: Path) -> list[ReplyExample]:
    return [ReplyExample.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
