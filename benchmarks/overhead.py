"""The wrapper's own cost, without I/O: a fake service through ``ManagedService`` vs directly.

The fake yields pre-built ``TextDelta`` objects and never waits, so the only difference
between the two loops is what ``liminal.managed.ManagedService.stream`` adds: per request
(model resolution, parameter check, key lookup) and per chunk (deadline, invariant checks).
Times are the event-loop thread's CPU time, so other processes on the machine do not inflate
them.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from env import liminal_env

from liminal.errors import ErrorCode, LiminalError
from liminal.keys.pool import ApiKeyManager
from liminal.managed import ManagedService
from liminal.types import (
    ChatRequest,
    Finish,
    FinishReason,
    Message,
    ModelInfo,
    ProviderInfo,
    Role,
    StreamEvent,
    TextDelta,
    Usage,
)

__all__ = ["OverheadResult", "run"]

KEY_VAR = "LIMINAL_BENCH_FAKE_KEY"
PROVIDER = ProviderInfo(
    id="fake", display_name="Fake", service="overhead:FakeService", key_env_var=KEY_VAR
)
MODEL = ModelInfo(
    id="fake-model", provider="fake", display_name="Fake", context_window=8192,
    max_output_tokens=4096,
)  # fmt: skip
REQUEST = ChatRequest(
    model="fake-model",
    messages=(Message(Role.USER, "hello"),),
    parameters={"temperature": 0, "max_tokens": 64, "seed": 42},
)


class FakeService:
    """An ``LlmService`` streaming ``chunks`` pre-built deltas with no I/O."""

    def __init__(self, chunks: int) -> None:
        self.deltas = [TextDelta(f"t{i % 10} ") for i in range(chunks)]
        self.tail: list[StreamEvent] = [Usage(5, chunks), Finish(FinishReason.STOP, "stop")]

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        for delta in self.deltas:
            yield delta
        for event in self.tail:
            yield event

    async def complete(self, request: ChatRequest) -> object:  # pragma: no cover - unused
        raise NotImplementedError

    async def validate_key(self, key: object) -> object:  # pragma: no cover - unused
        raise NotImplementedError

    async def list_remote_models(self) -> list[str]:  # pragma: no cover - unused
        raise NotImplementedError


def _managed(service: FakeService) -> ManagedService:
    return ManagedService(
        provider=PROVIDER,
        service=service,
        resolve=lambda _: MODEL,
        map_error=lambda provider, exc: LiminalError(ErrorCode.UNKNOWN, str(exc)),
        keys=ApiKeyManager(),
    )


@dataclass
class OverheadResult:
    chunks: int
    repeats: int
    direct_us_per_chunk: float
    managed_us_per_chunk: float
    requests: int
    direct_first_us: float
    managed_first_us: float

    @property
    def added_us_per_chunk(self) -> float:
        return self.managed_us_per_chunk - self.direct_us_per_chunk

    @property
    def added_first_us(self) -> float:
        return self.managed_first_us - self.direct_first_us


async def _drain(events: AsyncIterator[StreamEvent]) -> tuple[int, int]:
    """(ns for the whole stream, number of events)."""
    started = time.thread_time_ns()
    count = 0
    async for _ in events:
        count += 1
    return time.thread_time_ns() - started, count


async def _first(events: AsyncIterator[StreamEvent]) -> int:
    """ns to the first event; the rest of the stream is drained untimed."""
    started = time.thread_time_ns()
    async for _ in events:
        elapsed = time.thread_time_ns() - started
        break
    async for _ in events:
        pass
    return elapsed


async def _measure(chunks: int, repeats: int, requests: int) -> OverheadResult:
    big = FakeService(chunks)
    managed_big = _managed(big)
    expected = chunks + 2
    direct_ns: list[int] = []
    managed_ns: list[int] = []
    await _drain(big.stream(REQUEST))  # warm-up
    await _drain(managed_big.stream(REQUEST))
    for i in range(repeats):
        order = [(big.stream, direct_ns), (managed_big.stream, managed_ns)]
        for stream, sink in order if i % 2 == 0 else reversed(order):
            elapsed, count = await _drain(stream(REQUEST))
            if count != expected:
                raise RuntimeError(f"expected {expected} events, got {count}")
            sink.append(elapsed)
    small = FakeService(1)
    managed_small = _managed(small)
    direct_first: list[int] = []
    managed_first: list[int] = []
    for i in range(requests + 20):
        d = await _first(small.stream(REQUEST))
        m = await _first(managed_small.stream(REQUEST))
        if i >= 20:  # the first ones warm caches
            direct_first.append(d)
            managed_first.append(m)
    return OverheadResult(
        chunks=chunks,
        repeats=repeats,
        direct_us_per_chunk=statistics.median(direct_ns) / expected / 1000,
        managed_us_per_chunk=statistics.median(managed_ns) / expected / 1000,
        requests=requests,
        direct_first_us=statistics.median(direct_first) / 1000,
        managed_first_us=statistics.median(managed_first) / 1000,
    )


def run(chunks: int = 20_000, repeats: int = 9, requests: int = 2_000, log=print) -> OverheadResult:
    with liminal_env(**{KEY_VAR: "bench-fake-key-0000"}):
        result = asyncio.run(asyncio.wait_for(_measure(chunks, repeats, requests), 120))
    log(
        f"overhead: {result.added_us_per_chunk:.2f} µs per chunk "
        f"({result.direct_us_per_chunk:.2f} direct, {result.managed_us_per_chunk:.2f} managed), "
        f"{result.added_first_us:.1f} µs to the first event"
    )
    return result
