"""Reading and writing user files safely: atomic, private (0600 in 0700 directories)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from liminal.errors import LiminalError

__all__ = ["BadSetting", "CachedFile", "LookedAt", "UserFile", "locked", "write_atomically"]

T = TypeVar("T")


class LookedAt(Generic[T]):
    """What files held when last looked at, by path: trusted for ``max_age`` seconds after a
    look, then looked at again (one ``stat``) and parsed again only when the file changed
    (its mtime, size or inode: an atomic write makes a new inode)."""

    def __init__(self) -> None:
        #: path -> (when it was looked at, its stamp (None: missing), what it held)
        self._seen: dict[Path, tuple[float, tuple[int, int, int] | None, T]] = {}

    def read(
        self,
        path: Path,
        *,
        now: float,
        max_age: float,
        missing: Callable[[], T],
        parse: Callable[[], T],
        check: Callable[[os.stat_result], None] = lambda st: None,
    ) -> T:
        """``missing()`` when there is no file, else ``parse()``'s result, kept until the file
        changes. ``check`` sees every ``stat`` (e.g. permissions, which a chmod changes without
        changing the stamp); errors of ``stat`` other than a missing file propagate."""
        seen = self._seen.get(path)
        if seen and max_age and 0 <= now - seen[0] < max_age:
            return seen[2]
        try:
            st = path.stat()
        except FileNotFoundError:
            value = missing()
            self._seen[path] = (now, None, value)
            return value
        check(st)
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        value = seen[2] if seen and seen[1] == stamp else parse()
        self._seen[path] = (now, stamp, value)
        return value

    def forget(self, path: Path) -> None:
        """The next read looks at the file, whatever ``max_age`` says (after writing it)."""
        self._seen.pop(path, None)


class CachedFile(Generic[T]):
    """A file read through its class's :class:`LookedAt` (``_looked_at``: each subclass
    sets its own, shared by every instance).

    ``max_age``: seconds a look at the file is trusted before the next read looks again
    (``stat``); 0 looks every time. ``clock`` measures it.
    """

    _looked_at: ClassVar[LookedAt[Any]]

    def __init__(
        self, path: Path, *, max_age: float = 0.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path = path
        self.max_age = max_age
        self._clock = clock

    def _look(
        self,
        *,
        missing: Callable[[], T],
        parse: Callable[[], T],
        check: Callable[[os.stat_result], None] = lambda st: None,
    ) -> T:
        """What the file holds (see :meth:`LookedAt.read`)."""
        value: T = self._looked_at.read(
            self.path,
            now=self._clock(),
            max_age=self.max_age,
            missing=missing,
            parse=parse,
            check=check,
        )
        return value


class BadSetting(ValueError):
    """A value in a user's file of the wrong type or out of range; the message names its key."""


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a sidecar lock file) so read-change-write cycles
    of two processes do not interleave. A no-op where ``fcntl`` does not exist."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    from liminal.private import private_dir, unwritable

    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except PermissionError as exc:  # root passes the access check, not a read-only mount
        raise unwritable(path.parent, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_atomically(
    path: Path, text: str, mode: int = 0o600, *, durable: bool = True, own_dir: bool = True
) -> None:
    """Replace ``path`` with ``text`` so a reader never sees half a file.

    ``durable`` also waits for the disk (fsync); a cache that can be rebuilt skips it.
    ``own_dir``: the directory is Liminal's, made (or kept) 0700; False for a directory of
    the user's, such as the target of a symlinked key file.
    """
    from liminal.private import private_dir, unwritable

    if own_dir:
        private_dir(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    except PermissionError as exc:  # root passes the access check, not a read-only mount
        raise unwritable(path.parent, exc) from exc
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class UserFile(Generic[T]):
    """A JSON file of the user's, read and written through the one cattrs converter.

    Missing: the value's defaults. Not parseable, or with a field Liminal does not know:
    ``INVALID_REQUEST`` naming the file, which is left untouched (never overwritten).
    """

    def __init__(
        self,
        path: Path,
        kind: type[T],
        *,
        what: str,
        mode: int = 0o600,
        check: Callable[[Any], None] | None = None,
    ) -> None:
        self.path = path
        self.kind = kind
        self.what = what
        self.mode = mode
        #: Checks the parsed JSON before it is structured; raises BadSetting naming the key.
        self.check = check

    def load(self) -> T:
        import json

        from liminal._serialize import structure

        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self.kind()
        except IsADirectoryError as exc:
            raise self._invalid("is a directory", "move it aside") from exc
        except UnicodeDecodeError as exc:
            raise self._invalid("is not UTF-8 text", "fix or remove it") from exc
        except OSError as exc:
            raise self._invalid(f"cannot be read ({exc.strerror})", "fix or remove it") from exc
        try:
            data = json.loads(text)
            if self.check is not None:
                self.check(data)
            return structure(data, self.kind)
        except BadSetting as exc:
            raise self._invalid(
                f"is not valid: {exc}", "fix that value, or remove it to use the default"
            ) from exc
        except Exception as exc:
            raise self._invalid(f"is not valid ({type(exc).__name__})", "fix or remove it") from exc

    def _invalid(self, problem: str, fix: str) -> LiminalError:
        from liminal.errors import ErrorCode, LiminalError

        return LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"{self.what} {self.path} {problem}",
            hint=f"{fix}; it was left untouched",
        )

    def save(self, value: T) -> None:
        from liminal._serialize import to_json

        write_atomically(self.path, to_json(value) + "\n", self.mode)
