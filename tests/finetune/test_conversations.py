"""Every conversation script in tests/conversations passes on the real assistant."""

from pathlib import Path

import pytest

from finetune.conversations import load_scripts, run_script

SCRIPTS = load_scripts(Path(__file__).resolve().parent.parent / "conversations")


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_conversation(bot, name: str) -> None:  # type: ignore[no-untyped-def]
    failures = [f"{user}: {'; '.join(p)}" for user, p in run_script(bot, name, SCRIPTS[name]) if p]
    assert not failures, "\n".join(failures)
