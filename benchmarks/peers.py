"""Peers against the same mock: the raw openai SDK, Liminal, LiteLLM and ``llm``.

Each peer runs ``peer_client.py`` in its own process and venv (LiteLLM and ``llm`` in
``.nox/peer-litellm`` and ``.nox/peer-llm``, made and filled from PyPI on first use; the raw
SDK and Liminal in the bench's own), against one ``sse_server.py``. Rounds rotate the order
of the peers, so load that comes and goes on the machine falls on each of them alike.
Opt-in (``--only peers``): the first run installs two packages with their dependencies.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from env import liminal_env
from mockserver import MockServer

__all__ = ["PEERS", "PeersResult", "run"]

HERE = Path(__file__).resolve().parent
VENVS = HERE.parent / ".nox"
#: Peer name -> the PyPI package that is its venv (None: the bench's own venv).
PEERS = {"raw": None, "liminal": None, "litellm": "litellm", "llm": "llm"}
LABELS = {"raw": "raw openai SDK", "liminal": "Liminal", "litellm": "LiteLLM", "llm": "llm"}


@dataclass
class PeersResult:
    rounds: int
    streams: int
    tokens: int
    #: peer -> [(CPU before the first token in ms, CPU per chunk in µs), ...]
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def median(self, peer: str, index: int) -> float:
        return statistics.median(s[index] for s in self.samples[peer])

    def ratio(self, peer: str, index: int) -> float:
        return self.median(peer, index) / self.median("raw", index)


def _python(peer: str, log) -> str:
    package = PEERS[peer]
    if package is None:
        return sys.executable
    venv = VENVS / f"peer-{peer}"
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"peers: making {venv} with {package} from PyPI")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", package], check=True)
    return str(python)


def _version(peer: str, versions: dict[str, str]) -> str:
    own = {"raw": "openai", "liminal": "liminal"}.get(peer, peer)
    text = f"{own} {versions.get(own, '?')}"
    if own != "openai" and "openai" in versions:
        text += f" (openai {versions['openai']})"
    return text


def run(rounds: int = 5, streams: int = 4, tokens: int = 300, log=print) -> PeersResult:
    pythons = {peer: _python(peer, log) for peer in PEERS}
    result = PeersResult(rounds, streams, tokens)
    names = list(PEERS)
    # llm's user dir (plugins, keys, logs) is a fresh one too, like Liminal's.
    with (
        MockServer() as mock,
        tempfile.TemporaryDirectory() as llm_home,
        liminal_env(LLM_USER_PATH=llm_home),
    ):
        for i in range(rounds):
            for peer in names[i % len(names) :] + names[: i % len(names)]:
                argv = [pythons[peer], str(HERE / "peer_client.py"), peer, mock.base_url]
                done = subprocess.run(
                    [*argv, str(streams), str(tokens)],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                answer = json.loads(done.stdout.strip().splitlines()[-1])
                result.samples.setdefault(peer, []).extend(map(tuple, answer["samples"]))
                if peer not in result.versions:
                    result.versions[peer] = _version(peer, answer["versions"])
    for peer in names:
        log(
            f"peers: {peer}: {result.median(peer, 1):.1f} µs/chunk "
            f"({result.ratio(peer, 1):.2f}x raw), {result.median(peer, 0):.3f} ms before the "
            f"first token ({result.ratio(peer, 0):.2f}x raw)"
        )
    return result
