"""Marshmallow schemas: what every endpoint reads and writes.

The OpenAPI document is generated from these same classes, so a field
changed here changes the published contract too. Times are written in
ISO 8601 with their offset, in Asia/Jakarta.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from engine.calendar import JAKARTA
from engine.models import TaskState
from processes.applications import ApplicationStatus
from processes.models import AgencyKind, FeeKind

from .models import Role

MAX_PER_PAGE = 100
MAX_WORKING_DAYS = 3650
CODE = validate.Length(min=1, max=20)
NAME = validate.Length(min=1, max=200)
SLA_STATUSES = ("on_track", "at_risk", "breached")
APPLICATION_STATUS = validate.OneOf([status.value for status in ApplicationStatus])


class JakartaDateTime(fields.DateTime):
    """An aware datetime, written in Asia/Jakarta; naive input is refused."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(JAKARTA).isoformat()

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.utcoffset() is None:
            raise ValidationError("give the time with its offset, e.g. +07:00")
        return parsed


class Strict(Schema):
    class Meta:
        unknown = RAISE


# -- shared ----------------------------------------------------------------------


class ErrorSchema(Schema):
    code = fields.Integer(required=True)
    message = fields.String(required=True)
    errors = fields.List(fields.Dict(), required=True)


class PageQuery(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**6))
    per_page = fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE)
    )


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """Return a schema for one page of ``item``: ``{items, total, page, per_page}``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
        },
        name=name,
    )


# -- catalogue -------------------------------------------------------------------


class AgencySchema(Schema):
    code = fields.String(required=True)
    name_id = fields.String(required=True)
    name_en = fields.String(required=True)
    kind = fields.Enum(AgencyKind, by_value=True, required=True)


class ServiceQuery(PageQuery):
    agency = fields.String(validate=CODE)
    q = fields.String(validate=validate.Length(min=1, max=100))


class ServiceSchema(Schema):
    code = fields.String(required=True)
    name_id = fields.String(required=True)
    name_en = fields.String(required=True)
    agency_code = fields.String(required=True)
    sla_working_days = fields.Integer(required=True)
    fee_kind = fields.Enum(FeeKind, by_value=True, required=True)
    fee_idr = fields.Integer(allow_none=True)
    process_id = fields.String(required=True)
    active = fields.Boolean(required=True)


class ServiceDetailSchema(ServiceSchema):
    required_documents = fields.List(fields.String(), required=True)
    steps = fields.List(fields.List(fields.String()), required=True)
    diagram_version = fields.Integer(allow_none=True)


class ServiceInputSchema(Strict):
    name_id = fields.String(required=True, validate=NAME)
    name_en = fields.String(validate=NAME)
    agency_code = fields.String(required=True, validate=CODE)
    process_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    sla_working_days = fields.Integer(
        required=True, validate=validate.Range(min=0, max=MAX_WORKING_DAYS)
    )
    fee_kind = fields.Enum(FeeKind, by_value=True, load_default=FeeKind.FREE)
    fee_idr = fields.Integer(
        load_default=0, allow_none=True, validate=validate.Range(min=0, max=10**12)
    )
    required_documents = fields.List(
        fields.String(validate=NAME),
        load_default=list,
        validate=validate.Length(max=100),
    )
    lane_bindings = fields.Dict(
        keys=fields.String(validate=NAME),
        values=fields.String(validate=CODE, allow_none=True),
        load_default=dict,
    )


class DeployedVersionSchema(Schema):
    process_id = fields.String(required=True)
    version = fields.Integer(required=True)
    roles = fields.List(fields.String(), required=True)


class DeploymentSchema(Schema):
    processes = fields.List(fields.Nested(DeployedVersionSchema), required=True)


class DiagramUploadSchema(Schema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"})


class ProblemSchema(Schema):
    file = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    message = fields.String(required=True)


class DiagramCheckSchema(Schema):
    valid = fields.Boolean(required=True)
    processes = fields.List(fields.String(), required=True)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)


class DiagramSchema(Schema):
    process_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    latest_version = fields.Integer(required=True)
    versions = fields.Integer(required=True)
    deployed_at = JakartaDateTime(required=True)


class DiagramVersionSchema(Schema):
    process_id = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    content_hash = fields.String(required=True)
    deployed_at = JakartaDateTime(required=True)
    deployed_by = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    running_instances = fields.Integer(required=True)
    instances = fields.Integer(required=True)


class DiagramSourceSchema(Schema):
    process_id = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    file_name = fields.String(required=True)
    deployed_at = JakartaDateTime(required=True)
    bpmn_xml = fields.String(required=True)


class VillageSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"description": "desa or kelurahan"})
    kecamatan_code = fields.String(required=True)
    kecamatan = fields.String(required=True)


class MeSchema(Schema):
    """The signed-in staff member, so a page can tailor itself to them."""

    name = fields.String(required=True)
    role = fields.String(required=True)
    agency_code = fields.String(allow_none=True)
    village_code = fields.String(allow_none=True)


class UserQuery(PageQuery):
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    agency = fields.String(validate=CODE)


class UserSchema(Schema):
    """A staff account, as an admin sees it; never its token."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    agency_code = fields.String(allow_none=True)
    village_code = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    created_at = JakartaDateTime(required=True)


