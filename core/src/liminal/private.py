"""Liminal's directories are 0700 and its files 0600: prompts, answers and keys are private.

New directories and files are made that way; an existing looser directory is tightened
when Liminal next writes to it (and the whole data directory when the conversation store is
opened), with one warning on the ``liminal`` logger saying what was changed.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from liminal.errors import ErrorCode, LiminalError

__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "tighten_tree", "unwritable"]

DIR_MODE = 0o700
FILE_MODE = 0o600
#: The files Liminal writes in its directories. keys.json is not here: one that is too open
#: is refused rather than tightened (docs/decisions.md, "The key file must be private").
_OWN_FILES = (
    "conversations.db",
    "conversations.db-wal",
    "conversations.db-shm",
    "conversations.db-journal",
    "key-state.json",
    "preferences.json",
    "config.json",
    "openai-compatible.json",
    "local-models.json",
    ".keys.json.lock",
    ".key-state.json.lock",
)
_CACHE = "cache"

log = logging.getLogger("liminal")


def _posix() -> bool:
    return os.name == "posix"


def unwritable(path: Path, exc: OSError) -> LiminalError:
    """INVALID_REQUEST for a file that cannot be made in Liminal's directory ``path``."""
    return _unusable(path, "cannot be written", (exc.strerror or str(exc)).lower())


def _unusable(path: Path, what: str, reason: str) -> LiminalError:
    home = os.environ.get("LIMINAL_HOME")
    where = "LIMINAL_HOME" if home and path == Path(home) else "Liminal's directory"
    return LiminalError(
        ErrorCode.INVALID_REQUEST,
        f"{where} {path} {what} ({reason})",
        hint=(
            f"fix its permissions (`chmod 700 {path}`) or point LIMINAL_HOME at a directory "
            "you can write"
        ),
    )


def _looser(mode: int, wanted: int) -> bool:
    return bool(stat.S_IMODE(mode) & ~wanted)


def private_dir(path: Path) -> Path:
    """``path`` as a directory only its owner can use: made 0700, or tightened to it.

    A directory that cannot be made or written is INVALID_REQUEST naming it.
    """
    from liminal._paths import config_dir, data_dir

    roots = (config_dir(), data_dir())
    if path not in roots and path.parent in roots:
        private_dir(path.parent)  # e.g. the data dir of its cache/: made private too
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        st = path.stat()
    except FileExistsError:
        raise _unusable(path, "cannot be created", "a file of that name exists") from None
    except OSError as exc:
        raise _unusable(path, "cannot be created", exc.strerror or str(exc)) from exc
    if _posix():
        if _looser(st.st_mode, DIR_MODE):
            tighten_tree(path)  # made by hand or by an older version: its files too
        if not os.access(path, os.W_OK | os.X_OK):
            raise _unusable(path, "cannot be written", "permission denied")
    return path


def tighten_tree(path: Path) -> list[Path]:
    """Make ``path`` 0700 and Liminal's own files in it 0600 (``cache/`` too).

    Only names Liminal writes are touched: LIMINAL_HOME may be a directory with other
    files in it, whose modes are not Liminal's to change (a script would lose its x bit).
    Says so once, in one warning naming ``path``; returns what was changed. Symlinks are
    left alone, and so is a too-open key file, which is refused with its own error.
    """
    if not _posix():
        return []
    changed: list[Path] = []

    def tighten(item: Path, wanted: int) -> None:
        try:
            st = item.lstat()
            if stat.S_ISLNK(st.st_mode) or not _looser(st.st_mode, wanted):
                return
            item.chmod(stat.S_IMODE(st.st_mode) & wanted)
        except OSError:
            return  # gone, or not ours to change (another owner): the files keep working
        changed.append(item)

    tighten(path, DIR_MODE)
    for name in _OWN_FILES:
        tighten(path / name, FILE_MODE)
    if (path / _CACHE).is_dir() and not (path / _CACHE).is_symlink():
        tighten(path / _CACHE, DIR_MODE)
        for item in (path / _CACHE).glob("*.json"):
            tighten(item, FILE_MODE)
    if changed:
        log.warning(
            "Made %s private: %d item(s) could be read by other users; permissions are now "
            "0700 for directories and 0600 for files",
            path,
            len(changed),
        )
    return changed
