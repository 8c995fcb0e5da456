"""The scrape endpoint (BACKUP_METRICS_PORT): backup-status's Prometheus text at /metrics, as the
service last refreshed it (on the watch's interval). A scrape only reads that text: it never runs
pgBackRest or asks PostgreSQL, so scrapers cannot load the repository."""

from __future__ import annotations

import http.server
import threading

from backup_service import state
from backup_service.settings import Settings
from backup_service.status import formats
from backup_service.status.report import Report

STATE = "metrics.json"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
EVERY_MINUTES_WITHOUT_WATCH = 5  # the refresh interval when BACKUP_WATCH_MINUTES is 0


def refresh(settings: Settings, report: Report) -> None:
    try:
        state.save(settings, STATE, {"text": formats.prometheus(report) + "\n", "at": settings.now})
    except OSError:
        pass  # the last text stays; backup-status says why the state dir is unwritable


def current(settings: Settings) -> str | None:
    recorded = state.load(settings, STATE)
    return str(recorded["text"]) if isinstance(recorded, dict) and "text" in recorded else None


def serve(settings: Settings) -> http.server.ThreadingHTTPServer:
    """Serves in a daemon thread until the process ends."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            text = current(settings) if self.path.split("?", 1)[0] == "/metrics" else None
            code = 200 if text is not None else 404 if not self.path.startswith("/metrics") else 503
            body = (text or ("not refreshed yet\n" if code == 503 else "see /metrics\n")).encode()
            self.send_response(code)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - scrapes are not news
            pass

    server = http.server.ThreadingHTTPServer(("", settings.metrics_port or 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics").start()
    return server
