"""One client's streams against the mock, run inside that client's own venv.

    python peer_client.py PEER PROVIDER BASE_URL cpu STREAMS TOKENS
    python peer_client.py PEER PROVIDER BASE_URL load STREAMS TOKENS

PEER is ``raw`` (the provider's own SDK), ``liminal``, ``litellm`` or ``llm``; PROVIDER is
``openai`` (BASE_URL ends in ``/v1``) or ``anthropic`` (BASE_URL without it). ``cpu``: after
3 warm-up streams, STREAMS streams one after another; the client CPU (this thread's) before
the first text chunk, in ms, and per chunk from the first to the last text chunk, in µs.
``load``: after one warm-up stream, STREAMS streams at once, each waiting after its first
text chunk until all have one (all open together); the RSS before (``VmRSS``) and the peak
(``VmHWM``, reset after the warm-up where the kernel allows it). Prints one JSON line.
Imports only the standard library and the peer itself.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
#: The same models as ``llm`` (with ``llm-anthropic``) names them.
LLM_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4.5"}
KEY = "bench-key-0000"
WARMUP = 3
GATE_TIMEOUT = 120.0

Texts = Callable[[int], AsyncIterator[str]]


def _raw(provider: str, base_url: str) -> Texts:
    if provider == "anthropic":
        import anthropic

        claude = anthropic.AsyncAnthropic(base_url=base_url, api_key=KEY, max_retries=0)

        async def messages(tokens: int) -> AsyncIterator[str]:
            stream = await claude.messages.create(
                model=MODELS[provider],
                messages=[{"role": "user", "content": PROMPT}],
                max_tokens=tokens,
                stream=True,
            )
            async for event in stream:
                if event.type == "content_block_delta":
                    text = getattr(event.delta, "text", None)
                    if text:
                        yield text

        return messages
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)

    async def texts(tokens: int) -> AsyncIterator[str]:
        stream = await client.chat.completions.create(
            model=MODELS[provider],
            messages=[{"role": "user", "content": PROMPT}],
            max_tokens=tokens,
            stream=True,
        )
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta is not None and choice.delta.content:
                    yield choice.delta.content

    return texts


def _liminal(provider: str, base_url: str) -> Texts:
    from liminal import ChatRequest, Finish, Message, Role, TextDelta, Usage
    from liminal.factory import LlmServiceFactory

    prefix = provider.upper()
    os.environ.update({f"{prefix}_BASE_URL": base_url, f"{prefix}_API_KEY": KEY})
    model = MODELS[provider]
    service = LlmServiceFactory().for_model(model)

    async def texts(tokens: int) -> AsyncIterator[str]:
        request = ChatRequest(
            model, (Message(Role.USER, PROMPT),), parameters={"max_tokens": tokens}
        )
        finishes = usages = 0
        async for event in service.stream(request):
            if isinstance(event, TextDelta):
                yield event.text
            elif isinstance(event, Usage):
                usages += 1
            elif isinstance(event, Finish):
                finishes += 1
        if (finishes, usages) != (1, 1):  # the stream invariant, also under load
            raise RuntimeError(f"{finishes} Finish and {usages} Usage events, not one each")

    return texts


def _litellm(provider: str, base_url: str) -> Texts:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # no download at import
    import litellm

    async def texts(tokens: int) -> AsyncIterator[str]:
        response = await litellm.acompletion(
            model=f"{provider}/{MODELS[provider]}",
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


def _llm(provider: str, base_url: str) -> Texts:
    # The SDK under llm (llm-anthropic's for Anthropic) reads its base URL from the
    # environment.
    os.environ[f"{provider.upper()}_BASE_URL"] = base_url
    import llm

    model = llm.get_async_model(LLM_MODELS[provider])

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


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


async def _gated(texts: Texts, tokens: int, gate: asyncio.Event, arrived: list[int]) -> int:
    count = 0
    async for _ in texts(tokens):
        count += 1
        if count == 1:
            arrived[0] += 1
            if arrived[0] >= arrived[1]:
                gate.set()
            await asyncio.wait_for(gate.wait(), GATE_TIMEOUT)
    return count


async def _load(texts: Texts, streams: int, tokens: int) -> dict[str, object]:
    await _one(texts, tokens)
    gc.collect()
    baseline = _status_kib("VmRSS")
    reset = _reset_peak()
    gate = asyncio.Event()
    arrived = [0, streams]
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(_gated(texts, tokens, gate, arrived) for _ in range(streams)), return_exceptions=True
    )
    seconds = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    errors = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    return {
        "streams": streams,
        "completed": sum(1 for o in outcomes if o == tokens),
        "errors": errors[:3],
        "seconds": seconds,
        "baseline_kib": baseline,
        "peak_kib": peak,
        "peak_reset": reset,
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("openai", "anthropic", "liminal", "litellm", "llm", "llm-anthropic"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    return versions


async def main(peer: str, provider: str, base_url: str, mode: str, streams: int, tokens: int):
    texts = PEERS[peer](provider, base_url)
    answer: dict[str, object] = {"peer": peer, "provider": provider}
    if mode == "load":
        answer["load"] = await _load(texts, streams, tokens)
    else:
        for _ in range(WARMUP):
            await _one(texts, tokens)
        answer["samples"] = [await _one(texts, tokens) for _ in range(streams)]
    answer["versions"] = _versions()
    print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    peer, provider, base_url, mode, streams, tokens = sys.argv[1:7]
    asyncio.run(main(peer, provider, base_url, mode, int(streams), int(tokens)))
