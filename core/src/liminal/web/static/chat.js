// The conversation as the page shows it: messages, notices, errors. Rendering only.

export class ChatLog {
  constructor(root) {
    this.root = root;
  }

  clear() {
    this.root.replaceChildren();
  }

  user(text) {
    return this.add(message("user", text));
  }

  // An answer being streamed: append() its text, then finish() it.
  assistant(model) {
    const element = this.add(message("assistant", ""));
    element.dataset.model = model;
    element.dataset.status = "streaming";
    element.setAttribute("aria-busy", "true");
    const body = element.querySelector(".text");
    return {
      element,
      append: (text) => {
        body.textContent += text;
        this.scroll();
      },
      finish: (status, model) => {
        element.dataset.status = status;
        element.removeAttribute("aria-busy");
        if (model) element.dataset.model = model;
        label(element);
        if (status === "interrupted") element.append(note("stopped; what arrived is kept"));
      },
      get text() {
        return body.textContent;
      },
    };
  }

  // `kind` "switch": a switch right after another replaces its line (arrowing through the
  // models switches at each step; only the last one matters).
  notice(text, kind = "") {
    const last = this.root.lastElementChild;
    if (kind && last && last.classList.contains("notice") && last.dataset.kind === kind) {
      last.textContent = text;
      return last;
    }
    const element = document.createElement("p");
    element.className = "notice";
    element.dataset.kind = kind;
    element.setAttribute("role", "status");
    element.textContent = text;
    return this.add(element);
  }

  error({ code, message: text, hint }) {
    const element = document.createElement("div");
    element.className = "error";
    element.setAttribute("role", "alert");
    const head = document.createElement("p");
    const strong = document.createElement("strong");
    strong.className = "code";
    strong.textContent = code;
    head.append(strong, ` ${text}`);
    element.append(head);
    if (hint) {
      const tip = document.createElement("p");
      tip.className = "hint";
      tip.textContent = `Hint: ${hint}`;
      element.append(tip);
    }
    return this.add(element);
  }

  // A stored conversation, as the server returns it.
  load(messages) {
    this.clear();
    for (const m of messages) {
      if (m.role === "user") {
        const element = this.user(m.content);
        if (m.status === "failed") element.append(note("no answer came"));
      } else if (m.role === "assistant") {
        const element = this.add(message("assistant", m.content));
        element.dataset.model = m.model || "";
        element.dataset.status = m.status;
        label(element);
        if (m.status === "interrupted") element.append(note("stopped; what arrived is kept"));
        if (m.status === "error") element.append(note("failed"));
      }
    }
  }

  add(element) {
    this.root.append(element);
    this.scroll();
    return element;
  }

  scroll() {
    this.root.scrollTop = this.root.scrollHeight;
  }
}

function message(role, text) {
  const element = document.createElement("article");
  element.className = `message ${role}`;
  const who = document.createElement("header");
  who.className = "who";
  who.textContent = role === "user" ? "You" : "";
  const body = document.createElement("div");
  body.className = "text";
  body.textContent = text;
  element.append(who, body);
  return element;
}

// The header of an answer names the model that wrote it.
function label(element) {
  element.querySelector(".who").textContent = element.dataset.model || "assistant";
}

function note(text) {
  const element = document.createElement("p");
  element.className = "note";
  element.textContent = `(${text})`;
  return element;
}
