"""A permit from diagram upload to tracking, over HTTP only.

The concurrent part runs against a real server thread, so the two officers'
requests really overlap on the same instance.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from api.extensions import db
from engine import audit

VALID_NIK = "3510164107900003"


@pytest.fixture
def server(app):
    """Serve the app on a free port in a thread; yield its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/api/v1"
    httpd.shutdown()
    thread.join()


def _http(base, method, path, token, body=None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def _claim_and_complete(base, token, task_id, results, key):
    claimed = _http(base, "POST", f"/tasks/{task_id}/claim", token, {})
    completed = _http(
        base, "POST", f"/tasks/{task_id}/complete", token, {"data": {f"{key}_ok": True}}
    )
    results[key] = (claimed[0], completed[0], completed[1])


def test_permit_runs_end_to_end(app, api, tokens, permit_service, submit, server):
    assert [p["process_id"] for p in permit_service["processes"]] == ["joint_permit"]
    service = api("GET", "/services/DPMPTSP-900", "counter").json
    assert service["diagram_version"] == 1
    assert service["required_documents"] == ["KTP-el", "denah lokasi"]

    created = submit()
    assert created.status_code == 201, created.json
    application = created.json
    assert application["tracking_number"].startswith("MPP-")
    assert application["status"] == "in_progress"
    assert application["deadline"].endswith("+07:00")
    tasks = {t["agency"]: t for t in application["tasks"]}
    assert set(tasks) == {"DPMPTSP", "DINKES"}

    for task in tasks.values():
        refused = api("POST", f"/tasks/{task['id']}/claim", "transport_officer")
        assert refused.status_code == 403
        assert refused.json["code"] == 403

    queue = api("GET", "/tasks", "hygiene_officer").json
    assert [t["id"] for t in queue["items"]] == [tasks["DINKES"]["id"]]
    assert queue["items"][0]["tracking_number"] == application["tracking_number"]

    results: dict = {}
    workers = [
        threading.Thread(
            target=_claim_and_complete,
            args=(server, tokens[user], tasks[agency]["id"], results, agency),
        )
        for user, agency in (
            ("zoning_officer", "DPMPTSP"),
            ("hygiene_officer", "DINKES"),
        )
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert {key: value[:2] for key, value in results.items()} == {
        "DPMPTSP": (200, 200),
        "DINKES": (200, 200),
    }, results

    detail = api("GET", f"/applications/{application['id']}", "counter").json
    assert detail["status"] == "completed"
    assert detail["tasks"] == []
    assert {step["by"] for step in detail["timeline"]} == {
        "zoning_officer",
        "hygiene_officer",
    }

    tracked = api(
        "GET",
        f"/track/{application['tracking_number']}",
        query_string={"nik": VALID_NIK},
    )
    assert tracked.status_code == 200
    assert tracked.json["status"] == "completed"
    assert tracked.json["expected_completion"] == detail["deadline"][:10]

    summary = api(
        "GET", "/sla/summary", "regent", query_string={"group_by": "service"}
    ).json
    row = next(r for r in summary["items"] if r["key"] == "DPMPTSP-900")
    assert row["completed_within"] == 2

    again = api(
        "POST",
        f"/tasks/{tasks['DINKES']['id']}/complete",
        "hygiene_officer",
        json={"data": {}},
    )
    assert again.status_code == 409

    with app.app_context():
        assert audit.verify(db.session) == []
