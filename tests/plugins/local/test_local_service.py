"""``LocalService``: default sampling, progress while the engine loads, start failures mapped."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from liminal import ChatRequest, ErrorCode, LiminalError, Message, Role
from liminal.plugins import get_plugins
from liminal.provider.service import Progress, ServiceContext, Timeouts
from liminal_local.plugin import PROVIDER
from liminal_local.server import BINARY_ENV
from liminal_local.service import DEFAULT_SAMPLING, LocalService

_FAKE = Path(__file__).with_name("fake_llama_server.py")


def service(heard: list[Progress] | None = None) -> LocalService:
    context = ServiceContext(
        provider=PROVIDER,
        timeouts=Timeouts(),
        model_info=get_plugins().models.resolve,
        on_progress=(heard if heard is not None else []).append,
    )
    return LocalService(context)


def ask(model: str = "smollm2", **parameters: object) -> ChatRequest:
    message = Message(role=Role.USER, content="hi")
    return ChatRequest(model=model, messages=(message,), parameters=dict(parameters))


def test_defaults_fill_what_the_request_leaves_out() -> None:
    sent = service()._request(ask())
    assert sent.parameters == {**DEFAULT_SAMPLING, "max_tokens": 1024}


def test_the_request_wins_over_the_defaults() -> None:
    sent = service()._request(ask(temperature=0, max_tokens=8, seed=1))
    assert sent.parameters == {"temperature": 0, "top_p": 0.9, "max_tokens": 8, "seed": 1}


async def test_loading_is_reported_then_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "llama-server"
    binary.write_text(f"#!{sys.executable}\n" + _FAKE.read_text())
    binary.chmod(0o755)
    monkeypatch.setenv(BINARY_ENV, str(binary))
    monkeypatch.setenv("FAKE_LLAMA_RECORD", str(tmp_path))
    monkeypatch.setenv("FAKE_LLAMA_DELAY", "0.5")
    heard: list[Progress] = []
    local = service(heard)
    try:
        await local._backend("smollm2")
    finally:
        await local.aclose()
    assert len(heard) > 3
    assert [p.done for p in heard] == [False] * (len(heard) - 1) + [True]
    assert heard[-1].elapsed >= 0.5
    assert heard[0].activity.startswith("loading smollm2 (")
    assert heard[0].activity.endswith(" MB)")
    assert {(p.provider, p.model) for p in heard} == {("local", "smollm2")}


async def test_a_failed_start_is_reported_done_and_not_retryable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\nkill -ILL $$\n")
    binary.chmod(0o755)
    monkeypatch.setenv(BINARY_ENV, str(binary))
    heard: list[Progress] = []
    with pytest.raises(LiminalError) as caught:
        await service(heard)._backend("smollm2")
    assert caught.value.code is ErrorCode.SERVER_ERROR
    assert caught.value.retryable is False
    assert heard
    assert heard[-1].done


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LIMINAL_LOCAL_PORT", "80.5"),
        ("LIMINAL_LOCAL_PORT", "-1"),
        ("LIMINAL_LOCAL_PORT", "70000"),
        ("LIMINAL_LOCAL_LOAD_TIMEOUT", "0"),
        ("LIMINAL_LOCAL_LOAD_TIMEOUT", "nan"),
    ],
)
async def test_bad_settings_are_invalid_requests(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(LiminalError, match=name) as caught:
        await service()._backend("smollm2")
    assert caught.value.code is ErrorCode.INVALID_REQUEST
