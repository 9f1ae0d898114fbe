"""One client's streams against the OpenAI mock, run inside that client's own venv.

    python peer_client.py PEER BASE_URL STREAMS TOKENS

PEER is ``raw`` (the openai SDK), ``liminal``, ``litellm`` or ``llm``. After 3 warm-up
streams, prints one JSON line: the client CPU (this thread's) before the first text chunk,
in ms, and per chunk from the first to the last text chunk, in µs, for each stream.
Imports only the standard library and the peer itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
MODEL = "gpt-4o-mini"
KEY = "bench-key-0000"
WARMUP = 3

Texts = Callable[[int], AsyncIterator[str]]


def _raw(base_url: str) -> Texts:
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)

    async def texts(tokens: int) -> AsyncIterator[str]:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": PROMPT}],
            max_tokens=tokens,
            stream=True,
        )
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta is not None and choice.delta.content:
                    yield choice.delta.content

    return texts


def _liminal(base_url: str) -> Texts:
    from liminal import ChatRequest, Message, Role, TextDelta
    from liminal.factory import LlmServiceFactory

    os.environ.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY=KEY)
    service = LlmServiceFactory().for_model(MODEL)

    async def texts(tokens: int) -> AsyncIterator[str]:
        request = ChatRequest(
            MODEL, (Message(Role.USER, PROMPT),), parameters={"max_tokens": tokens}
        )
        async for event in service.stream(request):
            if isinstance(event, TextDelta):
                yield event.text

    return texts


def _litellm(base_url: str) -> Texts:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # no download at import
    import litellm

    async def texts(tokens: int) -> AsyncIterator[str]:
        response = await litellm.acompletion(
            model=f"openai/{MODEL}",
            api_base=base_url,
            api_key=KEY,
            messages=[{"role": "user", "content": PROMPT}],
            max_tokens=tokens,
            stream=True,
        )
        async for chunk in response:
            for choice in chunk.choices:
                if choice.delta is not None and choice.delta.content:
                    yield choice.delta.content

    return texts


def _llm(base_url: str) -> Texts:
    os.environ.update(OPENAI_BASE_URL=base_url)  # the openai SDK under llm reads it
    import llm

    model = llm.get_async_model(MODEL)

    async def texts(tokens: int) -> AsyncIterator[str]:
        response = model.prompt(PROMPT, stream=True, key=KEY, max_tokens=tokens)
        async for text in response:
            if text:
                yield text

    return texts


PEERS = {"raw": _raw, "liminal": _liminal, "litellm": _litellm, "llm": _llm}


async def _one(texts: Texts, tokens: int) -> tuple[float, float]:
    start = time.thread_time()
    first = last = None
    count = 0
    async for _ in texts(tokens):
        last = time.thread_time()
        if first is None:
            first = last
        count += 1
    if first is None or last is None or count < 2:
        raise RuntimeError(f"the stream produced {count} text chunks")
    return (first - start) * 1e3, (last - first) / (count - 1) * 1e6


async def main(peer: str, base_url: str, streams: int, tokens: int) -> None:
    texts = PEERS[peer](base_url)
    for _ in range(WARMUP):
        await _one(texts, tokens)
    samples = [await _one(texts, tokens) for _ in range(streams)]
    versions = {}
    from importlib.metadata import PackageNotFoundError, version

    for name in ("openai", "liminal", "litellm", "llm"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    print(json.dumps({"peer": peer, "samples": samples, "versions": versions}))


if __name__ == "__main__":
    peer, base_url, streams, tokens = sys.argv[1:5]
    asyncio.run(main(peer, base_url, int(streams), int(tokens)))
