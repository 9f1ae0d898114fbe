"""Running a prompt for the CLI: model selection, the stored conversation, retry notices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from liminal.cli.loop import run_and_close
from liminal.retry import RetryNotice

if TYPE_CHECKING:
    from liminal.factory import LlmServiceFactory
    from liminal.fallback import FallbackChain, FallbackNotice
    from liminal.store import ConversationStore


def notify_retry(notice: RetryNotice) -> None:
    click.echo(notice.describe(), err=True)


def notify_fallback(notice: FallbackNotice) -> None:
    click.echo(notice.describe(), err=True)


def fallback_chain(
    factory: LlmServiceFactory, model_id: str, extra: tuple[str, ...] = ()
) -> FallbackChain:
    """``--fallback`` models first, then the ones config.json names for ``model_id``."""
    from liminal.fallback import FallbackChain

    configured = factory.config.fallbacks.get(model_id, [])
    return FallbackChain(factory, [*extra, *configured], on_fallback=notify_fallback)


def open_conversation(
    store: ConversationStore, cid: str | None, *, continue_latest: bool, system: str | None
) -> tuple[str, str | None]:
    """The conversation to add to (``--cid``, the latest with ``-c``, else a new one) and
    its system prompt (``-s`` wins over the stored one)."""
    if continue_latest and cid is None:
        cid = store.latest_id()
    if cid is None:
        return store.new_conversation(system), system
    stored = store.get(cid).system
    return cid, system if system is not None else stored


def run_prompt(
    text: str,
    *,
    model_name: str | None,
    system: str | None,
    parameters: dict[str, Any],
    stream: bool,
    key: str | None,
    timeout: float | None,
    continue_latest: bool = False,
    cid: str | None = None,
    fallbacks: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Send one prompt; stream text to stdout when ``stream``; return the JSON form."""
    from liminal.cli.progress import ProgressLine
    from liminal.cli.storage import open_store
    from liminal.cli.turn import build_request, complete_turn, stream_turn
    from liminal.factory import LlmServiceFactory
    from liminal.keys import ApiKeyManager, Secret
    from liminal.plugins import get_plugins
    from liminal.selection import model_or_default

    loaded = get_plugins()
    model = model_or_default(loaded, model_name)
    store = open_store(needs_history=continue_latest or cid is not None)
    cid, system = open_conversation(store, cid, continue_latest=continue_latest, system=system)
    keys = ApiKeyManager()
    factory = LlmServiceFactory(
        plugins=loaded, keys=keys, on_retry=notify_retry, on_progress=ProgressLine()
    )
    service = factory.for_model(model.id)
    if key is not None:
        keys.set_explicit(service.key_pool(model), Secret(key))
    request = build_request(
        store, cid, model, text, system=system, parameters=parameters, timeout=timeout
    )
    chain = fallback_chain(factory, model.id, fallbacks)
    try:
        turn = stream_turn if stream else complete_turn
        data = run_and_close(factory, turn(chain, store, cid, request))
    finally:
        store.close()
    data["provider"] = model.provider
    return data
