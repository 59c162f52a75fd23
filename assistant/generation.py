"""Reply generation with SmolLM2-135M-Instruct and an optional LoRA adapter."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from assistant.errors import ModelMissingError
from assistant.hardware import bf16_is_fast, pick_device, pick_precision
from assistant.models import LM_NAME, lm_is_ready

log = logging.getLogger(__name__)

STATIC_CACHE_TOKENS = 2048
"""Prompt and reply tokens the static KV cache holds (CUDA decoding)."""


class Generation(BaseModel):
    """A generated reply and what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    first_token_ms: float
    total_ms: float


class ReplyGenerator:
    """Generate a reply for chat messages; tokens can be streamed as they come.

    Decoding is a greedy loop (no per-token work beyond one forward step and an argmax).
    transformers reads the prompt; on CPU the tokens after it are decoded by
    ``LeanDecoder`` (the same arithmetic in fewer operations and matrix products, its
    cache allocated once, its step compiled by TorchScript), with int8 weights by default
    (dynamic quantisation per output channel: half the bytes of bf16 read per token, and
    integer matrix kernels), the LoRA adapter merged in before quantising. ``lean=False``,
    or a model it does not support, decodes with transformers' forward pass instead. The key/value states of a
    prompt's system message, the same in every reply, are computed once and reused.

    On CUDA a step of one token costs far less than launching its hundreds of small
    kernels from Python, so there decoding uses a static KV cache of fixed size
    (``STATIC_CACHE_TOKENS``) that transformers' ``generate`` compiles into CUDA graphs:
    one compiled step for every reply, since the cache's shape never changes (about 10x
    the tokens per second of the plain loop on an H100: ``bench --device cuda``).
    ``warm_up`` compiles it. A prompt and reply longer than the cache use the plain loop,
    as do int8 weights.
    """

    def __init__(
        self,
        model_dir: Path,
        adapter_dir: Path | None = None,
        device: Literal["auto", "cpu", "cuda"] = "auto",
        dtype: Literal["auto", "int8", "bfloat16", "float32"] = "auto",
        max_new_tokens: int = 160,
        threads: int | None = None,
        prefix_cache: bool = True,
        static_cache: bool | None = None,
        lean: bool = True,
    ) -> None:
        self.model_dir = model_dir
        self.adapter_dir = adapter_dir
        self.device_choice = device
        self.dtype_choice = dtype
        self.max_new_tokens = max_new_tokens
        self.threads = threads
        self.prefix_cache = prefix_cache
        self.static_cache_choice = static_cache
        self.lean_choice = lean
        self.device = "cpu"
        self.precision = "float32"
        self._model: Any = None
        self._tokenizer: Any = None
        self._eos: set[int] = set()
        self._prefill_model: Any = None
        self._prefixes: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self._static: Any = None
        self._lean: Any = None
        self._lock = threading.Lock()

    @property
    def base_model(self) -> str:
        return LM_NAME

    @property
    def adapter(self) -> str | None:
        return self.adapter_dir.name if self.adapter_dir else None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if self.threads:
            torch.set_num_threads(self.threads)
        if not lm_is_ready(self.model_dir):
            raise ModelMissingError(
                f"reply model missing or incomplete at {self.model_dir}; run: python -m assistant prepare"
            )
        self.device = pick_device(self.device_choice)
        self.precision = pick_precision(self.dtype_choice, self.device)
        dtype = torch.bfloat16 if self.precision == "bfloat16" else torch.float32
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=dtype, local_files_only=True)
        except Exception as err:  # OSError, ValueError, safetensors' own error for a cut weights file
            raise ModelMissingError(
                f"reply model at {self.model_dir} is unreadable ({err}); "
                "delete the folder and run: python -m assistant prepare"
            ) from err
        if self.adapter_dir is not None:
            from peft import PeftModel

            if not (self.adapter_dir / "adapter_config.json").is_file():
                raise ModelMissingError(f"no LoRA adapter at {self.adapter_dir} (adapter_config.json missing)")
            model = PeftModel.from_pretrained(model, self.adapter_dir).merge_and_unload()
        model = model.eval()
        self._prefill_model, self._lean = None, None
        # bf16 reads the prompt twice as fast where the CPU has bf16 kernels; elsewhere it is 30x slower
        prompt_dtype = torch.bfloat16 if bf16_is_fast("cpu") else torch.float32
        if self.device == "cpu" and self.lean_choice and self.precision in ("int8", "float32"):
            from assistant.lean_decoder import LeanDecoder, unsupported

            reason = unsupported(model.config)
            if reason is None:
                self._lean = LeanDecoder(model, int8=self.precision == "int8")
                if self.precision == "int8":  # transformers reads the prompt, the int8 lean decoder the rest
                    model = model.to(prompt_dtype)
            else:
                log.info("lean decoding off for this model (%s); decoding with transformers", reason)
        if self.precision == "int8" and self._lean is None:
            import copy

            from assistant.lean_decoder import quantise_linears

            self._prefill_model = copy.deepcopy(model).to(prompt_dtype)
            quantise_linears(model)  # in place
        eos = model.generation_config.eos_token_id
        self._eos = {
            *(eos if isinstance(eos, list) else [eos] if eos is not None else []),
            self._tokenizer.eos_token_id,
        }
        self._model = model.to(self.device)
        use_static = self.device == "cuda" if self.static_cache_choice is None else self.static_cache_choice
        if use_static and self.precision != "int8":
            from transformers import StaticCache

            self._static = StaticCache(config=model.config, max_cache_len=STATIC_CACHE_TOKENS)
            if self.device == "cuda":  # compile the decoding step now, not during the first customer's reply
                hello = self._tokenizer("Hello", return_tensors="pt")["input_ids"].to(self.device)
                try:
                    for _ in range(3):
                        list(self._static_tokens(hello, 4, 1.1, 0))
                except Exception as err:  # no compiler for this GPU, say: decode step by step instead
                    log.warning(
                        "static-cache decoding unavailable (%s: %s); decoding step by step", type(err).__name__, err
                    )
                    self._static = None

    # --- decoding -------------------------------------------------------------

    def _forward(self, ids: Any, cache: Any, prefill: bool = False) -> Any:
        """One forward pass: logits of the last position (float32), the cache grown by ``ids``.

        With int8 weights the prompt is read by a bf16 (or float32) copy of the model: dynamic quantisation
        gives all tokens of a pass one activation scale, which on a long prompt costs most of the
        answers' facts (held-out fact recall 0.34 -> 0.11), while one token at a time it does not.
        """
        import torch

        model = self._prefill_model if prefill and self._prefill_model is not None else self._model
        with self._lock, torch.inference_mode():  # concurrent chats take turns step by step
            out = model(input_ids=ids, past_key_values=cache, use_cache=True, logits_to_keep=1)
            return out.logits[0, -1].float()

    def _for_decoding(self, cache: Any) -> Any:
        """The prompt's cache in the decoding model's dtype (bf16 prefill -> fp32 int8 decoding)."""
        import torch

        if self._prefill_model is not None and self._prefill_model.dtype == torch.bfloat16:
            for layer in cache.layers:
                layer.keys, layer.values = layer.keys.float(), layer.values.float()
        return cache

    def _start(self, ids: Any, system: list[int] | None) -> tuple[Any, Any]:
        """Prefill the prompt, reusing the cached states of its system message: (cache, last logits)."""
        import copy

        import torch
        from transformers import DynamicCache

        key = tuple(system or ())
        use = self.prefix_cache and key and len(key) < ids.shape[1] and tuple(ids[0, : len(key)].tolist()) == key
        if not use:
            cache = DynamicCache()
            logits = self._forward(ids, cache, prefill=True)
            return self._for_decoding(cache), logits
        with self._lock:
            stored = self._prefixes.get(key)
            if stored is not None:
                self._prefixes.move_to_end(key)
        if stored is None:
            stored = DynamicCache()
            self._forward(torch.tensor([list(key)], device=self.device), stored, prefill=True)
            with self._lock:
                self._prefixes[key] = stored
                while len(self._prefixes) > 4:
                    self._prefixes.popitem(last=False)
        cache = copy.deepcopy(stored)
        logits = self._forward(ids[:, len(key) :], cache, prefill=True)
        return self._for_decoding(cache), logits

    def _tokens(self, ids: Any, system: list[int] | None, limit: int, penalty: float, min_new: int) -> Iterator[int]:
        """Greedy decoding with HF's repetition penalty over prompt and reply tokens; stops at end of turn."""
        import torch

        cache, logits = self._start(ids, system)
        state = None
        if self._lean is not None and ids.shape[1] + limit <= self._lean.max_positions:
            state, cache = self._lean.begin(cache, ids.shape[1] + limit), None
        seen = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
        seen[ids[0]] = True
        eos = torch.tensor(sorted(self._eos), device=logits.device)
        for step in range(limit):
            if penalty != 1.0:
                logits = torch.where(seen, torch.where(logits < 0, logits * penalty, logits / penalty), logits)
            if step < min_new:
                logits[eos] = float("-inf")
            token = int(logits.argmax())
            if token in self._eos:
                return
            yield token
            if step + 1 < limit:
                seen[token] = True
                if state is None:
                    logits = self._forward(torch.tensor([[token]], device=self.device), cache)
                else:
                    with self._lock:  # concurrent chats take turns step by step
                        logits = self._lean.step(state, token)

    def _static_tokens(self, ids: Any, limit: int, penalty: float, min_new: int) -> Iterator[int]:
        from assistant.static_decoding import static_tokens

        return static_tokens(
            self._model, self._static, self._lock, ids, limit, penalty, min_new, self._eos, self._tokenizer.eos_token_id
        )

    def stream(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int | None = None,
        strict: bool = False,
        min_new_tokens: int | None = None,
    ) -> Iterator[str | Generation]:
        """Yield text pieces as they are generated, then the finished ``Generation``.

        ``strict`` is the retry after a reply failed the faithfulness check: no repetition
        penalty (which discourages repeating the context's exact numbers and names) and a
        shorter reply.
        """
        self.warm_up()
        start = time.perf_counter()
        ids = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )["input_ids"].to(self.device)
        system = None
        if messages and messages[0]["role"] == "system":
            system = self._tokenizer.apply_chat_template(messages[:1], return_dict=True)["input_ids"]
        limit = max_new_tokens or self.max_new_tokens
        limit = min(limit, 96) if strict else limit
        out: list[int] = []
        shown, first = "", None
        penalty, min_new = 1.0 if strict else 1.1, min_new_tokens or 0
        if self._static is not None and ids.shape[1] + limit <= STATIC_CACHE_TOKENS:
            tokens = self._static_tokens(ids, limit, penalty, min_new)
        else:
            tokens = self._tokens(ids, system, limit, penalty, min_new)
        for token in tokens:
            out.append(token)
            text = self._tokenizer.decode(out, skip_special_tokens=True)
            if text.endswith("\ufffd"):  # half a character: wait for the rest of its bytes
                continue
            if len(text) > len(shown):
                first = first or time.perf_counter()
                yield text[len(shown) :]
                shown = text
        end = time.perf_counter()
        yield Generation(
            text=shown.strip(),
            prompt_tokens=int(ids.shape[1]),
            completion_tokens=len(out),
            first_token_ms=round(((first or end) - start) * 1000, 1),
            total_ms=round((end - start) * 1000, 1),
        )

    def run_batch(self, chats: list[list[dict[str, str]]], max_new_tokens: int | None = None) -> list[Generation]:
        """Generate replies for several chats at once (left-padded): for evaluation, where throughput matters.

        Greedy decoding as in ``stream``; a padded batch can differ from a single run in the last digits of the
        logits, so a reply may rarely differ from the one a customer would get.
        """
        import torch

        self.warm_up()
        if not chats:
            return []
        if self.precision == "int8":  # activations are quantised per forward pass: rows of a batch would share a scale
            return [self.run(c, max_new_tokens) for c in chats]
        start = time.perf_counter()
        texts = [self._tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False) for c in chats]
        side = self._tokenizer.padding_side
        self._tokenizer.padding_side = "left"
        try:
            batch = self._tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        finally:
            self._tokenizer.padding_side = side
        with self._lock, torch.inference_mode():
            ids = self._model.generate(
                **batch,
                max_new_tokens=max_new_tokens or self.max_new_tokens,
                do_sample=False,
                repetition_penalty=1.1,
                pad_token_id=self._tokenizer.eos_token_id,
            )
        total = (time.perf_counter() - start) * 1000
        width = int(batch["input_ids"].shape[1])
        out = []
        for row, mask in zip(ids, batch["attention_mask"], strict=True):
            new = row[width:]
            ends = (new == self._tokenizer.eos_token_id).nonzero()
            n_new = int(ends[0]) if len(ends) else int(new.shape[0])
            out.append(
                Generation(
                    text=self._tokenizer.decode(new[:n_new], skip_special_tokens=True).strip(),
                    prompt_tokens=int(mask.sum()),
                    completion_tokens=n_new,
                    first_token_ms=round(total, 1),
                    total_ms=round(total, 1),
                )
            )
        return out

    def run(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int | None = None,
        strict: bool = False,
        min_new_tokens: int | None = None,
    ) -> Generation:
        final = None
        for item in self.stream(messages, max_new_tokens, strict, min_new_tokens):
            if isinstance(item, Generation):
                final = item
        assert final is not None
        return final
