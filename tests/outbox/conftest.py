"""Fixtures for the outbox: a real signed-webhook receiver on loopback, and a backoff for time travel."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from server.outbox import signing
from tests.server.conftest import *  # noqa: F403

WEBHOOK_SECRET = "webhook-test-secret-for-the-call-centre"


@dataclass
class Receiver:
    """The call centre's end: verifies each POST with signing.verify, answers 200 or, when told to, fails."""

    url: str = ""
    secret: bytes = WEBHOOK_SECRET.encode()
    fail_next: int = 0
    fail_status: int = 500
    delivered: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers, body: bytes) -> int:
        with self.lock:
            self.attempts += 1
            try:
                signing.verify(
                    self.secret,
                    headers.get("X-Huifang-Signature"),
                    headers.get("X-Huifang-Timestamp"),
                    body,
                    now=int(time.time()),
                )
            except signing.SignatureError as exc:
                self.refused.append(exc.code)
                return 401
            if self.fail_next:
                self.fail_next -= 1
                return self.fail_status
            self.delivered.append(
                {"headers": {k.lower(): v for k, v in headers.items()}, "body": json.loads(body)}
            )
            return 200


@pytest.fixture
def receiver(app, monkeypatch):
    """A real HTTP server on 127.0.0.1 (random port) that the app's webhooks go to for this test."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = state.handle(self.headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/huifang/events"
    monkeypatch.setitem(app.config, "HUIFANG_WEBHOOK_URL", state.url)
    monkeypatch.setitem(app.config, "HUIFANG_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "HUIFANG_WEBHOOK_TIMEOUT", 2.0)
    yield state
    server.shutdown()
    server.server_close()


def fast_backoff(attempts: int) -> float:
    """Tests travel in time instead of sleeping: 10 s, 20 s, 40 s, ..."""
    return 10.0 * 2 ** (attempts - 1)
