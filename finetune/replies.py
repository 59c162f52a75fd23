"""LoRA fine-tuning of the reply model: ``python -m finetune replies``.

Trains a peft LoRA adapter on SmolLM2-135M-Instruct (the safetensors folder that
``prepare`` converts from the packaged GGUF) with the seed set built from the
knowledge folder plus curated examples. The loss covers only the reply tokens.
bf16 autocast on CPU, CUDA when present, a progress bar, checkpoints in
``.data/work/`` so an interrupted run resumes with ``--resume``. The adapter is
written to a temporary folder and renamed into ``.data/models/replies/<version>/``
with its card (base model, data hash, hyperparameters, losses).
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.hardware import bf16_is_fast
from assistant.knowledge import load_knowledge
from assistant.models import LM_NAME
from assistant.prompts import PromptLibrary
from assistant.registry import ModelCard, ModelRegistry
from assistant.settings import Settings
from assistant.shop.profile import load_profile
from assistant.taxonomy import load_taxonomy
from finetune.reply_data import ReplyExample, build_seed, data_hash, read_jsonl

log = logging.getLogger(__name__)

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class ReplyTrainArgs:
    """How to train the reply adapter."""

    extra: list[Path] = field(default_factory=list)
    """JSONL files of ReplyExample added to the seed set (curated turns)."""
    epochs: float = 1.0
    learning_rate: float = 4e-4
    batch_size: int = 8
    max_length: int = 768
    """Tokens per example (prompt and reply); longer examples are left out and counted."""
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    seed: int = 13
    dev_fraction: float = 0.05
    max_steps: int = -1
    resume: bool = False
    """Continue from the last checkpoint of an interrupted run on the same data."""
    bf16: bool = True
    activate: bool = True
    extra_examples: list[ReplyExample] = field(default_factory=list)


def seed_examples(settings: Settings, seed: int = 13) -> list[ReplyExample]:
    kb = load_knowledge(settings.knowledge_dir)
    return build_seed(
        kb,
        PromptLibrary(settings.prompts_dir, load_profile(settings.knowledge_dir)),
        load_taxonomy(settings.taxonomy_file),
        settings.intent_data_dir / "train",
        seed,
    )


def encode(example: ReplyExample, tokenizer: Any, prompts: PromptLibrary) -> dict[str, list[int]]:
    """Token ids of the whole chat, with labels only on the reply (and its end token)."""
    chat = example.messages(prompts)
    prompt = tokenizer.apply_chat_template(chat[:-1], add_generation_prompt=True, return_dict=True)["input_ids"]
    full = tokenizer.apply_chat_template(chat, return_dict=True)["input_ids"]
    if full[: len(prompt)] != prompt:
        raise ValueError("chat template does not extend the prompt")
    # the template ends the reply with "<|im_end|>\n"; keep the end token, drop the newline
    reply = full[len(prompt) :]
    if reply and tokenizer.decode(reply[-1:]).strip() == "":
        reply = reply[:-1]
    ids = prompt + reply
    return {"input_ids": ids, "labels": [-100] * len(prompt) + reply}


def card_text(card: ModelCard) -> str:
    """The adapter's card for people: what it is, what it was trained on, how to rebuild it."""
    h, x = card.hyperparameters, card.extra
    lines = [
        f"# Reply adapter {card.version}",
        "",
        f"LoRA adapter (peft) for {card.base_model}, trained by `python -m finetune replies` on {card.created}.",
        "",
        f"- data: {x.get('n_seed')} seed examples built from `knowledge/` (kinds: {x.get('kinds')}),"
        f" {x.get('n_curated')} curated; data hash `{card.data_hash}`; prompt `{x.get('prompt')}`",
        f"- split: {x.get('n_train')} train, {x.get('n_dev')} dev, {x.get('too_long')} left out as too long",
        f"- LoRA: rank {h.get('rank')}, alpha {h.get('alpha')}, dropout {h.get('dropout')},"
        f" on {h.get('target_modules')}",
        f"- training: {h.get('epochs')} epoch(s), learning rate {h.get('learning_rate')}, batch {h.get('batch_size')},"
        f" max length {h.get('max_length')}, seed {h.get('seed')}, bf16 autocast",
        f"- losses: {card.metrics}",
        "",
        "Rebuild: `.venv/bin/python -m finetune replies` (same data and seed give the same data hash).",
        "Score it against the base model: `.venv/bin/python -m finetune evaluate-replies`.",
        "",
    ]
    return "\n".join(lines)


