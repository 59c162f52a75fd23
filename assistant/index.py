"""The knowledge index: passages from ``knowledge/`` in a persistent Chroma collection.

Sync is incremental: each passage carries a content hash in its metadata, so only
added or changed passages are embedded and removed ones are deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.embedding import MiniLMEmbedding
from assistant.errors import AssistantError
from assistant.knowledge import DocType, Passage

log = logging.getLogger(__name__)
BATCH = 64


class SyncReport(BaseModel):
    """What one sync did to the index."""

    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    unchanged: int = 0

    @property
    def total_embedded(self) -> int:
        return len(self.added) + len(self.changed)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged"
        )


class IndexHealth(BaseModel):
    """What :meth:`KnowledgeIndex.check` found."""

    expected: int
    """Entries the knowledge folder makes (passages and their alternative questions)."""
    stored: int = 0
    stale: int = 0
    """Entries added, changed or removed in the knowledge since the last sync (a sync mends them)."""
    sampled: int = 0
    damaged: list[str] = []
    """What is wrong with the index files; a rebuild mends them."""

    @property
    def ok(self) -> bool:
        return not self.damaged and not self.stale and self.stored == self.expected

    def summary(self) -> str:
        if self.damaged:
            return f"damaged ({len(self.damaged)} problems; first: {self.damaged[0]})"
        state = "in step with the knowledge" if self.ok else f"{self.stale} entries out of date"
        return f"{self.stored} entries, {state}; {self.sampled} sampled entries found again"


class Hit(BaseModel):
    """A retrieved passage with its cosine similarity to the question."""

    id: str
    title: str
    doc_type: DocType
    source: str
    score: float
    text: str
    sku: str = ""
    category: str = ""
    topic: str = ""
    lexical: float = 0.0
    """Word overlap with the question (TF-IDF cosine), when the retriever scored it."""
    match: float = 0.0
    """What ranks the hit: ``score`` plus the retriever's weight times ``lexical``."""


