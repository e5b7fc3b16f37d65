"""The OpenAPI 3 document, generated from the marshmallow schemas.

Each operation is listed once in ``OPERATIONS`` with the schemas it reads
and writes; apispec's marshmallow plugin turns those into JSON Schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from . import schemas as s
from .views import API_PREFIX

TITLE = "Terpadu API"
VERSION = "1.0.0"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    # A marshmallow schema for JSON, or a JSON Schema for another media type.
    response: type[Schema] | dict[str, Any] | None
    status: int = 200
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    public: bool = False
    content: str = "application/json"
    produces: str = "application/json"
    errors: tuple[int, ...] = (400, 401, 403, 404, 422)
    description: str | None = None
    deprecated: bool = False
    # A create-or-update answers 201 when it created, ``status`` otherwise.
    creates: bool = False


AGENCY_PAGE = s.page_of(s.AgencySchema, "AgencyPage")
VILLAGE_PAGE = s.page_of(s.VillageSchema, "VillagePage")
SERVICE_PAGE = s.page_of(s.ServiceSchema, "ServicePage")
TASK_PAGE = s.page_of(s.TaskSchema, "TaskPage")
APPLICATION_PAGE = s.page_of(s.ApplicationBriefSchema, "ApplicationPage")
ESCALATION_PAGE = s.page_of(s.EscalationSchema, "EscalationPage")
CALENDAR_PAGE = s.page_of(s.CalendarExceptionSchema, "CalendarExceptionPage")
ENDPOINT_PAGE = s.page_of(s.AgencyEndpointSchema, "AgencyEndpointPage")
USER_PAGE = s.page_of(s.UserSchema, "UserPage")
INCIDENT_PAGE = s.page_of(s.IncidentSchema, "IncidentPage")
DIAGRAM_PAGE = s.page_of(s.DiagramSchema, "DiagramPage")
VERSION_PAGE = s.page_of(s.DiagramVersionSchema, "DiagramVersionPage")
CODE = {"code": "string"}
TASK = {"task_id": "string"}
PROCESS = {"process_id": "string"}
EXCEPTION_ID = {"exception_id": "integer"}
USER_ID = {"user_id": "integer"}

OPERATIONS = (
    Operation(
        "get",
        "/me",
        "Show the signed-in staff member",
        s.MeSchema,
        errors=(401,),
        description="Name, role, agency and village of the bearer token's "
        "user, so a client can tell its own claims and default a village "
        "office's applications to its village.",
    ),
    Operation(
        "get", "/users", "List staff accounts (admin)", USER_PAGE, query=s.UserQuery
    ),
    Operation(
        "post",
        "/users",
        "Make a staff account (admin)",
        s.UserCreatedSchema,
        status=201,
        body=s.UserInputSchema,
        errors=(400, 401, 403, 409, 422),
        description="Officers need an agency; a supervisor heads one, or "
        "without one is the regent; a counter clerk may sit in a village "
        "office. The token is in this answer only.",
    ),
    Operation(
        "post",
        "/users/{user_id}/token",
        "Give a staff account a new token; the old one stops working (admin)",
        s.TokenSchema,
        path_params=USER_ID,
        errors=(401, 403, 404),
    ),
    Operation(
        "patch",
        "/users/{user_id}",
        "Deactivate a staff account or activate it again (admin)",
        s.UserSchema,
        body=s.UserChangeSchema,
        path_params=USER_ID,
    ),
    Operation("get", "/agencies", "List agencies", AGENCY_PAGE, query=s.PageQuery),
    Operation(
        "get",
        "/agency-endpoints",
        "List the agencies whose systems are pushed their tasks (admin)",
        ENDPOINT_PAGE,
        query=s.PageQuery,
    ),
    Operation(
        "get",
        "/agencies/{code}/endpoint",
        "Show where an agency's system is pushed its tasks (admin)",
        s.AgencyEndpointSchema,
        path_params=CODE,
        errors=(401, 403, 404),
    ),
    Operation(
        "put",
        "/agencies/{code}/endpoint",
        "Push an agency's tasks to its own system (admin)",
        s.AgencyEndpointSchema,
        body=s.AgencyEndpointInputSchema,
        path_params=CODE,
        creates=True,
        description="Each dispatch then POSTs the tasks that reached the "
        "agency's queue to url, as JSON {agency, tasks: [{task_id, "
        "instance_id, element_id, name, deadline, tracking_number}]} signed "
        "in X-Terpadu-Signature: sha256=<HMAC-SHA256 of the body under "
        "secret>. A push not answered with 2xx is sent again; receivers "
        "treat a task id already seen as received.",
    ),
    Operation(
        "delete",
        "/agencies/{code}/endpoint",
        "Stop pushing an agency's tasks to its system (admin)",
        None,
        status=204,
        path_params=CODE,
        errors=(401, 403, 404),
    ),
    Operation(
        "get",
        "/villages",
        "List the regency's villages (desa and kelurahan)",
        VILLAGE_PAGE,
        query=s.PageQuery,
        errors=(400, 401, 422),
        description="By Kemendagri code, each with its kecamatan: the codes "
        "an application's village_code takes.",
    ),
    Operation(
        "get",
        "/services",
        "List services, by agency or text",
        SERVICE_PAGE,
        query=s.ServiceQuery,
    ),
    Operation(
        "get",
        "/services/{code}",
        "Show one service",
        s.ServiceDetailSchema,
        path_params=CODE,
    ),
    Operation(
        "put",
        "/services/{code}",
        "Create or update a service (analyst)",
        s.ServiceDetailSchema,
        body=s.ServiceInputSchema,
        path_params=CODE,
        creates=True,
    ),
    Operation(
        "post",
        "/diagrams",
        "Deploy BPMN diagrams (analyst)",
        s.DeploymentSchema,
        status=201,
        body=s.DiagramUploadSchema,
        content="multipart/form-data",
        errors=(400, 401, 403, 413, 422),
    ),
    Operation(
        "post",
        "/diagrams/validate",
        "Check BPMN diagrams without deploying (analyst)",
        s.DiagramCheckSchema,
        body=s.DiagramUploadSchema,
        content="multipart/form-data",
        errors=(400, 401, 403, 413, 422),
        description="Runs every check of a deployment and stores nothing. "
        "A diagram a deployment would refuse is answered with 200, "
        "valid false and its problems, each with file, element id and "
        "line, as the deployment's 422 would list them.",
    ),
    Operation(
        "get",
        "/diagrams",
        "List deployed processes (analyst)",
        DIAGRAM_PAGE,
        query=s.PageQuery,
    ),
    Operation(
        "get",
        "/diagrams/{process_id}/versions",
        "List a process's versions with their instances (analyst)",
        VERSION_PAGE,
        query=s.PageQuery,
        path_params=PROCESS,
    ),
    Operation(
        "get",
        "/diagrams/{process_id}/versions/{version}",
        "Show one version's BPMN source (analyst)",
        s.DiagramSourceSchema,
        path_params={**PROCESS, "version": "integer"},
    ),
    Operation(
        "post",
        "/applications",
        "Submit an application (counter)",
        s.ApplicationSchema,
        status=201,
        body=s.ApplicationInputSchema,
        errors=(400, 401, 403, 409, 422),
    ),
    Operation(
        "get",
        "/applications",
        "List applications, newest first",
        APPLICATION_PAGE,
        query=s.ApplicationQuery,
        description="The applications the caller may open: a counter clerk's "
        "own submissions, those an officer's or agency head's agency works "
        "on, every one for the regent. Filter by status, service or tracking "
        "number, e.g. the completed ones waiting to be handed back.",
    ),
    Operation(
        "get",
        "/applications/{application_id}",
        "Show an application",
        s.ApplicationSchema,
        path_params={"application_id": "integer"},
    ),
    Operation(
        "post",
        "/applications/{application_id}/cancel",
        "Cancel an application (counter, supervisor)",
        s.ApplicationSchema,
        body=s.CancelInputSchema,
        path_params={"application_id": "integer"},
        errors=(400, 401, 403, 404, 409, 422),
        description="Withdraws an application still under way: its open "
        "tasks close as cancelled, its SLA clock stops and the resident is "
        "notified; the reason is kept in the audit chain. A counter clerk "
        "cancels applications they submitted, an agency head those of their "
        "agency's services, the regent any. An application already ended is "
        "409.",
    ),
    Operation(
        "post",
        "/applications/{application_id}/retry",
        "Run the step that stopped an application again (admin)",
        s.ApplicationSchema,
        body=s.RetryInputSchema,
        path_params={"application_id": "integer"},
        errors=(400, 401, 403, 404, 409, 422),
        description="For an application in error: data is merged into the "
        "failed step first, for when the cause was missing or wrong data. "
        "The step may fail again, leaving the application in error.",
    ),
    Operation(
        "get",
        "/incidents",
        "List applications stopped by a failed step, oldest first (admin)",
        INCIDENT_PAGE,
        query=s.PageQuery,
    ),
    Operation("get", "/tasks", "List a task queue", TASK_PAGE, query=s.TaskQuery),
    Operation(
        "post",
        "/tasks/{task_id}/claim",
        "Claim a task (officer)",
        s.TaskSchema,
        path_params=TASK,
        errors=(401, 403, 404, 409),
    ),
    Operation(
        "post",
        "/tasks/{task_id}/release",
        "Release a task (officer)",
        s.TaskSchema,
        path_params=TASK,
        errors=(401, 403, 404, 409),
    ),
    Operation(
        "post",
        "/tasks/{task_id}/complete",
        "Complete a task (officer)",
        s.TaskSchema,
        body=s.CompleteInputSchema,
        path_params=TASK,
        errors=(400, 401, 403, 404, 409, 422),
    ),
    Operation(
        "get",
        "/tasks/{task_id}/form",
        "Show a task's form (officer)",
        s.TaskFormSchema,
        path_params=TASK,
        errors=(401, 403, 404),
        description="The flat JSON schema (string, number, integer and boolean "
        "fields, with title, description, enum and required) that the task's "
        "diagram gives as its form_schema property, checked when it was "
        "deployed; form is null when the task has none.",
    ),
    Operation(
        "post",
        "/tasks/{task_id}/assign",
        "Assign a task (supervisor)",
        s.TaskSchema,
        body=s.AssignInputSchema,
        path_params=TASK,
        errors=(400, 401, 403, 404, 409, 422),
    ),
    Operation(
        "post",
        "/track/{tracking_number}",
        "Track an application (resident)",
        s.TrackSchema,
        body=s.TrackInputSchema,
        path_params={"tracking_number": "string"},
        public=True,
        errors=(400, 404, 422, 429),
        description="The NIK travels in the body, out of access logs. A "
        "wrong number and a wrong NIK get the same 404. Shares its rate "
        "limit with the GET form. The timeline lists each step with its "
        "agency, state and times, never the staff who handled it.",
    ),
    Operation(
        "get",
        "/track/{tracking_number}",
        "Track an application by query (deprecated)",
        s.TrackSchema,
        query=s.TrackQuery,
        path_params={"tracking_number": "string"},
        public=True,
        errors=(404, 422, 429),
        deprecated=True,
        description="Deprecated: the NIK in the query string ends up in "
        "access and proxy logs. Use POST /track/{tracking_number} with "
        "{nik}; this form is removed in API 2.0.",
    ),
    Operation(
        "get",
        "/calendar/deadline",
        "Compute a working-day deadline",
        s.DeadlineSchema,
        query=s.DeadlineQuery,
    ),
    Operation(
        "get",
        "/sla/summary",
        "Count tasks or applications by SLA status",
        s.SummarySchema,
        query=s.SummaryQuery,
    ),
    Operation(
        "get",
        "/sla/summary.csv",
        "Count tasks or applications by SLA status, as a CSV file",
        {"type": "string"},
        query=s.SummaryQuery,
        produces="text/csv",
        errors=(400, 401, 403, 422),
        description="The rows of GET /sla/summary with a header line: the "
        "grouping (agency, service or village), then on_track, at_risk, "
        "breached, completed_within and completed_after. The same scope: an "
        "officer or agency head counts their own agency's tasks, or the "
        "applications their agency answers for.",
    ),
    Operation(
        "get",
        "/satisfaction",
        "Public satisfaction index by service or agency (supervisor)",
        s.SatisfactionSchema,
        query=s.SatisfactionQuery,
        errors=(400, 401, 403, 422),
        description="IKM of PermenPANRB 14/2017: the mean of the nine "
        "element means times 25. An agency head sees its own services.",
    ),
    Operation(
        "get",
        "/escalations",
        "List escalations in scope (supervisor)",
        ESCALATION_PAGE,
        query=s.EscalationQuery,
    ),
    Operation(
        "post",
        "/escalations/{escalation_id}/acknowledge",
        "Acknowledge an escalation (supervisor)",
        s.EscalationSchema,
        path_params={"escalation_id": "integer"},
        errors=(401, 403, 404, 409),
    ),
    Operation(
        "get",
        "/calendar/exceptions",
        "List the calendar's exceptions (admin)",
        CALENDAR_PAGE,
        query=s.CalendarExceptionQuery,
    ),
    Operation(
        "put",
        "/calendar/exceptions",
        "Open or close a day, for one agency or all (admin)",
        s.CalendarExceptionSchema,
        body=s.CalendarExceptionInputSchema,
        errors=(400, 401, 403, 422),
        creates=True,
    ),
    Operation(
        "delete",
        "/calendar/exceptions/{exception_id}",
        "Give a day back to the regular calendar (admin)",
        None,
        status=204,
        path_params=EXCEPTION_ID,
        errors=(401, 403, 404),
    ),
)


@cache
def openapi_document() -> dict[str, Any]:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        servers=[{"url": API_PREFIX}],
    )
    spec.components.schema("Error", schema=s.ErrorSchema)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for operation in OPERATIONS:
        spec.path(
            path=operation.path, operations={operation.method: _operation(operation)}
        )
    return spec.to_dict()


def _operation(op: Operation) -> dict[str, Any]:
    described: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{op.method}_{op.path.strip('/').replace('/', '_')}",
        "parameters": _parameters(op),
        "responses": _responses(op),
    }
    if op.description:
        described["description"] = op.description
    if op.deprecated:
        described["deprecated"] = True
    if op.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {op.content: {"schema": op.body}},
        }
    if not op.public:
        described["security"] = [{"bearer": []}]
    return described


def _parameters(op: Operation) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"in": "path", "name": name, "required": True, "schema": _path_type(kind)}
        for name, kind in op.path_params.items()
    ]
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    return parameters


def _path_type(kind: str) -> dict[str, Any]:
    if kind == "integer":
        return {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    return {"type": "string", "minLength": 1, "maxLength": 64}


def _responses(op: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "success"}
    if op.response is not None:  # None: an empty answer, such as a 204
        success["content"] = {op.produces: {"schema": op.response}}
    responses: dict[str, Any] = {str(op.status): success}
    if op.creates:
        responses["201"] = dict(responses[str(op.status)], description="created")
    for status in op.errors:
        responses[str(status)] = {
            "description": "error",
            "content": {"application/json": {"schema": "Error"}},
        }
    return responses
