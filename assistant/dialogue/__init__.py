"""The dialogue: a customer message through understanding, routing and one responder to a logged reply."""

from assistant.dialogue.loop import Assistant
from assistant.dialogue.turn import Notice, Reply, RouteName, Session, Source, Strategy, Usage
from assistant.dialogue.understand import clean_message

__all__ = ["Assistant", "Notice", "Reply", "RouteName", "Session", "Source", "Strategy", "Usage", "clean_message"]
