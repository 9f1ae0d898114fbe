"""Every provider plugin registers without importing its SDK, and can be switched off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from liminal.plugins import Plugins

#: The modules that make a start slow: the provider's SDK and the HTTP stack under it.
SDKS = {"openai": ("openai", "httpx2", "httpx"), "anthropic": ("anthropic", "httpx2", "httpx")}

_NO_SDK = """
import sys
import click
{body}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {sdk!r})
print(",".join(heavy))
"""
#: Everything `liminal models list` needs: the registries with every hook called.
_REGISTER_EVERYTHING = """
from liminal.plugins import get_plugins
p = get_plugins()
assert p.pm.has_plugin({provider!r}) and len(p.models) > 0
p._call_each('liminal_register_commands', cli=click.Group('x'))
"""


#: What each provider's start-up runs, beyond importing the plugin and registering everything.
_MORE = {
    "anthropic-resolve": (
        "anthropic",
        "from liminal.plugins import get_plugins\n"
        "assert get_plugins().models.resolve('claude-sonnet').id == 'claude-sonnet-5-5'",
    ),
    # Building the service for a model happens before any request: still no SDK.
    "anthropic-build-the-service": (
        "anthropic",
        "from liminal.factory import LlmServiceFactory\n"
        "LlmServiceFactory().for_model('claude-sonnet')",
    ),
}
CASES = {
    **{f"{p}-import": (p, f"import liminal_{p}.plugin") for p in SDKS},
    **{f"{p}-register-everything": (p, _REGISTER_EVERYTHING.format(provider=p)) for p in SDKS},
    **_MORE,
}


@pytest.mark.parametrize(("provider", "body"), CASES.values(), ids=CASES.keys())
def test_registration_never_imports_the_sdk(tmp_path: Path, provider: str, body: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _NO_SDK.format(body=body, sdk=SDKS[provider])],
        capture_output=True,
        text=True,
        timeout=60,
        env={"LIMINAL_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("provider", SDKS)
def test_the_plugin_can_be_disabled(monkeypatch: pytest.MonkeyPatch, provider: str) -> None:
    monkeypatch.setenv("LIMINAL_DISABLE_PLUGINS", f"liminal-{provider}")
    loaded = Plugins()
    assert loaded.pm.get_plugin(provider) is None
    assert provider not in loaded.providers
