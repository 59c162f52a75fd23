"""The real Gradio app on localhost, driven through gradio_client and plain HTTP."""

import socket
from collections.abc import Iterator

import httpx
import pytest

from app import build_ui

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def url(bot) -> Iterator[str]:  # type: ignore[no-untyped-def]
    demo = build_ui(bot)
    demo.queue()
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_page_answers_200(url: str) -> None:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200 and "gradio" in response.text.lower()


def test_chat_through_gradio_client(url: str) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    reply = client.predict("How long do I have to return an item?", "client-1", api_name="/ask")
    assert reply["intent"] == "return_exchange" and "30 days" in reply["text"] and reply["sources"]
    assert client.predict(reply["turn_id"], False, api_name="/feedback") is True
    huge = client.predict("x" * 20000, "client-1", api_name="/ask")
    assert "truncated" in huge["notices"] and "Traceback" not in huge["text"]
    empty = client.predict("", "client-1", api_name="/ask")
    assert empty["strategy"] == "empty" and empty["text"]
