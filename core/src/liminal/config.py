"""``config.json``: retries, timeouts and fallbacks, per provider and per model.

    {
      "retry": {"max_attempts": 4, "deadline": 60},
      "timeouts": {"default": {"idle": 60}, "openai": {"connect": 5}, "gpt-4o": {"total": 120}},
      "fallbacks": {"gpt-4o": ["claude-sonnet", "smollm2"]},
      "circuit": {"failures": 5, "cooldown": 30}
    }

Model entries win over provider entries, which win over ``default``. A file
that does not parse, or holds a value of the wrong type or out of range
(:mod:`liminal.configcheck`), is reported with a clear error and left untouched.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from liminal._files import UserFile
from liminal.provider.service import Timeouts
from liminal.retry import RetryPolicy

__all__ = ["CircuitSettings", "Config", "TimeoutOverrides", "config_path", "load_config"]


@attrs.frozen
class TimeoutOverrides:
    connect: float | None = None
    idle: float | None = None
    total: float | None = None

    def over(self, base: Timeouts) -> Timeouts:
        return Timeouts(
            connect=self.connect if self.connect is not None else base.connect,
            idle=self.idle if self.idle is not None else base.idle,
            total=self.total if self.total is not None else base.total,
        )


@attrs.frozen
class RetryOverrides:
    max_attempts: int | None = None
    base: float | None = None
    cap: float | None = None
    deadline: float | None = None
    retry_after_cap: float | None = None

    def over(self, base: RetryPolicy) -> RetryPolicy:
        changes = {k: v for k, v in attrs.asdict(self).items() if v is not None}
        return attrs.evolve(base, **changes)


@attrs.frozen
class CircuitSettings:
    #: Consecutive outage-class failures that open a provider's circuit.
    failures: int = 5
    #: Seconds the circuit stays open before one probe request is let through.
    cooldown: float = 30.0


@attrs.frozen
class Config:
    retry: RetryOverrides = RetryOverrides()
    timeouts: dict[str, TimeoutOverrides] = attrs.field(factory=dict)
    fallbacks: dict[str, list[str]] = attrs.field(factory=dict)
    circuit: CircuitSettings = CircuitSettings()
    #: Seconds a key check at chat start-up is trusted before the provider is asked again.
    key_check_ttl: float = 3600.0
    #: Ask providers that can count tokens exactly (an HTTP call per history fitting).
    exact_token_counts: bool = False

    def policy(self) -> RetryPolicy:
        return self.retry.over(RetryPolicy())

    def timeouts_for(self, provider: str | None = None, model: str | None = None) -> Timeouts:
        result = Timeouts()
        for key in ("default", provider, model):
            if key is not None and key in self.timeouts:
                result = self.timeouts[key].over(result)
        return result


def config_path() -> Path:
    from liminal._paths import config_dir

    return config_dir() / "config.json"


def load_config(path: Path | None = None) -> Config:
    from liminal.configcheck import check_config

    return UserFile(path or config_path(), Config, what="config file", check=check_config).load()
