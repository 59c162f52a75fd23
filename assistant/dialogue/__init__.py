"""The dialogue: a customer message through understanding, routing and one responder to a logged reply."""

from assistant.dialogue.loop import Assistant
from assistant.dialogue.turn import Notice, Reply, Session, Source, Usage
from assistant.dialogue.understand import clean_message

__all__ = ["Assistant", "Notice", "Reply", "Session", "Source", "Usage", "clean_message"]
