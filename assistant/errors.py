"""Errors a user can cause. Each carries one line that says what to fix."""


class AssistantError(Exception):
    """A problem a user can fix; ``str(err)`` is a one-line explanation."""


class ModelMissingError(AssistantError):
    """A model folder is missing or unreadable."""


class KnowledgeError(AssistantError):
    """A knowledge file cannot be used."""


class PromptError(AssistantError):
    """A prompt template is invalid."""
