"""Helpers provider services use to turn SDK streams into Liminal events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.provider.streaming import ended_early, guard_malformed


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


def test_a_stream_that_ends_before_any_text_says_nothing_arrived() -> None:
    from liminal.provider.streaming import ended_early

    empty = ended_early("p", "m", [], "message_stop")
    assert empty.code is ErrorCode.STREAM_INTERRUPTED
    assert "before any text" in empty.message
    assert "nothing arrived" in (empty.hint or "")
    partial = ended_early("p", "m", ["Hel", "lo"], "message_stop")
    assert partial.partial_text == "Hello"
    assert "before any text" not in partial.message


@pytest.mark.parametrize(
    ("content_type", "fails"),
    [
        ("text/event-stream", False),
        ("text/event-stream; charset=utf-8", False),
        ("", False),  # no header: trust the body
        ("text/html; charset=utf-8", True),
        ("application/json", True),  # a server that ignored stream=true
    ],
)
def test_check_event_stream(content_type: str, fails: bool) -> None:
    from liminal.provider.streaming import check_event_stream

    headers = {"content-type": content_type} if content_type else {}
    if not fails:
        check_event_stream(headers, provider="p")
        return
    with pytest.raises(LiminalError) as caught:
        check_event_stream(headers, provider="p")
    assert caught.value.code is ErrorCode.SERVER_ERROR
    assert content_type.split(";")[0] in caught.value.message
    assert "base URL" in (caught.value.hint or "")