class UserInputSchema(Strict):
    name = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9._-]{2,200}$",
            error="2 to 200 letters, digits, dots, dashes or underscores",
        ),
    )
    role = fields.String(
        required=True, validate=validate.OneOf([r.value for r in Role])
    )
    agency_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    village_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=16)
    )


class UserChangeSchema(Strict):
    active = fields.Boolean(required=True)


class TokenSchema(Schema):
    """A bearer token, shown this once: only its digest is kept."""

    token = fields.String(required=True)


class UserCreatedSchema(UserSchema):
    token = fields.String(
        required=True, metadata={"description": "shown this once; keep it safe"}
    )


# -- applications and tasks --------------------------------------------------------


class ApplicantSchema(Strict):
    nik = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=NAME)
    phone = fields.String(
        required=True, validate=validate.Regexp(r"^\+?[0-9][0-9 -]{5,30}$")
    )


class ApplicationInputSchema(Strict):
    service_code = fields.String(required=True, validate=CODE)
    applicant = fields.Nested(ApplicantSchema, required=True)
    village_code = fields.String(allow_none=True, validate=validate.Length(max=16))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class TaskSchema(Schema):
    id = fields.String(required=True)
    application_id = fields.Integer(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    service_code = fields.String(allow_none=True)
    name = fields.String(required=True)
    agency = fields.String(allow_none=True)
    state = fields.String(required=True)
    waits_on = fields.String(allow_none=True)
    waiting_on_applicant = fields.Boolean(required=True)
    claimed_by = fields.String(allow_none=True)
    deadline = JakartaDateTime(allow_none=True)
    sla_status = fields.String(required=True)


class TaskFormSchema(Schema):
    task_id = fields.String(required=True)
    form = fields.Dict(
        allow_none=True,
        required=True,
        metadata={
            "description": "the JSON schema of the task's form, from the diagram's "
            "form_schema property; null when the task has none"
        },
    )
    # JSON objects carry no order, and this API writes their keys sorted.
    order = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "the form's field names in the diagram's order"},
    )


class TimelineStepSchema(Schema):
    task = fields.String(required=True)
    agency = fields.String(allow_none=True)
    state = fields.String(required=True)
    started = JakartaDateTime(required=True)
    finished = JakartaDateTime(allow_none=True)
    by = fields.String(allow_none=True)
    working_seconds = fields.Float(required=True)
    deadline = JakartaDateTime(allow_none=True)
    deadline_met = fields.Boolean(allow_none=True)


class ApplicationBriefSchema(Schema):
    """An application as a list shows it: where it stands, not its steps."""

    id = fields.Integer(required=True)
    tracking_number = fields.String(required=True)
    service_code = fields.String(required=True)
    status = fields.String(required=True, validate=APPLICATION_STATUS)
    village_code = fields.String(allow_none=True)
    deadline = JakartaDateTime(allow_none=True)
    submitted_at = JakartaDateTime(required=True)
    submitted_by = fields.String(required=True)
    completed_at = JakartaDateTime(allow_none=True)
    # In lists only: whether the signed-in user may cancel it now.
    may_cancel = fields.Boolean()


class ApplicationSchema(ApplicationBriefSchema):
    tasks = fields.List(fields.Nested(TaskSchema), required=True)
    timeline = fields.List(fields.Nested(TimelineStepSchema))


class ApplicationQuery(PageQuery):
    status = fields.String(validate=APPLICATION_STATUS)
    service = fields.String(validate=CODE)
    tracking_number = fields.String(validate=validate.Length(min=1, max=20))


class TaskQuery(PageQuery):
    agency = fields.String(validate=CODE)
    state = fields.String(validate=validate.OneOf([s.value for s in TaskState]))
    service = fields.String(validate=CODE)
    sort = fields.String(
        load_default="deadline", validate=validate.OneOf(["deadline", "created"])
    )


class IncidentSchema(Schema):
    """An application stopped by a step that failed, with where and why."""

    application_id = fields.Integer(required=True)
    tracking_number = fields.String(required=True)
    service_code = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    message = fields.String(allow_none=True)
    submitted_at = JakartaDateTime(required=True)


class RetryInputSchema(Strict):
    data = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={"description": "merged into the failed step before it runs again"},
    )


class CancelInputSchema(Strict):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=3, max=300),
        metadata={"description": "why, as the resident or supervisor gave it"},
    )


class CompleteInputSchema(Strict):
    data = fields.Dict(keys=fields.String(), load_default=dict)


class AssignInputSchema(Strict):
    user = fields.String(required=True, validate=NAME)


# -- residents, calendar, SLA ------------------------------------------------------


