"""Where the library's own warnings go: the log, unless the CLI asked for stderr.

A leaf module (it imports nothing of the package) so that the CLI can choose before it
loads anything else, without slowing its start.
"""

from __future__ import annotations

__all__ = ["warnings_on_stderr"]

#: True in the ``liminal`` command (it prints them); False in a library (it logs them).
warnings_on_stderr = False
