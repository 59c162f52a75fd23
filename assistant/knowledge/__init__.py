"""The shop's knowledge: its entries (:mod:`.entries`) and how the folder is loaded (:mod:`.loading`)."""

from assistant.knowledge.entries import (
    TOPICS,
    Article,
    DocType,
    KnowledgeBase,
    LoadProblem,
    Passage,
    Product,
    Variant,
)
from assistant.knowledge.loading import load_knowledge

__all__ = [
    "TOPICS",
    "Article",
    "DocType",
    "KnowledgeBase",
    "LoadProblem",
    "Passage",
    "Product",
    "Variant",
    "load_knowledge",
]
