"""Old import paths that still resolve, with a ``DeprecationWarning``.

0.1 told plugin authors to import from ``liminal.service``, ``liminal.mapping``,
``liminal.streaming``, ``liminal.registry``, ``liminal.paths``, ``liminal.files`` and
``liminal.serialize``. Those names now live in :mod:`liminal.provider` (and :mod:`liminal`);
each old module is a shim built by :func:`moved`, kept for at least one release.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["moved"]

#: The release that drops the old paths.
REMOVED_IN = "0.3"


def moved(old: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for the shim ``old``: each name in ``where`` resolves from the
    module it names now, with a warning that says where to import it from."""

    def __getattr__(name: str) -> Any:
        new = where.get(name)
        if new is None:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        warnings.warn(
            f"{old}.{name} is deprecated: import it from {new} "
            f"({old} goes away in liminal {REMOVED_IN})",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(new), name)

    return __getattr__
