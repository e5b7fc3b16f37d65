"""Task forms: the JSON schema a user task carries in its diagram.

An analyst writes the schema inline, as the ``form_schema`` property of a user
task's ``spiffworkflow:properties`` (JSON text in the property's value). Only
flat forms are taken: an object whose properties are strings, numbers,
integers or booleans, each with an optional ``title``, ``description`` and
``enum``, and a ``required`` list. :func:`check_forms` refuses anything else at
deployment with the file, element id and line, as other diagram problems are
refused. Without a schema the inbox offers free name and value fields.

spiff-arena names a schema file instead (``formJsonSchemaFilename``); a
deployment here holds only BPMN and DMN files, so such a name is refused with
the advice to put the schema inline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from engine.diagrams import NS, SPECS, DiagramFile, check_diagrams
from engine.errors import DiagramInvalid, Problem
from engine.models import Instance, Task
from engine.safe_xml import parse_xml

FORM_PROPERTY = "form_schema"
FILE_PROPERTY = "formJsonSchemaFilename"
FIELD_TYPES = ("string", "number", "integer", "boolean")
FORM_KEYS = {"$schema", "type", "title", "description", "properties", "required"}
FIELD_KEYS = {"type", "title", "description", "enum"}
MAX_FIELDS = 50
MAX_ENUM = 200
# Field names become workflow data that scripts read as variables, and the
# script sandbox refuses names starting with "_".
FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
FILE_REFUSED = (
    f"{FILE_PROPERTY} names a file, and a deployment holds only diagrams; "
    f"put the schema inline as the {FORM_PROPERTY} property"
)


# -- checking at deployment -----------------------------------------------------


def check_forms(
    session: Session,
    files: list[DiagramFile],
    *,
    agencies: set[str],
    roles: frozenset[str] | set[str],
) -> None:
    """Raise :class:`DiagramInvalid` when a task's form schema is bad.

    The diagrams' other checks then run too, so that the analyst reads every
    problem of the upload at once.
    """
    problems = form_problems(files)
    if not problems:
        return

    try:
        check_diagrams(session, files, agencies=agencies, roles=roles)
    except DiagramInvalid as refused:
        problems = refused.problems + problems
    raise DiagramInvalid(problems)


def form_problems(files: Iterable[DiagramFile]) -> list[Problem]:
    """Return the problems of every form schema in ``files``' diagrams."""
    problems = []
    for diagram in files:
        try:
            tree = parse_xml(diagram.name, diagram.content)
        except DiagramInvalid:
            continue  # check_diagrams reports what cannot be parsed
        for prop in tree.iterfind(".//spiff:property", NS):
            owner = _owner(prop)
            problems += [
                Problem(diagram.name, owner.get("id"), prop.sourceline, message)
                for message in _property_problems(prop, owner)
            ]
    return problems


def _owner(prop: etree._Element) -> etree._Element:
    """The element a property belongs to: its nearest ancestor with an id."""
    found = next((e for e in prop.iterancestors() if e.get("id")), None)
    return found if found is not None else etree.Element("unknown")


def _property_problems(prop: etree._Element, owner: etree._Element) -> list[str]:
    name = prop.get("name")
    if name == FILE_PROPERTY:
        return [FILE_REFUSED]
    if name != FORM_PROPERTY:
        return []
    if etree.QName(owner).localname != "userTask":
        return [f"{FORM_PROPERTY} is read on user tasks only"]

    return [f"{FORM_PROPERTY}: {m}" for m in schema_problems(prop.get("value", ""))]


