"""Who may do what: every identity against every operation, with its status.

Identities are the roles of ``conftest.USERS`` plus three that must get
nowhere: no token, a token nobody was issued, and the token of an inactive
user. Officers and supervisors of DISHUB stand for "another agency": the
joint permit only ever reaches DPMPTSP and DINKES.
"""

from __future__ import annotations

import uuid

import pytest

from tests.hardening.world import DIAGRAM, SERVICE, SERVICE_ENTRY

SIGNED_OUT = ("anonymous", "wrong_token", "retired")
SIGNED_IN = (
    "counter",
    "officer",
    "foreign_officer",
    "supervisor",
    "foreign_supervisor",
    "regent",
    "analyst",
    "admin",
)
IDENTITIES = SIGNED_OUT + SIGNED_IN


def _as(identity: str) -> dict:
    if identity == "anonymous":
        return {}
    if identity == "wrong_token":
        return {"token": "c2VjcmV0LWJ1dC1ub3QtaXNzdWVk"}
    return {"user": identity}


def _statuses(signed_out: int = 401, default: int = 403, **allowed: int) -> dict:
    table = {identity: signed_out for identity in SIGNED_OUT}
    table |= {identity: allowed.get(identity, default) for identity in SIGNED_IN}
    return table


READ = _statuses(default=200)
# Every agency's officers and heads (their lists are scoped, never refused),
# the regent and admin.
AGENCY_STAFF = dict.fromkeys(
    (
        "officer",
        "foreign_officer",
        "supervisor",
        "foreign_supervisor",
        "regent",
        "admin",
    ),
    200,
)
PUBLIC = {identity: 200 for identity in IDENTITIES}


# Each operation sets up what it acts on and returns the response.


def me(world, who):
    return world.call("GET", "/me", **who)


def list_agencies(world, who):
    return world.call("GET", "/agencies", **who)


def list_villages(world, who):
    return world.call("GET", "/villages", **who)


def list_services(world, who):
    return world.call("GET", "/services", query_string={"q": "bersama"}, **who)


def show_service(world, who):
    return world.call("GET", f"/services/{SERVICE}", **who)


def save_service(world, who):
    return world.call("PUT", f"/services/{SERVICE}", json=SERVICE_ENTRY, **who)


def upload_diagram(world, who):
    return world.call(
        "POST",
        "/diagrams",
        data=DIAGRAM.read_bytes(),
        content_type="application/xml",
        **who,
    )


def validate_diagram(world, who):
    return world.call(
        "POST",
        "/diagrams/validate",
        data=DIAGRAM.read_bytes(),
        content_type="application/xml",
        **who,
    )


def list_diagrams(world, who):
    return world.call("GET", "/diagrams", **who)


def list_diagram_versions(world, who):
    return world.call("GET", "/diagrams/joint_permit/versions", **who)


def show_diagram_version(world, who):
    return world.call("GET", "/diagrams/joint_permit/versions/1", **who)


def submit(world, who):
    return world.call("POST", "/applications", json=world.application_body(), **who)


def list_applications(world, who):
    world.submit()
    return world.call("GET", "/applications", **who)


def show_application(world, who):
    application = world.submit()
    return world.call("GET", f"/applications/{application['id']}", **who)


def cancel_application(world, who):
    application = world.submit()
    return world.call(
        "POST",
        f"/applications/{application['id']}/cancel",
        json={"reason": "withdrawn by the applicant"},
        **who,
    )


def task_queue(world, who):
    return world.call("GET", "/tasks", **who)


def claim(world, who):
    task = world.task_of(world.submit(), "DPMPTSP")
    return world.call("POST", f"/tasks/{task}/claim", **who)


def release(world, who):
    task = world.task_of(world.submit(), "DPMPTSP")
    assert world.call("POST", f"/tasks/{task}/claim", "officer").status_code == 200
    return world.call("POST", f"/tasks/{task}/release", **who)


def complete(world, who):
    task = world.task_of(world.submit(), "DPMPTSP")
    return world.call("POST", f"/tasks/{task}/complete", json={"data": {}}, **who)


