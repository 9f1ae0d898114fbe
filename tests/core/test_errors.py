"""The error taxonomy: codes, exit codes and retryability exactly as docs/errors.md gives them."""

from __future__ import annotations

import pickle

import pytest

from liminal import LiminalError as PublicLiminalError
from liminal.errors import EXIT_CODES, RETRYABLE, ErrorCode, LiminalError
from liminal.keys.secret import Secret

#: docs/errors.md, the exit status of each code.
DESIGN_EXIT_CODES = {
    "AUTH_INVALID": 3,
    "PERMISSION_DENIED": 3,
    "NO_KEY": 3,
    "QUOTA_EXHAUSTED": 4,
    "RATE_LIMITED": 4,
    "OVERLOADED": 5,
    "SERVER_ERROR": 5,
    "TIMEOUT": 5,
    "NETWORK": 5,
    "STREAM_INTERRUPTED": 5,
    "CONTEXT_LENGTH_EXCEEDED": 6,
    "CONTENT_FILTERED": 6,
    "INVALID_REQUEST": 2,
    "MODEL_NOT_FOUND": 2,
    "UNKNOWN": 1,
}

#: docs/errors.md: the codes retried on the same target.
DESIGN_RETRYABLE = {"RATE_LIMITED", "OVERLOADED", "SERVER_ERROR", "TIMEOUT", "NETWORK"}


def test_codes_are_exactly_the_documented_ones() -> None:
    assert {c.value for c in ErrorCode} == set(DESIGN_EXIT_CODES)
    assert all(c.name == c.value for c in ErrorCode)


@pytest.mark.parametrize(("code", "exit_code"), sorted(DESIGN_EXIT_CODES.items()))
def test_exit_code_table(code: str, exit_code: int) -> None:
    assert ErrorCode(code).exit_code == exit_code
    assert EXIT_CODES[ErrorCode(code)] == exit_code
    assert LiminalError(ErrorCode(code), "x").exit_code == exit_code


def test_exit_codes_never_zero_and_cover_every_code() -> None:
    assert set(EXIT_CODES) == set(ErrorCode)
    assert 0 not in EXIT_CODES.values()


def test_retryable_set() -> None:
    assert {c.value for c in RETRYABLE} == DESIGN_RETRYABLE
    for code in ErrorCode:
        assert code.retryable is (code.value in DESIGN_RETRYABLE)
        assert LiminalError(code, "x").retryable is code.retryable


def test_fields_and_defaults() -> None:
    error = LiminalError(
        ErrorCode.RATE_LIMITED,
        "slow down",
        provider="openai",
        model="gpt-x",
        status=429,
        provider_code="rate_limit_exceeded",
        request_id="req_123",
        retry_after=2.5,
        partial_text="abc",
    )
    assert (error.code, error.message, error.provider, error.model) == (
        ErrorCode.RATE_LIMITED,
        "slow down",
        "openai",
        "gpt-x",
    )
    assert (error.status, error.provider_code, error.request_id) == (
        429,
        "rate_limit_exceeded",
        "req_123",
    )
    assert error.retry_after == 2.5
    assert error.partial_text == "abc"
    assert str(error) == "[RATE_LIMITED] slow down"


def test_code_given_as_string_is_normalised() -> None:
    assert LiminalError("NETWORK", "x").code is ErrorCode.NETWORK  # type: ignore[arg-type]


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_code_has_a_default_hint(code: ErrorCode) -> None:
    hint = LiminalError(code, "x").hint
    assert hint
    assert hint.strip() == hint


def test_explicit_hint_wins() -> None:
    assert LiminalError(ErrorCode.UNKNOWN, "x", hint="do this").hint == "do this"


def test_is_public() -> None:
    assert PublicLiminalError is LiminalError
    assert issubclass(LiminalError, Exception)


def _renderings(error: LiminalError) -> list[str]:
    return [str(error), repr(error), error.message, *map(str, error.args)]


