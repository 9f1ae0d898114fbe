"""The local engine: start-up to the first token, and SmolLM2's generation speed.

The bundled engine (llama.cpp's server from ``xllamacpp``, a portable CPU build, in a child
process) always; a ``llama-server`` binary of your own too when ``LIMINAL_BENCH_LLAMA_SERVER``
names one (it is then run the way ``LIMINAL_LLAMA_SERVER`` runs it), so the cost of the
portable build can be read off one run. The other benchmarks always use the bundled engine.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import urllib.request
from dataclasses import dataclass, field

__all__ = ["EngineResult", "run"]

#: Asked for every run; greedy so that each run generates the same tokens.
PROMPT = "Write a short story about a lighthouse keeper."
GENERATED_TOKENS = 128


@dataclass
class EngineRun:
    ready_s: float  # process start until the model is loaded and /health is 200
    first_token_s: float  # process start until the first streamed token
    tokens_per_s: float  # generation speed the engine measured (llama.cpp's own timings)
    prompt_tokens_per_s: float


@dataclass
class EngineResult:
    label: str
    runs: list[EngineRun] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(getattr(run, name) for run in self.runs)


def _post(url: str, key: str, body: dict) -> urllib.request.Request:
    return urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )


def _one_run(threads: int) -> EngineRun:
    from liminal_local.server import LlamaServer

    started = time.perf_counter()
    with LlamaServer(api_keys=("bench-key",), ctx_size=2048, parallel=1, threads=threads) as s:
        ready = time.perf_counter() - started
        body = {
            "model": s.alias,
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": 4,
            "temperature": 0,
            "seed": 1,
            "stream": True,
        }
        with urllib.request.urlopen(_post(s.base_url + "/chat/completions", s.api_key, body)) as r:
            for line in r:
                if b'"content":"' in line:
                    break
        first = time.perf_counter() - started
        body = {
            "model": s.alias,
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": GENERATED_TOKENS,
            "temperature": 0,
            "seed": 1,
            "ignore_eos": True,
        }
        with urllib.request.urlopen(_post(s.base_url + "/chat/completions", s.api_key, body)) as r:
            timings = json.loads(r.read())["timings"]
    return EngineRun(ready, first, timings["predicted_per_second"], timings["prompt_per_second"])


def run(runs: int = 7, threads: int = 2, log=print) -> list[EngineResult]:
    own = os.environ.get("LIMINAL_BENCH_LLAMA_SERVER", "")
    results = [EngineResult("bundled engine (xllamacpp, portable CPU build)")]
    for _ in range(runs):
        results[0].runs.append(_one_run(threads))
    if own:
        results.append(EngineResult(f"`LIMINAL_LLAMA_SERVER={own}`"))
        os.environ["LIMINAL_LLAMA_SERVER"] = own
        try:
            for _ in range(runs):
                results[1].runs.append(_one_run(threads))
        finally:
            del os.environ["LIMINAL_LLAMA_SERVER"]
    for result in results:
        log(
            f"engine {result.label}: ready {result.median('ready_s'):.2f} s, first token "
            f"{result.median('first_token_s'):.2f} s, {result.median('tokens_per_s'):.0f} tokens/s"
        )
    return results
