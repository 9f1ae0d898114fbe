"""``OpenAIService``: Chat Completions through the official SDK, as Liminal events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from liminal import (
    ChatRequest,
    ChatResult,
    ErrorCode,
    Finish,
    FinishReason,
    KeyStatus,
    LiminalError,
    Secret,
    StreamEvent,
    TextDelta,
    Usage,
)
from liminal.provider import (
    ClientPool,
    ServiceContext,
    SseDecoder,
    body_chunks,
    check_event_stream,
    drain,
    ended_early,
    http_client,
    json_loads,
    malformed,
    not_an_api_answer,
)
from liminal_openai.params import chat_arguments

if TYPE_CHECKING:
    import httpx2
    import openai

__all__ = ["OpenAIService", "map_finish_reason"]

_FINISH_REASONS = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "content_filter": FinishReason.CONTENT_FILTER,
    "tool_calls": FinishReason.TOOL_CALLS,
    "function_call": FinishReason.TOOL_CALLS,
}


def map_finish_reason(raw: str | None) -> FinishReason:
    return _FINISH_REASONS.get(raw or "stop", FinishReason.STOP)


def _error_event(error: Any, response: httpx2.Response) -> openai.APIError:
    """The SDK's ``APIError`` for an error object inside a 200 stream, as the SDK raises it."""
    import openai

    message = error.get("message") if isinstance(error, dict) else None
    if not message or not isinstance(message, str):
        message = "An error occurred during streaming"
    return openai.APIError(message=message, request=response.request, body=error)


class OpenAIService:
    """One shared async client per base URL; the core supplies the key per request."""

    def __init__(self, context: ServiceContext, *, http_client: httpx2.AsyncClient | None = None):
        self.context = context
        self._http_client = http_client
        self._clients = ClientPool(lambda base_url: self._build(base_url, context.api_key))

    def _timeout(self) -> httpx2.Timeout:
        import httpx2

        return httpx2.Timeout(**self.context.timeouts.for_http())

    def client(self, base_url: str | None, api_key: Any = None) -> openai.AsyncOpenAI:
        """The shared client of ``base_url``, or a new one for a key of its own."""
        if api_key is None:
            return self._clients.get(base_url)
        return self._build(base_url, api_key)

    def _build(self, base_url: str | None, api_key: Any) -> openai.AsyncOpenAI:
        import openai

        timeout = self._timeout()
        return openai.AsyncOpenAI(
            api_key=api_key,  # a str, or the core's per-request key callable
            base_url=base_url,
            max_retries=0,  # the core's retry layer is the only one
            timeout=timeout,
            http_client=self._http_client
            or http_client(
                limits=openai.DEFAULT_CONNECTION_LIMITS,
                timeout=timeout,
                client_class=openai.DefaultAsyncHttpxClient,
            ),
        )

    def _whole_answer_timeout(self, request: ChatRequest) -> httpx2.Timeout:
        import httpx2

        total = request.timeout or self.context.timeouts.total
        return httpx2.Timeout(**self.context.timeouts.for_http(whole_answer=total))

    def _client_for(self, model_id: str) -> openai.AsyncOpenAI:
        return self.client(self.context.base_url_for(model_id))

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        import httpx2
        import openai

        model = self.context.model_info(request.model)
        arguments = chat_arguments(model, request)
        # The SDK builds and sends the request and raises its HTTP errors; the body is parsed
        # here, one JSON parse per event, without the SDK's pydantic chunks.
        stream = await self._client_for(model.id).chat.completions.create(
            **arguments, stream=True, stream_options={"include_usage": True}
        )
        response = stream.response
        provider = self.context.provider.id
        finish: str | None = None
        refused = done = False
        received: list[str] = []
        try:
            check_event_stream(
                response.headers,
                provider=provider,
                base_url_var=self.context.provider.base_url_env_var,
            )
            decoder = SseDecoder()
            chunks = body_chunks(response)
            try:
                async for raw in chunks:
                    for name, data in decoder.feed(raw):
                        if data.startswith("[DONE]"):
                            done = True
                            break
                        chunk = json_loads(data)
                        if name is not None and name.startswith("thread."):
                            continue  # Assistants events: nothing of a chat answer
                        if not isinstance(chunk, dict):
                            raise malformed(provider, ValueError(data))
                        if chunk.get("error"):
                            raise _error_event(chunk["error"], response)
                        usage = chunk.get("usage")
                        if usage is not None:
                            yield Usage(
                                usage.get("prompt_tokens") or 0,
                                usage.get("completion_tokens") or 0,
                            )
                        for choice in chunk.get("choices") or ():
                            delta = choice.get("delta")
                            if delta:
                                text = delta.get("content") or delta.get("refusal")
                                if text:
                                    refused = refused or bool(delta.get("refusal"))
                                    received.append(text)
                                    yield TextDelta(text)
                            if choice.get("finish_reason"):
                                finish = choice["finish_reason"]
                    if done:
                        break
                else:
                    decoder.finish()
                if done and response.http_version == "HTTP/1.1":
                    await drain(chunks)
            except httpx2.TimeoutException as exc:
                raise openai.APITimeoutError(request=response.request) from exc
            except httpx2.RequestError as exc:
                raise openai.APIConnectionError(request=response.request) from exc
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise malformed(provider, exc) from exc
        finally:
            await response.aclose()
        if finish is None:
            raise ended_early(provider, model.id, received, "a finish reason")
        # A refusal arrives as text with finish_reason "stop": say what it is.
        yield Finish(FinishReason.REFUSAL if refused else map_finish_reason(finish), finish)

    async def complete(self, request: ChatRequest) -> ChatResult:
        model = self.context.model_info(request.model)
        response = await self._client_for(model.id).chat.completions.create(
            **chat_arguments(model, request), timeout=self._whole_answer_timeout(request)
        )
        if isinstance(response, str):  # the SDK hands back a body it could not parse
            raise not_an_api_answer(
                self.context.provider.id,
                "a text answer, not JSON",
                base_url_var=self.context.provider.base_url_env_var,
            )
        if not response.choices:
            raise LiminalError(
                ErrorCode.SERVER_ERROR,
                f"{self.context.provider.id}: the response has no choices",
                provider=self.context.provider.id,
                model=model.id,
            )
        choice = response.choices[0]
        usage = response.usage
        refused = bool(choice.message.refusal)
        return ChatResult(
            text=choice.message.content or choice.message.refusal or "",
            finish_reason=FinishReason.REFUSAL
            if refused
            else map_finish_reason(choice.finish_reason),
            raw_finish_reason=choice.finish_reason,
            model=model.id,
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else None,
            request_id=getattr(response, "_request_id", None),
        )

    async def aclose(self) -> None:
        """Close the shared clients (and their connections) in the running event loop."""
        await self._clients.aclose()

    async def validate_key(self, key: Secret) -> KeyStatus:
        import openai

        client = self.client(self.context.base_url, api_key=key.reveal())
        try:
            await client.models.list()
        except (openai.AuthenticationError, openai.PermissionDeniedError):
            return KeyStatus.INVALID
        except openai.OpenAIError:
            return KeyStatus.UNKNOWN
        finally:
            if self._http_client is None:
                await client.close()
        return KeyStatus.VALID

    async def list_remote_models(self) -> list[str]:
        client = self.client(self.context.base_url)
        return [model.id async for model in client.models.list()]
