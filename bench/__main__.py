"""Per-stage latency of real turns, and reply-model speed against an fp32 baseline.

    .venv/bin/python -m bench [--turns 20]

Uses the installation prepared by ``make run`` (``.data/``) and a throw-away turn log.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from assistant.offline import enforce_offline

enforce_offline()

SCRIPT = [
    "How much is the Fjell Hardshell Jacket?",
    "Which colours does it come in?",
    "How long do I have to return something?",
    "How much is shipping to Austria?",
    "Do you accept PayPal?",
    "Where is my order 104233?",
    "Can I change the delivery address of my order?",
    "Which sleeping bag do you recommend for winter camping?",
    "Is there a fee if I cancel my order?",
    "I forgot my password",
    "I want to talk to a real person",
    "thanks!",
]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def turns(n: int) -> None:
    from assistant.dialogue import Assistant
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(turn_log=Path(tmp) / "bench.sqlite")
        t = time.perf_counter()
        bot = Assistant.load(settings)
        print(f"load (all models warm): {time.perf_counter() - t:.1f} s")
        bot.respond("hello", session_id="warm")
        stages: dict[str, list[float]] = {}
        strategies: dict[str, int] = {}
        for i in range(n):
            reply = bot.respond(SCRIPT[i % len(SCRIPT)], session_id=f"bench-{i // len(SCRIPT)}")
            strategies[reply.strategy] = strategies.get(reply.strategy, 0) + 1
            for stage, ms in reply.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
        print(f"\n{n} turns, reply strategies: {strategies}")
        print(f"{'stage':<10}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}")
        for stage in ("classify", "retrieve", "generate", "total"):
            values = stages.get(stage, [])
            print(f"{stage:<10}{len(values):>4}{pct(values, 0.5):>10.1f}{pct(values, 0.95):>10.1f}")
        single = []
        for text in SCRIPT * 3:
            t = time.perf_counter()
            bot.classifier.run(text)
            single.append((time.perf_counter() - t) * 1000)
        print(f"\nsingle-message classification p50 {statistics.median(single):.1f} ms")


def lm_speed() -> None:
    from assistant.generation import ReplyGenerator
    from assistant.settings import Settings

    settings = Settings()
    prompt = [{"role": "user", "content": "Describe a good waterproof hiking jacket in detail. " * 20}]
    rates = {}
    for dtype in ("float32", "bfloat16"):
        gen = ReplyGenerator(settings.lm_dir, dtype=dtype, max_new_tokens=64)  # type: ignore[arg-type]
        gen.warm_up()
        gen.run(prompt, max_new_tokens=4)
        out = gen.run(prompt, max_new_tokens=64)
        decode_s = (out.total_ms - out.first_token_ms) / 1000
        rates[dtype] = (out.completion_tokens - 1) / decode_s if decode_s > 0 else float("nan")
        print(
            f"{dtype:<9} prompt {out.prompt_tokens} tok, first token {out.first_token_ms:.0f} ms, "
            f"{out.completion_tokens} new tokens at {rates[dtype]:.1f} tok/s"
        )
    print(f"bf16 / fp32 decode speed: {rates['bfloat16'] / rates['float32']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--skip-lm", action="store_true", help="skip the reply-model speed comparison")
    args = parser.parse_args()
    turns(args.turns)
    if not args.skip_lm:
        print()
        lm_speed()


if __name__ == "__main__":
    main()