def train_replies(args: ReplyTrainArgs, settings: Settings | None = None) -> Path:
    """Train, measure and register a reply adapter; returns its folder."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments, set_seed

    from assistant.models import prepare_lm

    settings = settings or Settings()
    prepare_lm(settings.lm_dir)
    prompts = PromptLibrary(settings.prompts_dir, load_profile(settings.knowledge_dir))
    examples = seed_examples(settings, args.seed)
    n_seed = len(examples)
    for path in args.extra:
        examples += read_jsonl(path)
    examples += args.extra_examples
    digest = data_hash(examples)

    tokenizer = AutoTokenizer.from_pretrained(settings.lm_dir, local_files_only=True)
    encoded = [encode(e, tokenizer, prompts) for e in examples]
    keep = [i for i, row in enumerate(encoded) if len(row["input_ids"]) <= args.max_length]
    too_long = len(encoded) - len(keep)
    order = list(keep)
    random.Random(args.seed).shuffle(order)
    n_dev = max(1, int(len(order) * args.dev_fraction)) if args.dev_fraction > 0 else 0
    dev_idx, train_idx = order[:n_dev], order[n_dev:]
    log.info(
        "reply data: %d train, %d dev, %d left out as longer than %d tokens",
        len(train_idx),
        n_dev,
        too_long,
        args.max_length,
    )

    set_seed(args.seed)
    cuda = torch.cuda.is_available()
    model: Any = AutoModelForCausalLM.from_pretrained(settings.lm_dir, dtype=torch.float32, local_files_only=True)
    config = LoraConfig(
        r=args.rank,
        lora_alpha=args.alpha,
        lora_dropout=args.dropout,
        target_modules=list(LORA_TARGETS),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, config)

    def collate(rows: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        # widths in steps of 64: a handful of tensor shapes instead of hundreds (the CPU allocator
        # fragmented until the process ran out of memory after ~90 steps with exact widths)
        width = -(-max(len(r["input_ids"]) for r in rows) // 64) * 64
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            n = len(r["input_ids"])
            ids[i, :n] = torch.tensor(r["input_ids"])
            labels[i, :n] = torch.tensor(r["labels"])
            mask[i, :n] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}

    work = settings.data_dir / "work" / f"replies-{digest}"
    checkpoint = args.resume and any(work.glob("checkpoint-*"))
    targs = TrainingArguments(
        output_dir=str(work),
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.learning_rate,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        weight_decay=0.0,
        logging_steps=5,
        eval_strategy="no",
        save_strategy="steps",
        save_steps=20,
        save_total_limit=1,
        report_to="none",
        seed=args.seed,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        bf16=args.bf16 and bf16_is_fast("cuda" if cuda else "cpu"),
        use_cpu=not cuda,
        disable_tqdm=False,
        train_sampling_strategy="group_by_length",
    )
    train_rows = [encoded[i] for i in train_idx]
    dev_rows = [encoded[i] for i in dev_idx]
    trainer = Trainer(
        model=model,
        args=targs,
        train_dataset=train_rows,  # type: ignore[arg-type]
        eval_dataset=dev_rows or None,  # type: ignore[arg-type]
        data_collator=collate,
    )
    result = trainer.train(resume_from_checkpoint=bool(checkpoint) or None)
    metrics: dict[str, Any] = {"train_loss": round(float(result.training_loss), 4)}
    if dev_rows:
        metrics["dev_loss"] = round(float(trainer.evaluate()["eval_loss"]), 4)
    history = [row for row in trainer.state.log_history if "loss" in row]

    hparams = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(args).items() if k != "extra_examples"}
    hparams["extra"] = [str(p) for p in args.extra]
    hparams["target_modules"] = list(LORA_TARGETS)
    kinds: dict[str, int] = {}
    for e in examples:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    card = ModelCard(
        kind="reply-adapter",
        base_model=LM_NAME,
        data_hash=digest,
        data_files=[str(settings.knowledge_dir), *map(str, args.extra)],
        hyperparameters=hparams,
        metrics=metrics,
        extra={
            "n_seed": n_seed,
            "n_curated": len(examples) - n_seed,
            "n_train": len(train_rows),
            "n_dev": len(dev_rows),
            "too_long": too_long,
            "kinds": kinds,
            "prompt": prompts.tag,
        },
    )
    registry = ModelRegistry(settings.models_dir / "replies")
    with registry.build("replies") as (version, folder):
        card.version = version
        trained: Any = trainer.model
        trained.to(torch.bfloat16).save_pretrained(folder)  # bf16 halves the adapter's size on disk
        card.write(folder)
        (folder / "README.md").write_text(card_text(card), encoding="utf-8")  # replaces peft's empty template
        (folder / "training_log.json").write_text(json.dumps(history, indent=1))
    if args.activate:
        registry.activate(version)
    log.info("reply adapter %s: %s", version, json.dumps(metrics))
    return registry.root / version
