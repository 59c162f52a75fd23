"""Fjord & Pine shop assistant: intent classifier, retrieval, grounded replies, turn log."""

from assistant.offline import enforce_offline

enforce_offline()

from assistant.dialogue import Assistant, Reply  # noqa: E402
from assistant.settings import Settings  # noqa: E402

__all__ = ["Assistant", "Reply", "Settings"]
