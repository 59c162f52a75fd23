"""Chat with a running app through its ``/ask`` API, like customers would, to fill the turn log.

    .venv/bin/python -m bench.chat [--url http://127.0.0.1:7860/] [--turns 250] [--seed 5]

Messages come from the held-out sets (reply questions and intent test messages),
grouped into conversations of one to four messages. A question from the reply
set whose required facts the reply contains gets a thumbs up, one whose reply
misses them a thumbs down (a customer's judgement, approximated by the facts);
other messages get no thumb. Prints what the log got: strategies, handoffs, thumbs.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path

from assistant.offline import enforce_offline

enforce_offline()

DATA = Path(__file__).resolve().parent.parent / "finetune" / "data"


def messages(seed: int) -> list[tuple[str, list[str] | None]]:
    """(message, facts the reply must contain or None) in a shuffled order."""
    pool: list[tuple[str, list[str] | None]] = []
    for line in (DATA / "replies" / "eval.jsonl").read_text().splitlines():
        item = json.loads(line)
        pool.append((item["question"], item["facts"] if item["expect"] == "answer" else None))
    for line in (DATA / "intents" / "test.jsonl").read_text().splitlines():
        pool.append((json.loads(line)["text"], None))
    random.Random(seed).shuffle(pool)
    return pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--turns", type=int, default=250)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    from gradio_client import Client
    from tqdm import tqdm

    client = Client(args.url, verbose=False)
    rng = random.Random(args.seed)
    pool = messages(args.seed)[: args.turns]
    strategies: Counter[str] = Counter()
    thumbs: Counter[str] = Counter()
    session, left, start = "", 0, time.perf_counter()
    for text, facts in tqdm(pool, desc="chatting", unit="turn"):
        if left == 0:  # a new conversation: the server issues its session with the first reply
            session, left = "", rng.randint(1, 4)
        left -= 1
        reply = client.predict(text, session, api_name="/ask")
        session = reply.get("session_id", "")
        strategies[reply.get("strategy", "error")] += 1
        if facts is not None and reply.get("turn_id"):
            liked = all(f.lower() in reply["text"].lower() for f in facts)
            client.predict(reply["turn_id"], liked, session, api_name="/feedback")
            thumbs["up" if liked else "down"] += 1
    minutes = (time.perf_counter() - start) / 60
    print(f"{len(pool)} turns in {minutes:.1f} min; strategies {dict(strategies)}; thumbs {dict(thumbs)}")


if __name__ == "__main__":
    main()
