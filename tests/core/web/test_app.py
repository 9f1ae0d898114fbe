"""The JSON API of `liminal ui`: clear errors for bad input, and no key in any response."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.uiserver import UiServer, clean_env, ui_server

SECRET = "sk-test-ui-NEVER-SHOWN-0123456789abcdef"


def error_of(status: int, body: bytes, expected_status: int) -> dict[str, str]:
    assert status == expected_status, body
    data = json.loads(body)
    assert set(data["error"]) == {"code", "message", "hint"}
    assert b"Traceback" not in body
    return data["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{", "application/json", "not valid JSON"),
        (b"[]", "application/json", "must be a JSON object"),
        (b"text=hi", "application/x-www-form-urlencoded", "must be JSON"),
        (b'{"model": "smollm2"}', "application/json", "'text' is required"),
        (b'{"text": "  ", "model": "smollm2"}', "application/json", "'text' is required"),
        (b'{"text": "hi"}', "application/json", "'model' is required"),
        (b'{"text": "hi", "model": "smollm2", "options": 3}', "application/json", "options"),
    ],
)
def test_bad_chat_requests_are_invalid_request(
    server: UiServer, body: bytes, content_type: str, message: str
) -> None:
    status, _, answer = server.request(
        "POST", "/api/chat", headers={"Content-Type": content_type}, body=body
    )
    error = error_of(status, answer, 400)
    assert error["code"] == "INVALID_REQUEST"
    assert message in error["message"]


def test_an_unknown_model_is_model_not_found(server: UiServer) -> None:
    status, data = server.post_json("/api/chat", {"text": "hi", "model": "no-such-model"})
    assert status == 404
    assert data["error"]["code"] == "MODEL_NOT_FOUND"
    status, data = server.post_json("/api/select", {"model": "no-such-model"})
    assert status == 404
    assert data["error"]["code"] == "MODEL_NOT_FOUND"


def test_an_unknown_conversation_is_invalid_request(server: UiServer) -> None:
    status, _, body = server.request("GET", "/api/conversations/nope")
    error = error_of(status, body, 400)
    assert error["message"] == "no conversation 'nope'"
    status, data = server.post_json("/api/chat", {"text": "hi", "model": "smollm2", "cid": "nope"})
    assert status == 400
    assert data["error"]["code"] == "INVALID_REQUEST"


def test_an_unknown_path_is_a_json_404(server: UiServer) -> None:
    status, _, body = server.request("GET", "/api/nothing")
    assert error_of(status, body, 404)["code"] == "MODEL_NOT_FOUND"


def test_stopping_an_unknown_turn_says_so(server: UiServer) -> None:
    status, data = server.post_json("/api/turns/nope/stop", {})
    assert (status, data) == (200, {"stopped": False})


def test_models_are_grouped_with_limits_capabilities_and_key_status(server: UiServer) -> None:
    status, _, body = server.request("GET", "/api/models")
    assert status == 200
    data = json.loads(body)
    groups = {g["provider"]: {m["id"]: m for m in g["models"]} for g in data["groups"]}
    assert {"local", "openai", "anthropic"} <= set(groups)
    smollm2 = groups["local"]["smollm2"]
    assert smollm2["key_available"] is True
    assert smollm2["key_command"] is None
    assert smollm2["context_window"] == 4096
    assert "streaming" in smollm2["capabilities"]
    gpt = groups["openai"]["gpt-4o-mini"]
    assert gpt["key_available"] is False
    assert gpt["key_command"] == "liminal keys set openai"
    assert any(m["deprecated"] for m in groups["anthropic"].values())


def test_no_response_carries_a_key(tmp_path: Path) -> None:
    env = clean_env(tmp_path, OPENAI_API_KEY=SECRET, ANTHROPIC_API_KEY=SECRET)
    with ui_server(env) as server:
        bodies = [
            server.request("GET", path)[2]
            for path in (
                "/",
                "/api/models",
                "/api/conversations",
                "/static/app.js",
                "/static/api.js",
                "/static/models.js",
            )
        ]
        status, data = server.post_json("/api/select", {"model": "gpt-4o-mini"})
        assert status == 200
        bodies.append(json.dumps(data).encode())
        models = json.loads(bodies[1])
        ready = {m["id"]: m["key_available"] for g in models["groups"] for m in g["models"]}
        assert ready["gpt-4o-mini"] is True  # the key is known to be there, and only that
        server.process.terminate()
        _, stderr = server.process.communicate(timeout=30)
    for body in bodies:
        assert SECRET.encode() not in body
        assert SECRET[-8:].encode() not in body
    assert SECRET not in stderr
