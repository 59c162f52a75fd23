"""Reply generation with SmolLM2-135M-Instruct and an optional LoRA adapter."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from assistant.errors import ModelMissingError
from assistant.models import LM_NAME, lm_is_ready


class Generation(BaseModel):
    """A generated reply and what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    first_token_ms: float
    total_ms: float


def pick_device(choice: Literal["auto", "cpu", "cuda"]) -> str:
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise ModelMissingError("device is set to cuda but no CUDA GPU is available; set SHOP_DEVICE=cpu")
    return choice


class ReplyGenerator:
    """Generate a reply for chat messages; tokens can be streamed as they come."""

    def __init__(
        self,
        model_dir: Path,
        adapter_dir: Path | None = None,
        device: Literal["auto", "cpu", "cuda"] = "auto",
        dtype: Literal["auto", "bfloat16", "float32"] = "auto",
        max_new_tokens: int = 160,
        threads: int | None = None,
        cache: Literal["dynamic", "static"] = "dynamic",
        compile: bool = False,
    ) -> None:
        self.model_dir = model_dir
        self.adapter_dir = adapter_dir
        self.device_choice = device
        self.dtype_choice = dtype
        self.max_new_tokens = max_new_tokens
        self.threads = threads
        self.cache = "static" if compile else cache
        self.compile = compile
        self.device = "cpu"
        self._model: Any = None
        self._tokenizer: Any = None
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
        dtype = torch.float32 if self.dtype_choice == "float32" else torch.bfloat16
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=dtype, local_files_only=True)
        except (OSError, ValueError) as err:
            raise ModelMissingError(
                f"reply model at {self.model_dir} is unreadable ({err}); "
                "delete the folder and run: python -m assistant prepare"
            ) from err
        if self.adapter_dir is not None:
            from peft import PeftModel

            if not (self.adapter_dir / "adapter_config.json").is_file():
                raise ModelMissingError(f"no LoRA adapter at {self.adapter_dir} (adapter_config.json missing)")
            model = PeftModel.from_pretrained(model, self.adapter_dir).merge_and_unload()
        self._model = model.to(self.device).eval()  # type: ignore[arg-type]

    def _speed_options(self) -> dict[str, Any]:
        """A static KV cache (fixed shapes), and torch.compile of the decoding step on top of it."""
        if self.cache != "static":
            return {}
        options: dict[str, Any] = {"cache_implementation": "static"}
        if self.compile:
            from transformers import CompileConfig

            config = CompileConfig(mode="default")  # "reduce-overhead" means CUDA graphs
            config._compile_all_devices = True  # type: ignore[assignment]  # transformers only auto-compiles on accelerators otherwise
            options["compile_config"] = config
        else:
            options["disable_compile"] = True
        return options

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
        import torch
        from transformers import TextIteratorStreamer

        self.warm_up()
        start = time.perf_counter()
        inputs = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self.device)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        limit = max_new_tokens or self.max_new_tokens
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                with self._lock, torch.inference_mode():
                    result["ids"] = self._model.generate(
                        **inputs,
                        max_new_tokens=min(limit, 96) if strict else limit,
                        do_sample=False,
                        repetition_penalty=1.0 if strict else 1.1,
                        min_new_tokens=min_new_tokens,
                        **self._speed_options(),
                        streamer=streamer,
                        pad_token_id=self._tokenizer.eos_token_id,
                    )
            except BaseException as err:  # surfaced in the caller's thread
                result["error"] = err
                streamer.end()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        first: float | None = None
        pieces: list[str] = []
        for piece in streamer:
            if piece:
                first = first or time.perf_counter()
                pieces.append(piece)
                yield piece
        thread.join()
        if "error" in result:
            raise result["error"]
        n_prompt = int(inputs["input_ids"].shape[1])
        n_out = int(result["ids"].shape[1]) - n_prompt
        end = time.perf_counter()
        yield Generation(
            text="".join(pieces).strip(),
            prompt_tokens=n_prompt,
            completion_tokens=n_out,
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