def test_registered_secret_never_in_str_or_repr() -> None:
    value = "tok-Zq81vWc0pLm2Xr5s"  # not sk- shaped: only the registration can catch it
    secret = Secret(value)
    error = LiminalError(ErrorCode.AUTH_INVALID, f"key {value} was rejected by the server")
    for text in _renderings(error):
        assert value not in text
    assert secret.last4 in str(error)  # the masked form still tells keys apart


@pytest.mark.parametrize(
    "value",
    [
        "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "sk-ant-api03-AbCdEfGhIjKlMnOp_QrStUv-WxYz01",
        "sk-1234567890abcdef",
    ],
)
def test_key_shaped_values_are_masked_without_registration(value: str) -> None:
    error = LiminalError(ErrorCode.AUTH_INVALID, f"Incorrect API key provided: {value}.")
    for text in _renderings(error):
        assert value not in text
    assert "Incorrect API key provided: sk-" in str(error)


def test_evolve_redacts_the_new_message_too() -> None:
    value = "sk-proj-NewKeyValue0987654321"
    error = LiminalError(ErrorCode.UNKNOWN, "x").evolve(message=f"with {value}")
    assert value not in str(error)
    assert value not in repr(error)


def test_evolve_keeps_cause_and_fields() -> None:
    cause = ConnectionResetError("reset by peer")
    try:
        try:
            raise cause
        except ConnectionResetError as exc:
            raise LiminalError(
                ErrorCode.NETWORK, "connection failed", provider="p", status=None, retry_after=1.0
            ) from exc
    except LiminalError as caught:
        original = caught
    evolved = original.evolve(code=ErrorCode.STREAM_INTERRUPTED, partial_text="Hel")
    assert evolved is not original
    assert evolved.__cause__ is cause
    assert evolved.code is ErrorCode.STREAM_INTERRUPTED
    assert evolved.partial_text == "Hel"
    assert evolved.provider == "p"
    assert evolved.retry_after == 1.0
    assert evolved.message == "connection failed"
    # the original is untouched
    assert original.code is ErrorCode.NETWORK
    assert original.partial_text == ""


def test_evolve_message_only() -> None:
    error = LiminalError(ErrorCode.RATE_LIMITED, "a", model="m", hint="h")
    evolved = error.evolve(message="b")
    assert (evolved.code, evolved.message, evolved.model, evolved.hint) == (
        ErrorCode.RATE_LIMITED,
        "b",
        "m",
        "h",
    )


def test_error_survives_pickling() -> None:
    # errors cross process boundaries (concurrent.futures, multiprocessing) by pickling
    error = LiminalError(ErrorCode.TIMEOUT, "late", provider="p", retry_after=2.0)
    back = pickle.loads(pickle.dumps(error))
    assert (back.code, back.message, back.provider, back.retry_after) == (
        ErrorCode.TIMEOUT,
        "late",
        "p",
        2.0,
    )


@pytest.mark.parametrize("code", [ErrorCode.SERVER_ERROR, ErrorCode.INVALID_REQUEST])
@pytest.mark.parametrize("override", [True, False])
def test_a_plugin_can_override_retryability(code: ErrorCode, override: bool) -> None:
    import pickle

    from liminal.retry import RetryPolicy, decide

    error = LiminalError(code, "engine crashed", retryable=override)
    assert error.retryable is override
    assert pickle.loads(pickle.dumps(error)).retryable is override
    assert error.evolve(message="again").retryable is override
    decision = decide(error, policy=RetryPolicy(), attempt=1, elapsed=0.0, backoff_delay=0.1)
    assert decision.retry is override


def test_retryability_follows_the_code_by_default() -> None:
    assert LiminalError(ErrorCode.SERVER_ERROR, "x").retryable is True
    assert LiminalError(ErrorCode.INVALID_REQUEST, "x").retryable is False
