"""Helpers provider services use to turn SDK streams into Liminal events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.streaming import ended_early, guard_malformed


async def items(*values: object) -> AsyncIterator[object]:
    for value in values:
        if isinstance(value, BaseException):
            raise value
        yield value


async def test_guard_malformed_passes_items_through() -> None:
    assert [x async for x in guard_malformed(items(1, 2, 3), provider="p")] == [1, 2, 3]


async def test_guard_malformed_turns_bad_json_into_server_error() -> None:
    bad = json.JSONDecodeError("Expecting value", "data: {oops", 6)
    received: list[object] = []
    with pytest.raises(LiminalError) as caught:  # noqa: PT012 - the error ends the iteration
        async for item in guard_malformed(items("a", bad, "b"), provider="p"):
            received.append(item)
    assert received == ["a"]
    assert caught.value.code is ErrorCode.SERVER_ERROR
    assert caught.value.provider == "p"
    assert caught.value.__cause__ is bad


async def test_guard_malformed_leaves_other_errors_alone() -> None:
    with pytest.raises(ConnectionResetError):
        async for _ in guard_malformed(items("a", ConnectionResetError()), provider="p"):
            pass


def test_ended_early() -> None:
    error = ended_early("openai", "gpt-x", ["Hel", "lo"], "[DONE]")
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.partial_text == "Hello"
    assert "[DONE]" in error.message
    assert (error.provider, error.model) == ("openai", "gpt-x")
