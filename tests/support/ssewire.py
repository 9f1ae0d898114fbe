"""Server-Sent Events as a server may frame them, for the stream parsers' property tests:
every line end, ``data:`` split over lines, comments, ``id:`` fields, any byte split."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import strategies as st

#: What a stream's parser must read the same however it is framed.
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])

#: Text with multi-byte UTF-8, controls and line ends (escaped in the JSON).
TEXT = st.text(max_size=8)


@st.composite
def frame(draw: st.DrawFn, name: str | None, payload: Any) -> list[str]:
    """The lines of one event (without the blank line that dispatches it)."""
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from([": keep-alive", ":", ": OPENROUTER PROCESSING"])))
    if draw(st.integers(0, 4)) == 0:
        lines.append(f"id: {draw(st.integers(0, 99))}")
    if name is not None:
        lines.append(draw(st.sampled_from([f"event: {name}", f"event:{name}"])))
    data = payload if isinstance(payload, str) else None
    if data is None:
        data = json.dumps(
            payload, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1]))
        )
    prefix = draw(st.sampled_from(["data: ", "data:"]))
    lines.extend(prefix + line for line in data.split("\n"))
    return lines


def body(events: list[list[str] | bytes], newline: str, *, trailing_blank: bool = True) -> bytes:
    """The stream's bytes: each event's lines, a blank line after each (but maybe the last);
    a ``bytes`` event is sent as is."""
    parts: list[bytes] = []
    for index, event in enumerate(events):
        if isinstance(event, bytes):
            parts.append(event)
            continue
        text = newline.join(event) + newline
        if trailing_blank or index < len(events) - 1:
            text += newline
        parts.append(text.encode())
    return b"".join(parts)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets (modulo its length)."""
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


#: Byte cuts: few or many, anywhere.
CUTS = st.lists(st.integers(min_value=0), max_size=30)

#: Events that no valid stream holds, each one way a stream can be broken.
BROKEN = st.sampled_from(
    [
        b"data: {oops\n\n",
        b"data: \xff\xfe\n\n",
        b'data: {"a": "\xc3"}\n\n',
    ]
)


def describe(exc: BaseException) -> tuple[object, ...]:
    """What of a stream's failure the consumer sees."""
    code = getattr(exc, "code", None)
    if code is not None:
        return (code, str(exc), getattr(exc, "partial_text", None))
    return (type(exc).__name__, str(exc))
