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


def test_batch_matches_single_runs(shared_models) -> None:  # type: ignore[no-untyped-def]
    gen = ReplyGenerator(Settings(data_dir=shared_models).lm_dir, max_new_tokens=10)
    chats = [
        [{"role": "user", "content": "Say hello."}],
        [{"role": "user", "content": "Name three colours of a rainbow, please, in one short sentence."}],
    ]
    batch = gen.run_batch(chats)
    single = [gen.run(c) for c in chats]
    assert [b.completion_tokens > 0 for b in batch] == [True, True]
    assert [b.prompt_tokens for b in batch] == [s.prompt_tokens for s in single]  # padding is not counted
    assert all(b.text for b in batch)  # padding may change the last digits of the logits, so not the exact words


def test_int8_with_the_system_cache_gives_the_reply_of_a_full_prefill(shared_models) -> None:  # type: ignore[no-untyped-def]
    lm_dir = Settings(data_dir=shared_models).lm_dir
    chat = [
        {"role": "system", "content": "You are the assistant of a small shop. Be brief."},
        {"role": "user", "content": "Say hello."},
    ]
    cached = ReplyGenerator(lm_dir, max_new_tokens=8, dtype="int8")
    first, again = cached.run(chat), cached.run(chat)  # the second reuses the stored system states
    plain = ReplyGenerator(lm_dir, max_new_tokens=8, dtype="int8", prefix_cache=False).run(chat)
    assert first.text == again.text and first.completion_tokens > 0
    assert len(cached._prefixes) == 1
    assert cached._lean is not None and cached._lean.int8  # the default on CPU: int8 lean decoding steps
    # activations are quantised per forward pass, so a prompt prefilled in two parts is read slightly
    # differently from one prefilled at once: both are replies, not necessarily the same words
    assert plain.text and plain.prompt_tokens == first.prompt_tokens


def test_precision_defaults_to_int8_on_cpu_and_bf16_on_cuda() -> None:
    from assistant.errors import ModelMissingError
    from assistant.hardware import pick_precision

    assert pick_precision("auto", "cpu") == "int8"
    assert pick_precision("auto", "cuda") == "bfloat16"
    with pytest.raises(ModelMissingError, match="CPU only"):
        pick_precision("int8", "cuda")


def test_min_new_tokens_holds_back_the_end_of_turn(shared_models) -> None:  # type: ignore[no-untyped-def]
    gen = ReplyGenerator(Settings(data_dir=shared_models).lm_dir, max_new_tokens=20)
    out = gen.run([{"role": "user", "content": "Reply with the single word: yes"}], min_new_tokens=20)
    assert out.completion_tokens == 20


def _assert_same_replies(a: ReplyGenerator, b: ReplyGenerator, question: str) -> list[dict[str, str]]:
    """Both generators give the same reply, with and without the repetition penalty; the chat asked."""
    chat = [
        {"role": "system", "content": "You are the assistant of a small shop. Be brief."},
        {"role": "user", "content": question},
    ]
    for strict in (False, True):
        x, y = a.run(chat, strict=strict), b.run(chat, strict=strict)
        assert x.text == y.text and x.completion_tokens == y.completion_tokens > 0
    return chat


def test_static_cache_decoding_gives_the_tokens_of_the_plain_loop(shared_models) -> None:  # type: ignore[no-untyped-def]
    """The CUDA path (generate on a static cache; compiled only on a GPU) decodes exactly as the step loop does."""
    from assistant.generation import STATIC_CACHE_TOKENS

    lm_dir = Settings(data_dir=shared_models).lm_dir
    static = ReplyGenerator(lm_dir, max_new_tokens=16, dtype="float32", static_cache=True)
    plain = ReplyGenerator(lm_dir, max_new_tokens=16, dtype="float32", static_cache=False, prefix_cache=False)
    chat = _assert_same_replies(static, plain, "How long do I have to return a jacket?")
    assert static.run(chat, min_new_tokens=16).completion_tokens == 16
    assert static._static is not None and plain._static is None
    # a prompt longer than the static cache is decoded by the step loop instead of failing
    long = [{"role": "user", "content": "Please answer briefly. " * (STATIC_CACHE_TOKENS // 4)}]
    assert static.run(long, max_new_tokens=2).prompt_tokens > STATIC_CACHE_TOKENS


def test_lean_decoding_gives_the_reply_of_transformers_forward(shared_models) -> None:  # type: ignore[no-untyped-def]
    """On CPU the lean decoder is the default; in float32 it decodes the tokens transformers' forward pass does."""
    lm_dir = Settings(data_dir=shared_models).lm_dir
    lean = ReplyGenerator(lm_dir, max_new_tokens=24, dtype="float32", prefix_cache=False)
    plain = ReplyGenerator(lm_dir, max_new_tokens=24, dtype="float32", prefix_cache=False, lean=False)
    _assert_same_replies(lean, plain, "Which payment methods do you accept?")
    assert lean._lean is not None and plain._lean is None
