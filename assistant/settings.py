"""The one settings object of the assistant.

Every field can be overridden from the environment with the ``SHOP_`` prefix
(``SHOP_DATA_DIR=/srv/shop``); a misspelled field passed in code fails loudly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Paths, models, thresholds and server options of one installation."""

    model_config = SettingsConfigDict(env_prefix="SHOP_", extra="forbid", validate_assignment=True)

    data_dir: Path = Field(REPO_ROOT / ".data", description="Models, index, logs: everything generated.")
    knowledge_dir: Path = Field(REPO_ROOT / "knowledge", description="Catalogue, FAQ and policies.")
    prompts_dir: Path = Field(REPO_ROOT / "prompts", description="Prompt templates.")
    taxonomy_file: Path = Field(REPO_ROOT / "assistant" / "taxonomy.yaml", description="Intents and routes.")
    intent_data_dir: Path = Field(REPO_ROOT / "finetune" / "data" / "intents", description="Labelled intent examples.")
    sentiment_data: Path = Field(
        REPO_ROOT / "finetune" / "data" / "sentiment" / "train.jsonl", description="Labelled sentiment examples."
    )
    turn_log: Path | None = Field(None, description="SQLite turn log; default <data_dir>/turns.sqlite.")
    collection: str = Field("knowledge", description="Chroma collection name.")

    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where the reply model runs.")
    lm_dtype: Literal["auto", "int8", "bfloat16", "float32"] = Field(
        "auto",
        description="Reply model weights; auto is int8 on CPU (about 2.5x faster decoding than bf16: make bench) "
        "and bf16 on CUDA.",
    )
    static_cache: bool | None = Field(
        None,
        description="Decode with a static KV cache (compiled into CUDA graphs on a GPU; not with int8 weights); "
        "default: on CUDA only.",
    )
    lean_decoding: bool = Field(
        True,
        description="On CPU, decode reply tokens with the lean decoder (the same arithmetic as transformers' "
        "forward pass with fewer operations: make bench); off: transformers' forward pass.",
    )
    adapter: Path | None = Field(
        None, description="LoRA adapter folder; default: the active one in <data_dir>/models/replies."
    )
    shipped_adapter: Path = Field(
        REPO_ROOT / "finetune" / "adapters" / "replies",
        description="Reply adapter shipped with the code; prepare installs it when no adapter is active.",
    )
    intent_threshold: float = Field(0.45, ge=0.0, le=1.0, description="Below it, ask to clarify.")
    top_k: int = Field(4, ge=1, le=20, description="Passages retrieved per question.")
    min_relevance: float = Field(0.25, ge=-1.0, le=1.0, description="Cosine similarity a passage needs.")
    lexical_weight: float = Field(
        0.35, ge=0.0, le=2.0, description="Weight of word overlap (TF-IDF) beside embedding similarity in ranking."
    )
    curated_threshold: float = Field(
        0.6,
        ge=-1.0,
        le=2.0,
        description="From this match (embedding + weighted word overlap) on, a curated answer is the reply.",
    )
    rescue_threshold: float = Field(
        0.7,
        ge=-1.0,
        le=2.0,
        description="The match an entry needs to answer a message the classifier called out of scope.",
    )
    generate_threshold: float = Field(
        0.6,
        ge=-1.0,
        le=2.0,
        description="Between this and curated_threshold the language model answers from passages.",
    )
    intent_bonus: float = Field(0.05, ge=0.0, le=1.0, description="Added to the match of the entry the intent names.")
    product_threshold: float = Field(
        0.6, ge=-1.0, le=2.0, description="A product the message does not name must match this well to be answered."
    )
    named_product_match: float = Field(0.5, ge=-1.0, le=2.0, description="Least match of a product named outright.")
    product_margin: float = Field(
        0.1, ge=0.0, le=1.0, description="An FAQ entry beats the product a product question names by this much."
    )
    fact_threshold: float = Field(
        0.45, ge=-1.0, le=2.0, description="A catalogue line must match a product question this well to be quoted."
    )
    escalation_threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="From this probability of 'escalate' on, the customer is handed to a person."
    )
    max_new_tokens: int = Field(160, ge=8, le=1024, description="Longest generated reply.")
    history_turns: int = Field(3, ge=0, le=20, description="Earlier turns shown to the reply model.")
    max_message_chars: int = Field(4000, ge=100, description="Longer messages are cut to this length.")
    session_limit: int = Field(10000, ge=1, description="Sessions kept in memory (the least recently used go).")
    session_idle_minutes: float = Field(
        60, gt=0, description="A session with no turn for this long is gone; its token then starts a new one."
    )
    verified_minutes: float = Field(
        30, gt=0, description="How long an order the customer proved is theirs stays open in the session."
    )
    identity_failures_session: int = Field(
        2, ge=1, description="Failed identity checks for one order in one session before a person takes over."
    )
    identity_failures_order: int = Field(
        5, ge=1, description="Failed identity checks for one order (all sessions) before the order is locked."
    )
    identity_failures_client: int = Field(
        10, ge=1, description="Failed identity checks from one network address before it may try no more."
    )
    identity_lock_minutes: float = Field(
        60, gt=0, description="How long those failures count, and so how long a lock lasts after the last one."
    )
    login_free_failures: int = Field(
        3, ge=1, description="Failed logins per account and per address before each try must wait."
    )
    login_delay_seconds: float = Field(
        2, gt=0, description="The wait after the first failure beyond the free ones; it doubles with each failure."
    )
    login_max_delay_seconds: float = Field(900, gt=0, description="The longest wait between two login tries.")
    max_request_kb: int = Field(512, ge=16, description="Largest request body the server reads, in KiB.")
    threads: int | None = Field(None, ge=1, description="Torch CPU threads; default: all cores.")

    lead_user: str = Field("lead", min_length=1, description="User name of the support-lead area.")
    lead_password: SecretStr | None = Field(
        None, description="Password of the support-lead area; when unset one is generated into <data_dir>."
    )
    gap_threshold: float = Field(
        0.6,
        ge=-1.0,
        le=2.0,
        description="A message whose best match (as retrieval ranks it) is under this is a knowledge gap.",
    )
    low_confidence: float = Field(0.6, ge=0.0, le=1.0, description="The lead's 'low confidence' filter.")
    lead_eval_limit: int = Field(
        40, ge=5, description="Held-out reply questions scored after a reply training started from the lead area."
    )

    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)

    @model_validator(mode="after")
    def _default_log(self) -> Settings:
        if self.turn_log is None:
            self.turn_log = self.data_dir / "turns.sqlite"
        return self

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def lm_dir(self) -> Path:
        """Safetensors copy of SmolLM2-135M-Instruct converted from the packaged GGUF."""
        return self.models_dir / "smollm2-135m-instruct"

    @property
    def shop_db(self) -> Path:
        """The shop database (customers, orders, returns); prepare fills it with the demo shop when missing."""
        return self.data_dir / "shop.sqlite"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def log_path(self) -> Path:
        assert self.turn_log is not None
        return self.turn_log
