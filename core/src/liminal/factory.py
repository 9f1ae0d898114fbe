"""``LlmServiceFactory``: a model id or alias to its provider's (wrapped) service."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable

from liminal.breaker import CircuitBreaker
from liminal.config import Config, load_config
from liminal.errors import ErrorCode, LiminalError
from liminal.keys.pool import ApiKeyManager
from liminal.managed import ManagedService
from liminal.plugins import Plugins, get_plugins
from liminal.provider.service import LlmService, Progress, ServiceContext, Timeouts
from liminal.retry import RetryNotice, RetryPolicy
from liminal.types import ModelInfo, ProviderInfo

__all__ = ["LlmServiceFactory", "load_service_class"]


def load_service_class(dotted: str) -> type:
    """Import ``package.module:ClassName`` (the provider's service), only when first needed."""
    module_name, _, attr = dotted.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr)  # type: ignore[no-any-return]
    except ImportError as exc:
        missing = exc.name or module_name
        raise LiminalError(
            ErrorCode.UNKNOWN,
            f"cannot load provider service {dotted}: module {missing!r} is not installed",
            hint=f"reinstall the provider plugin (pip install its package); missing: {missing}",
        ) from exc
    except AttributeError as exc:
        raise LiminalError(
            ErrorCode.UNKNOWN,
            f"provider service {dotted} does not exist",
            hint="the provider plugin is broken; reinstall it",
        ) from exc


class LlmServiceFactory:
    """Resolves models and builds each provider's service once per factory."""

    def __init__(
        self,
        *,
        plugins: Plugins | None = None,
        keys: ApiKeyManager | None = None,
        policy: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
        config: Config | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        """Explicit ``policy`` and ``timeouts`` win over ``config`` (default: config.json)."""
        self.plugins = plugins or get_plugins()
        self.keys = keys or ApiKeyManager()
        self.config = config if config is not None else load_config()
        self.policy = policy or self.config.policy()
        self._explicit_timeouts = timeouts
        self.timeouts = timeouts or self.config.timeouts_for()
        self.on_retry = on_retry
        self.on_progress = on_progress
        self._services: dict[str, ManagedService] = {}

    def model(self, id_or_alias: str) -> ModelInfo:
        return self.plugins.models.resolve(id_or_alias)

    def base_url(self, provider: ProviderInfo) -> str | None:
        if provider.base_url_env_var:
            value = os.environ.get(provider.base_url_env_var, "").strip()
            if value:
                return value
        return provider.default_base_url

    def timeouts_for(self, provider_id: str, model: ModelInfo | None = None) -> Timeouts:
        if self._explicit_timeouts is not None:
            return self._explicit_timeouts
        return self.config.timeouts_for(provider_id, model.id if model else None)

    def map_error(self, provider_id: str, error: BaseException) -> LiminalError:
        mapped = self.plugins.map_error(provider_id, error)
        if mapped is None:  # only if the built-in fallback was disabled
            mapped = LiminalError(ErrorCode.UNKNOWN, f"{type(error).__name__}: {error}")
        if mapped.__cause__ is None and mapped is not error:
            mapped.__cause__ = error
        return mapped

    def _report_progress(self, progress: Progress) -> None:
        if self.on_progress is not None:
            self.on_progress(progress)

    def for_provider(self, provider_id: str) -> ManagedService:
        cached = self._services.get(provider_id)
        if cached is not None:
            return cached
        provider = self.plugins.providers.get(provider_id)
        service_class = load_service_class(provider.service)
        keys = self.keys

        def default_key() -> object:
            entries = keys.candidates(provider.id, (provider.key_env_var,))
            return entries[0].secret if entries else None

        context = ServiceContext(
            provider=provider,
            timeouts=self.timeouts_for(provider.id),
            model_info=self.model,
            base_url=self.base_url(provider),
            default_key=default_key,  # type: ignore[arg-type]
            on_progress=self._report_progress,
        )
        service: LlmService = service_class(context)
        managed = ManagedService(
            provider=provider,
            service=service,
            resolve=self.model,
            map_error=self.map_error,
            keys=self.keys,
            policy=self.policy,
            timeouts=self.timeouts_for(provider.id),
            on_retry=self.on_retry,
            breaker=CircuitBreaker(
                provider.id,
                failures=self.config.circuit.failures,
                cooldown=self.config.circuit.cooldown,
            ),
            timeouts_for=lambda model: self.timeouts_for(provider.id, model),
        )
        self._services[provider_id] = managed
        return managed

    def for_model(self, id_or_alias: str) -> ManagedService:
        """The wrapped service of the provider serving this model (built once)."""
        return self.for_provider(self.model(id_or_alias).provider)

    async def aclose(self) -> None:
        """Close every service this factory built; call it before its event loop ends."""
        for service in list(self._services.values()):
            await service.aclose()
