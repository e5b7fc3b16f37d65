"""An agency's own back office on loopback, for tests of pushes to it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# The network the test systems listen on, refused to pushes unless allowed.
LOOPBACK = "127.0.0.0/8"


class AgencySystem:
    """An agency's back office: records each push, answers with ``status``."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        # While cleared, a push is received but not answered.
        self.answering = threading.Event()
        self.answering.set()
        system = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                system.received.append((dict(self.headers), self.rfile.read(length)))
                system.answering.wait(30)
                self.send_response(system.status)
                self.end_headers()

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/terpadu/tasks"

    def pushes(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def agency_system() -> Iterator[AgencySystem]:
    system = AgencySystem()
    thread = threading.Thread(target=system.server.serve_forever, daemon=True)
    thread.start()
    yield system
    system.answering.set()
    system.server.shutdown()
    system.server.server_close()
