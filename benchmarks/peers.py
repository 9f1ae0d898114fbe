"""Peers against the same mock: the raw SDK, Liminal, LiteLLM and ``llm``, for OpenAI and
Anthropic.

Each peer runs ``peer_client.py`` in its own process and venv (LiteLLM in
``.nox/peer-litellm``, ``llm`` with ``llm-anthropic`` in ``.nox/peer-llm``, made and filled
from PyPI on first use; the raw SDKs and Liminal in the bench's own), against one
``sse_server.py``. Three measures per provider: client CPU per chunk and before the first
token (rounds rotating the order of the peers, so load that comes and goes on the machine
falls on each alike); N concurrent streams in one process and the RSS they add; and the
one-shot command's wall time, ``liminal prompt`` vs ``llm -m MODEL``, interleaved.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from env import liminal_env
from mockserver import MockServer

__all__ = ["PEERS", "PROVIDERS", "PeersResult", "run"]

HERE = Path(__file__).resolve().parent
VENVS = HERE.parent / ".nox"
#: Peer name -> the PyPI packages of its venv (empty: the bench's own venv).
PEERS: dict[str, tuple[str, ...]] = {
    "raw": (),
    "liminal": (),
    "litellm": ("litellm",),
    "llm": ("llm", "llm-anthropic"),
}
#: Provider -> (its raw SDK's distribution, the model every peer asks for).
PROVIDERS = {"openai": ("openai", "gpt-4o-mini"), "anthropic": ("anthropic", "claude-haiku-4-5")}
LABELS = {"raw": "raw SDK", "liminal": "Liminal", "litellm": "LiteLLM", "llm": "llm"}
#: The model id ``llm`` knows each provider's model by.
LLM_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4.5"}
PEER_TIMEOUT = 300.0
#: The one-shot commands' option for the answer's length (both CLIs spell it alike).
ONESHOT_OPTION = ("-o", "max_tokens", "50")


@dataclass
class Load:
    """N streams at once in one process."""

    streams: int
    completed: int
    seconds: float
    baseline_kib: int
    peak_kib: int
    errors: list[str]

    @property
    def kib_per_stream(self) -> float:
        return (self.peak_kib - self.baseline_kib) / self.streams


@dataclass
class PeersResult:
    rounds: int
    streams: int
    tokens: int
    load_tokens: int
    levels: tuple[int, ...]
    oneshot_runs: int
    #: (provider, peer) -> [(CPU before the first token in ms, CPU per chunk in µs), ...]
    samples: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)
    #: (provider, peer, streams) -> the load run, or the reason it failed
    loads: dict[tuple[str, str, int], Load | str] = field(default_factory=dict)
    #: (provider, command) -> wall times in ms (command: "liminal", "llm", or "sdk": a process
    #: that only imports the provider's SDK, in Liminal's venv)
    oneshot: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def median(self, provider: str, peer: str, index: int) -> float:
        return statistics.median(s[index] for s in self.samples[provider, peer])

    def ratio(self, provider: str, peer: str, index: int) -> float:
        return self.median(provider, peer, index) / self.median(provider, "raw", index)

    def load(self, provider: str, peer: str, streams: int) -> Load | None:
        value = self.loads.get((provider, peer, streams))
        return value if isinstance(value, Load) else None

    def rss_vs_raw(self, provider: str, streams: int) -> float | None:
        """Liminal's RSS per stream over the raw SDK's at ``streams`` (None: not measured)."""
        mine, raw = self.load(provider, "liminal", streams), self.load(provider, "raw", streams)
        if mine is None or raw is None or raw.kib_per_stream <= 0:
            return None
        return mine.kib_per_stream / raw.kib_per_stream


def _python(peer: str, log) -> str:
    packages = PEERS[peer]
    if not packages:
        return sys.executable
    venv = VENVS / f"peer-{peer}"
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"peers: making {venv} from PyPI")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    missing = subprocess.run(
        [str(python), "-m", "pip", "show", "-q", *packages], capture_output=True, check=False
    )
    if missing.returncode != 0:  # a venv of an older run may lack a package added since
        log(f"peers: installing {', '.join(packages)} into {venv}")
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
    return str(python)


def _version(peer: str, provider: str, versions: dict[str, str]) -> str:
    sdk = PROVIDERS[provider][0]
    own = {"raw": sdk, "liminal": "liminal"}.get(peer, peer)
    text = f"{own} {versions.get(own, '?')}"
    if peer == "llm" and provider == "anthropic":
        text += f", llm-anthropic {versions.get('llm-anthropic', '?')}"
    if own != sdk and sdk in versions:
        text += f" ({sdk} {versions[sdk]})"
    return text


def _client(python: str, peer: str, provider: str, url: str, *args: object) -> dict:
    done = subprocess.run(
        [python, str(HERE / "peer_client.py"), peer, provider, url, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=PEER_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{peer} ({provider}): {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _oneshot(pythons: dict[str, str], provider: str, runs: int, result: PeersResult) -> None:
    """``liminal prompt -m MODEL hi`` vs ``llm -m MODEL hi``: wall time of the whole process,
    interleaved, after one warm-up each (the page cache, the registry snapshot). Between them,
    ``python -c "import SDK"`` in Liminal's venv: what the SDK's import alone costs, so that
    what Liminal adds to it can be read off."""
    commands = {  # the same answer length for both (the mock sends max_tokens chunks)
        "liminal": [str(Path(pythons["liminal"]).parent / "liminal"), "prompt", *ONESHOT_OPTION],
        "llm": [str(Path(pythons["llm"]).parent / "llm"), *ONESHOT_OPTION],
        "sdk": [pythons["liminal"], "-c", f"import {PROVIDERS[provider][0]}"],
    }
    prompts = {
        "liminal": ["-m", PROVIDERS[provider][1], "hi"],
        "llm": ["-m", LLM_MODELS[provider], "hi"],
    }
    for i in range(runs + 1):
        names = ["liminal", "sdk", "llm"] if i % 2 == 0 else ["llm", "sdk", "liminal"]
        for name in names:
            started = time.perf_counter()
            subprocess.run(
                [*commands[name], *prompts.get(name, [])],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=PEER_TIMEOUT,
                check=True,
            )
            if i:  # the first of each is the warm-up
                wall = (time.perf_counter() - started) * 1e3
                result.oneshot.setdefault((provider, name), []).append(wall)


def run(
    rounds: int = 3,
    streams: int = 4,
    tokens: int = 300,
    levels: tuple[int, ...] = (100, 1000),
    load_tokens: int = 50,
    oneshot_runs: int = 7,
    log=print,
) -> PeersResult:
    pythons = {peer: _python(peer, log) for peer in PEERS}
    result = PeersResult(rounds, streams, tokens, load_tokens, levels, oneshot_runs)
    names = list(PEERS)
    # llm's user dir (plugins, keys, logs) is a fresh one too, like Liminal's.
    with (
        MockServer() as mock,
        tempfile.TemporaryDirectory() as llm_home,
        liminal_env(LLM_USER_PATH=llm_home),
    ):
        for provider in PROVIDERS:
            url = mock.root if provider == "anthropic" else mock.base_url
            for i in range(rounds):
                for peer in names[i % len(names) :] + names[: i % len(names)]:
                    answer = _client(pythons[peer], peer, provider, url, "cpu", streams, tokens)
                    samples = result.samples.setdefault((provider, peer), [])
                    samples.extend(map(tuple, answer["samples"]))
                    label = f"{provider}/{peer}"
                    result.versions.setdefault(label, _version(peer, provider, answer["versions"]))
            for peer in names:
                log(
                    f"peers: {provider}/{peer}: {result.median(provider, peer, 1):.1f} µs/chunk "
                    f"({result.ratio(provider, peer, 1):.2f}x raw), "
                    f"{result.median(provider, peer, 0):.3f} ms before the first token "
                    f"({result.ratio(provider, peer, 0):.2f}x raw)"
                )
            for level in levels:
                # The most concurrent level is the budget's, Liminal against the raw SDK: the
                # other peers, ten times slower per chunk, run the lower levels only.
                for peer in names if level < max(levels) or len(levels) == 1 else names[:2]:
                    try:
                        answer = _client(
                            pythons[peer], peer, provider, url, "load", level, load_tokens
                        )
                    except (RuntimeError, subprocess.TimeoutExpired) as exc:
                        result.loads[provider, peer, level] = str(exc).splitlines()[-1][:200]
                        log(f"peers: {provider}/{peer}: {level} streams failed: {exc}")
                        continue
                    data = answer["load"]
                    load = Load(
                        data["streams"],
                        data["completed"],
                        data["seconds"],
                        data["baseline_kib"],
                        data["peak_kib"],
                        data["errors"],
                    )
                    result.loads[provider, peer, level] = load
                    log(
                        f"peers: {provider}/{peer}: {level} streams, {load.completed} complete, "
                        f"{load.kib_per_stream:.1f} KiB/stream, {load.seconds:.1f} s"
                    )
            env = {f"{provider.upper()}_API_KEY": "bench-key-0000"}
            env[f"{provider.upper()}_BASE_URL"] = url
            saved = {name: os.environ.get(name) for name in env}
            os.environ.update(env)
            try:
                _oneshot(pythons, provider, oneshot_runs, result)
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
            log(
                f"peers: {provider}: one-shot liminal prompt "
                f"{statistics.median(result.oneshot[provider, 'liminal']):.0f} ms, llm "
                f"{statistics.median(result.oneshot[provider, 'llm']):.0f} ms, "
                f"import {PROVIDERS[provider][0]} alone "
                f"{statistics.median(result.oneshot[provider, 'sdk']):.0f} ms"
            )
    return result
