"""0.1's import paths keep working for a release, with a DeprecationWarning that says where the
name lives now; a plugin written against 0.1's docs still loads and answers."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import liminal.provider
from support.procs import run_plugin_tests

FROZEN = Path(__file__).resolve().parents[1] / "fixtures" / "liminal-acme-0.1"

#: Every name 0.1's docs/writing-plugins.md told plugin authors to import, by its old module.
OLD_PATHS = {
    "liminal.service": ["LlmService", "ServiceContext", "Timeouts", "current_key"],
    "liminal.mapping": [
        "error_from_http",
        "error_from_body",
        "transport_error",
        "error_from_exception",
        "parse_retry_after",
    ],
    "liminal.streaming": ["guard_malformed", "ended_early"],
    "liminal.registry": ["ProviderRegistry", "ModelRegistry", "RegistryError"],
    "liminal.paths": ["config_dir", "data_dir"],
    "liminal.files": ["write_atomically"],
    "liminal.serialize": ["structure", "to_json"],
}


@pytest.mark.parametrize(
    ("module", "name"), [(m, n) for m, names in OLD_PATHS.items() for n in names]
)
def test_an_old_path_warns_and_gives_the_same_object(
    module: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = importlib.import_module(module)
    monkeypatch.delitem(vars(old), name, raising=False)  # kept from an earlier access
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{name} is deprecated: .*provider"):
        value = getattr(old, name)
    assert value is getattr(liminal.provider, name)


def test_the_warning_comes_once_then_the_value_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import liminal.mapping

    monkeypatch.delitem(vars(liminal.mapping), "error_from_http", raising=False)
    with pytest.warns(DeprecationWarning, match=r"liminal\.mapping\.error_from_http"):
        first = liminal.mapping.error_from_http
    assert liminal.mapping.error_from_http is first  # kept: no second warning (errors here)


def test_a_name_that_is_internal_now_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import liminal.files

    monkeypatch.delitem(vars(liminal.files), "locked", raising=False)
    with pytest.warns(
        DeprecationWarning, match=r"liminal\.files\.locked is deprecated: it is internal"
    ):
        liminal.files.locked  # noqa: B018


def test_an_unknown_old_name_is_an_attribute_error() -> None:
    import liminal.service

    with pytest.raises(AttributeError, match="no attribute 'ManagedService'"):
        liminal.service.ManagedService  # noqa: B018


def _dist_info(site: Path) -> None:
    """The metadata pip would write: enough for entry-point discovery, nothing installed."""
    info = site / "liminal_acme-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: liminal-acme\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[liminal]\nacme = liminal_acme.plugin\n")


@pytest.fixture
def acme_01(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    """The frozen 0.1 plugin on the path of child processes, and its test server running."""
    project = tmp_path / "liminal-acme"
    shutil.copytree(FROZEN, project)
    site = tmp_path / "site"
    _dist_info(site)
    # The frozen project's own test server (its tests/conftest.py), loaded under its own name.
    spec = importlib.util.spec_from_file_location("acme_01_conftest", project / "tests/conftest.py")
    assert spec is not None
    assert spec.loader is not None
    frozen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(frozen)
    server = frozen.AcmeTestServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMINAL_", "ACME_"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(site), str(project / "src")]),
        LIMINAL_HOME=str(tmp_path / "home"),
        ACME_BASE_URL=server.url,
        ACME_API_KEY=frozen.GOOD_KEY,
    )
    try:
        yield env, str(project)
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(5)


def test_a_plugin_written_against_01s_docs_answers_with_warnings(
    acme_01: tuple[dict[str, str], str],
) -> None:
    env, _ = acme_01
    done = subprocess.run(
        [
            *(sys.executable, "-W", "always::DeprecationWarning", "-m", "liminal"),
            *("prompt", "-m", "acme-large", "--no-log", "Say hello"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Hello from the Acme test server")
    for old in ("liminal.service.ServiceContext", "liminal.streaming.guard_malformed"):
        assert f"{old} is deprecated: import it from liminal.provider" in done.stderr


def test_a_plugin_written_against_01s_docs_passes_its_conformance_suite(
    acme_01: tuple[dict[str, str], str],
) -> None:
    env, project = acme_01
    done = run_plugin_tests(Path(project), env)
    assert " passed" in done.stdout
