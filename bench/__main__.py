"""Per-stage latency of real turns, and reply-model speed against an fp32 baseline and the bandwidth limit.

    .venv/bin/python -m bench [--turns 30] [--skip-lm]
    .venv/bin/python -m bench --skip-turns --device cuda   # the reply model on a GPU

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


NON_EMBEDDING_WEIGHTS = 106_000_000
"""SmolLM2-135M's weights a prompt token is multiplied with (the 28 M of the embedding are only looked up)."""


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


def read_bandwidth(device: str = "cpu") -> float:
    """Memory read bandwidth in GB/s: the best of several sums over a buffer far larger than the caches."""
    import torch

    cuda = device == "cuda"
    buf = torch.ones((256 if cuda else 128) * 1024 * 1024, dtype=torch.float32, device=device)
    best = float("inf")
    for _ in range(10 if cuda else 5):
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        buf.sum()
        if cuda:
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return buf.nbytes / best / 1e9


def matmul_rate() -> float:
    """CPU float32 matrix-product throughput in GFLOP/s on shapes of the reply model's MLP (a 400-token prompt)."""
    import torch

    a, b = torch.randn(400, 576), torch.randn(576, 1536)
    best = float("inf")
    for _ in range(8):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] / best / 1e9


def prompt_of(tokens: int) -> list[dict[str, str]]:
    """The assistant's real reply prompt, with knowledge passages filling it to ``tokens`` tokens."""
    from transformers import AutoTokenizer

    from assistant.knowledge import load_knowledge
    from assistant.prompts import PromptLibrary
    from assistant.settings import Settings
    from assistant.shop.profile import load_profile

    settings = Settings()
    tok = AutoTokenizer.from_pretrained(settings.lm_dir, local_files_only=True)
    prompt = PromptLibrary(settings.prompts_dir, load_profile(settings.knowledge_dir)).reply
    faq = [p for p in load_knowledge(settings.knowledge_dir).passages() if p.doc_type == "faq" and not p.parent]
    passages = [{"title": p.title, "text": p.text} for p in faq[:6]]
    question = "How long do I have to return a jacket, and who pays for the return shipping?"

    def length(ps: list[dict[str, str]]) -> int:
        chat = prompt.messages(question=question, passages=ps)
        return len(tok.apply_chat_template(chat, add_generation_prompt=True, return_dict=True)["input_ids"])

    while length(passages) > tokens:
        words = passages[-1]["text"].split()
        if len(words) <= 1:
            passages.pop()
        else:
            passages[-1]["text"] = " ".join(words[: max(1, len(words) - max(1, (length(passages) - tokens) // 2))])
    return prompt.messages(question=question, passages=passages)


def weight_bytes(model: object) -> int:
    """Bytes of weights one decoding step reads: parameters, plus int8 weights packed inside quantised layers.

    An embedding table is looked up (one row a step) unless it is also the output projection's weight.
    """
    import torch

    modules = list(model.modules())  # type: ignore[attr-defined]
    projections = {id(m.weight) for m in modules if isinstance(m, torch.nn.Linear)}
    looked_up = {id(m.weight) for m in modules if isinstance(m, torch.nn.Embedding)} - projections
    total = sum(
        p.numel() * p.element_size()
        for p in model.parameters()  # type: ignore[attr-defined]
        if id(p) not in looked_up
    )
    for module in modules:
        if isinstance(module, torch.ao.nn.quantized.dynamic.Linear):
            weight = module.weight()
            total += weight.numel() * weight.element_size() + (
                module.bias().numel() * 4 if module.bias() is not None else 0
            )
    return total


def lm_speed(device: str = "cpu", prompt_tokens: int = 400, new_tokens: int = 64, runs: int = 3) -> None:
    """First-token latency and decode speed per configuration, against the memory-bandwidth limit."""
    from assistant.generation import ReplyGenerator
    from assistant.hardware import bf16_is_fast
    from assistant.settings import Settings

    settings = Settings()
    messages = prompt_of(prompt_tokens)
    bandwidth = read_bandwidth(device)
    print(f"{device} memory read bandwidth: {bandwidth:.1f} GB/s")
    if device == "cpu":
        rate = matmul_rate()
        print(
            f"cpu float32 matrix products: {rate:.0f} GFLOP/s; reading a {prompt_tokens}-token prompt "
            f"(2 x {NON_EMBEDDING_WEIGHTS / 1e6:.0f} M weights x {prompt_tokens} tokens) takes at least "
            f"{2 * NON_EMBEDDING_WEIGHTS * prompt_tokens / rate / 1e6:.0f} ms in float32"
        )
    configs: dict[str, dict[str, object]] = {
        "fp32 (baseline)": {"dtype": "float32", "prefix_cache": False, "lean": False},
        "bf16": {"dtype": "bfloat16", "prefix_cache": False},
    }
    if device == "cuda":
        configs = {name: {**options, "static_cache": False} for name, options in configs.items()}
        configs["bf16 + static cache, CUDA graphs"] = {"dtype": "bfloat16"}  # what the app runs on CUDA
    else:
        configs["int8"] = {"dtype": "int8", "prefix_cache": False, "lean": False}
        configs["int8 + system cache"] = {"dtype": "int8", "lean": False}
        configs["fp32, lean decoder"] = {"dtype": "float32", "prefix_cache": False}
        configs["int8 + system cache, lean decoder"] = {"dtype": "int8"}  # what the app runs on CPU
        if not bf16_is_fast("cpu"):  # emulated on AVX2-only CPUs: about 30x slower than float32, minutes per run
            print("bf16: skipped, this CPU has no bf16 kernels (the int8 configurations read the prompt in float32)")
            del configs["bf16"]
    header = ("prompt", 7), ("first ms", 10), ("tok/s", 8), ("limit tok/s", 13), ("of limit", 10), ("vs fp32", 9)
    print(f"{'configuration':<36}" + "".join(f"{h:>{w}}" for h, w in header))
    base_rate = None
    for name, options in configs.items():
        gen = ReplyGenerator(
            settings.lm_dir,
            max_new_tokens=new_tokens,
            threads=settings.threads,
            device=device,
            **options,  # type: ignore[arg-type]
        )
        t = time.perf_counter()
        gen.warm_up()
        weights = weight_bytes(gen._lean or gen._model)  # the module a decoding step runs
        for _ in range(2):  # warm-up (and compilation)
            gen.run(messages, max_new_tokens=new_tokens, min_new_tokens=new_tokens)
        warm_s = time.perf_counter() - t
        firsts, rates = [], []
        for _ in range(runs):
            out = gen.run(messages, max_new_tokens=new_tokens, min_new_tokens=new_tokens)
            decode_s = (out.total_ms - out.first_token_ms) / 1000
            firsts.append(out.first_token_ms)
            rates.append((out.completion_tokens - 1) / decode_s if decode_s > 0 else float("nan"))
        rate, first = statistics.median(rates), statistics.median(firsts)
        limit = bandwidth * 1e9 / weights
        base_rate = base_rate or rate
        print(
            f"{name:<36}{out.prompt_tokens:>7}{first:>10.1f}{rate:>8.1f}{limit:>13.1f}{rate / limit:>10.1%}"
            f"{rate / base_rate:>8.2f}x   (weights {weights / 1e6:.0f} MB, load and warm-up {warm_s:.0f} s)"
        )
        del gen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--skip-turns", action="store_true", help="only the reply-model speed comparison")
    parser.add_argument("--skip-lm", action="store_true", help="skip the reply-model speed comparison")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the reply model runs")
    args = parser.parse_args()
    if not args.skip_turns:
        turns(args.turns)
        print()
    if not args.skip_lm:
        lm_speed(args.device)


if __name__ == "__main__":
    main()
