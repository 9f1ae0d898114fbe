"""The fixtures of the ``liminal keys`` tests (defined beside their helpers)."""

from .helpers import only_provider_plugins, openai_at_faults  # noqa: F401
