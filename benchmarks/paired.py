"""Raw SDK (openai or anthropic) vs Liminal, same request, same server: interleaved pairs of
single streams.

Long streams give chunk throughput (text chunks per second from the first to the last text
chunk); many short ones give the time to first token (call start to the first non-empty text
chunk), both wall clock;
and the client's CPU time (this thread's) before the first token and per chunk, which other
processes on the machine cannot inflate. Pairs alternate which side goes first. Differences
are medians over pairs, with a 95 % bootstrap interval (pairs resampled).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from env import liminal_env

__all__ = ["PairedResult", "Sample", "measure"]

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
MODEL = "gpt-4o-mini"  # an OpenAI catalog model: Liminal sends it to OPENAI_BASE_URL
#: An Anthropic catalog model: Liminal sends it to ANTHROPIC_BASE_URL.
ANTHROPIC_MODEL = "claude-haiku-4-5"
SEED = 42
WARMUP = 3
STREAM_TIMEOUT = 60.0
BOOTSTRAP = 2000


@dataclass
class Sample:
    ttft_ms: float
    chunks: int
    chunks_per_s: float
    text: str
    #: Client CPU time from the call to the first text chunk.
    ttft_cpu_ms: float
    #: Client CPU time per chunk, from the first to the last text chunk.
    cpu_us_per_chunk: float


def _median(samples: list[Sample], attr: str) -> float:
    return statistics.median(getattr(s, attr) for s in samples)


#: Figures of the first token: taken from the short streams.
FIRST_TOKEN = ("ttft_ms", "ttft_cpu_ms")


@dataclass
class PairedResult:
    """Long streams for throughput and CPU per chunk; many short ones for the first token."""

    pairs: int
    max_tokens: int
    raw: list[Sample]
    liminal: list[Sample]
    first_pairs: int
    first_max_tokens: int
    raw_first: list[Sample]
    liminal_first: list[Sample]
    #: Client CPU per text chunk of the SDK's HTTP transport alone (µs): the same request
    #: through httpx2's default transport, the body read and dropped, no SSE framing, no
    #: JSON; one after each long pair.
    floor_us: list[float] = field(default_factory=list)
    #: The same through Liminal's transport (``liminal.provider.http1.Http1Transport``).
    lean_floor_us: list[float] = field(default_factory=list)

    @property
    def floor_ratio(self) -> float:
        """The SDK's transport alone, over the raw SDK's CPU per chunk."""
        return statistics.median(self.floor_us) / self.median("raw", "cpu_us_per_chunk")

    @property
    def lean_floor_ratio(self) -> float:
        """Liminal's transport alone, over the raw SDK's CPU per chunk."""
        return statistics.median(self.lean_floor_us) / self.median("raw", "cpu_us_per_chunk")

    def samples(self, side: str, attr: str) -> list[Sample]:
        return getattr(self, f"{side}_first" if attr in FIRST_TOKEN else side)

    def median(self, side: str, attr: str) -> float:
        return _median(self.samples(side, attr), attr)

    def quartiles(self, side: str, attr: str) -> tuple[float, float]:
        values = [getattr(s, attr) for s in self.samples(side, attr)]
        q = statistics.quantiles(values, n=4, method="inclusive")
        return q[0], q[2]

    # The differences are medians over pairs: the two streams of a pair run a second apart,
    # so load that comes and goes on the machine mostly cancels out within a pair.

    @staticmethod
    def _throughput_change(raw: list[Sample], liminal: list[Sample]) -> float:
        ratios = [m.chunks_per_s / r.chunks_per_s for r, m in zip(raw, liminal, strict=True)]
        return (statistics.median(ratios) - 1) * 100

    @staticmethod
    def _ttft_added(raw: list[Sample], liminal: list[Sample]) -> float:
        return statistics.median(m.ttft_ms - r.ttft_ms for r, m in zip(raw, liminal, strict=True))

    @property
    def throughput_change_pct(self) -> float:
        """Median over pairs of Liminal's chunk throughput relative to the raw SDK's, in %
        (negative: slower)."""
        return self._throughput_change(self.raw, self.liminal)

    @property
    def ttft_added_ms(self) -> float:
        return self._ttft_added(self.raw_first, self.liminal_first)

    @property
    def cpu_us_per_chunk_added(self) -> float:
        return self.median("liminal", "cpu_us_per_chunk") - self.median("raw", "cpu_us_per_chunk")

    @property
    def cpu_per_chunk_ratio(self) -> float:
        """Liminal's median client CPU per chunk over the raw SDK's."""
        return self.median("liminal", "cpu_us_per_chunk") / self.median("raw", "cpu_us_per_chunk")

    @property
    def first_cpu_ratio(self) -> float:
        """Liminal's median client CPU before the first token over the raw SDK's."""
        return self.median("liminal", "ttft_cpu_ms") / self.median("raw", "ttft_cpu_ms")

    @property
    def ttft_cpu_added_ms(self) -> float:
        return self.median("liminal", "ttft_cpu_ms") - self.median("raw", "ttft_cpu_ms")

    def implied_throughput_change_pct(self, cpu_us_added: float) -> float:
        """The throughput change if ``cpu_us_added`` (Liminal's extra client CPU per chunk)
        were added to every raw chunk interval, as when client and server share the cores."""
        interval_us = 1e6 / self.median("raw", "chunks_per_s")
        return -cpu_us_added / (interval_us + cpu_us_added) * 100

    def interval(self, which: str) -> tuple[float, float]:
        """95 % paired-bootstrap interval of ``throughput_change_pct`` or ``ttft_added_ms``."""
        if which == "throughput":
            stat, raw, liminal = self._throughput_change, self.raw, self.liminal
        else:
            stat, raw, liminal = self._ttft_added, self.raw_first, self.liminal_first
        rng = random.Random(SEED)
        n = len(raw)
        values = []
        for _ in range(BOOTSTRAP):
            picks = [rng.randrange(n) for _ in range(n)]
            values.append(stat([raw[i] for i in picks], [liminal[i] for i in picks]))
        values.sort()
        return values[int(0.025 * BOOTSTRAP)], values[int(0.975 * BOOTSTRAP) - 1]

    @property
    def client_bound_throughput_change_pct(self) -> float:
        """The throughput change when the client's CPU is the bottleneck."""
        raw = self.median("raw", "cpu_us_per_chunk")
        return -self.cpu_us_per_chunk_added / (raw + self.cpu_us_per_chunk_added) * 100

    @property
    def same_text(self) -> bool:
        """Every long stream, and every short one, gave the same text on both sides."""
        long = {s.text for s in self.raw + self.liminal}
        short = {s.text for s in self.raw_first + self.liminal_first}
        return len(long) == 1 and len(short) == 1

    @property
    def chunk_counts(self) -> list[int]:
        return sorted({s.chunks for s in self.raw + self.liminal})


class Clock:
    """Wall and thread-CPU stamps of one stream."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.first: tuple[float, float] | None = None
        self.last: tuple[float, float] = (0.0, 0.0)
        self.started = (time.perf_counter(), time.thread_time())

    def text(self, text: str) -> None:
        self.last = (time.perf_counter(), time.thread_time())
        if self.first is None:
            self.first = self.last
        self.texts.append(text)

    def sample(self) -> Sample:
        count = len(self.texts)
        if self.first is None or count < 2:
            raise RuntimeError(f"the stream produced {count} text chunks; need at least 2")
        (wall0, cpu0), (wall1, cpu1), (wall2, cpu2) = self.started, self.first, self.last
        return Sample(
            ttft_ms=(wall1 - wall0) * 1000,
            chunks=count,
            chunks_per_s=(count - 1) / (wall2 - wall1),
            text="".join(self.texts),
            ttft_cpu_ms=(cpu1 - cpu0) * 1000,
            cpu_us_per_chunk=(cpu2 - cpu1) / (count - 1) * 1e6,
        )


Runner = Callable[[int], Awaitable[Sample]]
#: What closes a runner's client once its series is done.
Closers = list[Callable[[], Awaitable[None]]]


def _raw_runner(base_url: str, api_key: str, closers: Closers) -> Runner:
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    closers.append(client.close)

    async def once(max_tokens: int) -> Sample:
        clock = Clock()
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": PROMPT}],
            temperature=0,
            seed=SEED,
            max_tokens=max_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            for choice in chunk.choices:
                text = choice.delta.content if choice.delta is not None else None
                if text:
                    clock.text(text)
        return clock.sample()

    return once


def _raw_anthropic_runner(base_url: str, api_key: str, closers: Closers) -> Runner:
    import anthropic

    client = anthropic.AsyncAnthropic(base_url=base_url, api_key=api_key, max_retries=0)
    closers.append(client.close)

    async def once(max_tokens: int) -> Sample:
        clock = Clock()
        stream = await client.messages.create(
            model=ANTHROPIC_MODEL,
            messages=[{"role": "user", "content": PROMPT}],
            max_tokens=max_tokens,
            extra_body={"temperature": 0},  # as Liminal sends it (the SDK has no such argument)
            stream=True,
        )
        async for event in stream:
            if event.type == "content_block_delta":
                text = getattr(event.delta, "text", None)
                if text:
                    clock.text(text)
        return clock.sample()

    return once


def _transport_runner(
    base_url: str, api_key: str, closers: Closers, provider: str, *, lean: bool = False
) -> Callable[[int], Awaitable[float]]:
    """The floor: the request through an HTTP transport alone (httpx2's default, which the
    raw SDK uses, or with ``lean`` Liminal's), the body read the way Liminal reads it and
    dropped."""
    import httpx2

    from liminal.provider.http1 import Http1Transport

    transport = Http1Transport() if lean else None
    client = httpx2.AsyncClient(timeout=STREAM_TIMEOUT, transport=transport)
    closers.append(client.aclose)
    if provider == "anthropic":
        url = base_url + "/v1/messages"
        headers = {"x-api-key": api_key, "anthropic-version": "2023-06-01"}
        body: dict[str, object] = {"model": ANTHROPIC_MODEL, "temperature": 0}
    else:
        url = base_url + "/chat/completions"
        headers = {"authorization": f"Bearer {api_key}"}
        body = {"model": MODEL, "temperature": 0, "seed": SEED}
        body["stream_options"] = {"include_usage": True}
    body.update(messages=[{"role": "user", "content": PROMPT}], stream=True)

    async def once(max_tokens: int) -> float:
        async with client.stream(
            "POST", url, headers=headers, json={**body, "max_tokens": max_tokens}
        ) as response:
            stream = response.stream.__aiter__()
            await stream.__anext__()
            start = time.thread_time()
            async for _ in stream:
                pass
            return (time.thread_time() - start) / max_tokens * 1e6

    return once


def _liminal_runner(closers: Closers, provider: str = "openai") -> Runner:
    from liminal import ChatRequest, Message, Role, TextDelta
    from liminal.factory import LlmServiceFactory

    model = ANTHROPIC_MODEL if provider == "anthropic" else MODEL
    seed = {} if provider == "anthropic" else {"seed": SEED}
    factory = LlmServiceFactory()
    service = factory.for_model(model)
    closers.append(factory.aclose)
    requests: dict[int, ChatRequest] = {}

    async def once(max_tokens: int) -> Sample:
        if max_tokens not in requests:  # built outside the timed part, like the raw kwargs
            requests[max_tokens] = ChatRequest(
                model=model,
                messages=(Message(Role.USER, PROMPT),),
                parameters={"temperature": 0, **seed, "max_tokens": max_tokens},
            )
        request = requests[max_tokens]
        clock = Clock()
        async for event in service.stream(request):
            if isinstance(event, TextDelta):
                clock.text(event.text)
        return clock.sample()

    return once


async def _interleaved(
    raw_once: Runner, liminal_once: Runner, pairs: int, max_tokens: int, start: int = 0
) -> tuple[list[Sample], list[Sample]]:
    raw: list[Sample] = []
    liminal: list[Sample] = []
    for i in range(start, start + pairs):
        order = [(raw_once, raw), (liminal_once, liminal)]
        for once, sink in order if i % 2 == 0 else reversed(order):
            sink.append(await _sample(once, max_tokens))
    return raw, liminal


async def _sample(once: Runner, max_tokens: int) -> Sample:
    """One stream; once more if the server had just closed the kept-alive connection.

    llama.cpp's server closes an idle connection after 5 s, the same as the HTTP client's
    keep-alive expiry, so on a loaded machine a client may send on a connection closing
    under it. The raw SDK runs with max_retries=0 (as measured) and would fail the run.
    """
    import anthropic
    import openai

    try:
        return await asyncio.wait_for(once(max_tokens), STREAM_TIMEOUT)
    except (openai.APIConnectionError, anthropic.APIConnectionError, ConnectionError):
        return await asyncio.wait_for(once(max_tokens), STREAM_TIMEOUT)


async def _measure(
    base_url: str,
    api_key: str,
    pairs: int,
    max_tokens: int,
    first_pairs: int,
    first_tokens: int,
    provider: str,
    with_floor: bool,
) -> PairedResult:
    raw_runner = _raw_anthropic_runner if provider == "anthropic" else _raw_runner
    closers: Closers = []

    async def warmed() -> tuple[Runner, Runner]:
        raw_once = raw_runner(base_url, api_key, closers)
        liminal_once = _liminal_runner(closers, provider)
        for _ in range(WARMUP):  # imports, clients, connections, the server's prompt cache
            for tokens in (first_tokens, max_tokens):
                await asyncio.wait_for(raw_once(tokens), STREAM_TIMEOUT)
                await asyncio.wait_for(liminal_once(tokens), STREAM_TIMEOUT)
        return raw_once, liminal_once

    # Fresh clients for each series: llama.cpp's server closes a connection after 100
    # requests.
    try:
        raw_once, liminal_once = await warmed()
        raw_first, liminal_first = await _interleaved(
            raw_once, liminal_once, first_pairs, first_tokens
        )
        raw_once, liminal_once = await warmed()
        raw, liminal, floor, lean_floor = [], [], [], []
        floors = (
            [
                _transport_runner(base_url, api_key, closers, provider, lean=lean)
                for lean in (False, True)
            ]
            if with_floor
            else []
        )
        for floor_once in floors * WARMUP:
            await asyncio.wait_for(floor_once(max_tokens), STREAM_TIMEOUT)
        for i in range(pairs):
            pair = await _interleaved(raw_once, liminal_once, 1, max_tokens, start=i)
            raw += pair[0]
            liminal += pair[1]
            for floor_once, into in zip(floors, (floor, lean_floor), strict=False):
                into.append(await asyncio.wait_for(floor_once(max_tokens), STREAM_TIMEOUT))
    finally:  # in this loop: clients left to the garbage collector close in a dead one
        for close in closers:
            await close()
    return PairedResult(
        pairs,
        max_tokens,
        raw,
        liminal,
        first_pairs,
        first_tokens,
        raw_first,
        liminal_first,
        floor,
        lean_floor,
    )


def measure(
    base_url: str,
    api_key: str,
    pairs: int,
    max_tokens: int,
    first_pairs: int = 80,
    first_tokens: int = 8,
    provider: str = "openai",
    floor: bool = False,
) -> PairedResult:
    """``pairs`` pairs of ``max_tokens``-token streams (throughput, CPU per chunk), after
    ``first_pairs`` pairs of short ``first_tokens``-token ones (the first token).

    ``provider``: ``openai`` (Chat Completions at ``base_url``, which ends in ``/v1``) or
    ``anthropic`` (the Messages API; ``base_url`` without ``/v1``, as the SDK wants it).
    ``floor``: also time the transport alone after each long pair (``floor_us``).
    """
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError("benchmarks only talk to 127.0.0.1")
    prefix = "ANTHROPIC" if provider == "anthropic" else "OPENAI"
    env = {f"{prefix}_BASE_URL": base_url, f"{prefix}_API_KEY": api_key}
    with liminal_env(**env):
        return asyncio.run(
            _measure(
                base_url, api_key, pairs, max_tokens, first_pairs, first_tokens, provider, floor
            )
        )
