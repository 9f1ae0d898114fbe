"""Declared models on OpenAI-compatible servers: the file (liminal_openai/compatible.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liminal import ErrorCode, LiminalError
from liminal_openai.compatible import (
    FILE_NAME,
    CompatibleFile,
    CompatibleModel,
    compatible_path,
    load_compatible,
    load_compatible_models,
    save_compatible,
)

SERVER = "http://127.0.0.1:8080/v1"


def test_the_file_lives_in_liminal_home(liminal_home: Path) -> None:
    assert compatible_path() == liminal_home / FILE_NAME


def test_a_missing_file_declares_nothing(liminal_home: Path) -> None:
    assert load_compatible() == CompatibleFile()
    assert load_compatible_models() == []


def test_save_then_load_round_trips(liminal_home: Path) -> None:
    data = CompatibleFile(
        models=(
            CompatibleModel("a", SERVER, key_env_var="A_KEY", aliases=("aa",)),
            CompatibleModel("b", "https://vllm.example/v1", 32_000, 2_000, display_name="B"),
        )
    )
    save_compatible(data)
    assert load_compatible() == data
    stored = json.loads(compatible_path().read_text(encoding="utf-8"))
    assert stored["version"] == 1
    assert [m["id"] for m in stored["models"]] == ["a", "b"]


def test_save_and_load_an_explicit_path(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "compat.json"
    data = CompatibleFile(models=(CompatibleModel("x", SERVER),))
    save_compatible(data, path)
    assert load_compatible(path) == data


def test_model_info_of_a_declared_model() -> None:
    info = CompatibleModel(
        "a", SERVER, 8192, 512, key_env_var="A_KEY", aliases=("aa",)
    ).to_model_info()
    assert info.id == "a"
    assert info.provider == "openai"
    assert info.display_name == f"a ({SERVER})"
    assert (info.context_window, info.max_output_tokens) == (8192, 512)
    assert info.base_url == SERVER
    assert info.key_env_var == "A_KEY"
    assert info.aliases == ("aa",)
    assert info.capabilities.streaming


def test_model_info_keeps_a_display_name() -> None:
    assert CompatibleModel("a", SERVER, display_name="Mine").to_model_info().display_name == "Mine"


@pytest.mark.parametrize(
    "text", ["{not json", '{"version": 1, "models": "nope"}', '{"models": [{"id": "x"}]}']
)
def test_a_broken_file_is_an_error_naming_it(liminal_home: Path, text: str) -> None:
    liminal_home.mkdir()
    compatible_path().write_text(text, encoding="utf-8")
    with pytest.raises(LiminalError, match=FILE_NAME) as caught:
        load_compatible()
    assert caught.value.code is ErrorCode.INVALID_REQUEST
    assert compatible_path().read_text(encoding="utf-8") == text


def test_a_broken_file_skips_its_models_with_a_warning(
    liminal_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    liminal_home.mkdir()
    compatible_path().write_text("{not json", encoding="utf-8")
    assert load_compatible_models() == []
    [record] = [r for r in caplog.records if r.name == "liminal"]
    assert record.levelname == "WARNING"  # logged: the library prints nothing itself
    assert FILE_NAME in record.getMessage()
    assert compatible_path().read_text(encoding="utf-8") == "{not json"


def test_declared_models_load_as_model_infos(liminal_home: Path) -> None:
    save_compatible(CompatibleFile(models=(CompatibleModel("a", SERVER, key_env_var="K"),)))
    [info] = load_compatible_models()
    assert (info.id, info.base_url, info.key_env_var) == ("a", SERVER, "K")
