"""``--debug`` and ``LIMINAL_DEBUG=1`` tracebacks never show a key, even one a server echoes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from support.clirunner import Liminal
    from support.faults import Faults

pytestmark = pytest.mark.integration

# Not key-shaped (no sk- prefix): only the known-key redaction can hide it.
SECRET = "lmnl-DebugProbe-3e8a1f0c9b7d5e2a"


def pieces(secret: str, size: int = 10) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


@pytest.mark.parametrize(
    ("provider", "model"), [("openai", "gpt-4.1-mini"), ("anthropic", "claude-sonnet")]
)
@pytest.mark.parametrize("how", ["--debug", "LIMINAL_DEBUG"])
def test_a_traceback_does_not_show_an_echoed_key(
    cli: Liminal, faults: Faults, provider: str, model: str, how: str
) -> None:
    cli.env["OPENAI_BASE_URL"] = faults.base_url
    cli.env["ANTHROPIC_BASE_URL"] = faults.root_url
    assert cli("keys", "set", provider, stdin=SECRET).returncode == 0
    faults.echo_credentials(401, provider=provider)  # type: ignore[arg-type]
    args = ["prompt", "-m", model, "Say hi"]
    if how == "--debug":
        args.insert(0, "--debug")
    else:
        cli.env["LIMINAL_DEBUG"] = "1"

    result = cli(*args)

    assert result.returncode == 3, result.stderr
    assert "Traceback" in result.stderr
    assert "Invalid credentials" in result.stderr  # the echoed body is there, masked
    for piece in pieces(SECRET):
        assert piece not in result.stderr + result.stdout


def test_anything_shaped_like_a_bearer_token_is_masked(cli: Liminal, faults: Faults) -> None:
    cli.env["OPENAI_BASE_URL"] = faults.base_url
    unknown = "tok_9f8e7d6c5b4a39281706f5e4"  # a token Liminal never saw as a key
    faults.error(401, body={"error": {"message": f"bad header Authorization: Bearer {unknown}"}})

    result = cli("--debug", "prompt", "-m", "gpt-4.1-mini", "--key", "sk-abc", "Say hi")

    assert result.returncode == 3, result.stderr
    assert "Bearer" in result.stderr
    for piece in pieces(unknown):
        assert piece not in result.stderr
