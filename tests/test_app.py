"""The real app on localhost (``app.build_app`` behind its gate), driven through gradio_client and plain HTTP."""

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_page_answers_200(app_url: str) -> None:
    response = httpx.get(app_url, timeout=30)
    assert response.status_code == 200 and "gradio" in response.text.lower()


def test_chat_through_gradio_client(app_url: str) -> None:
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    reply = client.predict("How long do I have to return an item?", "client-1", api_name="/ask")
    assert reply["intent"] == "return_exchange" and "30 days" in reply["text"] and reply["sources"]
    session = reply["session_id"]
    assert session != "client-1"  # an id the server did not issue starts a new session
    assert client.predict(reply["turn_id"], False, session, api_name="/feedback") is True
    huge = client.predict("x" * 20000, session, api_name="/ask")
    assert "truncated" in huge["notices"] and "Traceback" not in huge["text"] and huge["session_id"] == session
    empty = client.predict("", session, api_name="/ask")
    assert empty["strategy"] == "empty" and empty["text"]
    started = client.predict(api_name="/start_session")["session_id"]
    assert len(started) >= 43 and started != session
