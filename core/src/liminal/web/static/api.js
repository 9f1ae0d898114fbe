// The server's JSON API and its Server-Sent Events. The page holds no conversation logic:
// history, fitting, fallback and storing happen on the server, in liminal's Conversation.

export class ApiError extends Error {
  constructor({ code, message, hint }) {
    super(message);
    this.code = code;
    this.hint = hint;
  }
}

async function call(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  return readJson(response);
}

async function readJson(response) {
  let data;
  try {
    data = await response.json();
  } catch {
    throw new ApiError({ code: "UNKNOWN", message: `HTTP ${response.status}`, hint: null });
  }
  if (!response.ok) throw new ApiError(data.error);
  return data;
}

export const getModels = () => call("/api/models");
export const selectModel = (model, cid) => call("/api/select", { model, cid });
export const listConversations = () => call("/api/conversations");
export const getConversation = (cid) => call(`/api/conversations/${encodeURIComponent(cid)}`);
export const stopTurn = (turn) => call(`/api/turns/${encodeURIComponent(turn)}/stop`, {});

// POST /api/chat and hand each event to onEvent(name, data) as it arrives.
export async function chat(request, onEvent) {
  const response = await fetch("/api/chat", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  if (!response.ok) await readJson(response); // throws the API's error
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      onEvent(name, data ? JSON.parse(data) : {});
    }
  }
}
