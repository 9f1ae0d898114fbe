"""The stream's body is read from the transport unless it is content-encoded, for both
providers' services (each keeps its own ``_body``)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import httpx2
import pytest

from liminal_anthropic import service as anthropic_service

openai_service = pytest.importorskip("liminal_openai.service")
SERVICES = [anthropic_service, openai_service]


class Parts(httpx2.AsyncByteStream):
    def __init__(self, *parts: bytes) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part


@pytest.mark.parametrize("module", SERVICES)
@pytest.mark.parametrize("encoding", [None, "identity", " Identity "])
async def test_a_plain_body_comes_as_the_transport_cuts_it(module, encoding) -> None:
    headers = {} if encoding is None else {"content-encoding": encoding}
    response = httpx2.Response(200, headers=headers, stream=Parts(b"data: 1\n", b"\ndata: 2\n\n"))
    assert [part async for part in module._body(response)] == [b"data: 1\n", b"\ndata: 2\n\n"]


@pytest.mark.parametrize("module", SERVICES)
async def test_an_encoded_body_is_decoded(module) -> None:
    packed = gzip.compress(b"data: 1\n\n")
    headers = {"content-encoding": "gzip"}
    response = httpx2.Response(200, headers=headers, stream=Parts(packed[:5], packed[5:]))
    assert b"".join([part async for part in module._body(response)]) == b"data: 1\n\n"
