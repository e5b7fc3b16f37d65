"""Hostile diagrams sent to POST /api/v1/diagrams by an analyst's token.

``tests/engine/test_diagrams.py`` covers the parser's refusals one by one; here
each payload goes through HTTP, and each test checks the refusal's status and
message, that no process version was stored and that nothing outside the
request was touched (no file read, no URL fetched).
"""

from __future__ import annotations

import http.server
import io
import threading

import pytest
from sqlalchemy import func, select

from api.extensions import db
from engine.models import Instance, ProcessVersion

BPMN = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
MEGABYTE = 1024 * 1024

ENTITY_BOMB = f"""<?xml version="1.0"?>
<!DOCTYPE bomb [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<bpmn:definitions {BPMN} id="bomb"><bpmn:process id="bomb" isExecutable="true">
<bpmn:startEvent id="s" name="&f;"/></bpmn:process></bpmn:definitions>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE d [ <!ENTITY leak SYSTEM "{url}"> ]>
<bpmn:definitions {ns} id="x"><bpmn:process id="leak" isExecutable="true">
<bpmn:startEvent id="s"><bpmn:documentation>&leak;</bpmn:documentation>
</bpmn:startEvent></bpmn:process></bpmn:definitions>
"""


def _counts(world) -> tuple[int, int]:
    with world.app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(ProcessVersion)),
            db.session.scalar(select(func.count()).select_from(Instance)),
        )


def _upload(world, content: bytes, **kwargs):
    return world.call(
        "POST",
        "/diagrams",
        "analyst",
        data=content,
        content_type="application/xml",
        **kwargs,
    )


def _refused(world, content: bytes, status: int = 422):
    before = _counts(world)

    response = _upload(world, content)

    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert set(response.json) == {"code", "message", "errors"}
    assert _counts(world) == before
    return response.json


def _fan_out(tasks: int) -> bytes:
    """One process whose parallel gateway fans out to ``tasks`` manual tasks."""
    branches = "".join(
        f'<bpmn:manualTask id="t{i}"/>'
        f'<bpmn:sequenceFlow id="in{i}" sourceRef="split" targetRef="t{i}"/>'
        f'<bpmn:sequenceFlow id="out{i}" sourceRef="t{i}" targetRef="join"/>'
        for i in range(tasks)
    )
    return (
        f'<bpmn:definitions {BPMN} id="fan"><bpmn:process id="fan" isExecutable="true">'
        '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="split"/>'
        '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="go" sourceRef="s" targetRef="split"/>'
        '<bpmn:sequenceFlow id="done" sourceRef="join" targetRef="e"/>'
        f"{branches}</bpmn:process></bpmn:definitions>"
    ).encode()


class _CountingStream(io.RawIOBase):
    """An endless body of spaces that counts how much of it the server read."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b" " * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


@pytest.fixture
def listener():
    """A loopback HTTP server that records every path asked of it."""
    asked: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"fetched")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()
    thread.join()
    server.server_close()


def test_an_entity_bomb_is_refused_before_it_expands(world):
    body = _refused(world, ENTITY_BOMB.encode())

    message = body["errors"][0]["message"]
    assert "entity" in message and len(message) < 200, message


def test_a_file_entity_is_refused_and_the_file_never_read(world, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("canary-4f1d")
    content = EXTERNAL.format(url=secret.as_uri(), ns=BPMN).encode()

    body = _refused(world, content)

    assert "document type declarations" in body["errors"][0]["message"]
    assert "canary" not in str(body)


def test_an_http_entity_is_refused_and_never_fetched(world, listener):
    base, asked = listener
    content = EXTERNAL.format(url=f"{base}/leak", ns=BPMN).encode()

    body = _refused(world, content)

    assert "document type declarations" in body["errors"][0]["message"]
    assert asked == []


def test_a_50_megabyte_body_is_413_before_it_is_read(world):
    before = _counts(world)
    stream = _CountingStream()

    response = _upload(
        world,
        b"",
        environ_overrides={"wsgi.input": stream, "CONTENT_LENGTH": str(50 * MEGABYTE)},
    )

    assert response.status_code == 413
    assert set(response.json) == {"code", "message", "errors"}
    assert stream.read_bytes < MEGABYTE
    assert _counts(world) == before


def test_a_body_of_unknown_length_stops_at_the_limit(world):
    """Chunked uploads declare no length: reading must stop at the limit."""
    limit = world.app.config["MAX_CONTENT_LENGTH"]
    stream = _CountingStream()

    response = _upload(
        world,
        b"",
        environ_overrides={
            "wsgi.input": stream,
            "wsgi.input_terminated": True,
            "HTTP_TRANSFER_ENCODING": "chunked",
        },
    )

    assert response.status_code == 413
    assert stream.read_bytes <= limit + MEGABYTE


@pytest.mark.parametrize(
    "length", [str(50 * MEGABYTE), None], ids=["declared", "chunked"]
)
def test_a_50_megabyte_form_is_413(world, length):
    stream = _CountingStream()
    environ = {
        "wsgi.input": stream,
        "wsgi.input_terminated": True,
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
    }
    if length is None:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = length

    response = world.call("POST", "/diagrams", "analyst", environ_overrides=environ)

    assert response.status_code == 413
    assert stream.read_bytes <= world.app.config["MAX_CONTENT_LENGTH"] + MEGABYTE


def test_ten_thousand_nodes_are_refused_by_the_element_limit(world):
    body = _refused(world, _fan_out(10_000))

    assert body["errors"][0]["message"] == "more than 20000 elements"


def test_a_thousand_levels_of_nesting_are_refused(world):
    nested = "<bpmn:extensionElements>" * 1000 + "</bpmn:extensionElements>" * 1000
    content = (
        f'<bpmn:definitions {BPMN} id="deep"><bpmn:process id="deep" '
        f'isExecutable="true"><bpmn:startEvent id="s">{nested}</bpmn:startEvent>'
        "</bpmn:process></bpmn:definitions>"
    ).encode()

    body = _refused(world, content)

    message = body["errors"][0]["message"]
    assert "deep" in message or "depth" in message, message


def test_a_chain_too_long_for_the_parser_is_refused(world):
    """SpiffWorkflow builds specs recursively; a long chain must fail cleanly."""
    flows, previous = [], "s"
    for i in range(1000):
        flows.append(
            f'<bpmn:manualTask id="t{i}"/><bpmn:sequenceFlow id="f{i}" '
            f'sourceRef="{previous}" targetRef="t{i}"/>'
        )
        previous = f"t{i}"
    content = (
        f'<bpmn:definitions {BPMN} id="chain"><bpmn:process id="chain" '
        f'isExecutable="true"><bpmn:startEvent id="s"/>{"".join(flows)}'
        f'<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="end" sourceRef="{previous}" '
        'targetRef="e"/></bpmn:process></bpmn:definitions>'
    ).encode()

    body = _refused(world, content)

    problem = body["errors"][0]
    assert problem["element_id"] == "chain"
    assert problem["line"] == 1
    assert problem["message"] == (
        "the process is too long to parse: 1002 flow nodes in a chain; "
        "split it into call activities"
    )
