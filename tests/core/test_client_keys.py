"""ManagedService and keys: the key per attempt, rotation on rejection, cool-downs."""

from __future__ import annotations

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.keys.pool import ApiKeyManager
from liminal.keys.secret import Secret
from liminal.provider.service import current_key

from .client_fakes import (
    ENV_KEY,
    EXPLICIT_KEY,
    KEYED,
    MODEL,
    OK,
    FakeService,
    collect,
    failure,
    harness,
    http,
    rejects,
    request,
    two_keys,
)

# -- keys -----------------------------------------------------------------------------------------


async def test_key_reaches_the_service_during_the_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = two_keys(monkeypatch)
    h = harness(FakeService([*OK], provider=KEYED), provider=KEYED, keys=keys)
    assert await collect(h.managed.stream(request())) == OK
    assert h.service.keys_seen == [Secret(EXPLICIT_KEY)]
    assert h.service.api_keys_seen == [EXPLICIT_KEY]
    assert current_key() is None  # outside the attempt


async def test_complete_supplies_the_key_too(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = two_keys(monkeypatch)
    h = harness(FakeService([], provider=KEYED), provider=KEYED, keys=keys)
    result = await h.managed.complete(request())
    assert result.text == "done"
    assert h.service.api_keys_seen == [EXPLICIT_KEY]
    assert current_key() is None


async def test_auth_invalid_moves_to_the_next_key_and_marks_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = two_keys(monkeypatch)
    service = FakeService([*OK], provider=KEYED, key_check=rejects(EXPLICIT_KEY))
    h = harness(service, provider=KEYED, keys=keys)
    first = h.managed.key_candidates(MODEL)[0]
    assert first.secret == Secret(EXPLICIT_KEY)

    assert await collect(h.managed.stream(request())) == OK
    assert service.keys_seen == [Secret(EXPLICIT_KEY), Secret(ENV_KEY)]
    assert service.api_keys_seen == [EXPLICIT_KEY, ENV_KEY]
    assert keys.is_invalid(first)
    assert h.sleeps == []
    # the next request starts with the good key
    assert [e.secret for e in h.managed.key_candidates(MODEL)] == [Secret(ENV_KEY)]


async def test_auth_invalid_with_the_last_key_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = ApiKeyManager({"fake": Secret(EXPLICIT_KEY)})
    service = FakeService([*OK], provider=KEYED, key_check=rejects(EXPLICIT_KEY))
    h = harness(service, provider=KEYED, keys=keys)
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.AUTH_INVALID
    assert error.exit_code == 3
    assert service.calls == 1
    assert EXPLICIT_KEY not in str(error)


async def test_rate_limited_key_hands_over_to_the_next_without_sleeping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = two_keys(monkeypatch)
    service = FakeService([http(429, {"retry-after": "30"})], [*OK], provider=KEYED)
    h = harness(service, provider=KEYED, keys=keys)
    assert await collect(h.managed.stream(request())) == OK
    assert service.keys_seen == [Secret(EXPLICIT_KEY), Secret(ENV_KEY)]
    assert h.sleeps == []
    first = keys.all_entries("fake", ["FAKE_API_KEY"])[0]
    assert 0 < keys.cooling_for(first) <= 30


async def test_quota_exhausted_key_hands_over_to_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = two_keys(monkeypatch)
    quota = http(
        429,
        type="insufficient_quota",
        code="insufficient_quota",
        message="You exceeded your current quota",
    )
    service = FakeService([quota], [*OK], provider=KEYED)
    h = harness(service, provider=KEYED, keys=keys)
    assert await collect(h.managed.stream(request())) == OK
    assert service.keys_seen == [Secret(EXPLICIT_KEY), Secret(ENV_KEY)]
    assert h.sleeps == []


async def test_quota_exhausted_with_one_key_is_raised() -> None:
    keys = ApiKeyManager({"fake": Secret(EXPLICIT_KEY)})
    service = FakeService([http(402)], [*OK], provider=KEYED)
    h = harness(service, provider=KEYED, keys=keys)
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.QUOTA_EXHAUSTED
    assert service.calls == 1


async def test_no_key_before_any_provider_call() -> None:
    # the autouse fixture cleared FAKE_API_KEY and points LIMINAL_HOME at an empty dir
    service = FakeService([*OK], provider=KEYED)
    h = harness(service, provider=KEYED)
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.NO_KEY
    assert error.exit_code == 3
    assert "FAKE_API_KEY" in (error.hint or "")
    assert service.calls == 0
    with pytest.raises(LiminalError) as caught:
        await h.managed.complete(request())
    assert caught.value.code is ErrorCode.NO_KEY
    assert service.calls == 0


async def test_keyless_provider_gets_no_key() -> None:
    service = FakeService([*OK])
    h = harness(service)
    assert await collect(h.managed.stream(request())) == OK
    assert service.keys_seen == [None]
    assert service.api_keys_seen == ["no-key"]
