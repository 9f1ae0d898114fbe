"""``keys.json`` as a symlink (a dotfiles repository): changes go through the link."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from .helpers import BACKUP, KEY, key_file, liminal


def test_add_writes_through_the_link_and_keeps_it(liminal_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "liminal-keys.json"
    target.parent.mkdir()
    liminal_home.mkdir()
    link = key_file(liminal_home)
    link.symlink_to(target)
    assert liminal("keys", "set", "openai", input=KEY).code == 0

    result = liminal("keys", "add", "openai", "--label", "spare", input=BACKUP)

    assert result.code == 0, result.err
    assert link.is_symlink()
    assert link.resolve() == target
    labels = [k["label"] for k in json.loads(target.read_text())["providers"]["openai"]["keys"]]
    assert labels == ["default", "spare"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left
    listed = liminal("keys", "list", "--json")
    assert [row["label"] for row in json.loads(listed.out)] == ["default", "spare"]
