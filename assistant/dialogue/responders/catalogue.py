"""Answers from the catalogue: one product's facts, or up to three products that fit what was asked."""

from __future__ import annotations

from assistant.answers import asked_aspects, catalogue_answer, without_name
from assistant.dialogue.evidence import Lookup
from assistant.dialogue.responders.base import Ask, Immediate
from assistant.dialogue.turn import Draft
from assistant.facts import FactPicker
from assistant.prompts import CatalogueWording, Responses
from assistant.recommend import parse_constraints, recommend, recommendation_text


class CatalogueAnswers(Immediate):
    """What the catalogue says about the product the message is about, and only that."""

    def __init__(
        self, lookup: Lookup, facts: FactPicker, responses: Responses, wording: CatalogueWording, shop_name: str
    ) -> None:
        self.lookup = lookup
        self.facts = facts
        self.responses = responses
        self.wording = wording
        self.shop_name = shop_name

    def run(self, ask: Ask) -> Draft:
        product, query = ask.evidence.product, ask.understanding.query
        assert product is not None, "the router sends only a message about a product here"
        picked = self.facts.run(product, query)
        hit = self.lookup.product_hit(product.sku, ask.evidence.product_hits)
        used, skus = [hit] if hit else [], [product.sku]
        unknown = picked.unknown and not asked_aspects(without_name(query, product))
        if unknown or picked.unnamed:  # "is the sole Vibram?": the closest lines are said, not passed off as a yes
            text = self.responses.render(
                "product_unknown",
                shop_name=self.shop_name,
                product=product.name,
                term=" or ".join(picked.unnamed),
                said=" ".join(picked.lines),
            )
            return Draft(text=text, strategy="dont_know", used=used, skus=skus)
        text = catalogue_answer(product, query, self.wording, picked.lines)
        return Draft(text=text, strategy="catalogue", used=used, skus=skus)


class Recommender(Immediate):
    """Up to three in-stock products under the stated constraints (and the conversation's earlier ones)."""

    def __init__(
        self, lookup: Lookup, responses: Responses, wording: CatalogueWording, shop_name: str, min_relevance: float
    ) -> None:
        self.lookup = lookup
        self.responses = responses
        self.wording = wording
        self.shop_name = shop_name
        self.min_relevance = min_relevance

    def run(self, ask: Ask) -> Draft:
        query, retriever = ask.understanding.query, self.lookup.retriever
        products = self.lookup.knowledge.products
        wanted = parse_constraints(query, products).merged(ask.session.wanted)
        hits = retriever.index.query(query, k=4 * len(products), doc_types=["product"])
        lexical = retriever.lexical.scores(query, [h.id for h in hits])
        scores = {h.sku: h.score + retriever.lexical_weight * lx for h, lx in zip(hits, lexical, strict=True)}
        picks = recommend(products, wanted, lambda p: scores.get(p.sku, -1.0), query)
        if not wanted.kinds and not wanted.narrows:  # nothing to filter by: only what the message is about
            picks = [pick for pick in picks if scores.get(pick.product.sku, -1.0) >= self.min_relevance]
        if not picks:
            text = self.responses.render(
                "no_match", shop_name=self.shop_name, kinds=wanted.kinds, constraints=wanted.describe(self.wording)
            )
            return Draft(text=text, strategy="dont_know", wanted=wanted)
        skus = [pick.product.sku for pick in picks]
        by_sku = {h.sku: h for h in hits}
        used = [by_sku[sku] for sku in skus if sku in by_sku]
        text = recommendation_text(picks, wanted, self.wording)
        return Draft(text=text, strategy="catalogue", used=used, skus=skus, wanted=wanted)