class KnowledgeIndex:
    """Chroma collection of knowledge passages embedded with the packaged MiniLM."""

    def __init__(self, path: Path, collection: str = "knowledge", embedder: MiniLMEmbedding | None = None) -> None:
        self.path = path
        self.collection_name = collection
        self.embedder = embedder or MiniLMEmbedding()
        self._collection: Any = None
        self._count: int | None = None

    def warm_up(self) -> None:
        if self._collection is not None:
            return
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        try:
            self.path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(
                path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            )
            self._collection = client.get_or_create_collection(
                self.collection_name,
                embedding_function=self.embedder,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as err:  # chroma raises many types; the user needs one line
            raise AssistantError(f"cannot open the knowledge index at {self.path}: {err}") from err
        self.embedder.warm_up()

    @property
    def collection(self) -> Any:
        self.warm_up()
        return self._collection

    def count(self) -> int:
        """Entries in the collection (cached; a sync refreshes it)."""
        if self._count is None:
            self._count = int(self.collection.count())
        return self._count

    def sync(self, passages: Sequence[Passage], progress: bool = False) -> SyncReport:
        """Make the collection hold exactly ``passages``, embedding only what changed."""
        existing = self.collection.get(include=["metadatas"])
        current = {i: (m or {}).get("hash") for i, m in zip(existing["ids"], existing["metadatas"], strict=True)}
        wanted = {p.id: p for p in passages}
        report = SyncReport()
        todo: list[Passage] = []
        for pid, passage in wanted.items():
            if pid not in current:
                report.added.append(pid)
                todo.append(passage)
            elif current[pid] != passage.content_hash:
                report.changed.append(pid)
                todo.append(passage)
            else:
                report.unchanged += 1
        report.removed = sorted(set(current) - set(wanted))
        self._count = None
        try:
            if report.removed:
                self.collection.delete(ids=report.removed)
            batches = range(0, len(todo), BATCH)
            if progress and todo:
                from tqdm import tqdm

                batches = tqdm(batches, desc="Embedding knowledge", unit="batch")
            for start in batches:
                chunk = todo[start : start + BATCH]
                self.collection.upsert(
                    ids=[p.id for p in chunk],
                    documents=[p.text for p in chunk],
                    metadatas=[p.metadata() for p in chunk],  # type: ignore[misc]
                )
        except OSError as err:
            raise AssistantError(f"cannot write the knowledge index at {self.path}: {err.strerror}") from err
        except Exception as err:
            if "disk" in str(err).lower() or "full" in str(err).lower():
                raise AssistantError(f"cannot write the knowledge index at {self.path}: disk full") from err
            raise
        return report

    def check(self, passages: Sequence[Passage], sample: int = 16) -> IndexHealth:
        """Whether the index holds ``passages`` and answers from them: a count, the stored ids and content hashes,
        and a sample of entries spread over the whole collection embedded again and queried back.

        A sampled entry whose stored vector differs from its text's, or that its own vector does not find
        first, means the index files are damaged (a cut or overwritten file).
        """
        health = IndexHealth(expected=len(passages))
        try:
            stored = self.collection.get(include=["metadatas"])
            ids = list(stored["ids"])
            health.stored = len(ids)
            hashes = {i: (m or {}).get("hash") for i, m in zip(ids, stored["metadatas"], strict=True)}
            wanted = {p.id: p.content_hash for p in passages}
            health.stale = sum(hashes.get(pid) != h for pid, h in wanted.items()) + len(set(hashes) - set(wanted))
            if not ids:
                return health
            step = max(1, len(ids) // sample)
            picked = sorted(ids)[::step][:sample]
            got = self.collection.get(ids=picked, include=["embeddings", "documents"])
            fresh = self.embedder([doc or "" for doc in got["documents"]])
            found = self.collection.query(query_embeddings=fresh, n_results=3, include=["distances"])
        except Exception as err:  # chroma raises many types on damaged files
            health.damaged.append(f"reading it failed: {err}")
            return health
        for pid, vector, again, top, dists in zip(
            got["ids"], got["embeddings"], fresh, found["ids"], found["distances"], strict=True
        ):
            similarity = float(sum(a * b for a, b in zip(vector, again, strict=True)))
            if similarity < 0.99:
                health.damaged.append(f"entry {pid}: its stored vector is not its text's (similarity {similarity:.2f})")
            elif not any(i == pid and d < 0.01 for i, d in zip(top, dists, strict=False)):
                health.damaged.append(f"entry {pid}: its own vector does not find it")
        health.sampled = len(got["ids"])
        return health

    def rebuild(self, passages: Sequence[Passage], progress: bool = False) -> SyncReport:
        """Drop the collection and embed every passage again (a damaged index)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self._collection = None
        self._count = None
        try:
            client = chromadb.PersistentClient(
                path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            )
            if any(c.name == self.collection_name for c in client.list_collections()):
                client.delete_collection(self.collection_name)
        except Exception as err:
            raise AssistantError(
                f"cannot rebuild the knowledge index at {self.path}: {err}; delete that folder and run: "
                "python -m assistant kb sync"
            ) from err
        return self.sync(passages, progress=progress)

    def query(self, text: str, k: int = 4, doc_types: Sequence[DocType] | None = None) -> list[Hit]:
        """The ``k`` passages closest to ``text``, optionally only of the given doc types.

        A hit on an alternative question counts for the passage it belongs to; each
        passage appears once, with its best score.
        """
        where: dict[str, Any] | None = None
        if doc_types:
            where = {"doc_type": doc_types[0]} if len(doc_types) == 1 else {"doc_type": {"$in": list(doc_types)}}
        n = min(max(k * 4, 12), max(self.count(), 1))
        result = self.collection.query(
            query_texts=[text], n_results=n, where=where, include=["documents", "metadatas", "distances"]
        )
        best: dict[str, float] = {}
        docs: dict[str, tuple[str, dict[str, Any]]] = {}
        for pid, doc, meta, dist in zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
        ):
            target = str(meta.get("parent") or pid)
            score = round(1.0 - float(dist), 4)
            if score > best.get(target, -2.0):
                best[target] = score
            if target == pid:
                docs[pid] = (doc or "", meta)
        ranked = sorted(best, key=lambda i: -best[i])[:k]
        missing = [i for i in ranked if i not in docs]
        if missing:
            got = self.collection.get(ids=missing, include=["documents", "metadatas"])
            for pid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                docs[pid] = (doc or "", meta)
        return [self._hit(i, *docs[i], best[i]) for i in ranked if i in docs]

    @staticmethod
    def _hit(pid: str, doc: str, meta: Any, score: float) -> Hit:
        return Hit(
            id=pid,
            title=str(meta.get("title", pid)),
            doc_type=meta["doc_type"],
            source=str(meta.get("source", "")),
            score=score,
            text=doc,
            sku=str(meta.get("sku", "")),
            category=str(meta.get("category", "")),
            topic=str(meta.get("topic", "")),
        )

    def score(self, text: str, passage_id: str) -> float:
        """Similarity of ``text`` to one passage, through its closest alternative question."""
        result = self.collection.query(
            query_texts=[text], n_results=1, where={"parent": passage_id}, include=["distances"]
        )
        distances = result["distances"][0]
        return round(1.0 - float(distances[0]), 4) if distances else 0.0

    def nearest(self, texts: Sequence[str]) -> tuple[list[list[float]], list[Hit | None]]:
        """Embeddings of ``texts`` and the closest passage to each (one embedding pass, one query)."""
        if not texts:
            return [], []
        vectors = [list(map(float, v)) for v in self.embedder(list(texts))]
        if self.count() == 0:
            return vectors, [None] * len(texts)
        result = self.collection.query(
            query_embeddings=vectors, n_results=1, include=["documents", "metadatas", "distances"]
        )
        hits: list[Hit | None] = []
        for ids, docs, metas, dists in zip(
            result["ids"], result["documents"], result["metadatas"], result["distances"], strict=True
        ):
            if not ids:
                hits.append(None)
                continue
            meta = metas[0] or {}
            hits.append(
                self._hit(str(meta.get("parent") or ids[0]), docs[0] or "", meta, round(1.0 - float(dists[0]), 4))
            )
        return vectors, hits

    def get(self, ids: Sequence[str]) -> list[Hit]:
        """Passages by id, scored 1.0 (used when a product is named outright)."""
        if not ids:
            return []
        result = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            pid: self._hit(pid, doc or "", meta, 1.0)
            for pid, doc, meta in zip(result["ids"], result["documents"], result["metadatas"], strict=True)
        }
        return [by_id[i] for i in ids if i in by_id]
