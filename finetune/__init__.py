"""Training and evaluation of the assistant's models: ``python -m finetune <command>``."""
