"""Residents track by POST, so that their NIK stays out of every access log.

The GET form with ``?nik=`` stays for API 1.x clients; gunicorn's access log
format (``gunicorn.conf.py``) leaves its query string out.
"""

from __future__ import annotations

import http.client
import json
import logging
import runpy
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger
from werkzeug.serving import make_server

GUNICORN_CONF = Path(__file__).parents[2] / "gunicorn.conf.py"


def _track(world, number: str, nik: str):
    return world.call("POST", f"/track/{number}", json={"nik": nik})


@pytest.fixture
def served(world):
    """The world's app behind werkzeug's own server on a loopback port."""
    server = make_server("127.0.0.1", 0, world.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join()
    server.server_close()


def test_a_resident_tracks_by_post(world):
    application = world.submit()

    response = _track(world, application["tracking_number"], application["nik"])

    assert response.status_code == 200
    assert response.json["tracking_number"] == application["tracking_number"]
    assert response.json["status"] == application["status"]


def test_the_timeline_shows_each_step_but_not_who_handled_it(world):
    application = world.submit()
    zoning = world.task_of(application, "DPMPTSP")
    for act, body in (("claim", None), ("complete", {"data": {}})):
        done = world.call("POST", f"/tasks/{zoning}/{act}", "officer", json=body)
        assert done.status_code == 200, done.json

    response = _track(world, application["tracking_number"], application["nik"])

    steps = {step["task"]: step for step in response.json["timeline"]}
    assert set(steps) == {"Check zoning", "Check hygiene"}
    assert {step["agency"] for step in steps.values()} == {"DPMPTSP", "DINKES"}
    assert steps["Check zoning"]["state"] == "completed"
    assert steps["Check zoning"]["finished"] is not None
    assert steps["Check hygiene"]["state"] == "ready"
    assert steps["Check hygiene"]["finished"] is None
    for step in steps.values():
        assert set(step) == {"task", "agency", "state", "started", "finished"}
    # The staff view of the same application names the officer; this one cannot.
    staff = world.call("GET", f"/applications/{application['id']}", "counter")
    assert "officer" in {step["by"] for step in staff.json["timeline"]}
    assert '"officer"' not in response.get_data(as_text=True)
    assert application["nik"] not in response.get_data(as_text=True)


def test_a_wrong_number_and_a_wrong_nik_get_the_same_404(world):
    application = world.submit()
    number, right = application["tracking_number"], application["nik"]
    wrong = world.new_nik()

    answers = [
        _track(world, number, wrong),
        _track(world, "MPP-2099-999999", right),
        _track(world, "MPP-2099-999999", wrong),
        _track(world, number, "not-a-nik"),
        world.call("GET", f"/track/{number}", query_string={"nik": wrong}),
    ]

    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1
    assert all(right not in a.get_data(as_text=True) for a in answers)


def test_the_post_body_is_checked(world):
    application = world.submit()

    response = world.call(
        "POST",
        f"/track/{application['tracking_number']}",
        json={"nik": application["nik"], "name": "Siti"},
    )

    assert response.status_code == 422
    assert application["nik"] not in response.get_data(as_text=True)


def test_werkzeug_logs_the_post_without_the_nik(world, served, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    application = world.submit()
    number = application["tracking_number"]
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=10)

    connection.request(
        "POST",
        f"/api/v1/track/{number}",
        body=json.dumps({"nik": application["nik"]}),
        headers={"Content-Type": "application/json"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()

    assert response.status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any(number in line for line in lines), lines
    assert not any(application["nik"] in line for line in lines), lines


def test_gunicorns_access_log_leaves_the_query_string_out():
    log_format = runpy.run_path(str(GUNICORN_CONF))["access_log_format"]
    logger = Logger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/track/MPP-1?nik=3510164107900001",
        "PATH_INFO": "/api/v1/track/MPP-1",
        "QUERY_STRING": "nik=3510164107900001",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=42)
    atoms = logger.atoms(
        response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3)
    )

    line = log_format % logger.atoms_wrapper_class(atoms)

    assert '"GET /api/v1/track/MPP-1 HTTP/1.1" 200' in line
    assert "3510164107900001" not in line
