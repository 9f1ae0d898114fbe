"""The environment every benchmark runs Liminal in: an empty ``LIMINAL_HOME`` and only the
project's own plugins (any other plugin installed in the venv would skew figures)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PLUGINS", "liminal_env"]

#: The distributions ``nox -s bench`` installs: core's built-ins plus these three.
PLUGINS = "liminal-openai,liminal-anthropic,liminal-local"


@contextmanager
def liminal_env(**extra: str) -> Iterator[None]:
    """Set ``LIMINAL_HOME`` (a fresh temporary directory), ``LIMINAL_PLUGINS`` and ``extra``
    in ``os.environ``; restore everything afterwards."""
    with tempfile.TemporaryDirectory(prefix="liminal-bench-home-") as home:
        values = {"LIMINAL_HOME": home, "LIMINAL_PLUGINS": PLUGINS, **extra}
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