def task_form(world, who):
    task = world.task_of(world.submit(), "DPMPTSP")
    return world.call("GET", f"/tasks/{task}/form", **who)


def assign(world, who):
    task = world.task_of(world.submit(), "DPMPTSP")
    return world.call("POST", f"/tasks/{task}/assign", json={"user": "officer"}, **who)


def track(world, who):
    application = world.submit()
    return world.call(
        "GET",
        f"/track/{application['tracking_number']}",
        query_string={"nik": application["nik"]},
        **who,
    )


def track_posted(world, who):
    application = world.submit()
    return world.call(
        "POST",
        f"/track/{application['tracking_number']}",
        json={"nik": application["nik"]},
        **who,
    )


def deadline(world, who):
    query = {"start": "2025-03-03T09:00:00+07:00", "working_days": 3}
    return world.call("GET", "/calendar/deadline", query_string=query, **who)


def sla_summary(world, who):
    return world.call("GET", "/sla/summary", **who)


def sla_summary_csv(world, who):
    query = {"group_by": "service"}
    return world.call("GET", "/sla/summary.csv", query_string=query, **who)


def _escalated(world) -> int:
    """Submit an application and sweep far past its deadline; its escalation id."""
    from datetime import timedelta

    from api.extensions import db
    from engine.db import utcnow
    from engine.sla import Escalation, sweep
    from processes.applications import Application

    application = world.submit()
    with world.app.app_context():
        sweep(db.session, utcnow() + timedelta(days=60))
        db.session.commit()
        instance_id = db.session.get(Application, application["id"]).instance_id
        return db.session.scalars(
            db.select(Escalation.id).where(Escalation.instance_id == instance_id)
        ).first()


def satisfaction_index(world, who):
    return world.call(
        "GET", "/satisfaction", query_string={"group_by": "agency"}, **who
    )


def list_escalations(world, who):
    return world.call("GET", "/escalations", **who)


def acknowledge_escalation(world, who):
    escalation = _escalated(world)
    return world.call("POST", f"/escalations/{escalation}/acknowledge", **who)


def list_calendar_exceptions(world, who):
    return world.call("GET", "/calendar/exceptions", **who)


def save_calendar_exception(world, who):
    closure = {
        "agency_code": "DISHUB",
        "day": "2025-03-05",
        "kind": "closed",
        "reason": "office move",
    }
    return world.call("PUT", "/calendar/exceptions", json=closure, **who)


def remove_calendar_exception(world, who):
    closure = {"day": "2025-03-06", "kind": "closed", "reason": "flood"}
    saved = world.call("PUT", "/calendar/exceptions", "admin", json=closure)
    exception_id = saved.json["id"]
    return world.call("DELETE", f"/calendar/exceptions/{exception_id}", **who)


ENDPOINT = {
    "url": "https://simpus.example/terpadu",
    "secret": "a-secret-of-24-letters!!",
}


def _with_endpoint(world) -> None:
    saved = world.call("PUT", "/agencies/DINKES/endpoint", "admin", json=ENDPOINT)
    assert saved.status_code in (200, 201)


def list_agency_endpoints(world, who):
    _with_endpoint(world)
    return world.call("GET", "/agency-endpoints", **who)


def show_agency_endpoint(world, who):
    _with_endpoint(world)
    return world.call("GET", "/agencies/DINKES/endpoint", **who)


def save_agency_endpoint(world, who):
    return world.call("PUT", "/agencies/DISHUB/endpoint", json=ENDPOINT, **who)


def remove_agency_endpoint(world, who):
    _with_endpoint(world)
    return world.call("DELETE", "/agencies/DINKES/endpoint", **who)


def _throwaway_account(world) -> int:
    """An account of its own, so no identity of the matrix loses its token."""
    name = f"matrix-{uuid.uuid4().hex[:8]}"
    made = world.call("POST", "/users", "admin", json={"name": name, "role": "counter"})
    assert made.status_code == 201, made.json
    return made.json["id"]


def list_users(world, who):
    return world.call("GET", "/users", **who)


