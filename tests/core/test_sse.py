"""The SSE decoder: framing as the standard and the SDKs' decoders read it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liminal.provider.sse import SseDecoder, json_loads


def decode(*chunks: bytes) -> list[tuple[str | None, str]]:
    decoder = SseDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    decoder.finish()
    return events


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_line_end_frames_the_same(newline: bytes) -> None:
    body = b"event: delta\ndata: one\n\ndata: two\n\n".replace(b"\n", newline)
    assert decode(body) == [("delta", "one"), (None, "two")]
    assert decode(*(body[i : i + 1] for i in range(len(body)))) == decode(body)


def test_a_crlf_cut_between_its_two_bytes_is_one_line_end() -> None:
    assert decode(b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n") == [(None, "a"), (None, "b")]


def test_data_lines_are_joined_comments_and_unknown_fields_ignored() -> None:
    body = b': keep-alive\ndata: {\ndata:  "a": 1\nfoo: bar\ndata:}\n\n'
    assert decode(body) == [(None, '{\n "a": 1\n}')]


def test_an_event_without_its_blank_line_is_dropped() -> None:
    assert decode(b"data: first\n\ndata: last\n") == [(None, "first")]
    assert decode(b"data: first\n\ndata: last") == [(None, "first")]


def test_a_multibyte_character_cut_in_two_is_one_character() -> None:
    body = "data: é€\n\n".encode()
    assert decode(body[:7], body[7:9], body[9:]) == [(None, "é€")]


def test_bytes_that_are_not_utf8_fail_after_the_events_before_them() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: ok\n\ndata: \xff\n\ndata: later\n\n") == [(None, "ok")]
    with pytest.raises(UnicodeDecodeError):
        decoder.feed(b"data: more\n\n")


def test_an_unfinished_last_line_must_be_utf8_too() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: \xff") == []
    with pytest.raises(UnicodeDecodeError):
        decoder.finish()


# -- json_loads: json.loads, faster for one bare value ----------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _outcome(parse: Callable[[str], object], text: str) -> tuple[str, object]:
    try:
        return "value", parse(text)
    except json.JSONDecodeError as exc:
        return "error", (exc.msg, exc.pos)


@given(
    value=_json_values,
    before=st.sampled_from(["", " ", "\n", "\t "]),
    after=st.sampled_from(["", " ", "\r\n", "x", ",1", "}"]),
)
def test_json_loads_gives_what_json_loads_gives(value: object, before: str, after: str) -> None:
    text = before + json.dumps(value) + after
    assert _outcome(json_loads, text) == _outcome(json.loads, text)


@pytest.mark.parametrize(
    "text", ["", "{", '{"a": }', "[1,]", "NaN", "-Infinity", "tru", '"\\x"', '{"a":1}{"b":2}']
)
def test_json_loads_fails_or_parses_as_json_loads_does(text: str) -> None:
    assert _outcome(json_loads, text) == _outcome(json.loads, text)
