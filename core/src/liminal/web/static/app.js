// Wiring: the selector, the chat log, the composer and the sidebar.
import * as api from "./api.js";
import { ChatLog } from "./chat.js";
import { ModelSelector } from "./models.js";

const $ = (id) => document.getElementById(id);
const log = new ChatLog($("log"));
const input = $("message");
const sendButton = $("send");
const stopButton = $("stop");
const progress = $("progress");

const state = { cid: null, turn: null, streaming: false, stopAsked: false };

const selector = new ModelSelector($("model"), $("model-filter"), $("model-note"), choose);

// One selection at a time, in order: arrowing through the models must end on the last one.
let choosing = Promise.resolve();

function choose(model) {
  choosing = choosing.then(() => select(model));
}

async function select(model) {
  try {
    const result = await api.selectModel(model, state.cid);
    selector.show(result.model);
    if (result.switched) log.notice(result.switched, "switch");
  } catch (error) {
    showError(error);
  }
}

const UNREACHABLE = "check that `liminal ui` is still running; what arrived is stored";

function showError(error) {
  // fetch() and stream reads fail with a TypeError when the server cannot be reached.
  log.error(error instanceof api.ApiError ? error : error instanceof TypeError
    ? { code: "NETWORK", message: `cannot reach liminal ui (${error.message})`, hint: UNREACHABLE }
    : { code: "UNKNOWN", message: String(error.message || error), hint: null });
}

function options() {
  const chosen = {};
  const temperature = $("opt-temperature").value;
  const maxTokens = $("opt-max-tokens").value;
  if (temperature !== "") chosen.temperature = Number(temperature);
  if (maxTokens !== "") chosen.max_tokens = Number(maxTokens);
  return chosen;
}

function setStreaming(on) {
  state.streaming = on;
  sendButton.disabled = on;
  stopButton.disabled = !on;
  if (!on) {
    state.turn = null;
    state.stopAsked = false;
    progress.textContent = "";
  }
}

function setConversation(cid) {
  state.cid = cid;
  history.replaceState(null, "", cid ? `#c=${cid}` : location.pathname);
}

async function send() {
  const text = input.value.trim();
  if (!text || state.streaming) return;
  const model = selector.current;
  if (!model) {
    log.error({ code: "MODEL_NOT_FOUND", message: "no model chosen", hint: "pick one under Model" });
    return;
  }
  input.value = "";
  input.focus(); // after a click on Send too: the next message, or Escape, goes here
  log.user(text);
  const answer = log.assistant(model);
  setStreaming(true);
  // Time to first token as a person sees it, for benchmarks/webui.py.
  performance.clearMarks("liminal-send");
  performance.clearMarks("liminal-start");
  performance.clearMarks("liminal-first-token");
  performance.mark("liminal-send");
  let ended = false;
  try {
    await api.chat({ text, model, cid: state.cid, options: options() }, (name, data) => {
      if (name === "start") {
        performance.mark("liminal-start");
        state.turn = data.turn;
        if (state.stopAsked) stop();
      } else if (name === "delta") {
        if (!answer.text) performance.mark("liminal-first-token");
        progress.textContent = "";
        answer.append(data.text);
      } else if (name === "progress") {
        progress.textContent = data.text;
      } else if (name === "notice") {
        log.notice(data.text);
      } else if (name === "done" || name === "stopped") {
        ended = true;
        if (data.cid) setConversation(data.cid);
        answer.finish(name === "done" ? "complete" : "interrupted", data.model);
      } else if (name === "error") {
        ended = true;
        if (data.cid) setConversation(data.cid);
        if (data.partial) answer.finish("interrupted");
        else answer.element.remove();
        log.error(data);
      }
    });
    if (!ended) {
      // The connection closed without a last event: `liminal ui` stopped, or a proxy cut it.
      answer.finish("interrupted");
      log.error(interrupted());
    }
  } catch (error) {
    if (ended) showError(error);
    else if (state.turn && !(error instanceof api.ApiError)) {
      answer.finish("interrupted"); // the answer had begun: the stream broke
      log.error(interrupted());
    } else {
      answer.element.remove();
      showError(error);
    }
  } finally {
    setStreaming(false);
    refreshConversations();
  }
}

function interrupted() {
  return {
    code: "STREAM_INTERRUPTED",
    message: "the connection to liminal ui ended before the answer did",
    hint: UNREACHABLE,
  };
}

async function stop() {
  if (!state.streaming) return;
  if (!state.turn) {
    state.stopAsked = true; // the answer has no id yet: stop it as soon as it has
    return;
  }
  try {
    await api.stopTurn(state.turn);
  } catch (error) {
    showError(error);
  }
}

async function refreshConversations() {
  let conversations;
  try {
    conversations = await api.listConversations();
  } catch (error) {
    if (error instanceof api.ApiError) showError(error); // unreachable: said already
    return;
  }
  const list = $("conversations");
  list.replaceChildren();
  for (const c of conversations) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "conversation";
    button.dataset.cid = c.id;
    button.textContent = c.title || "(empty)";
    button.title = `${c.messages} messages · ${new Date(c.updated * 1000).toLocaleString()}`;
    if (c.id === state.cid) button.setAttribute("aria-current", "true");
    button.addEventListener("click", () => openConversation(c.id));
    item.append(button);
    list.append(item);
  }
}

async function openConversation(cid) {
  if (state.streaming) return;
  try {
    const conversation = await api.getConversation(cid);
    setConversation(conversation.id);
    log.load(conversation.messages);
    if (conversation.model) selector.show(conversation.model);
  } catch (error) {
    showError(error);
  }
  refreshConversations();
}

async function newChat() {
  if (state.streaming) return;
  setConversation(null);
  log.clear();
  input.focus();
  refreshConversations();
  // A new chat starts on the stored selection (a conversation opened before may have shown
  // its own model), with key availability as it is now.
  try {
    selector.render(await api.getModels());
  } catch (error) {
    showError(error);
  }
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") stop();
});
stopButton.addEventListener("click", stop);
$("new-chat").addEventListener("click", newChat);

async function start() {
  const match = location.hash.match(/^#c=([\w-]+)$/);
  // The sidebar loads while the models do: one wait instead of two.
  const sidebar = match ? null : refreshConversations();
  try {
    selector.render(await api.getModels());
  } catch (error) {
    showError(error);
  }
  if (match) await openConversation(match[1]);
  else await sidebar;
  document.body.dataset.ready = "true";
  performance.mark("liminal-ready"); // the page is usable: benchmarks/webui.py reads it
  input.focus();
}

start();
