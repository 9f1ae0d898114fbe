"""Secrets never show their value; the key manager's pool order and key health."""

from __future__ import annotations

import json
import pickle
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liminal.keys.file import KeyFile, KeyFileData, ProviderKeys, StoredKey
from liminal.keys.pool import RECHECK_SECONDS, ApiKeyManager, KeyEntry, KeySource
from liminal.keys.secret import Secret, redact

# A prefix keeps generated secrets from colliding with text other tests look for.
secret_values = st.text(
    alphabet=string.ascii_letters + string.digits + "-_", min_size=8, max_size=60
).map(lambda tail: "tk-test-" + tail)


@given(secret_values)
def test_secret_str_and_repr_never_contain_the_value(value: str) -> None:
    secret = Secret(value)
    assert value not in str(secret)
    assert value not in repr(secret)
    assert value not in f"{secret}"
    assert value not in f"{secret!r}"
    assert secret.reveal() == value


@given(secret_values, st.text(max_size=20), st.text(max_size=20))
def test_redact_removes_every_registered_secret(value: str, before: str, after: str) -> None:
    Secret(value)
    text = redact(f"{before}{value}{after} and again: {value}")
    assert value not in text


def test_masked_form_shows_prefix_and_last_four() -> None:
    secret = Secret("sk-proj-abcdefghijklmnop1234")
    assert str(secret) == "sk-…1234"
    assert repr(secret) == "Secret('sk-…1234')"
    assert secret.last4 == "1234"


def test_short_values_show_even_less() -> None:
    assert str(Secret("abcdefghij")) == "…ij"
    assert str(Secret("abcd")) == "…"


def test_value_is_stripped_and_must_not_be_empty() -> None:
    assert Secret("  tk-test-padded-value\n").reveal() == "tk-test-padded-value"
    with pytest.raises(ValueError, match="empty"):
        Secret("   ")


def test_equality_and_hash_by_value() -> None:
    assert Secret("tk-test-same-value") == Secret("tk-test-same-value")
    assert Secret("tk-test-same-value") != Secret("tk-test-other-value")
    assert Secret("tk-test-same-value") != "tk-test-same-value"
    assert len({Secret("tk-test-same-value"), Secret("tk-test-same-value")}) == 1


def test_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret("tk-test-never-pickled"))


@pytest.mark.parametrize(
    "key",
    [
        "sk-proj-AbCdEf0123456789AbCdEf0123456789",
        "sk-ant-api03-AbCdEf0123456789_AbCdEf-0123",
        "sk-abcdefgh",
    ],
)
def test_redact_masks_key_shaped_text_never_seen_before(key: str) -> None:
    text = redact(f'{{"error": "Incorrect API key provided: {key}"}}')
    assert key not in text
    assert "Incorrect API key provided: " in text
    assert text.endswith('"}')


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "task-force skills: sk-1 is too short to be a key"
    assert redact(text) == text


def test_short_secrets_are_not_registered() -> None:
    # a 4-character "key" would otherwise be masked inside every word containing it
    Secret("abcd")
    assert redact("abcdef") == "abcdef"


def test_longest_secret_is_masked_first() -> None:
    short = "tk-test-overlap"
    long = short + "-and-more-characters"
    Secret(short)
    Secret(long)
    text = redact(f"key={long}")
    assert long not in text
    assert short not in text
    assert text.endswith(long[-4:])


# -- ApiKeyManager ------------------------------------------------------------------------------


def _store(home: Path, provider: str, *labels_values: tuple[str, str], active: str | None = None):
    KeyFile(home / "keys.json").write(
        KeyFileData(
            providers={
                provider: ProviderKeys(
                    keys=tuple(StoredKey(label, value) for label, value in labels_values),
                    active=active,
                )
            }
        )
    )


