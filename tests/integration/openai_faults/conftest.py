"""The fixtures of the OpenAI fault tests (defined in ``support`` beside their helpers)."""

from .support import fault_env, http, openai  # noqa: F401