def schema_problems(text: str) -> list[str]:
    """Return what is wrong with ``text`` as a form schema; empty when it is fine."""
    try:
        schema = json.loads(text)
    except ValueError as error:
        return [f"not JSON: {error}"]
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return ['give a JSON object with "type": "object"']

    problems = [
        f"{key!r} is not supported" for key in sorted(schema.keys() - FORM_KEYS)
    ]
    fields = schema.get("properties")
    if not isinstance(fields, dict) or not 0 < len(fields) <= MAX_FIELDS:
        return problems + [f"'properties' must hold 1 to {MAX_FIELDS} fields"]

    for name, field in fields.items():
        problems += [f"field {name!r}: {m}" for m in _field_problems(name, field)]
    required = schema.get("required", [])
    if not isinstance(required, list):
        return problems + ["'required' must be a list of field names"]

    problems += [
        f"'required' names {name!r}, which is not a field"
        for name in required
        if not isinstance(name, str) or name not in fields
    ]
    return problems


def _field_problems(name: str, field: Any) -> list[str]:
    if not FIELD_NAME.fullmatch(name):
        return ["a name starts with a letter and holds letters, digits and _ only"]
    if not isinstance(field, dict) or field.get("type") not in FIELD_TYPES:
        return [f"'type' must be one of {', '.join(FIELD_TYPES)}"]

    problems = [
        f"{key!r} is not supported" for key in sorted(field.keys() - FIELD_KEYS)
    ]
    for key in ("title", "description"):
        if not isinstance(field.get(key, ""), str):
            problems.append(f"{key!r} must be text")
    if "enum" in field and not _good_enum(field["enum"], field["type"]):
        problems.append(
            f"'enum' must list 1 to {MAX_ENUM} distinct {field['type']} values"
        )
    return problems


def _good_enum(choices: Any, kind: str) -> bool:
    if not isinstance(choices, list) or not 0 < len(choices) <= MAX_ENUM:
        return False

    distinct = len({json.dumps(choice) for choice in choices}) == len(choices)
    return distinct and all(fits(kind, choice) for choice in choices)


def fits(kind: str, value: Any) -> bool:
    """Tell whether ``value`` is of the form field type ``kind``."""
    # JSON true and false load as bool, which Python also counts as an int.
    if isinstance(value, bool):
        return kind == "boolean"
    if kind == "integer":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, int | float)

    return kind == "string" and isinstance(value, str)


# -- reading and using a task's form -----------------------------------------------


def form_of(
    session: Session, task: Task, instance: Instance | None = None
) -> dict[str, Any] | None:
    """Return the form schema of ``task``'s element, or None when it has none.

    ``instance`` is the task's, when the caller has it at hand. A schema
    deployed before these checks existed is only returned if it passes
    them, so the inbox never draws a form it cannot fill in.
    """
    instance = instance or session.get(Instance, task.instance_id)
    if instance is None:
        return None

    text = _form_text(session, instance, task.element_id)
    if text is None or schema_problems(text):
        return None
    return json.loads(text)


def _form_text(session: Session, instance: Instance, element_id: str) -> str | None:
    spec, subprocess_specs = SPECS.specs_for(session, instance.process_version)
    # A task in a called process is found among the called process's specs.
    for each in (spec, *subprocess_specs.values()):
        task_spec = each.task_specs.get(element_id)
        if task_spec is not None:
            properties = getattr(task_spec, "extensions", {}).get("properties", {})
            return properties.get(FORM_PROPERTY)
    return None


def submission_errors(form: dict[str, Any], data: dict[str, Any]) -> list[dict]:
    """Return a ``{field, message}`` error for each value of ``data`` the form refuses.

    Fields the form does not name are let through, as JSON Schema does by
    default.
    """
    fields = form["properties"]
    errors = [
        {"field": f"data.{name}", "message": "this field is required"}
        for name in form.get("required", [])
        if data.get(name) in (None, "")
    ]
    for name, value in data.items():
        field = fields.get(name)
        if field is None or value is None:
            continue
        if not fits(field["type"], value):
            errors.append({"field": f"data.{name}", "message": f"give {field['type']}"})
        elif "enum" in field and value not in field["enum"]:
            errors.append(
                {"field": f"data.{name}", "message": "not one of the choices"}
            )
    return errors