def add_user(world, who):
    account = {"name": f"matrix-{uuid.uuid4().hex[:8]}", "role": "analyst"}
    return world.call("POST", "/users", json=account, **who)


def give_new_token(world, who):
    user_id = _throwaway_account(world)
    return world.call("POST", f"/users/{user_id}/token", **who)


def change_user(world, who):
    user_id = _throwaway_account(world)
    return world.call("PATCH", f"/users/{user_id}", json={"active": False}, **who)


def list_incidents(world, who):
    return world.call("GET", "/incidents", **who)


def retry_application(world, who):
    # Running, not stopped: the admin passes the check and meets the state.
    application = world.submit()
    path = f"/applications/{application['id']}/retry"
    return world.call("POST", path, json={}, **who)


def openapi(world, who):
    return world.call("GET", "/openapi.json", **who)


# A supervisor may act on tasks only by assigning them; an admin may do anything
# an officer may, but releases only what it claimed itself (409 otherwise).
MATRIX = {
    me: READ,
    list_agencies: READ,
    list_villages: READ,
    list_services: READ,
    show_service: READ,
    save_service: _statuses(analyst=200, admin=200),
    upload_diagram: _statuses(analyst=201, admin=201),
    validate_diagram: _statuses(analyst=200, admin=200),
    list_diagrams: _statuses(analyst=200, admin=200),
    list_diagram_versions: _statuses(analyst=200, admin=200),
    show_diagram_version: _statuses(analyst=200, admin=200),
    submit: _statuses(counter=201, admin=201),
    list_applications: _statuses(counter=200, **AGENCY_STAFF),
    show_application: _statuses(
        default=404, counter=200, officer=200, supervisor=200, regent=200, admin=200
    ),
    # To DISHUB's head the application does not exist; DINKES's head (not
    # here) reads it but may not cancel a DPMPTSP service's application.
    cancel_application: _statuses(
        counter=200, supervisor=200, foreign_supervisor=404, regent=200, admin=200
    ),
    task_queue: _statuses(**AGENCY_STAFF),
    claim: _statuses(officer=200, admin=200),
    release: _statuses(officer=200, admin=409),
    complete: _statuses(officer=200, admin=200),
    task_form: _statuses(officer=200, supervisor=200, regent=200, admin=200),
    assign: _statuses(supervisor=200, regent=200, admin=200),
    track: PUBLIC,
    track_posted: PUBLIC,
    deadline: READ,
    sla_summary: _statuses(analyst=200, **AGENCY_STAFF),
    sla_summary_csv: _statuses(analyst=200, **AGENCY_STAFF),
    satisfaction_index: _statuses(
        supervisor=200, foreign_supervisor=200, regent=200, admin=200
    ),
    list_escalations: _statuses(
        supervisor=200, foreign_supervisor=200, regent=200, admin=200
    ),
    # The escalation is about DPMPTSP: to DISHUB's head it does not exist.
    acknowledge_escalation: _statuses(
        supervisor=200, foreign_supervisor=404, regent=200, admin=200
    ),
    list_calendar_exceptions: _statuses(admin=200),
    save_calendar_exception: _statuses(admin=201),
    remove_calendar_exception: _statuses(admin=204),
    list_agency_endpoints: _statuses(admin=200),
    show_agency_endpoint: _statuses(admin=200),
    # The first save creates it (201); this matrix saves once per identity.
    save_agency_endpoint: _statuses(admin=201),
    remove_agency_endpoint: _statuses(admin=204),
    list_users: _statuses(admin=200),
    add_user: _statuses(admin=201),
    give_new_token: _statuses(admin=200),
    change_user: _statuses(admin=200),
    list_incidents: _statuses(admin=200),
    retry_application: _statuses(admin=409),
    openapi: PUBLIC,
}
CASES = [
    pytest.param(operation, identity, status, id=f"{operation.__name__}-{identity}")
    for operation, table in MATRIX.items()
    for identity, status in table.items()
]


