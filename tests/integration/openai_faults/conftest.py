"""The fixtures of the OpenAI fault tests (defined in ``helpers`` beside their helpers)."""

from .helpers import fault_env, openai  # noqa: F401
