"""A user task's form schema: checked on deployment, read back for the inbox."""

from __future__ import annotations

import json
from xml.sax.saxutils import quoteattr

from tests.api.conftest import DIAGRAMS

JOINT = (DIAGRAMS / "joint_permit.bpmn").read_text()
FORM = {
    "type": "object",
    "properties": {
        "zone": {"type": "string", "title": "Zona", "enum": ["R1", "K2"]},
        "height_m": {"type": "number", "title": "Tinggi (m)"},
        "approved": {"type": "boolean"},
    },
    "required": ["zone", "approved"],
}
ZONING_TASK = '<bpmn:userTask id="check_zoning" name="Check zoning">'
SPIFF = 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'


def with_form(schema: dict | str, diagram: str = JOINT) -> str:
    """Return ``diagram`` with ``schema`` as the zoning check's form."""
    text = schema if isinstance(schema, str) else json.dumps(schema)
    extension = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="form_schema" value={quoteattr(text)}/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )
    return diagram.replace("<bpmn:definitions ", f"<bpmn:definitions {SPIFF} ").replace(
        ZONING_TASK, ZONING_TASK + extension
    )


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def _xml(api, path, text):
    return api(
        "POST", path, "analyst", data=text.encode(), content_type="application/xml"
    )


def test_a_bad_form_schema_is_refused_naming_file_element_and_line(api, tokens):
    diagram = with_form(FORM | {"required": ["zone", "permit_no"]})

    refused = _xml(api, "/diagrams", diagram)

    assert refused.status_code == 422
    assert refused.json["errors"] == [
        {
            "file": "upload.bpmn",
            "element_id": "check_zoning",
            "line": _line_of(diagram, 'name="form_schema"'),
            "message": (
                "form_schema: 'required' names 'permit_no', which is not a field"
            ),
        }
    ]
    assert api("GET", "/diagrams", "analyst").json["total"] == 0


def test_the_check_lists_a_bad_form_with_the_diagrams_other_problems(api, tokens):
    exclusive = JOINT.replace(
        '<bpmn:parallelGateway id="split">', '<bpmn:exclusiveGateway id="split">', 1
    ).replace("</bpmn:parallelGateway>", "</bpmn:exclusiveGateway>", 1)

    checked = _xml(api, "/diagrams/validate", with_form("{oops", exclusive))

    assert checked.status_code == 200
    assert checked.json["valid"] is False
    messages = {p["element_id"]: p["message"] for p in checked.json["problems"]}
    assert messages["check_zoning"].startswith("form_schema: not JSON: ")
    assert {"to_zoning", "to_hygiene"} & messages.keys()


def test_a_task_shows_its_form_to_whoever_may_act_on_it(api, tokens, submit):
    deployed = _xml(api, "/diagrams", with_form(FORM))
    assert deployed.status_code == 201, deployed.json
    entry = {
        "name_id": "Izin bersama",
        "agency_code": "DPMPTSP",
        "process_id": "joint_permit",
        "sla_working_days": 5,
    }
    assert api("PUT", "/services/DPMPTSP-900", "analyst", json=entry).status_code == 201
    tasks = {t["agency"]: t["id"] for t in submit().json["tasks"]}

    zoning = api("GET", f"/tasks/{tasks['DPMPTSP']}/form", "zoning_officer")
    hygiene = api("GET", f"/tasks/{tasks['DINKES']}/form", "hygiene_officer")
    elsewhere = api("GET", f"/tasks/{tasks['DPMPTSP']}/form", "hygiene_officer")

    assert zoning.status_code == 200
    assert zoning.json == {
        "task_id": tasks["DPMPTSP"],
        "form": FORM,
        "order": ["zone", "height_m", "approved"],
    }
    assert hygiene.json["form"] is None
    assert hygiene.json["order"] == []
    assert elsewhere.status_code == 403


def test_completing_with_data_the_form_refuses_changes_nothing(api, tokens, submit):
    assert _xml(api, "/diagrams", with_form(FORM)).status_code == 201
    entry = {
        "name_id": "Izin bersama",
        "agency_code": "DPMPTSP",
        "process_id": "joint_permit",
        "sla_working_days": 5,
    }
    assert api("PUT", "/services/DPMPTSP-900", "analyst", json=entry).status_code == 201
    zoning = next(t for t in submit().json["tasks"] if t["agency"] == "DPMPTSP")
    complete = f"/tasks/{zoning['id']}/complete"

    refused = api(
        "POST",
        complete,
        "zoning_officer",
        json={"data": {"zone": "X9", "height_m": "tall"}},
    )
    still_open = api("GET", f"/tasks/{zoning['id']}/form", "zoning_officer")
    accepted = api(
        "POST",
        complete,
        "zoning_officer",
        json={"data": {"zone": "R1", "height_m": 7.5, "approved": True}},
    )

    assert refused.status_code == 422
    assert {e["field"] for e in refused.json["errors"]} == {
        "data.zone",
        "data.height_m",
        "data.approved",
    }
    assert still_open.status_code == 200
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["state"] == "completed"
