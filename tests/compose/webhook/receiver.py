"""A webhook receiver on the compose network, for the compose drills: each POST is appended as
one JSON line ({"path", "content_type", "body"}) to /receiver/posts.jsonl, answered 204.
Runs in the setup image (Python, standard library only)."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

POSTS = "/receiver/posts.jsonl"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(POSTS, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                     "body": body.decode(errors="replace")}) + "\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
