"""The Python API: models, prompts, responses and conversations, sync and async.

    import liminal

    model = liminal.get_model("smollm2")
    for chunk in model.prompt("Say hello", temperature=0):
        print(chunk, end="")

Keys, retries, timeouts, fallbacks and the local engine work as in the CLI. Nothing is
printed: notices (a fallback, a trimmed history) go to the ``liminal`` logger.

The sync API runs its calls on one event loop in a background thread of its own, so it
works the same from scripts, threads and notebooks that already run a loop.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

from liminal.conversation import Answer, Conversation, Switched
from liminal.factory import LlmServiceFactory
from liminal.store import ConversationStore, StoredMessage
from liminal.types import FinishReason, ModelInfo, TextDelta, Usage

__all__ = [
    "AsyncConversation",
    "AsyncModel",
    "AsyncResponse",
    "Model",
    "Response",
    "SyncConversation",
    "get_async_model",
    "get_model",
    "get_models",
]

T = TypeVar("T")


def get_models(provider: str | None = None) -> list[ModelInfo]:
    """Every model the installed plugins offer (or one provider's), with its limits and
    capabilities."""
    from liminal.plugins import get_plugins

    models = list(get_plugins().models)
    return [m for m in models if provider is None or m.provider == provider]


def get_model(name: str | None = None) -> Model:
    """A model by id or alias; None: the default model (as ``liminal models default``)."""
    return Model(_resolve(name), _runner())


def get_async_model(name: str | None = None) -> AsyncModel:
    """The async form of :func:`get_model`: use it inside your own event loop."""
    return AsyncModel(_resolve(name))


def _resolve(name: str | None) -> ModelInfo:
    from liminal.plugins import get_plugins
    from liminal.ui import model_or_default

    return model_or_default(get_plugins(), name)


def _split(options: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
    """Model parameters, and the ``timeout`` (seconds) that is not one."""
    timeout = options.pop("timeout", None)
    return options, timeout


# -- async ----------------------------------------------------------------------------------


class AsyncResponse:
    """An answer on its way: ``async for chunk in response``, or ``await response.text()``.

    The request is sent when you first read it. Reading again replays the text.
    """

    def __init__(self, conversation: Conversation, text: str, options: dict[str, Any]) -> None:
        self._conversation = conversation
        self._prompt = text
        self._parameters, self._timeout = _split(dict(options))
        self._chunks: list[str] = []
        self._answer: Answer | None = None
        self._started = False

    def __aiter__(self) -> AsyncIterator[str]:
        return self._chunks_of_answer()

    async def _chunks_of_answer(self) -> AsyncIterator[str]:
        if self._started:
            await self._wait_until_done()
            for chunk in self._chunks:
                yield chunk
            return
        self._started = True
        stream = self._conversation.stream(
            self._prompt, parameters=self._parameters, timeout=self._timeout
        )
        async for event in stream:
            if isinstance(event, TextDelta):
                self._chunks.append(event.text)
                yield event.text
        self._answer = self._conversation.last

    async def _wait_until_done(self) -> None:
        if self._answer is None:
            raise RuntimeError("this response was not read to its end; read it once, fully")

    async def answer(self) -> Answer:
        """The whole answer (text, model, finish, usage), once it has arrived."""
        if not self._started:
            async for _ in self:
                pass
        await self._wait_until_done()
        assert self._answer is not None
        return self._answer

    async def text(self) -> str:
        return (await self.answer()).text

    async def usage(self) -> Usage | None:
        return (await self.answer()).usage

    async def finish_reason(self) -> FinishReason | None:
        return (await self.answer()).finish_reason


class AsyncConversation:
    """A conversation: each :meth:`prompt` sends the history so far; the model can change."""

    def __init__(self, conversation: Conversation) -> None:
        self._conversation = conversation

    @property
    def id(self) -> str | None:
        return self._conversation.id

    @property
    def model(self) -> ModelInfo:
        return self._conversation.model

    def prompt(self, text: str, **options: Any) -> AsyncResponse:
        return AsyncResponse(self._conversation, text, options)

    def switch_model(self, name: str) -> Switched:
        """Answer with another model from the next prompt on; the history is kept."""
        return self._conversation.switch_model(name)

    def messages(self) -> tuple[StoredMessage, ...]:
        return self._conversation.messages()


class AsyncModel:
    """A model for async code. Close it (``await model.aclose()``) before its loop ends."""

    def __init__(self, info: ModelInfo, factory: LlmServiceFactory | None = None) -> None:
        self.info = info
        self._factory = factory

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def factory(self) -> LlmServiceFactory:
        if self._factory is None:
            self._factory = LlmServiceFactory()
        return self._factory

    def prompt(self, text: str, *, system: str | None = None, **options: Any) -> AsyncResponse:
        """One prompt, no history. ``options`` are model parameters (``temperature=0``,
        ``max_tokens=100``…) and ``timeout`` (seconds)."""
        return self.conversation(system=system).prompt(text, **options)

    def conversation(
        self, *, system: str | None = None, stored: bool = False, **options: Any
    ) -> AsyncConversation:
        """A conversation on this model. ``stored=True`` keeps it with the CLI's (``liminal
        conversations list``, ``liminal prompt --cid``); else it lives in memory."""
        store = ConversationStore() if stored else None
        conversation = Conversation(
            self.factory, self.info, store=store, system=system, parameters=options
        )
        return AsyncConversation(conversation)

    async def aclose(self) -> None:
        """Close the connections (and stop the local engines) this model opened."""
        if self._factory is not None:
            await self._factory.aclose()


# -- sync -------------------------------------------------------------------------------------


class _Runner:
    """One event loop in a daemon thread: the sync API's calls all run there, in order."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="liminal-sync-api", daemon=True
        )
        self._thread.start()
        self.factory = LlmServiceFactory()
        atexit.register(self.close)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except BaseException:  # Ctrl-C while waiting: stop the call too
            future.cancel()
            raise

    def iterate(self, chunks: AsyncIterator[str]) -> Iterator[str]:
        iterator = chunks.__aiter__()
        done = False
        try:
            while True:
                try:
                    yield self.run(_next(iterator))
                except StopAsyncIteration:
                    done = True
                    return
        finally:
            if not done:  # the caller stopped early: end the stream (what came is stored)
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    self.run(aclose())

    def close(self) -> None:
        if self.loop.is_closed():
            return
        try:
            self.run(self.factory.aclose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
            if not self.loop.is_running():
                self.loop.close()


async def _next(iterator: AsyncIterator[str]) -> str:
    return await iterator.__anext__()


_RUNNER: _Runner | None = None
_RUNNER_LOCK = threading.Lock()


def _runner() -> _Runner:
    global _RUNNER
    with _RUNNER_LOCK:
        if _RUNNER is None or _RUNNER.loop.is_closed():
            _RUNNER = _Runner()
        return _RUNNER


class Response:
    """An answer on its way: ``for chunk in response``, or ``response.text()``."""

    def __init__(self, inner: AsyncResponse, runner: _Runner) -> None:
        self._inner = inner
        self._runner = runner

    def __iter__(self) -> Iterator[str]:
        return self._runner.iterate(aiter(self._inner))

    def answer(self) -> Answer:
        return self._runner.run(self._inner.answer())

    def text(self) -> str:
        return self.answer().text

    def usage(self) -> Usage | None:
        return self.answer().usage

    @property
    def finish_reason(self) -> FinishReason | None:
        return self.answer().finish_reason

    @property
    def model(self) -> str:
        """The model that answered (a fallback's, when the asked one failed)."""
        return self.answer().model

    def __str__(self) -> str:
        return self.text()


class SyncConversation:
    """A conversation: each :meth:`prompt` sends the history so far; the model can change."""

    def __init__(self, inner: AsyncConversation, runner: _Runner) -> None:
        self._inner = inner
        self._runner = runner

    @property
    def id(self) -> str | None:
        return self._inner.id

    @property
    def model(self) -> ModelInfo:
        return self._inner.model

    def prompt(self, text: str, **options: Any) -> Response:
        return Response(self._inner.prompt(text, **options), self._runner)

    def switch_model(self, name: str) -> Switched:
        """Answer with another model from the next prompt on; the history is kept."""
        return self._inner.switch_model(name)

    def messages(self) -> tuple[StoredMessage, ...]:
        return self._inner.messages()


class Model:
    """A model: :meth:`prompt` for one question, :meth:`conversation` for several."""

    def __init__(self, info: ModelInfo, runner: _Runner) -> None:
        self.info = info
        self._runner = runner
        self._async = AsyncModel(info, runner.factory)

    @property
    def id(self) -> str:
        return self.info.id

    def prompt(self, text: str, *, system: str | None = None, **options: Any) -> Response:
        """One prompt, no history. ``options`` are model parameters (``temperature=0``,
        ``max_tokens=100``…) and ``timeout`` (seconds)."""
        return Response(self._async.prompt(text, system=system, **options), self._runner)

    def conversation(
        self, *, system: str | None = None, stored: bool = False, **options: Any
    ) -> SyncConversation:
        """A conversation on this model (see :meth:`AsyncModel.conversation`)."""
        inner = self._async.conversation(system=system, stored=stored, **options)
        return SyncConversation(inner, self._runner)
