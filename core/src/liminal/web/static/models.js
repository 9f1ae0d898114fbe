// The model selector: every installed model grouped by provider, with its limits,
// capability badges, key status and deprecation; a filter box. Radio buttons give the
// keyboard behaviour (arrows move the choice) and accessible names for free.

const tokens = (n) => (n >= 1000 ? `${Math.round(n / 1000).toLocaleString("en")}k` : `${n}`);

export class ModelSelector {
  constructor(root, filter, note, onChoose) {
    this.root = root;
    this.note = note;
    this.onChoose = onChoose;
    this.models = new Map();
    this.filterBox = filter;
    filter.addEventListener("input", () => this.filter(filter.value));
    root.addEventListener("change", (event) => {
      if (event.target.name === "model") this.onChoose(event.target.value);
    });
  }

  render(data) {
    this.root.replaceChildren();
    this.models.clear();
    for (const group of data.groups) {
      const box = document.createElement("div");
      box.className = "provider";
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", group.name);
      const heading = document.createElement("h3");
      heading.textContent = group.name;
      box.append(heading);
      for (const model of group.models) {
        this.models.set(model.id, model);
        box.append(this.option(model));
      }
      this.root.append(box);
    }
    if (data.selected) this.show(data.selected);
    this.filter(this.filterBox.value);
  }

  option(model) {
    const label = document.createElement("label");
    label.className = "model";
    label.dataset.search = [model.id, model.name, ...model.aliases, ...model.capabilities]
      .join(" ").toLowerCase();
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "model";
    input.value = model.id;
    input.setAttribute("aria-label", model.id);
    input.setAttribute("aria-describedby", `about-${model.id}`);
    const name = document.createElement("span");
    name.className = "model-id";
    name.textContent = model.id;
    const about = document.createElement("span");
    about.className = "about";
    about.id = `about-${model.id}`;
    const limits = document.createElement("span");
    limits.className = "limits";
    limits.textContent =
      `${tokens(model.context_window)} context · ${tokens(model.max_output_tokens)} max output`;
    about.append(limits);
    for (const capability of model.capabilities) about.append(badge(capability, ""));
    if (model.deprecated) about.append(badge("deprecated", "warn"));
    if (model.key_available) {
      about.append(badge("ready", "ok"));
    } else {
      about.append(badge("needs a key", "warn"));
      const fix = document.createElement("code");
      fix.className = "fix";
      fix.textContent = model.key_command;
      about.append(fix);
    }
    label.append(input, name, about);
    return label;
  }

  // Mark `id` as the current model without telling anyone (a loaded conversation's model).
  show(id) {
    for (const input of this.root.querySelectorAll("input[name=model]")) {
      input.checked = input.value === id;
    }
    const model = this.models.get(id);
    this.note.textContent = model && !model.key_available
      ? `${id} needs a key: run ${model.key_command}` : "";
  }

  get current() {
    const checked = this.root.querySelector("input[name=model]:checked");
    return checked ? checked.value : null;
  }

  filter(text) {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    for (const group of this.root.querySelectorAll(".provider")) {
      let shown = 0;
      for (const label of group.querySelectorAll(".model")) {
        const match = words.every((w) => label.dataset.search.includes(w) ||
          group.getAttribute("aria-label").toLowerCase().includes(w));
        label.hidden = !match;
        shown += match ? 1 : 0;
      }
      group.hidden = shown === 0;
    }
  }
}

function badge(text, kind) {
  const span = document.createElement("span");
  span.className = `badge ${kind}`.trim();
  span.textContent = text;
  return span;
}
