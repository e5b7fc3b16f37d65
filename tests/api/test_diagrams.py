"""Deployed diagrams as the modeler reads them: check, list, versions, source."""

from __future__ import annotations

from tests.api.conftest import DIAGRAMS

JOINT = (DIAGRAMS / "joint_permit.bpmn").read_text()
# The split made exclusive: its two flows then need conditions, and have none.
UNCONDITIONED = JOINT.replace(
    '<bpmn:parallelGateway id="split">', '<bpmn:exclusiveGateway id="split">', 1
).replace("</bpmn:parallelGateway>", "</bpmn:exclusiveGateway>", 1)
# A second version: the zoning check renamed, nothing else.
RENAMED = JOINT.replace('name="Check zoning"', 'name="Check zoning and height"')


def _xml(api, method, path, text, user="analyst"):
    return api(method, path, user, data=text.encode(), content_type="application/xml")


def test_a_valid_diagram_passes_the_check_and_is_not_stored(api, tokens):
    checked = _xml(api, "POST", "/diagrams/validate", JOINT)

    assert checked.status_code == 200, checked.json
    assert checked.json == {
        "valid": True,
        "processes": ["joint_permit"],
        "problems": [],
    }
    assert api("GET", "/diagrams", "analyst").json["total"] == 0


def test_the_check_names_the_flow_without_a_condition(api, tokens):
    checked = _xml(api, "POST", "/diagrams/validate", UNCONDITIONED)

    assert checked.status_code == 200
    assert checked.json["valid"] is False
    assert checked.json["processes"] == []
    problems = checked.json["problems"]
    assert {p["element_id"] for p in problems} & {"to_zoning", "to_hygiene"}
    assert all("without condition" in p["message"] for p in problems)
    # The deployment refuses the same diagram with the same problems.
    refused = _xml(api, "POST", "/diagrams", UNCONDITIONED)
    assert refused.status_code == 422
    assert refused.json["errors"] == problems


def test_malformed_xml_is_a_problem_of_the_check(api, tokens):
    checked = _xml(api, "POST", "/diagrams/validate", JOINT[:200])

    assert checked.status_code == 200
    assert checked.json["valid"] is False
    assert checked.json["problems"][0]["file"] == "upload.bpmn"


def test_the_check_accepts_a_multipart_upload_like_the_deploy(api, tokens):
    upload = {"file": (DIAGRAMS / "joint_permit.bpmn").open("rb")}
    checked = api(
        "POST",
        "/diagrams/validate",
        "analyst",
        data=upload,
        content_type="multipart/form-data",
    )

    assert checked.status_code == 200, checked.json


def test_processes_are_listed_with_their_latest_version(api, permit_service):
    assert _xml(api, "POST", "/diagrams", RENAMED).status_code == 201

    listed = api("GET", "/diagrams", "analyst").json

    assert listed["total"] == 1
    (process,) = listed["items"]
    assert process["process_id"] == "joint_permit"
    assert (process["latest_version"], process["versions"]) == (2, 2)
    assert process["name"] == "Permit reviewed by two agencies at once"


def test_versions_count_the_instances_running_on_each(api, permit_service, submit):
    first = submit()
    assert first.status_code == 201, first.json
    assert submit(nik="3510164107900011").status_code == 201
    assert _xml(api, "POST", "/diagrams", RENAMED).status_code == 201

    versions = api("GET", "/diagrams/joint_permit/versions", "analyst").json

    assert versions["total"] == 2
    counts = [
        (v["version"], v["running_instances"], v["instances"])
        for v in versions["items"]
    ]
    assert counts == [(2, 0, 0), (1, 2, 2)]
    assert versions["items"][0]["deployed_by"] == "analyst"


def test_one_versions_source_is_the_deployed_xml(api, permit_service):
    assert _xml(api, "POST", "/diagrams", RENAMED).status_code == 201

    first = api("GET", "/diagrams/joint_permit/versions/1", "analyst").json
    second = api("GET", "/diagrams/joint_permit/versions/2", "analyst").json

    assert 'name="Check zoning"' in first["bpmn_xml"]
    assert 'name="Check zoning and height"' in second["bpmn_xml"]
    assert second["file_name"] == "upload.bpmn"


def test_unknown_processes_and_versions_are_not_found(api, permit_service):
    for path in (
        "/diagrams/nothing/versions",
        "/diagrams/joint_permit/versions/9",
        "/diagrams/joint_permit/versions/99999999999999999999",
    ):
        answer = api("GET", path, "analyst")
        assert answer.status_code == 404, path
        assert set(answer.json) == {"code", "message", "errors"}


def test_diagrams_are_for_analysts(api, permit_service):
    for path in (
        "/diagrams",
        "/diagrams/joint_permit/versions",
        "/diagrams/joint_permit/versions/1",
    ):
        assert api("GET", path, "zoning_officer").status_code == 403, path
    assert (
        _xml(api, "POST", "/diagrams/validate", JOINT, user="counter").status_code
        == 403
    )
