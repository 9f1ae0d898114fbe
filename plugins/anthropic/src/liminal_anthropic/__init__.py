"""Liminal's Anthropic provider. Importing this package never imports the ``anthropic`` SDK."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