class TrackQuery(Strict):
    nik = fields.String(required=True, validate=validate.Length(min=1, max=32))


class TrackInputSchema(Strict):
    """The resident's NIK, sent in the body so that no access log records it."""

    nik = fields.String(required=True, validate=validate.Length(min=1, max=32))


class PublicStepSchema(Schema):
    """One step of a tracked application: no officer names, no deadlines."""

    task = fields.String(required=True)
    agency = fields.String(allow_none=True)
    state = fields.String(
        required=True, validate=validate.OneOf([s.value for s in TaskState])
    )
    started = JakartaDateTime(required=True)
    finished = JakartaDateTime(allow_none=True)


class TrackSchema(Schema):
    tracking_number = fields.String(required=True)
    status = fields.String(required=True, validate=APPLICATION_STATUS)
    agency = fields.String(allow_none=True)
    expected_completion = fields.Date(allow_none=True)
    timeline = fields.List(fields.Nested(PublicStepSchema), required=True)


def _within_calendar_years(moment) -> None:
    # marshmallow 4 ignores a validator's return value: refusing means raising.
    if not 2000 <= moment.year <= 2100:
        raise ValidationError("give a start between the years 2000 and 2100")


class DeadlineQuery(Strict):
    # The holiday data covers these years; far dates would only overflow.
    start = JakartaDateTime(required=True, validate=_within_calendar_years)
    working_days = fields.Integer(
        required=True, validate=validate.Range(min=0, max=MAX_WORKING_DAYS)
    )
    agency = fields.String(validate=CODE)


class DeadlineSchema(Schema):
    deadline = JakartaDateTime(required=True)


class SummaryQuery(Strict):
    group_by = fields.String(
        load_default="agency", validate=validate.OneOf(["agency", "service", "village"])
    )
    count = fields.String(
        load_default="tasks",
        validate=validate.OneOf(["tasks", "applications"]),
        metadata={
            "description": "tasks: each agency step of each application; "
            "applications: each application once, by the deadline promised "
            "to the resident, under the agency answerable for its service"
        },
    )


class SummaryRowSchema(Schema):
    key = fields.String(allow_none=True)
    on_track = fields.Integer(required=True)
    at_risk = fields.Integer(required=True)
    breached = fields.Integer(required=True)
    completed_within = fields.Integer(required=True)
    completed_after = fields.Integer(required=True)


class SummarySchema(Schema):
    group_by = fields.String(required=True)
    count = fields.String(required=True)
    items = fields.List(fields.Nested(SummaryRowSchema), required=True)


# -- the public satisfaction index (IKM) -------------------------------------------


class SatisfactionQuery(Strict):
    group_by = fields.String(
        load_default="service", validate=validate.OneOf(["service", "agency"])
    )


class SatisfactionRowSchema(Schema):
    key = fields.String(required=True)
    respondents = fields.Integer(required=True)
    elements = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={
            "description": "mean score (1-4) of each of the "
            "nine PermenPANRB 14/2017 elements"
        },
    )
    index = fields.Float(
        required=True, metadata={"description": "mean of the element means x 25"}
    )
    grade = fields.String(required=True, metadata={"enum": ["A", "B", "C", "D"]})


class SatisfactionSchema(Schema):
    group_by = fields.String(required=True)
    items = fields.List(fields.Nested(SatisfactionRowSchema), required=True)


# -- supervision: escalations and the calendar's exceptions ---------------------


class EscalationQuery(PageQuery):
    acknowledged = fields.Boolean(load_default=False)


class EscalationSchema(Schema):
    id = fields.Integer(required=True)
    application_id = fields.Integer(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    level = fields.String(required=True, metadata={"enum": ["at_risk", "breached"]})
    role = fields.String(required=True)
    agency = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    created_at = JakartaDateTime(required=True)
    acknowledged_by = fields.String(allow_none=True)
    acknowledged_at = JakartaDateTime(allow_none=True)


class AgencyEndpointInputSchema(Strict):
    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=500),
        metadata={"description": "where the agency's system receives its tasks"},
    )
    secret = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=16, max=200),
        metadata={"description": "signs each push (HMAC-SHA256); never shown again"},
    )


class AgencyEndpointSchema(Schema):
    agency_code = fields.String(required=True)
    url = fields.String(required=True)
    updated_at = JakartaDateTime(required=True)
    updated_by = fields.String(required=True)


class CalendarExceptionQuery(PageQuery):
    since = fields.Date(
        metadata={"description": "only days on or after this one (YYYY-MM-DD)"}
    )


class CalendarExceptionInputSchema(Strict):
    agency_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    day = fields.Date(required=True, validate=_within_calendar_years)
    kind = fields.String(required=True, validate=validate.OneOf(["open", "closed"]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CalendarExceptionSchema(Schema):
    id = fields.Integer(required=True)
    agency_code = fields.String(allow_none=True)
    day = fields.Date(required=True)
    kind = fields.String(required=True)
    reason = fields.String(required=True)
