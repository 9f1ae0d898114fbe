"""Streaming overhead: raw openai SDK vs Liminal against a real ``llama-server``, and
against the near-free mock (which isolates the client side's cost per chunk)."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver import MockServer
from paired import PairedResult, measure

__all__ = ["LlamaResult", "run_llama", "run_mock", "run_mock_anthropic"]


@dataclass
class LlamaResult:
    paired: PairedResult
    server_startup_s: float


def _log_line(label: str, result: PairedResult) -> str:
    return (
        "{}: throughput raw {:.1f} / liminal {:.1f} chunks/s ({:+.2f} %), "
        "TTFT raw {:.2f} / liminal {:.2f} ms ({:+.3f} ms)".format(
            label,
            result.median("raw", "chunks_per_s"),
            result.median("liminal", "chunks_per_s"),
            result.throughput_change_pct,
            result.median("raw", "ttft_ms"),
            result.median("liminal", "ttft_ms"),
            result.ttft_added_ms,
        )
    )


def run_llama(
    pairs: int = 30, max_tokens: int = 64, first_pairs: int = 80, log=print
) -> LlamaResult:
    """SmolLM2-135M on llama.cpp: the budget's "same local server"."""
    from liminal_local.server import LlamaServer

    # Started from the main thread: the server dies with this process (PR_SET_PDEATHSIG).
    with LlamaServer(api_keys=("K1",), ctx_size=4096, parallel=2, threads=2) as server:
        paired = measure(server.base_url, server.api_key, pairs, max_tokens, first_pairs)
        result = LlamaResult(paired, server.startup_seconds or 0.0)
    log(_log_line("streaming (llama-server)", paired))
    return result


def run_mock(
    pairs: int = 20, max_tokens: int = 1000, first_pairs: int = 80, log=print
) -> PairedResult:
    """The mock streams ``max_tokens`` chunks at once: the time is the client's own."""
    with MockServer() as mock:
        paired = measure(
            mock.base_url, "bench-key-0000", pairs, max_tokens, first_pairs, floor=True
        )
    log(
        _log_line("streaming (mock)", paired)
        + f", client CPU {paired.cpu_us_per_chunk_added:+.2f} µs/chunk"
    )
    return paired


def run_mock_anthropic(
    pairs: int = 20, max_tokens: int = 1000, first_pairs: int = 80, log=print
) -> PairedResult:
    """The same against the mock's Messages API: the raw anthropic SDK vs Liminal."""
    with MockServer() as mock:
        paired = measure(
            mock.root,
            "bench-key-0000",
            pairs,
            max_tokens,
            first_pairs,
            provider="anthropic",
            floor=True,
        )
    log(
        _log_line("streaming (mock, anthropic)", paired)
        + f", client CPU {paired.cpu_us_per_chunk_added:+.2f} µs/chunk"
    )
    return paired
