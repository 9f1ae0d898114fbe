"""``liminal ui``: the chat and its model selector as a local web app.

A renderer like the CLI's ``chat``: every turn is :class:`liminal.conversation.Conversation`'s
(history, fitting, fallback, storing); this package only carries it to a browser.

- ``guard``: the per-launch token, Host and Origin checks, in front of every request.
- ``turns``: running answers, as Server-Sent Events, and stopping them.
- ``app``: the Starlette application (JSON API, the page and its static files).
- ``serve``: binding, the printed URL, uvicorn.
- ``static/``: plain HTML, CSS and JS modules, shipped as package data (no build step).

Nothing here is imported unless ``liminal ui`` runs: the CLI starts without the web stack.
"""
