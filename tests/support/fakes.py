"""Each provider plugin's fake API (an httpx2 MockTransport behind the real SDK) and wire forms.

``PROVIDERS[id]`` says how the provider's server streams an answer, so that a unit test can
run once per provider (tests/plugins/test_*.py) with its ``api`` fixture parametrised.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from support import anthropic_fakes, openai_fakes
from support.fakeapi import FakeApi


@attrs.frozen
class FakeProvider:
    #: The fake API class (support/<id>_fakes.py MockApi).
    api: type[FakeApi]
    #: A catalog model to ask.
    model: str
    #: Where the fake serves, the key the services it builds hold, and where the SDK goes
    #: when no base URL is set.
    base_url: str
    unit_key: str
    sdk_host: str
    #: The JSON body of a whole (not streamed) answer.
    whole: Callable[[], dict[str, object]]
    #: The SSE bytes of a whole streamed answer made of these texts.
    answer: Callable[[list[str]], bytes]
    #: The SSE bytes that open a streamed answer, up to its first text, and those that end it.
    opening: Callable[[str], bytes]
    ending: Callable[[], bytes]


def _openai_answer(texts: list[str]) -> bytes:
    chunk = openai_fakes.chunk
    return openai_fakes.sse(
        *(chunk(t) for t in texts), chunk(finish="stop"), openai_fakes.usage_chunk(5, len(texts))
    )


def _anthropic_answer(texts: list[str]) -> bytes:
    stream = anthropic_fakes.answer_events(*texts)
    return anthropic_fakes.sse(stream[0], anthropic_fakes.ping(), *stream[1:])


def _anthropic_opening(text: str) -> bytes:
    a = anthropic_fakes
    return a.sse(a.message_start(), a.block_start(), a.text_delta(text))


def _anthropic_ending() -> bytes:
    a = anthropic_fakes
    return a.sse(a.block_stop(), a.message_delta(), a.message_stop())


PROVIDERS = {
    "openai": FakeProvider(
        api=openai_fakes.MockApi,
        model="gpt-4o",
        base_url=openai_fakes.BASE_URL,
        unit_key=openai_fakes.UNIT_KEY,
        sdk_host="api.openai.com",
        whole=openai_fakes.completion,
        answer=_openai_answer,
        opening=lambda text: openai_fakes.sse(openai_fakes.chunk(text), done=False),
        ending=lambda: openai_fakes.sse(openai_fakes.chunk(finish="stop")),
    ),
    "anthropic": FakeProvider(
        api=anthropic_fakes.MockApi,
        model="claude-haiku-4-5",
        base_url=anthropic_fakes.BASE_URL,
        unit_key=anthropic_fakes.UNIT_KEY,
        sdk_host="api.anthropic.com",
        whole=lambda: anthropic_fakes.message("Hi"),
        answer=_anthropic_answer,
        opening=_anthropic_opening,
        ending=lambda: anthropic_fakes.sse(
            anthropic_fakes.block_stop(),
            anthropic_fakes.message_delta(),
            anthropic_fakes.message_stop(),
        ),
    ),
}
FAKES: dict[str, type[FakeApi]] = {name: provider.api for name, provider in PROVIDERS.items()}
