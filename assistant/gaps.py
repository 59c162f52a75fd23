"""The knowledge gaps report: what customers keep asking that the knowledge folder does not answer.

Customer messages of the last days whose best match in the *current* index is
weak are embedded, clustered by meaning, and listed biggest cluster first with
example messages, so a support lead can write the missing entry. Because the
scores come from the index as it is now, a gap disappears once an entry that
answers it is synced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
from pydantic import BaseModel, Field

from assistant.index import KnowledgeIndex
from assistant.lexical import LexicalScorer
from assistant.turnlog import TurnLog

SMALL_TALK_ROUTES = ("greeting", "thanks", "goodbye", "none")
NOT_QUESTIONS = ("handoff",)
"""Requests for a person and complaints: the customer wants someone, not an entry."""
OUT_OF_SCOPE_ROUTES = ("fallback",)


class Gap(BaseModel):
    """Customer messages about one thing the knowledge base answers poorly."""

    size: int
    """Messages in the cluster (repeats counted)."""
    sessions: int
    representative: str
    """The message closest to the cluster's centre."""
    examples: list[str]
    best_score: float
    """The best retrieval score any message of the cluster reaches now."""
    closest_entry: str
    """Title of the entry that comes closest (what the lead might extend instead of writing anew)."""
    intents: dict[str, int]
    last_seen: str


class GapsReport(BaseModel):
    threshold: float
    days: int
    messages: int
    """Customer messages looked at (small talk, requests for a person and, unless asked, out-of-scope excluded)."""
    weak: int
    """Of those, messages whose best score is under the threshold."""
    gaps: list[Gap] = Field(default_factory=list)


def gaps_report(
    log: TurnLog,
    index: KnowledgeIndex,
    threshold: float = 0.5,
    days: int = 30,
    distance: float = 0.45,
    max_messages: int = 3000,
    include_out_of_scope: bool = False,
    normalize: Callable[[str], str] | None = None,
    today: date | None = None,
    lexical: LexicalScorer | None = None,
    lexical_weight: float = 0.0,
) -> GapsReport:
    """Cluster recent customer messages whose best retrieval score is under ``threshold``.

    Args:
        distance: cosine distance under which two messages join one cluster (average linkage).
        include_out_of_scope: also look at messages the classifier sent to the fallback (off: a shop
            rarely wants entries about homework or the weather, but a product range it lacks shows up there).
        normalize: what the assistant searches with instead of the raw message (its spelling
            normaliser), so a typo the assistant reads past is not reported as a gap.
        lexical, lexical_weight: the retriever's word-overlap scorer and weight, so a message scores as the
            assistant ranks it (embedding similarity plus weighted word overlap with the closest entry).
    """
    since = ((today or date.today()) - timedelta(days=days - 1)).isoformat()
    skipped = SMALL_TALK_ROUTES + NOT_QUESTIONS + (() if include_out_of_scope else OUT_OF_SCOPE_ROUTES)
    marks = ", ".join(f"'{r}'" for r in skipped)
    rows = log.select(
        f"SELECT user_text, session_id, intent, created_at FROM turns WHERE created_at >= :since "
        f"AND (route IS NULL OR route NOT IN ({marks})) AND length(trim(user_text)) > 0 "
        "ORDER BY created_at DESC LIMIT :limit",
        {"since": since, "limit": max_messages},
    )
    report = GapsReport(threshold=threshold, days=days, messages=len(rows), weak=0)
    if not rows:
        return report
    # one embedding per distinct wording; repeats add weight
    by_text: dict[str, list[tuple[str, str | None, str]]] = {}
    for text, session, intent, created in rows:
        by_text.setdefault(" ".join(text.lower().split()), []).append((session, intent, created))
    originals = {" ".join(t.lower().split()): t for t, *_ in rows}
    keys = list(by_text)
    read = normalize or (lambda text: text)
    texts = [read(originals[k]) for k in keys]
    vectors, hits = index.nearest(texts)
    if lexical is not None and lexical_weight:
        hits = [
            h.model_copy(update={"score": round(h.score + lexical_weight * lexical.scores(t, [h.id])[0], 4)})
            if h is not None
            else None
            for t, h in zip(texts, hits, strict=True)
        ]
    weak = [i for i, hit in enumerate(hits) if hit is None or hit.score < threshold]
    report.weak = sum(len(by_text[keys[i]]) for i in weak)
    if not weak:
        return report
    matrix = np.asarray([vectors[i] for i in weak], dtype=np.float32)
    if len(weak) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
        ).fit_predict(matrix)
    gaps = []
    for label in sorted(set(labels.tolist())):
        members = [weak[j] for j in np.flatnonzero(labels == label)]
        member_vecs = matrix[labels == label]
        centre = member_vecs.mean(axis=0)
        central = members[int(np.argmax(member_vecs @ centre))]
        uses = [u for m in members for u in by_text[keys[m]]]
        scored = [(hit.score, m) for m in members if (hit := hits[m]) is not None]
        best_hit = hits[max(scored)[1]] if scored else None
        ordered = sorted(members, key=lambda m: -len(by_text[keys[m]]))
        gaps.append(
            Gap(
                size=len(uses),
                sessions=len({s for s, _, _ in uses}),
                representative=originals[keys[central]],
                examples=[originals[keys[m]] for m in ordered[:5]],
                best_score=best_hit.score if best_hit else 0.0,
                closest_entry=best_hit.title if best_hit else "",
                intents=dict(Counter(i or "(none)" for _, i, _ in uses).most_common()),
                last_seen=max(c for _, _, c in uses),
            )
        )
    report.gaps = sorted(gaps, key=lambda g: (-g.size, -g.sessions, g.best_score))
    return report
