"""Old import paths that still resolve, with a ``DeprecationWarning``.

0.1 told plugin authors to import from ``liminal.service``, ``liminal.mapping``,
``liminal.streaming``, ``liminal.registry``, ``liminal.paths``, ``liminal.files`` and
``liminal.serialize``. Those names now live in :mod:`liminal.provider` (and :mod:`liminal`);
each old module is a shim built by :func:`moved`, kept for at least one release.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

__all__ = ["moved"]

#: The release that drops the old paths.
REMOVED_IN = "0.3"
#: Where a plugin may import from.
PUBLIC = ("liminal", "liminal.provider")


def moved(namespace: MutableMapping[str, Any], where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for the shim whose globals are ``namespace``: each name in
    ``where`` resolves from the module it names now, with a warning the first time (the value
    is then kept, as a plain import would keep it). A name whose new home is public says
    where to import it from; one that is internal now says so."""
    old = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        new = where.get(name)
        if new is None:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        if new in PUBLIC:
            advice = f"import it from {new}"
        else:
            advice = f"it is internal now ({new}), not for plugins"
        warnings.warn(
            f"{old}.{name} is deprecated: {advice} (this path goes away in liminal {REMOVED_IN})",
            DeprecationWarning,
            stacklevel=2,
        )
        value = getattr(importlib.import_module(new), name)
        namespace[name] = value
        return value

    return __getattr__
