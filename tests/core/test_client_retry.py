"""ManagedService retries: before the first token only, per policy; checks before any call."""

from __future__ import annotations

from typing import Any

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.keys.secret import Secret
from liminal.retry import RetryPolicy
from liminal.types import (
    KeyStatus,
)

from .client_fakes import (
    ENV_KEY,
    EXPLICIT_KEY,
    KEYED,
    OK,
    FakeService,
    Raise,
    collect,
    failure,
    harness,
    http,
    rejects,
    request,
    two_keys,
)

# -- retries before the first token -------------------------------------------------------------


async def test_error_before_first_token_is_retried_per_policy() -> None:
    policy = RetryPolicy(max_attempts=4, base=0.5, cap=20.0)
    h = harness(
        FakeService([http(500)], [http(502)], [Raise(lambda: ConnectionRefusedError())], [*OK]),
        policy=policy,
    )
    events = await collect(h.managed.stream(request()))
    assert events == OK
    assert h.service.calls == 4
    assert len(h.sleeps) == 3
    for n, delay in enumerate(h.sleeps):
        assert 0.0 <= delay <= min(policy.cap, policy.base * 2**n)
    assert [n.attempt for n in h.notices] == [2, 3, 4]
    assert [n.code for n in h.notices] == [
        ErrorCode.SERVER_ERROR,
        ErrorCode.SERVER_ERROR,
        ErrorCode.NETWORK,
    ]
    assert [n.delay for n in h.notices] == h.sleeps
    assert h.service.closed == 4


async def test_gives_up_after_max_attempts() -> None:
    h = harness(FakeService([http(503)]), policy=RetryPolicy(max_attempts=3))
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.OVERLOADED
    assert h.service.calls == 3
    assert len(h.sleeps) == 2
    assert "gave up after 3 attempts" in error.message


@pytest.mark.parametrize(
    "failing",
    [
        http(400, type="invalid_request_error", message="bad"),
        http(404, type="not_found_error", message="no such model"),
        http(400, code="context_length_exceeded", message="too long"),
        http(403),
    ],
)
async def test_non_retryable_errors_are_raised_at_once(failing: Raise) -> None:
    h = harness(FakeService([failing], [*OK]))
    error = await failure(h.managed.stream(request()), [])
    assert not error.retryable
    assert h.service.calls == 1
    assert h.sleeps == []


async def test_429_retry_after_is_honoured_exactly() -> None:
    h = harness(FakeService([http(429, {"retry-after-ms": "1234"})], [*OK]))
    events = await collect(h.managed.stream(request()))
    assert events == OK
    assert h.sleeps == [1.234]
    assert h.service.calls == 2


async def test_persistent_429_ends_rate_limited_after_max_attempts() -> None:
    h = harness(
        FakeService([http(429, {"retry-after": "0.25"})]), policy=RetryPolicy(max_attempts=3)
    )
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.RATE_LIMITED
    assert h.service.calls == 3
    assert h.sleeps == [0.25, 0.25]
    assert error.exit_code == 4


@pytest.mark.parametrize(
    ("retry_after", "policy"),
    [
        pytest.param("120", RetryPolicy(max_attempts=3, retry_after_cap=60.0), id="above-the-cap"),
        pytest.param("5", RetryPolicy(max_attempts=3, deadline=1.0), id="past-the-deadline"),
    ],
)
async def test_a_retry_after_too_long_to_wait_for_is_refused(
    retry_after: str, policy: RetryPolicy
) -> None:
    h = harness(FakeService([http(429, {"retry-after": retry_after})], [*OK]), policy=policy)
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.RATE_LIMITED
    assert h.service.calls == 1
    assert h.sleeps == []
    assert f"{retry_after} s" in error.message


# -- validation before any call -------------------------------------------------------------------


@pytest.mark.parametrize(
    "parameters",
    [{"top_p": 0.5}, {"seed": 1}, {"temperature": 9}, {"max_tokens": 5000}],
)
async def test_parameters_the_model_refuses_fail_before_any_call(
    parameters: dict[str, Any],
) -> None:
    service = FakeService([*OK])
    h = harness(service)
    error = await failure(h.managed.stream(request(parameters=parameters)), [])
    assert error.code is ErrorCode.INVALID_REQUEST
    with pytest.raises(LiminalError):
        await h.managed.complete(request(parameters=parameters))
    assert service.calls == 0


async def test_unknown_model_fails_before_any_call() -> None:
    service = FakeService([*OK])
    h = harness(service)
    error = await failure(h.managed.stream(request(model="fake-2")), [])
    assert error.code is ErrorCode.MODEL_NOT_FOUND
    assert service.calls == 0


async def test_empty_request_fails_before_any_call() -> None:
    service = FakeService([*OK])
    h = harness(service)
    error = await failure(h.managed.stream(request(messages=())), [])
    assert error.code is ErrorCode.INVALID_REQUEST
    assert service.calls == 0


# -- complete / validate_key / list_remote_models ------------------------------------------------


async def test_complete_is_retried_before_it_answers() -> None:
    h = harness(FakeService([http(500)], [http(429, {"retry-after": "1"})], []))
    result = await h.managed.complete(request())
    assert result.text == "done"
    assert h.service.calls == 3
    assert len(h.sleeps) == 2
    assert h.sleeps[1] == 1.0


async def test_complete_auth_invalid_rotates(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = two_keys(monkeypatch)
    service = FakeService([], provider=KEYED, key_check=rejects(EXPLICIT_KEY))
    h = harness(service, provider=KEYED, keys=keys)
    assert (await h.managed.complete(request())).text == "done"
    assert service.api_keys_seen == [EXPLICIT_KEY, ENV_KEY]


@pytest.mark.parametrize(
    ("script", "status"),
    [
        ([], KeyStatus.VALID),
        ([http(401)], KeyStatus.INVALID),
        ([http(403)], KeyStatus.INVALID),
        ([Raise(lambda: ConnectionRefusedError())], KeyStatus.UNKNOWN),
        ([http(500)], KeyStatus.UNKNOWN),
        ([http(429)], KeyStatus.UNKNOWN),
    ],
)
async def test_validate_key(script: list[Any], status: KeyStatus) -> None:
    h = harness(FakeService(script))
    assert await h.managed.validate_key(Secret("tk-test-validate-me")) is status


async def test_list_remote_models_is_retried() -> None:
    h = harness(FakeService([http(502)], []))
    assert await h.managed.list_remote_models() == ["fake-1", "fake-2"]
    assert h.service.calls == 2
