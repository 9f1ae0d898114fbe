"""``liminal.provider.body_chunks``: a stream's body is read from the transport unless it is
content-encoded (both provider services read their SSE bodies through it)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import httpx2
import pytest

from liminal.provider import body_chunks


class Parts(httpx2.AsyncByteStream):
    def __init__(self, *parts: bytes) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part


@pytest.mark.parametrize("encoding", [None, "identity", " Identity "])
async def test_a_plain_body_comes_as_the_transport_cuts_it(encoding: str | None) -> None:
    headers = {} if encoding is None else {"content-encoding": encoding}
    response = httpx2.Response(200, headers=headers, stream=Parts(b"data: 1\n", b"\ndata: 2\n\n"))
    chunks = body_chunks(response)
    assert [part async for part in chunks] == [b"data: 1\n", b"\ndata: 2\n\n"]


async def test_an_encoded_body_is_decoded() -> None:
    packed = gzip.compress(b"data: 1\n\n")
    headers = {"content-encoding": "gzip"}
    response = httpx2.Response(200, headers=headers, stream=Parts(packed[:5], packed[5:]))
    assert b"".join([part async for part in body_chunks(response)]) == b"data: 1\n\n"


@pytest.mark.parametrize("module", ["liminal_openai.service", "liminal_anthropic.service"])
def test_both_providers_read_their_bodies_through_it(module: str) -> None:
    imported = pytest.importorskip(module)
    assert imported.body_chunks is body_chunks
