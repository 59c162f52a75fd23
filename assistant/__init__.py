"""The shop assistant: intent classifier, retrieval, grounded replies, turn log (the shop itself is data: knowledge/).

``Assistant``, ``Reply`` and ``Settings`` are imported on first use, so that a tool needing one stage
(the reply trainer, the speed benchmark) does not load the whole pipeline and its vector store.
"""

from typing import Any

from assistant.offline import enforce_offline

enforce_offline()

__all__ = ["Assistant", "Reply", "Settings"]


def __getattr__(name: str) -> Any:
    if name in ("Assistant", "Reply"):
        from assistant import dialogue

        return getattr(dialogue, name)
    if name == "Settings":
        from assistant.settings import Settings

        return Settings
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
