"""One process, N concurrent Liminal streams against a local mock; prints one JSON line.

    python benchmarks/stream_load.py --base-url http://127.0.0.1:PORT/v1 --streams 500

Memory is read from ``/proc/self/status``: ``VmRSS`` after a warm-up stream (imports done,
client built) is the baseline; the peak (``VmHWM``, reset after the warm-up through
``/proc/self/clear_refs`` where the kernel allows it) is read once every stream has finished.
Every stream waits after its first text chunk until all N have one, so all N are open at
once (the rest of each answer waits in the socket buffers), then they run to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path

from env import liminal_env

MODEL = "gpt-4o-mini"
GATE_TIMEOUT = 60.0
RUN_TIMEOUT = 120.0


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False when not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


async def _one(
    service, request, gate: asyncio.Event, arrived: list[int], total: int, opened_at: list[float]
) -> dict:
    from liminal import Finish, TextDelta, Usage

    texts = usages = finishes = 0
    last_is_finish = False
    async for event in service.stream(request):
        last_is_finish = isinstance(event, Finish)
        if isinstance(event, TextDelta):
            texts += 1
            if texts == 1:
                arrived[0] += 1
                if arrived[0] >= total:
                    gate.set()
                    opened_at.insert(0, time.perf_counter())
                try:
                    await asyncio.wait_for(gate.wait(), GATE_TIMEOUT)
                except asyncio.TimeoutError:
                    opened_at.append(-1.0)  # not all N at once: reported
        elif isinstance(event, Usage):
            usages += 1
        elif isinstance(event, Finish):
            finishes += 1
    return {"texts": texts, "usages": usages, "finishes": finishes, "last": last_is_finish}


async def _run(streams: int, chunks: int) -> dict:
    from liminal import ChatRequest, Message, Role
    from liminal.factory import LlmServiceFactory

    service = LlmServiceFactory().for_model(MODEL)
    request = ChatRequest(
        model=MODEL,
        messages=(Message(Role.USER, "Say something."),),
        parameters={"temperature": 0, "max_tokens": chunks},
    )
    warm = await asyncio.wait_for(_one(service, request, asyncio.Event(), [0], 1, []), RUN_TIMEOUT)
    gc.collect()
    baseline = status_kib("VmRSS")
    peak_reset = reset_peak()
    if not peak_reset:
        baseline_hwm = status_kib("VmHWM")
    gate = asyncio.Event()
    arrived = [0]
    opened_at: list[float] = []
    started = time.perf_counter()
    outcomes = await asyncio.wait_for(
        asyncio.gather(
            *(_one(service, request, gate, arrived, streams, opened_at) for _ in range(streams)),
            return_exceptions=True,
        ),
        RUN_TIMEOUT,
    )
    elapsed = time.perf_counter() - started
    peak = status_kib("VmHWM")
    errors = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    done = [o for o in outcomes if isinstance(o, dict)]
    gc.collect()
    return {
        "streams": streams,
        "seconds": elapsed,
        "seconds_to_all_open": opened_at[0] - started if gate.is_set() else None,
        "all_open_at_once": gate.is_set() and -1.0 not in opened_at,
        "baseline_kib": baseline,
        "peak_kib": peak,
        "peak_reset": peak_reset,
        "baseline_hwm_kib": None if peak_reset else baseline_hwm,
        "after_kib": status_kib("VmRSS"),
        "completed": len(done),
        "exactly_one_finish": sum(1 for o in done if o["finishes"] == 1 and o["last"]),
        "one_usage": sum(1 for o in done if o["usages"] == 1),
        "text_chunks": sorted({o["texts"] for o in done}),
        "warm_up_text_chunks": warm["texts"],
        "errors": errors[:5],
        "error_count": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--streams", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=50, help="max_tokens: the mock's length")
    args = parser.parse_args()
    if not args.base_url.startswith("http://127.0.0.1:"):
        raise SystemExit("only a server on 127.0.0.1")
    with liminal_env(OPENAI_BASE_URL=args.base_url, OPENAI_API_KEY="bench-key-0000"):
        result = asyncio.run(_run(args.streams, args.chunks))
    print(json.dumps(result), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
