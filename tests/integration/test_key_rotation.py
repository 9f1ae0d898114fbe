"""Key rotation against a real server: llama-server that accepts only ``K2``.

The pool's first key, ``K1``, stands for a revoked key: the server answers it with 401.
llama-server answers ``GET /v1/models`` without checking the key, so the INVALID outcome of
``keys check`` is tested against the fault server instead (tests/core/test_keys_cli.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx2
import pytest

from liminal import ChatRequest, ErrorCode, LiminalError, Message, Role, Secret
from liminal.factory import LlmServiceFactory
from liminal.keys.pool import RECHECK_SECONDS, ApiKeyManager, KeyEntry, KeySource
from liminal.plugins import reset_plugins
from liminal_openai.service import OpenAIService

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = pytest.mark.integration

LIMINAL = str(Path(sys.executable).with_name("liminal"))
MODEL = "gpt-4.1-mini"  # llama-server answers whatever model name it is sent
PROMPT = ("prompt", "-m", MODEL, "-o", "max_tokens", "8", "-o", "temperature", "0")
REJECTED = "was rejected; trying the next key"


@pytest.fixture(scope="module")
def k2_server() -> Iterator[LlamaServer]:
    """llama-server that knows only the key ``K2``."""
    from liminal_local.server import LlamaServer

    with LlamaServer(api_keys=("K2",), ctx_size=2048, parallel=1, threads=2) as server:
        yield server


@pytest.fixture
def env(tmp_path: Path, k2_server: LlamaServer) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    for var in ("ANTHROPIC_BASE_URL", "LIMINAL_PLUGINS", "LIMINAL_DISABLE_PLUGINS"):
        clean.pop(var, None)
    clean["LIMINAL_HOME"] = str(tmp_path / "home")
    clean["OPENAI_BASE_URL"] = k2_server.base_url
    # Only the real provider plugins: fixture plugins other tests install must not add noise.
    clean["LIMINAL_PLUGINS"] = "liminal-openai,liminal-anthropic,liminal-local"
    return clean


def liminal(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``liminal ARGS`` in a process of its own (another terminal)."""
    return subprocess.run(
        [LIMINAL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def ok(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = liminal(env, *args, stdin=stdin)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def statuses(env: dict[str, str]) -> dict[str, str]:
    rows = json.loads(ok(env, "keys", "list", "--json"))
    return {row["label"]: row["status"] for row in rows if row["provider"] == "openai"}


def test_prompt_succeeds_on_the_second_key_and_the_first_shows_invalid_later(
    env: dict[str, str],
) -> None:
    ok(env, "keys", "set", "openai", stdin="K1")  # revoked
    ok(env, "keys", "add", "openai", "--label", "backup", stdin="K2")
    assert statuses(env) == {"default": "ready", "backup": "ready"}

    first = liminal(env, *PROMPT, "--json", "Say hello.")
    assert first.returncode == 0, first.stderr
    answer = json.loads(first.stdout)
    assert answer["text"]
    assert answer["provider"] == "openai"
    assert REJECTED in first.stderr
    assert "Traceback" not in first.stderr

    # A separate process sees the verdict...
    assert statuses(env) == {"default": "invalid", "backup": "ready"}
    listed = ok(env, "keys", "list")
    assert "invalid, AUTH_INVALID" in listed
    # ...and goes straight to the key that works.
    second = liminal(env, *PROMPT, "Say hello.")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip()
    assert REJECTED not in second.stderr


def test_only_a_revoked_key_is_a_clear_auth_error(env: dict[str, str]) -> None:
    ok(env, "keys", "set", "openai", stdin="K1")
    done = liminal(env, *PROMPT, "Say hello.")
    assert done.returncode == 3
    assert done.stderr.startswith("Error [AUTH_INVALID]: ")
    assert "Hint: " in done.stderr
    assert statuses(env) == {"default": "invalid"}
    # Setting a working key under the same label lifts the mark, and the prompt works.
    ok(env, "keys", "set", "openai", stdin="K2")
    assert statuses(env) == {"default": "ready"}
    assert ok(env, *PROMPT, "Say hello.").strip()


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _ask() -> ChatRequest:
    return ChatRequest(
        MODEL, (Message(Role.USER, "Say hello."),), parameters={"max_tokens": 4, "temperature": 0}
    )


async def test_key_file_changes_take_effect_on_the_next_request_without_restart(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LIMINAL_HOME", "OPENAI_BASE_URL", "LIMINAL_PLUGINS"):
        monkeypatch.setenv(name, env[name])
    for var in [k for k in os.environ if k.endswith("_API_KEY")]:
        monkeypatch.delenv(var)
    reset_plugins()
    http = httpx2.AsyncClient()
    try:
        # The pool looks at the key file again at most every RECHECK_SECONDS: its clock is
        # moved past that after each change made from "another terminal", never slept through.
        clock = _Clock()
        keys = ApiKeyManager(clock=clock)
        service = LlmServiceFactory(keys=keys).for_model(MODEL)
        service.service = OpenAIService(service.service.context, http_client=http)  # type: ignore[attr-defined]

        async def ask() -> str:
            return (await service.complete(_ask())).text

        def elsewhere(*args: str, stdin: str | None = None) -> None:
            ok(env, *args, stdin=stdin)
            clock.now += RECHECK_SECONDS

        elsewhere("keys", "set", "openai", stdin="K2")
        assert await ask()
        # Another terminal adds the revoked key and makes it active: it is rejected, the
        # working key serves, and the revoked one is marked.
        elsewhere("keys", "add", "openai", "--label", "revoked", stdin="K1")
        elsewhere("keys", "rotate", "openai")
        assert await ask()
        revoked = KeyEntry("openai", "revoked", Secret("K1"), KeySource.FILE)
        assert keys.is_invalid(revoked)
        # The working key is removed: only the revoked one is left, and this process skips it.
        elsewhere("keys", "remove", "openai", "--label", "default")
        with pytest.raises(LiminalError) as caught:
            await ask()
        assert caught.value.code is ErrorCode.NO_KEY
        # The label gets a new value: it starts healthy and serves at once.
        elsewhere("keys", "set", "openai", "--label", "revoked", stdin="K2")
        assert await ask()
        assert not keys.is_invalid(KeyEntry("openai", "revoked", Secret("K2"), KeySource.FILE))
    finally:
        await http.aclose()
        reset_plugins()
