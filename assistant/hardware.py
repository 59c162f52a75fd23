"""What this machine is: which device and weights the reply model runs on, and what it computes quickly.

bf16 matrix maths is fast on GPUs that support it and on CPUs
with AVX-512 (and AMX), but emulated, and 30x slower than float32, on AVX2-only CPUs (measured on an
AMD EPYC here: a 512x512 matmul took 12.9 ms in float32 and 440 ms in bf16)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from assistant.errors import ModelMissingError


@functools.cache
def bf16_is_fast(device: str = "cpu") -> bool:
    """Whether bf16 weights or autocast speed up work on ``device`` ("cpu" or "cuda") rather than slow it down."""
    import torch

    if device == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch without the check: read the CPU's flags
        try:
            flags = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        except OSError:
            return False
        return "avx512_bf16" in flags or "amx_bf16" in flags or "avx512bw" in flags


def pick_device(choice: Literal["auto", "cpu", "cuda"]) -> str:
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise ModelMissingError("device is set to cuda but no CUDA GPU is available; set SHOP_DEVICE=cpu")
    return choice


def pick_precision(choice: Literal["auto", "int8", "bfloat16", "float32"], device: str) -> str:
    """Weights of the reply model: int8 on CPU and bf16 on CUDA unless chosen otherwise."""
    if choice == "auto":
        return "bfloat16" if device == "cuda" else "int8"
    if choice == "int8" and device != "cpu":
        raise ModelMissingError("int8 reply weights run on CPU only; set SHOP_LM_DTYPE=bfloat16 for CUDA")
    return choice
