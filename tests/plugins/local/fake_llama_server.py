"""A stand-in for a user's own ``llama-server`` binary (chosen with ``$LIMINAL_LLAMA_SERVER``).

It parses the flags Liminal passes, copies its arguments and the keys it read from
``--api-key-file`` into the folder ``$FAKE_LLAMA_RECORD`` names, and answers ``GET /health``
on the port it was given until it is stopped, after ``$FAKE_LLAMA_DELAY`` seconds of
"loading" if that is set. Standard library only.
"""

from __future__ import annotations

import http.server
import json
import os
import sys
import time
from pathlib import Path


def main() -> None:
    args = sys.argv[1:]
    options = dict(zip(args[::2], args[1::2], strict=False))
    with open(options["--api-key-file"], encoding="utf-8") as key_file:
        keys = key_file.read().split()
    record = Path(os.environ["FAKE_LLAMA_RECORD"])
    (record / "record.json").write_text(json.dumps({"argv": sys.argv, "keys": keys}))

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()
            self.wfile.write(b'{"status":"ok"}')

        def log_message(self, format: str, *values: object) -> None:
            pass

    time.sleep(float(os.environ.get("FAKE_LLAMA_DELAY", "0")))
    server = http.server.HTTPServer((options["--host"], int(options["--port"])), Health)
    print(f"fake llama-server listening on {server.server_address}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
