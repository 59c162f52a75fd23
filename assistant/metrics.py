"""The names of the figures models are judged by, shared by the training package and the lead area."""

from __future__ import annotations

INTENT_METRICS = ("macro_f1", "accuracy", "oos_recall", "in_scope_rejection")
"""An intent classifier's figures on the held-out set, as ``python -m finetune evaluate-intents`` reports them."""

REPLY_METRICS = (
    "fact_recall",
    "unsupported_rate",
    "check_failed_rate",
    "rouge_l",
    "dont_know_handoff_correct",
    "answer_wrongly_declined",
)
"""A reply model's quality figures, as ``python -m finetune evaluate-replies`` reports them."""

LOWER_IS_BETTER = frozenset({"in_scope_rejection", "unsupported_rate", "check_failed_rate", "answer_wrongly_declined"})
