"""The cloud provider plugins against the real engine (llama-server with SmolLM2 on 127.0.0.1).

What the live tests of every provider share: ``LiveProvider`` (how a plugin is pointed at the
engine and what its protocol calls things), ``Traffic`` (the SDK's HTTP client, recording),
the stream invariant and the engine's slots. Asserts protocol facts, never the model's words.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import httpx2
import pytest

from liminal import ChatRequest, Finish, Message, ModelInfo, Role, TextDelta, Usage
from liminal.factory import LlmServiceFactory
from liminal.keys.pool import ApiKeyManager
from liminal.managed import ManagedService
from liminal.plugins import Plugins
from liminal.retry import RetryPolicy

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

MAX_TOKENS = 4
#: More tokens than llama-server's 2048-token slot (4096 context over 2 slots).
OVERFLOW = "hello " * 3000
LONG_STORY = "Write a long story about a dragon."


class Traffic:
    """An httpx2 client for the SDK that records every request and response it carries."""

    def __init__(self, chat_path: str) -> None:
        self.chat_path = chat_path
        self.requests: list[httpx2.Request] = []
        self.responses: list[httpx2.Response] = []
        self.client = httpx2.AsyncClient(
            event_hooks={"request": [self._on_request], "response": [self._on_response]}
        )

    async def _on_request(self, request: httpx2.Request) -> None:
        self.requests.append(request)

    async def _on_response(self, response: httpx2.Response) -> None:
        self.responses.append(response)

    def chat_requests(self) -> list[httpx2.Request]:
        """The requests for an answer (not the model list or a key check)."""
        return [r for r in self.requests if r.url.path.endswith(self.chat_path)]

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.chat_requests()[index].read())  # type: ignore[no-any-return]

    async def all_closed(self, within: float = 2.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.responses and all(r.is_closed for r in self.responses):
                return True
            await asyncio.sleep(0.01)
        return False


@attrs.frozen
class LiveProvider:
    """A cloud provider plugin as the live tests drive it against llama-server."""

    id: str
    #: The variables it reads its base URL and its key from.
    base_url_env: str
    key_env: str
    #: Where its SDK is told to find a server (llama-server, or the fault server).
    base_url: Callable[[Any], str]
    #: The path (its end) of a request for an answer.
    chat_path: str
    #: A catalog model that takes a temperature (deterministic answers).
    model: str
    #: The provider's own words for "the budget ran out" and "the answer ended".
    raw_length: str
    raw_stop: str
    #: Whether it sends a seed with every request (then answers never depend on sampling).
    seeded: bool
    #: The body field of the output budget for ``model``.
    token_field: Callable[[ModelInfo], str]
    #: A key of the provider's own shape that the engine rejects.
    wrong_key: str
    #: For the CLI: a model to prompt and the options of a short answer from it, and a model
    #: that takes no temperature.
    cli_model: str
    short: tuple[str, ...]
    untempered: str
    #: How many SSE events of the fault server's (llmock's) stream come before its first text.
    events_before_text: int

    @property
    def events_with_text(self) -> int:
        """After this many events of the fault server's stream, two pieces of text went out."""
        return self.events_before_text + 2

    @property
    def fault_key(self) -> str:
        """A key of the provider's own shape, for the fault server (which takes any key)."""
        return self.wrong_key.replace("wrong", "fault")

    @property
    def fast(self) -> tuple[str, ...]:
        """CLI options for a short deterministic answer from ``model``."""
        seed = ("-o", "seed", "42") if self.seeded else ()
        return ("-o", "temperature", "0", *seed, "-o", "max_tokens", "8")

    def point_at(self, server: LlamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(self.base_url_env, self.base_url(server))
        monkeypatch.setenv(self.key_env, server.api_key)

    def catalog(self) -> tuple[ModelInfo, ...]:
        return importlib.import_module(f"liminal_{self.id}.catalog").MODELS  # type: ignore[no-any-return]

    def catalog_model(self, id_or_alias: str) -> ModelInfo:
        return next(m for m in self.catalog() if id_or_alias in (m.id, *m.aliases))

    def parameters_for(self, model: ModelInfo, **extra: Any) -> dict[str, Any]:
        """Deterministic settings the model accepts (reasoning models take no temperature)."""
        chosen: dict[str, Any] = {"max_tokens": MAX_TOKENS}
        if self.seeded:
            chosen["seed"] = 42
        if "temperature" in model.parameters:
            chosen["temperature"] = 0
        chosen.update(extra)
        return chosen

    def sampled(self, model: ModelInfo) -> bool:
        """Whether llama-server samples the answer (no temperature, no seed)."""
        return not self.seeded and "temperature" not in model.parameters

    def managed(self, traffic: Traffic, keys: ApiKeyManager | None = None) -> ManagedService:
        """The core-wrapped service, its SDK client recording ``traffic``."""
        factory = LlmServiceFactory(
            plugins=Plugins(), keys=keys, policy=RetryPolicy(max_attempts=2, base=0.01, cap=0.05)
        )
        managed = factory.for_provider(self.id)
        service = managed.service
        managed.service = type(service)(service.context, http_client=traffic.client)  # type: ignore[attr-defined]
        return managed


OPENAI = LiveProvider(
    id="openai",
    base_url_env="OPENAI_BASE_URL",
    key_env="OPENAI_API_KEY",
    base_url=lambda server: server.base_url,
    chat_path="/v1/chat/completions",
    model="gpt-4o",
    raw_length="length",
    raw_stop="stop",
    seeded=True,
    token_field=lambda m: "max_completion_tokens" if m.capabilities.reasoning else "max_tokens",
    wrong_key="sk-wrong-key-for-llama-0000",
    untempered="o3",
    cli_model="gpt-4-turbo",
    events_before_text=1,  # the role-only chunk, then "Simulated ", "answer "...
    short=("-o", "temperature", "0", "-o", "seed", "42", "-o", "max_tokens", "8"),
)
ANTHROPIC = LiveProvider(
    id="anthropic",
    base_url_env="ANTHROPIC_BASE_URL",
    key_env="ANTHROPIC_API_KEY",
    base_url=lambda server: server.root_url,  # the SDK adds /v1 itself
    chat_path="/v1/messages",
    model="claude-opus-4-6",
    raw_length="max_tokens",
    raw_stop="end_turn",
    seeded=False,
    token_field=lambda m: "max_tokens",
    wrong_key="sk-ant-wrong-key-for-llama-0000",
    untempered="claude-sonnet",
    cli_model="claude-sonnet",
    events_before_text=3,  # message_start, content_block_start, ping, then "Simulated "...
    # claude-sonnet (Claude Sonnet 5.5) takes no temperature: bound the sampled answer instead.
    short=("-o", "max_tokens", "16"),
)
PROVIDERS = (OPENAI, ANTHROPIC)


def only(provider: LiveProvider) -> pytest.MarkDecorator:
    """Narrows the ``live`` fixture (tests/integration/conftest.py) to one provider."""
    return pytest.mark.parametrize("live", [provider], indirect=True, ids=[provider.id])


def ask(model: str, text: str = "Say hello.", **parameters: Any) -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, text),), parameters=parameters)


