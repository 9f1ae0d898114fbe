"""The key file: 0600, atomic writes, pool order, and refusing to touch a bad file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from liminal._files import write_atomically
from liminal._serialize import to_json
from liminal.errors import ErrorCode, LiminalError
from liminal.keys.file import KeyFile, KeyFileData, ProviderKeys, StoredKey

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def data(*keys: tuple[str, str], active: str | None = None, provider: str = "fake") -> KeyFileData:
    return KeyFileData(
        providers={
            provider: ProviderKeys(
                keys=tuple(StoredKey(label, value) for label, value in keys), active=active
            )
        }
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "keys.json"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_file_is_empty(path: Path) -> None:
    assert KeyFile(path).read() == KeyFileData()
    assert KeyFile(path).pool("fake") == []
    assert not path.exists()


def test_write_creates_parent_and_is_0600(path: Path) -> None:
    KeyFile(path).write(data(("main", "tk-test-value-1")))
    assert mode(path) == 0o600
    assert KeyFile(path).read() == data(("main", "tk-test-value-1"))


def test_rewriting_a_file_keeps_it_0600(path: Path) -> None:
    keyfile = KeyFile(path)
    keyfile.write(data(("main", "tk-test-value-1")))
    keyfile.write(data(("main", "tk-test-value-2")))
    assert mode(path) == 0o600


def test_write_leaves_no_temporary_files(path: Path) -> None:
    KeyFile(path).write(data(("main", "tk-test-value-1")))
    assert sorted(p.name for p in path.parent.iterdir()) == ["keys.json"]


def test_write_is_atomic_when_it_fails(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyfile = KeyFile(path)
    keyfile.write(data(("main", "tk-test-original")))
    before = path.read_bytes()

    def fail_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(OSError, match="disk full"):
        keyfile.write(data(("main", "tk-test-replacement")))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["keys.json"]
    assert KeyFile(path).pool("fake")[0][1].reveal() == "tk-test-original"


def test_write_atomically_never_exposes_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    write_atomically(target, "new contents", mode=0o640)
    assert target.read_text() == "new contents"
    assert mode(target) == 0o640


@pytest.mark.parametrize(
    ("active", "expected"),
    [
        (None, ["a", "b", "c"]),
        ("a", ["a", "b", "c"]),
        ("b", ["b", "c", "a"]),
        ("c", ["c", "a", "b"]),
        ("gone", ["a", "b", "c"]),
    ],
)
def test_pool_order_starts_at_the_active_label(
    path: Path, active: str | None, expected: list[str]
) -> None:
    KeyFile(path).write(
        data(("a", "tk-test-key-a"), ("b", "tk-test-key-b"), ("c", "tk-test-key-c"), active=active)
    )
    pool = KeyFile(path).pool("fake")
    assert [label for label, _ in pool] == expected
    assert [secret.reveal() for _, secret in pool] == [f"tk-test-key-{x}" for x in expected]


def test_pool_of_unknown_provider_is_empty(path: Path) -> None:
    KeyFile(path).write(data(("a", "tk-test-key-a")))
    assert KeyFile(path).pool("other") == []


@pytest.mark.parametrize("too_open", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_too_open_permissions_are_refused_and_the_file_untouched(path: Path, too_open: int) -> None:
    KeyFile(path).write(data(("main", "tk-test-secret-perm")))
    os.chmod(path, too_open)
    before = path.read_bytes()
    with pytest.raises(LiminalError) as caught:
        KeyFile(path).read()
    error = caught.value
    assert error.code is ErrorCode.INVALID_REQUEST
    assert str(path) in error.message
    assert f"{too_open:o}" in error.message
    assert "too open" in error.message
    assert error.hint == f"run `chmod 600 {path}`"
    assert "tk-test-secret-perm" not in str(error)
    assert path.read_bytes() == before
    assert mode(path) == too_open


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "",
        '{"version": 1, "providers": {"fake": 5}}',
        '{"version": 1, "providers": {"fake": {"keys": [{"label": "x"}]}}}',
        '{"version": "one", "providers": {}}',
    ],
)
def test_bad_content_is_an_error_and_the_file_untouched(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(LiminalError) as caught:
        KeyFile(path).read()
    assert caught.value.code is ErrorCode.INVALID_REQUEST
    assert "not a valid key file" in caught.value.message
    assert "untouched" in (caught.value.hint or "")
    assert path.read_text() == content


def test_external_change_is_seen_on_next_read(path: Path) -> None:
    keyfile = KeyFile(path)
    keyfile.write(data(("main", "tk-test-before")))
    assert keyfile.pool("fake")[0][1].reveal() == "tk-test-before"
    # another process (`liminal keys set` in another terminal) rewrites the file
    write_atomically(path, to_json(data(("main", "tk-test-after-change"))), mode=0o600)
    assert keyfile.pool("fake")[0][1].reveal() == "tk-test-after-change"
    assert KeyFile(path).pool("fake")[0][1].reveal() == "tk-test-after-change"


def test_same_size_rewrite_in_the_same_timestamp_tick_is_seen(path: Path) -> None:
    # coarse mtimes: `keys rotate` a→b from another terminal within one clock tick
    keyfile = KeyFile(path)
    write_atomically(
        path, to_json(data(("a", "tk-test-k1"), ("b", "tk-test-k2"), active="a")), mode=0o600
    )
    assert keyfile.pool("fake")[0][0] == "a"
    stamp = path.stat()
    write_atomically(
        path, to_json(data(("a", "tk-test-k1"), ("b", "tk-test-k2"), active="b")), mode=0o600
    )
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # the same clock tick
    assert path.stat().st_size == stamp.st_size
    assert keyfile.pool("fake")[0][0] == "b"


def test_key_file_on_disk_is_plain_json(path: Path) -> None:
    KeyFile(path).write(data(("main", "tk-test-json"), active="main"))
    import json

    assert json.loads(path.read_text()) == {
        "version": 1,
        "providers": {
            "fake": {"keys": [{"label": "main", "value": "tk-test-json"}], "active": "main"}
        },
    }


def test_default_location_follows_liminal_home(liminal_home: Path) -> None:
    assert KeyFile.default().path == liminal_home / "keys.json"
