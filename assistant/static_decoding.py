"""Greedy decoding on a static KV cache by transformers' ``generate`` (compiled into CUDA graphs), streamed.

On CUDA a step of one token costs far less than launching its hundreds of small kernels from
Python; with a cache whose shape never changes, ``generate`` compiles one step for every reply.
``ReplyGenerator`` uses this when it has a static cache (``STATIC_CACHE_TOKENS``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any


def static_tokens(
    model: Any,
    cache: Any,
    lock: threading.Lock,
    ids: Any,
    limit: int,
    penalty: float,
    min_new: int,
    eos: set[int],
    pad: int,
) -> Iterator[int]:
    """Greedy decoding by ``generate`` on the static cache, tokens passed on as they come.

    The same decoding as ``ReplyGenerator``'s own loop (HF's repetition penalty over prompt and reply, no end
    of turn before ``min_new``); ``generate`` runs in a thread and hands each token over through a queue.
    """
    import torch
    from transformers.generation.streamers import BaseStreamer

    handed: queue.Queue[int | BaseException | None] = queue.Queue()

    class Handover(BaseStreamer):
        def __init__(self) -> None:
            self.prompt = True

        def put(self, value: Any) -> None:
            if self.prompt:  # generate hands over the prompt first
                self.prompt = False
            else:
                handed.put(int(value.reshape(-1)[0]))

        def end(self) -> None:
            pass

    def work() -> None:
        try:
            with lock, torch.inference_mode():
                cache.reset()
                model.generate(
                    input_ids=ids,
                    attention_mask=torch.ones_like(ids),
                    past_key_values=cache,
                    max_new_tokens=limit,
                    min_new_tokens=min_new,
                    do_sample=False,
                    temperature=None,
                    top_p=None,
                    top_k=None,
                    repetition_penalty=penalty,
                    eos_token_id=sorted(eos),
                    pad_token_id=pad,
                    streamer=Handover(),
                )
        except BaseException as err:  # raised again in the caller's thread
            handed.put(err)
        finally:
            handed.put(None)

    threading.Thread(target=work, name="reply-decoding", daemon=True).start()
    while (item := handed.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        if item in eos:
            return
        yield item