async def collect(service: ManagedService, request: ChatRequest) -> list[object]:
    return [event async for event in service.stream(request)]


async def answer(service: ManagedService, request: ChatRequest, *, streaming: bool) -> object:
    """The events of a stream, or the result of a whole answer."""
    return await collect(service, request) if streaming else await service.complete(request)


async def ending(
    service: ManagedService, request: ChatRequest, *, streaming: bool
) -> tuple[Finish, Usage]:
    """How an answer ended and what it used: from its stream (which must keep the stream
    invariant under the request's max_tokens) or from its result (which must carry usage)."""
    if streaming:
        return check_stream(
            await collect(service, request), max_tokens=request.parameters["max_tokens"]
        )
    result = await service.complete(request)
    assert result.usage is not None
    return Finish(result.finish_reason, result.raw_finish_reason), result.usage


def check_stream(
    events: list[object], max_tokens: int = MAX_TOKENS, *, sampled: bool = False
) -> tuple[Finish, Usage]:
    """The stream invariant: text, usage, then exactly one final Finish.

    ``sampled``: the model takes no temperature, so llama-server samples. When its first
    token is part of a UTF-8 character (SmolLM2 likes emoji), llama-server leaves out
    Anthropic's ``message_start`` (no input count) and, with a tiny budget, every text delta.
    """
    finishes = [e for e in events if isinstance(e, Finish)]
    usages = [e for e in events if isinstance(e, Usage)]
    assert len(finishes) == 1
    assert events[-1] is finishes[0]
    assert len(usages) == 1
    assert events[-2] is usages[0]
    assert all(isinstance(e, (TextDelta, Usage, Finish)) for e in events)
    usage = usages[0]
    assert 0 < usage.output <= max_tokens
    if not sampled:
        assert any(isinstance(e, TextDelta) and e.text for e in events)
        assert usage.input > 0
    return finishes[0], usage


async def slots_idle(llama_server: LlamaServer, within: float = 8.0) -> bool:
    """Whether llama-server stopped generating (it does once the client hangs up).

    ``within``: 3 s failed now and then on a loaded 2-core machine; 8 s still tells a hang-up
    from a finished answer, since the 1,500-token story takes over 11 s at the fastest
    measured generation (136 tokens/s)."""
    headers = {"authorization": f"Bearer {llama_server.api_key}"}
    deadline = time.monotonic() + within
    async with httpx2.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            slots = (await client.get(llama_server.root_url + "/slots", headers=headers)).json()
            if not any(slot.get("is_processing") for slot in slots):
                return True
            await asyncio.sleep(0.05)
    return False
