"""Reply quality on held-out shop questions: ``python -m finetune evaluate-replies``.

Each question in ``finetune/data/replies/eval.jsonl`` carries what a correct reply
must do: ``answer`` with the listed facts, say it does not know (``dont_know``), or
offer a person (``handoff``). Two settings are scored, each for the base model and
for the adapter(s), in one run:

* ``lm``: the language model answers from the passages retrieved for the question
  (the grounded-generation path on its own, the part the adapter changes);
* ``assistant``: the whole assistant (routes, curated and catalogue answers, the
  faithfulness check and its fallbacks), i.e. what the customer gets.

Metrics: fact recall (share of required facts present), unsupported-fact rate
(replies stating a number, SKU or email their context lacks), the share failing
the whole faithfulness check (which also wants most wording grounded), ROUGE-L F1 against the reference reply,
the share of ``dont_know``/``handoff`` questions handled as such, and the share of
answerable questions wrongly refused.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from assistant import faithfulness
from assistant.metrics import REPLY_METRICS
from assistant.settings import Settings

Expect = Literal["answer", "dont_know", "handoff"]
_OFFERS_PERSON = re.compile(
    r"\b(colleague|human|(a|real) person|customer service team|support team|our team|pass you|put you through|"
    r"contact (us|our)|reach (us|our))",
    re.I,
)
_DONT_KNOW = re.compile(r"\b(don't|do not|doesn't|does not|cannot|can't) (know|have|find|say|answer)|not sure", re.I)


class EvalItem(BaseModel):
    id: str
    question: str
    expect: Expect
    facts: list[str] = []
    reference: str = ""
    source: str | None = None


class Scored(BaseModel):
    id: str
    expect: Expect
    reply: str
    fact_recall: float | None
    supported: bool
    """No number, SKU or email that the context lacks (the faithfulness check's facts)."""
    grounded: bool
    """Most of the wording comes from the context too (the check's second half)."""
    rouge_l: float
    handled: bool
    """dont_know/handoff: declined or offered a person; answer: did not decline."""
    strategy: str = ""
    ms: float = 0.0


def load_eval(path: Path) -> list[EvalItem]:
    return [
        EvalItem.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text)


def fact_recall(reply: str, facts: Sequence[str]) -> float | None:
    if not facts:
        return None
    said = _norm(reply)
    return sum(_norm(f) in said for f in facts) / len(facts)


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over lowercase word tokens (longest common subsequence from rapidfuzz)."""
    from rapidfuzz.distance import LCSseq

    a, b = re.findall(r"\w+", candidate.lower()), re.findall(r"\w+", reference.lower())
    if not a or not b:
        return 0.0
    lcs = LCSseq.similarity(a, b)
    if lcs == 0:
        return 0.0
    p, r = lcs / len(a), lcs / len(b)
    return 2 * p * r / (p + r)


def declines(reply: str) -> bool:
    return bool(_OFFERS_PERSON.search(reply) or _DONT_KNOW.search(reply))


def score(item: EvalItem, reply: str, context: str, strategy: str = "", ms: float = 0.0) -> Scored:
    verdict = faithfulness.check(reply, context + "\n" + item.question)
    declined = declines(reply)
    if item.expect == "handoff":
        handled = bool(_OFFERS_PERSON.search(reply))
    elif item.expect == "dont_know":
        handled = declined
    else:
        handled = not declined or (fact_recall(reply, item.facts) or 0) > 0
    return Scored(
        id=item.id,
        expect=item.expect,
        reply=reply,
        fact_recall=fact_recall(reply, item.facts) if item.expect == "answer" else None,
        supported=not verdict.invented,
        grounded=verdict.supported,
        rouge_l=round(rouge_l(reply, item.reference), 4),
        handled=handled,
        strategy=strategy,
        ms=round(ms, 1),
    )


def summarise(rows: Sequence[Scored]) -> dict[str, Any]:
    answer = [r for r in rows if r.expect == "answer"]
    other = [r for r in rows if r.expect != "answer"]

    def mean(xs: Sequence[float]) -> float:
        return round(sum(xs) / len(xs), 4) if xs else 0.0

    return {
        "n": len(rows),
        "fact_recall": mean([r.fact_recall or 0.0 for r in answer]),
        "unsupported_rate": mean([0.0 if r.supported else 1.0 for r in rows]),
        "check_failed_rate": mean([0.0 if r.grounded else 1.0 for r in rows]),
        "rouge_l": mean([r.rouge_l for r in rows]),
        "dont_know_handoff_correct": mean([1.0 if r.handled else 0.0 for r in other]),
        "answer_wrongly_declined": mean([0.0 if r.handled else 1.0 for r in answer]),
        "ms_p50": sorted(r.ms for r in rows)[len(rows) // 2] if rows else 0.0,
    }


Runner = Callable[[str], tuple[str, str, str]]
"""question -> (reply, the context it was given, strategy)"""


def _lm_rows(
    settings: Settings, adapter: Path | None, items: Sequence[EvalItem], max_new_tokens: int, batch: int, progress: bool
) -> list[Scored]:
    """The grounded-generation path alone: retrieve, prompt, generate (in batches, for throughput)."""
    from tqdm import tqdm

    from assistant.generation import ReplyGenerator
    from assistant.index import KnowledgeIndex
    from assistant.prompts import PromptLibrary
    from assistant.retrieval import Retriever
    from assistant.shop.profile import load_profile

    retriever = Retriever(KnowledgeIndex(settings.chroma_dir, settings.collection), top_k=settings.top_k)
    generator = ReplyGenerator(
        settings.lm_dir, adapter_dir=adapter, device=settings.device, dtype=settings.lm_dtype, threads=settings.threads
    )
    prompts = PromptLibrary(settings.prompts_dir, load_profile(settings.knowledge_dir))
    chats, contexts = [], []
    for item in items:
        found = retriever.run(item.question)
        passages = [h for h in found.hits if h.score >= settings.min_relevance][:2]
        chats.append(prompts.reply.messages(question=item.question, passages=passages))
        contexts.append("\n".join(p.text for p in passages))
    rows: list[Scored] = []
    with tqdm(total=len(items), desc=f"lm/{adapter.name if adapter else 'base'}", disable=not progress) as bar:
        for start in range(0, len(items), batch):
            t = time.perf_counter()
            outs = generator.run_batch(chats[start : start + batch], max_new_tokens=max_new_tokens)
            ms = (time.perf_counter() - t) * 1000 / max(1, len(outs))
            for item, context, out in zip(
                items[start : start + batch], contexts[start : start + batch], outs, strict=True
            ):
                rows.append(score(item, out.text, context, "generated", ms))
            bar.update(len(outs))
    return rows


def _assistant_runner(settings: Settings, adapter: Path | None, log: Path) -> Runner:
    """The whole assistant, each question in a fresh session; turns go to a log of the evaluation's own."""
    from assistant.dialogue import Assistant

    bot = Assistant.load(settings.model_copy(update={"adapter": adapter, "turn_log": log}), warm=False)
    bot.generator.adapter_dir = adapter  # None: the base model, even when an adapter is active
    bot.warm_up()
    counter = iter(range(10**9))

    def run(question: str) -> tuple[str, str, str]:
        reply = bot.respond(question, session_id=f"eval-{next(counter)}")
        context = "\n".join(p.text for s in reply.sources if (p := bot.passage(s.id)))
        context += f"\n{reply.ticket}" if reply.ticket else ""  # the ticket number and hours are the system's own
        return reply.text, context, reply.strategy

    return run


def evaluate_replies(
    settings: Settings,
    adapters: dict[str, Path | None],
    eval_path: Path | None = None,
    out: Path | None = None,
    modes: Sequence[str] = ("lm", "assistant"),
    limit: int | None = None,
    max_new_tokens: int = 160,
    progress: bool = True,
    batch: int = 8,
) -> Path:
    """Score every (mode, model) pair on the held-out questions; writes report.json and replies.jsonl."""
    from tqdm import tqdm

    items = load_eval(eval_path or Path(__file__).parent / "data" / "replies" / "eval.jsonl")[:limit]
    out = out or settings.data_dir / "reports" / f"replies-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"n": len(items), "adapters": {k: str(v) if v else None for k, v in adapters.items()}}
    with open(out / "replies.jsonl", "w", encoding="utf-8") as fh:
        for mode in modes:
            for name, adapter in adapters.items():
                if mode == "lm":
                    rows = _lm_rows(settings, adapter, items, max_new_tokens, batch, progress)
                else:
                    run = _assistant_runner(settings, adapter, out / "turns.sqlite")
                    rows = []
                    for item in tqdm(items, desc=f"{mode}/{name}", disable=not progress):
                        start = time.perf_counter()
                        reply, context, strategy = run(item.question)
                        rows.append(score(item, reply, context, strategy, (time.perf_counter() - start) * 1000))
                for row in rows:
                    fh.write(json.dumps({"mode": mode, "model": name, **row.model_dump()}) + "\n")
                fh.flush()
                report.setdefault(mode, {})[name] = summarise(rows)
                (out / "report.json").write_text(json.dumps(report, indent=2))
    return out


def summary(report: dict[str, Any]) -> str:
    keys = [*REPLY_METRICS, "ms_p50"]
    lines = []
    for mode in ("lm", "assistant"):
        if mode not in report:
            continue
        names = list(report[mode])
        lines.append(f"{mode + ' (n=' + str(report['n']) + ')':<28}" + "".join(f"{n:>14}" for n in names))
        for key in keys:
            lines.append(f"  {key:<26}" + "".join(f"{report[mode][n][key]:>14.4g}" for n in names))
    return "\n".join(lines)
