import pytest

from assistant.generation import Generation, ReplyGenerator
from assistant.settings import Settings

pytestmark = pytest.mark.integration


def test_streams_tokens_and_counts_usage(shared_models) -> None:  # type: ignore[no-untyped-def]
    gen = ReplyGenerator(Settings(data_dir=shared_models).lm_dir, max_new_tokens=12)
    items = list(gen.stream([{"role": "user", "content": "Say hello."}]))
    pieces, final = items[:-1], items[-1]
    assert isinstance(final, Generation) and pieces
    assert final.completion_tokens > 0 and final.prompt_tokens > 5
    assert final.text == "".join(pieces).strip()


def test_missing_model_folder_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant.errors import ModelMissingError

    with pytest.raises(ModelMissingError, match="python -m assistant prepare"):
        ReplyGenerator(tmp_path / "nothing").warm_up()


def test_corrupt_model_folder_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant.errors import ModelMissingError

    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        (tmp_path / name).write_text("garbage")
    with pytest.raises(ModelMissingError, match="unreadable"):
        ReplyGenerator(tmp_path).warm_up()