def test_order_is_explicit_then_file_then_env(
    liminal_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(liminal_home, "fake", ("work", "tk-test-file-work"), ("home", "tk-test-file-home"))
    monkeypatch.setenv("FAKE_API_KEY", "tk-test-from-env")
    keys = ApiKeyManager({"fake": Secret("tk-test-explicit")})
    entries = keys.all_entries("fake", ["FAKE_API_KEY"])
    assert [(e.source, e.label, e.secret.reveal()) for e in entries] == [
        (KeySource.EXPLICIT, "explicit", "tk-test-explicit"),
        (KeySource.FILE, "work", "tk-test-file-work"),
        (KeySource.FILE, "home", "tk-test-file-home"),
        (KeySource.ENV, "FAKE_API_KEY", "tk-test-from-env"),
    ]


def test_no_keys_anywhere(liminal_home: Path) -> None:
    assert ApiKeyManager().all_entries("fake", ["FAKE_API_KEY", None]) == []


def test_blank_env_var_is_no_key(liminal_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_API_KEY", "   ")
    assert ApiKeyManager().all_entries("fake", ["FAKE_API_KEY"]) == []


def test_keys_of_other_providers_are_not_used(liminal_home: Path) -> None:
    _store(liminal_home, "other", ("main", "tk-test-other-provider"))
    keys = ApiKeyManager({"other": Secret("tk-test-other-explicit")})
    assert keys.all_entries("fake") == []


def test_set_explicit(liminal_home: Path) -> None:
    keys = ApiKeyManager()
    keys.set_explicit("fake", Secret("tk-test-set-later"))
    assert [e.secret.reveal() for e in keys.candidates("fake")] == ["tk-test-set-later"]


def test_invalid_key_is_skipped(liminal_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_API_KEY", "tk-test-env-good")
    keys = ApiKeyManager({"fake": Secret("tk-test-explicit-bad")})
    first = keys.candidates("fake", ["FAKE_API_KEY"])[0]
    keys.mark_invalid(first)
    assert keys.is_invalid(first)
    assert [e.secret.reveal() for e in keys.candidates("fake", ["FAKE_API_KEY"])] == [
        "tk-test-env-good"
    ]


def test_cooling_key_goes_last_ordered_by_readiness(liminal_home: Path) -> None:
    _store(
        liminal_home, "fake", ("a", "tk-test-key-a"), ("b", "tk-test-key-b"), ("c", "tk-test-key-c")
    )
    keys = ApiKeyManager()
    a, b, _ = keys.candidates("fake")
    keys.cool_down(a, 300)
    keys.cool_down(b, 100)
    assert [e.label for e in keys.candidates("fake")] == ["c", "b", "a"]
    assert 200 < keys.cooling_for(a) <= 300
    assert keys.cooling_for(keys.candidates("fake")[0]) == 0


async def test_cooled_key_is_first_again_once_rested(liminal_home: Path) -> None:
    import asyncio

    _store(liminal_home, "fake", ("a", "tk-test-key-a"), ("b", "tk-test-key-b"))
    keys = ApiKeyManager()
    a = keys.candidates("fake")[0]
    keys.cool_down(a, 0.05)
    assert [e.label for e in keys.candidates("fake")] == ["b", "a"]
    await asyncio.sleep(0.1)
    assert [e.label for e in keys.candidates("fake")] == ["a", "b"]


def test_negative_cool_down_is_no_cool_down(liminal_home: Path) -> None:
    keys = ApiKeyManager({"fake": Secret("tk-test-cool")})
    entry = keys.candidates("fake")[0]
    keys.cool_down(entry, -5)
    assert keys.cooling_for(entry) == 0


def test_key_entry_repr_hides_the_key() -> None:
    entry = KeyEntry("fake", "main", Secret("tk-test-entry-value"), KeySource.FILE)
    assert "tk-test-entry-value" not in repr(entry)
    assert entry.ident == ("fake", "file", "main")


def test_stored_key_change_is_used_without_restart(liminal_home: Path) -> None:
    keys = ApiKeyManager()
    _store(liminal_home, "fake", ("main", "tk-test-first-value"))
    assert keys.candidates("fake")[0].secret.reveal() == "tk-test-first-value"
    _store(liminal_home, "fake", ("main", "tk-test-second-value-longer"))
    assert keys.candidates("fake")[0].secret.reveal() == "tk-test-second-value-longer"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _written_elsewhere(home: Path, value: str) -> None:
    """The key file as another process (``liminal keys set`` in another terminal) leaves it."""
    path = home / "keys.json"
    home.mkdir(parents=True, exist_ok=True)
    keys = {"keys": [{"label": "main", "value": value}]}
    text = json.dumps({"providers": {"fake": keys}})
    path.with_name("keys.json.new").write_text(text, encoding="utf-8")
    path.with_name("keys.json.new").chmod(0o600)
    path.with_name("keys.json.new").replace(path)


def test_requests_make_no_file_system_call_until_the_recheck_interval(
    liminal_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    keys = ApiKeyManager(clock=clock)
    _written_elsewhere(liminal_home, "tk-test-first-value")
    entry = keys.candidates("fake")[0]
    assert entry.secret.reveal() == "tk-test-first-value"
    looks: list[Path] = []
    real_stat = Path.stat

    def stat(self: Path, **kwargs: bool) -> object:
        looks.append(self)
        return real_stat(self, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    _written_elsewhere(liminal_home, "tk-test-second-value")
    looks.clear()
    for _ in range(3):  # what each request asks of the pool
        assert keys.candidates("fake")[0].secret.reveal() == "tk-test-first-value"
        keys.mark_valid(entry)
    assert looks == []
    clock.now += RECHECK_SECONDS  # the next request after the interval sees the change
    assert keys.candidates("fake")[0].secret.reveal() == "tk-test-second-value"
    assert looks


def test_moving_liminal_home_is_seen_at_once(
    liminal_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keys = ApiKeyManager(clock=_Clock())
    _written_elsewhere(liminal_home, "tk-test-first-value")
    assert keys.candidates("fake")
    monkeypatch.setenv("LIMINAL_HOME", str(tmp_path / "elsewhere"))
    assert keys.candidates("fake") == []


def test_log_records_are_scrubbed_of_keys() -> None:
    import io
    import logging

    from liminal.keys.secret import RedactingFilter

    secret = Secret("sk-logging-secret-value-9876")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("liminal.test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("sending %s with %r", secret.reveal(), {"auth": f"Bearer {secret.reveal()}"})
        try:
            raise ValueError(f"bad key {secret.reveal()}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "sending" in text
    assert "failed" in text
    assert "ValueError" in text
    assert secret.reveal() not in text
    assert "…9876" in text


def test_key_scope_keeps_provider_keys_away_from_other_servers() -> None:
    from liminal.keys.pool import key_scope
    from liminal.types import ModelInfo, ProviderInfo

    provider = ProviderInfo("p", "P", "x:Y", key_env_var="P_KEY")
    catalog = ModelInfo("m", "p", "M", 100, 10)
    own = ModelInfo("own", "p", "Own", 100, 10, base_url="http://127.0.0.1:9/v1", key_env_var="OWN")
    open_server = ModelInfo("free", "p", "Free", 100, 10, base_url="http://127.0.0.1:9/v1")
    assert key_scope(provider, catalog) == key_scope(provider)
    assert (key_scope(provider).pool, key_scope(provider).env_vars) == ("p", ("P_KEY",))
    assert key_scope(provider).required
    assert (key_scope(provider, own).pool, key_scope(provider, own).env_vars) == ("p:own", ("OWN",))
    assert key_scope(provider, own).required
    assert not key_scope(provider, open_server).required
    keyless = ProviderInfo("l", "L", "x:Y", requires_key=False)
    assert not key_scope(keyless).required
