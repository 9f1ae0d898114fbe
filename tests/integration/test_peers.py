"""The test peers keep their promises: raw HTTP against llama-server and the fault server."""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx2
import pytest

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer
    from support.faults import Faults, Provider

pytestmark = pytest.mark.integration

PROVIDERS = ("openai", "anthropic")
PROMPT = [{"role": "user", "content": "Say hello."}]


def chat_request(
    root_url: str, provider: str, *, stream: bool, key: str = "K1", **extra: Any
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """URL, headers and body of a minimal chat call in either protocol."""
    body: dict[str, Any] = {"model": "smollm2", "messages": PROMPT, "max_tokens": 8}
    body.update(stream=stream, **extra)
    if provider == "anthropic":
        headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
        return f"{root_url}/v1/messages", headers, body
    return f"{root_url}/v1/chat/completions", {"authorization": f"Bearer {key}"}, body


def post(root_url: str, provider: str, *, timeout: float = 10.0, **kw: Any) -> httpx2.Response:
    url, headers, body = chat_request(root_url, provider, stream=False, **kw)
    return httpx2.post(url, headers=headers, json=body, timeout=timeout)


def sse_data(lines: Iterator[str]) -> Iterator[str]:
    """The ``data:`` payloads of an SSE body."""
    for line in lines:
        if line.startswith("data:"):
            yield line.removeprefix("data:").strip()


def stream_data(
    root_url: str, provider: str, *, timeout: float = 10.0, received: list[str] | None = None
) -> list[str]:
    """Every ``data:`` payload of a streamed call; ``received`` keeps them if the stream breaks."""
    url, headers, body = chat_request(root_url, provider, stream=True)
    payloads = received if received is not None else []
    with httpx2.stream("POST", url, headers=headers, json=body, timeout=timeout) as response:
        assert response.status_code == 200
        payloads.extend(sse_data(response.iter_lines()))
    return payloads


def is_terminal(payload: str) -> bool:
    return payload == "[DONE]" or '"type":"message_stop"' in payload.replace(" ", "")


# -- llama-server -------------------------------------------------------------------------


def test_llama_server_is_healthy(llama_server: LlamaServer) -> None:
    response = httpx2.get(llama_server.root_url + "/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert llama_server.startup_seconds is not None


def test_llama_server_lists_its_alias(llama_server: LlamaServer) -> None:
    response = httpx2.get(
        llama_server.base_url + "/models", headers={"authorization": "Bearer K1"}, timeout=5
    )
    assert [model["id"] for model in response.json()["data"]] == ["smollm2"]


def test_llama_server_openai_stream_ends_with_done_and_usage(llama_server: LlamaServer) -> None:
    url, headers, body = chat_request(
        llama_server.root_url,
        "openai",
        stream=True,
        temperature=0,
        seed=42,
        stream_options={"include_usage": True},
    )
    with httpx2.stream("POST", url, headers=headers, json=body, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        payloads = list(sse_data(response.iter_lines()))
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert any(c["choices"] and c["choices"][0]["finish_reason"] for c in chunks)
    assert chunks[-1]["usage"]["completion_tokens"] > 0


@pytest.mark.parametrize("key", ["K1", "K2"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_llama_server_accepts_both_keys(llama_server: LlamaServer, provider: str, key: str) -> None:
    response = post(llama_server.root_url, provider, key=key, temperature=0, timeout=30)
    assert response.status_code == 200


@pytest.mark.parametrize("provider", PROVIDERS)
def test_llama_server_rejects_a_wrong_key(llama_server: LlamaServer, provider: str) -> None:
    response = post(llama_server.root_url, provider, key="wrong")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


def test_llama_server_speaks_anthropic_messages(llama_server: LlamaServer) -> None:
    message = post(llama_server.root_url, "anthropic", temperature=0, timeout=30).json()
    assert message["type"] == "message"
    assert message["content"][0]["type"] == "text"
    assert message["stop_reason"] in {"end_turn", "max_tokens"}
    assert message["usage"]["output_tokens"] > 0
    payloads = stream_data(llama_server.root_url, "anthropic", timeout=30)
    assert is_terminal(payloads[-1])


# -- the fault server: HTTP errors --------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unscripted_requests_succeed(faults: Faults, provider: str) -> None:
    assert post(faults.root_url, provider).status_code == 200
    assert is_terminal(stream_data(faults.root_url, provider)[-1])
    assert faults.requests() == 2


def test_rate_limit_sends_retry_after_seconds_only(faults: Faults) -> None:
    faults.rate_limit(2)
    response = post(faults.root_url, "openai")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert "retry-after-ms" not in response.headers
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert post(faults.root_url, "openai").status_code == 200
    assert faults.requests("/v1/chat/completions") == 2


def test_rate_limit_ms_sends_retry_after_ms_only(faults: Faults) -> None:
    faults.rate_limit_ms(250, provider="anthropic")
    response = post(faults.root_url, "anthropic")
    assert response.status_code == 429
    assert response.headers["retry-after-ms"] == "250"
    assert "retry-after" not in response.headers
    assert response.json()["error"]["type"] == "rate_limit_error"


def test_rate_limit_until_sends_an_http_date(faults: Faults) -> None:
    faults.rate_limit_until(3)
    response = post(faults.root_url, "openai")
    retry_at = email.utils.parsedate_to_datetime(response.headers["retry-after"]).timestamp()
    assert response.status_code == 429
    assert 2.0 < retry_at - time.time() <= 4.0


def test_rate_limit_without_retry_after(faults: Faults) -> None:
    faults.rate_limit(None, times=2)
    responses = [post(faults.root_url, "openai") for _ in range(3)]
    assert [r.status_code for r in responses] == [429, 429, 200]
    assert not {"retry-after", "retry-after-ms"} & set(responses[0].headers)


def test_insufficient_quota(faults: Faults) -> None:
    faults.insufficient_quota().insufficient_quota(provider="anthropic")
    openai = post(faults.root_url, "openai")
    anthropic = post(faults.root_url, "anthropic")
    assert (openai.status_code, openai.json()["error"]["code"]) == (429, "insufficient_quota")
    assert "retry-after" not in openai.headers
    assert anthropic.status_code == 400
    assert "credit balance" in anthropic.json()["error"]["message"]


@pytest.mark.parametrize("status", [500, 502, 503, 529])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_server_errors(faults: Faults, provider: Provider, status: int) -> None:
    faults.server_error(status, provider=provider)
    response = post(faults.root_url, provider)
    assert response.status_code == status
    assert "retry-after" not in response.headers
    envelope = response.json()
    assert envelope["type"] == "error" if provider == "anthropic" else "error" in envelope
    assert post(faults.root_url, provider).status_code == 200


def test_faults_match_their_provider_only(faults: Faults) -> None:
    faults.server_error(503, provider="anthropic")
    assert post(faults.root_url, "openai").status_code == 200
    assert post(faults.root_url, "anthropic").status_code == 503
    assert faults.pending() == []


def test_overloaded_inside_a_200_anthropic_stream(faults: Faults) -> None:
    faults.overloaded_in_stream(partial_text="Hel")
    payloads = stream_data(faults.root_url, "anthropic")
    events = [json.loads(p)["type"] for p in payloads]
    assert events == ["message_start", "content_block_start", "content_block_delta", "error"]
    assert json.loads(payloads[-1])["error"]["type"] == "overloaded_error"


# -- the fault server: connections and streams --------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_disconnect_before_headers(faults: Faults, provider: str) -> None:
    faults.disconnect_before_headers()
    with pytest.raises(httpx2.RemoteProtocolError, match="without sending a response"):
        post(faults.root_url, provider)
    assert post(faults.root_url, provider).status_code == 200
    assert faults.requests() == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_disconnect_mid_stream(faults: Faults, provider: str) -> None:
    faults.disconnect_mid_stream(after_chunks=2)
    received: list[str] = []
    with pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"):
        stream_data(faults.root_url, provider, received=received)
    assert len(received) == 2
    assert faults.requests() == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_truncated_stream_ends_cleanly_without_terminal_event(
    faults: Faults, provider: str
) -> None:
    faults.truncate_stream(after_chunks=2)
    payloads = stream_data(faults.root_url, provider)
    assert len(payloads) == 2
    assert not any(is_terminal(p) for p in payloads)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_chunk(faults: Faults, provider: str) -> None:
    faults.malformed_chunk(after_chunks=1)
    payloads = stream_data(faults.root_url, provider)
    assert is_terminal(payloads[-1])
    broken = [p for p in payloads if p != "[DONE]" and not _is_json(p)]
    assert broken == [payloads[1]]


def test_stall_before_headers_trips_a_read_timeout(faults: Faults) -> None:
    faults.stall(5)
    with pytest.raises(httpx2.ReadTimeout):
        post(faults.root_url, "openai", timeout=0.3)
    faults.stall(0.2)
    started = time.monotonic()
    assert post(faults.root_url, "openai").status_code == 200
    assert time.monotonic() - started >= 0.2
    assert faults.requests() == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stall_mid_stream_trips_a_read_timeout(faults: Faults, provider: str) -> None:
    faults.stall(5, after_chunks=1)
    received: list[str] = []
    with pytest.raises(httpx2.ReadTimeout):
        stream_data(faults.root_url, provider, timeout=0.3, received=received)
    assert len(received) == 1


def test_each_request_takes_the_first_fault_that_matches_it(faults: Faults) -> None:
    faults.disconnect_mid_stream(after_chunks=1).rate_limit_ms(10)
    assert post(faults.root_url, "openai").status_code == 429  # stream faults skip non-streams
    with pytest.raises(httpx2.RemoteProtocolError):
        stream_data(faults.root_url, "openai")
    assert is_terminal(stream_data(faults.root_url, "openai")[-1])
    assert faults.requests("/v1/chat/completions") == 3


def test_each_test_starts_clean_and_env_is_untouched(faults: Faults) -> None:
    assert faults.requests() == 0
    assert faults.pending() == []
    assert faults.base_url not in os.environ.get("OPENAI_BASE_URL", "")
    assert "llmock" not in os.environ.get("ANTHROPIC_API_KEY", "")


def _is_json(payload: str) -> bool:
    try:
        json.loads(payload)
    except ValueError:
        return False
    return True