def test_the_matrix_names_every_operation_of_the_api():
    from api.openapi import OPERATIONS

    assert len(MATRIX) == len(OPERATIONS) + 1  # the document itself is public too


@pytest.mark.parametrize("operation, identity, expected", CASES)
def test_each_identity_gets_its_status(world, operation, identity, expected):
    response = operation(world, _as(identity))

    assert response.status_code == expected, (identity, response.json)
    if expected >= 400:
        assert set(response.json) == {"code", "message", "errors"}
    if expected == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"


# -- another agency's work ----------------------------------------------------------


def test_an_officer_never_sees_another_agencys_tasks(world):
    application = world.submit()
    mine = {t["id"] for t in application["tasks"]}

    for user in ("foreign_officer", "foreign_supervisor"):
        queue = world.call("GET", "/tasks", user, query_string={"per_page": 100})
        assert mine.isdisjoint(t["id"] for t in queue.json["items"]), user
        asked = world.call("GET", "/tasks", user, query_string={"agency": "DPMPTSP"})
        assert asked.status_code == 403, user

    dinkes = world.call("GET", "/tasks", "officer", query_string={"agency": "DINKES"})
    assert dinkes.status_code == 403


def test_an_officer_cannot_act_on_the_other_branch_of_a_shared_permit(world):
    """DPMPTSP and DINKES share the file, but each works only its own task."""
    application = world.submit()
    hygiene = world.task_of(application, "DINKES")

    for act in ("claim", "complete"):
        response = world.call(
            "POST", f"/tasks/{hygiene}/{act}", "officer", json={"data": {}}
        )
        assert response.status_code == 403, act

    refused = world.call(
        "POST",
        f"/tasks/{hygiene}/assign",
        "supervisor",
        json={"user": "hygiene_officer"},
    )
    assert refused.status_code == 403
    shown = world.call("GET", f"/applications/{application['id']}", "hygiene_officer")
    assert shown.json["tasks"][0]["state"] == "ready"


def test_a_supervisor_cannot_hand_a_task_to_another_agencys_officer(world):
    task = world.task_of(world.submit(), "DPMPTSP")

    response = world.call(
        "POST", f"/tasks/{task}/assign", "supervisor", json={"user": "foreign_officer"}
    )

    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "user"


def test_another_agencys_application_is_indistinguishable_from_a_missing_one(world):
    application = world.submit()

    foreign = world.call("GET", f"/applications/{application['id']}", "foreign_officer")
    missing = world.call("GET", "/applications/2147483647", "foreign_officer")

    assert foreign.status_code == missing.status_code == 404
    assert str(application["id"]) in foreign.json["message"]
    assert foreign.json["message"].replace(str(application["id"]), "?") == missing.json[
        "message"
    ].replace("2147483647", "?")


def test_an_unknown_task_is_404_for_anyone_signed_in(world):
    for user in ("officer", "foreign_officer", "admin"):
        response = world.call("POST", "/tasks/no-such-task/claim", user)
        assert response.status_code == 404, user


# -- tracking gives no oracle ---------------------------------------------------------


def test_tracking_answers_alike_for_a_wrong_number_and_a_wrong_nik(world):
    application = world.submit()
    number, right = application["tracking_number"], application["nik"]
    wrong = world.new_nik()

    answers = [
        world.call("GET", f"/track/{number}", query_string={"nik": wrong}),
        world.call("GET", "/track/MPP-2099-999999", query_string={"nik": right}),
        world.call("GET", "/track/MPP-2099-999999", query_string={"nik": wrong}),
        world.call("GET", f"/track/{number}", query_string={"nik": "not-a-nik"}),
    ]

    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1
    for answer in answers:
        assert right not in answer.get_data(as_text=True)
        assert wrong not in answer.get_data(as_text=True)


def test_a_tracked_application_does_not_echo_the_nik(world):
    application = world.submit()

    tracked = world.call(
        "GET",
        f"/track/{application['tracking_number']}",
        query_string={"nik": application["nik"]},
    )

    assert tracked.status_code == 200
    assert application["nik"] not in tracked.get_data(as_text=True)
