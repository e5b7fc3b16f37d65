"""Task forms: which schemas a deployment takes, and what a form refuses."""

from __future__ import annotations

import json
from xml.sax.saxutils import quoteattr

import pytest

from engine.diagrams import DiagramFile
from processes.forms import fits, form_problems, schema_problems, submission_errors

FORM = {
    "type": "object",
    "title": "Hasil pemeriksaan",
    "properties": {
        "decision": {"type": "string", "enum": ["disetujui", "ditolak"]},
        "floor_area": {"type": "number", "title": "Luas (m²)"},
        "floors": {"type": "integer"},
        "fire_exit": {"type": "boolean", "description": "Pintu darurat"},
    },
    "required": ["decision", "floors"],
}
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:{tag} id="inspect">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="sla_working_days" value="2"/>
          <spiffworkflow:property name="{name}" value={value}/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:{tag}>
  </bpmn:process>
</bpmn:definitions>
"""
PROPERTY_LINE = 9


def _diagram(value: str, tag: str = "userTask", name: str = "form_schema"):
    text = DIAGRAM.format(tag=tag, name=name, value=quoteattr(value))
    return DiagramFile("inspection.bpmn", text.encode())


def _with(**changes) -> str:
    return json.dumps(FORM | changes)


def _field(name: str = "a", **field) -> str:
    """A form of the one field ``name``, none of it required."""
    return _with(properties={name: field}, required=[])


def test_a_flat_form_has_no_problems():
    assert schema_problems(json.dumps(FORM)) == []
    assert form_problems([_diagram(json.dumps(FORM))]) == []


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "not JSON: "),
        ("[]", 'give a JSON object with "type": "object"'),
        (_with(type="array"), 'give a JSON object with "type": "object"'),
        (_with(properties={}), "'properties' must hold 1 to 50 fields"),
        (_with(allOf=[]), "'allOf' is not supported"),
        (
            _field(type="object"),
            "field 'a': 'type' must be one of string, number, integer, boolean",
        ),
        (
            _field("_secret", type="string"),
            "field '_secret': a name starts with a letter",
        ),
        (
            _field(type="string", format="date"),
            "field 'a': 'format' is not supported",
        ),
        (
            _field(type="integer", enum=[1, True]),
            "field 'a': 'enum' must list 1 to 200 distinct integer values",
        ),
        (
            _field(type="string", enum=["x", "x"]),
            "field 'a': 'enum' must list 1 to 200 distinct string values",
        ),
        (
            _field(type="string", title=3),
            "field 'a': 'title' must be text",
        ),
        (_with(required=["nowhere"]), "'required' names 'nowhere', which is not"),
        (_with(required="decision"), "'required' must be a list of field names"),
    ],
)
def test_a_schema_outside_the_flat_forms_is_refused(text, problem):
    problems = schema_problems(text)

    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


def test_a_bad_form_is_located_on_its_user_tasks_property():
    (problem,) = form_problems([_diagram(_with(required=["nowhere"]))])

    assert (problem.file, problem.element_id, problem.line) == (
        "inspection.bpmn",
        "inspect",
        PROPERTY_LINE,
    )
    assert problem.message == (
        "form_schema: 'required' names 'nowhere', which is not a field"
    )


def test_a_form_on_another_kind_of_task_is_refused():
    (problem,) = form_problems([_diagram(json.dumps(FORM), tag="manualTask")])

    assert problem.element_id == "inspect"
    assert problem.message == "form_schema is read on user tasks only"


def test_a_schema_file_name_is_refused_with_the_way_to_inline_it():
    (problem,) = form_problems(
        [_diagram("inspection.json", name="formJsonSchemaFilename")]
    )

    assert problem.line == PROPERTY_LINE
    assert "put the schema inline as the form_schema property" in problem.message


def test_unparsable_files_are_left_to_the_diagram_checks():
    assert form_problems([DiagramFile("broken.bpmn", b"<bpmn:definitions")]) == []


@pytest.mark.parametrize(
    "kind, good, bad",
    [
        ("string", "x", 1),
        ("number", 2.5, "2.5"),
        ("integer", 3, 3.5),
        ("integer", 3, True),
        ("boolean", False, 0),
    ],
)
def test_values_fit_their_field_type(kind, good, bad):
    assert fits(kind, good)
    assert not fits(kind, bad)


def test_a_submission_is_checked_against_the_form():
    data = {"decision": "maybe", "floor_area": "big", "fire_exit": True, "extra": 1}

    errors = submission_errors(FORM, data)

    assert errors == [
        {"field": "data.floors", "message": "this field is required"},
        {"field": "data.decision", "message": "not one of the choices"},
        {"field": "data.floor_area", "message": "give number"},
    ]
    typed = {"decision": "ditolak", "floor_area": 120, "floors": 2}
    assert submission_errors(FORM, typed) == []
