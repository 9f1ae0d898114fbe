"""The ``liminal-local`` provider: llama.cpp's server (``xllamacpp``) with a bundled small model."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
