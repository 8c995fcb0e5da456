"""A webhook receiver on 127.0.0.1 that records what run-backup posts."""

from __future__ import annotations

import dataclasses
import http.server
import json
import threading
from typing import Any


@dataclasses.dataclass
class Post:
    path: str
    content_type: str
    body: str

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Serves until stop(); answers `status` (200, or e.g. 500 to test a failing hook)."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.status = 200
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                receiver.posts.append(Post(self.path, self.headers.get("Content-Type", ""), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def take(self) -> list[Post]:
        """The posts received since the last take()."""
        posts, self.posts = self.posts, []
        return posts

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
