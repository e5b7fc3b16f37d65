"""The console's pages: server-rendered shells that browser modules fill in.

Staff pages call the JSON API from the browser with the bearer token kept in
``sessionStorage``, so these views hold no staff data. Three things are
rendered here instead: the resident's tracking result (a public form that
must work without JavaScript) and the receipt (its QR code is drawn here).
The modeler reads and writes diagrams through the API like the other pages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from sqlalchemy import select

from api.auth import current_user, requires
from api.extensions import db, limiter
from api.inbox import application_for, holding_agency
from api.models import Role
from api.tracking import public_timeline
from engine.calendar import JAKARTA
from engine.errors import NotFound
from processes.applications import (
    Application,
    ApplicationStatus,
    find_by_tracking,
)
from processes.models import Agency
from processes.residents import mask_nik
from processes.satisfaction import ELEMENTS, has_rated

from .receipts import qr_svg
from .strings import DEFAULT_LANGUAGE, LANGUAGES, table

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
VENDOR_DIR = HERE / "node_modules" / "bpmn-js" / "dist"
LANGUAGE_COOKIE = "terpadu_lang"
ONE_YEAR = 365 * 24 * 3600
DEFAULT_TRACK_LIMIT = "20/minute"

blueprint = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)


@blueprint.before_request
def choose_language() -> None:
    asked = request.args.get("lang")
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    g.console_lang = next(
        (code for code in (asked, cookie) if code in LANGUAGES), DEFAULT_LANGUAGE
    )


@blueprint.after_request
def remember_language(response: Response) -> Response:
    if request.args.get("lang") in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, g.console_lang, max_age=ONE_YEAR, samesite="Lax"
        )
    return response


@blueprint.context_processor
def language_helpers() -> dict:
    strings = table(g.get("console_lang", DEFAULT_LANGUAGE))
    other = "en" if g.get("console_lang") == "id" else "id"
    return {
        "t": strings.__getitem__,
        "strings": strings,
        "lang": g.console_lang,
        "other_lang": other,
        "other_lang_query": _query_in(other),
    }


def _query_in(language: str) -> str:
    """Return this page's query string in ``language``, its other parameters kept."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [language]
    return "?" + urlencode(args, doseq=True)


# -- staff pages (filled in by the browser modules) --------------------------------


@blueprint.get("/")
def index():
    return redirect(url_for("console.counter"))


@blueprint.get("/login")
def login():
    return render_template("console/login.html", page="login")


@blueprint.get("/counter")
def counter():
    return render_template("console/counter.html", page="counter")


@blueprint.get("/inbox")
def inbox():
    return render_template("console/inbox.html", page="inbox")


@blueprint.get("/dashboard")
def dashboard():
    return render_template("console/dashboard.html", page="dashboard")


@blueprint.get("/modeler")
def modeler():
    installed = (VENDOR_DIR / "bpmn-modeler.production.min.js").is_file()
    return render_template("console/modeler.html", page="modeler", installed=installed)


@blueprint.get("/admin")
def admin():
    return render_template("console/admin.html", page="admin")


@blueprint.get("/vendor/<path:name>")
def vendor(name: str):
    """Serve bpmn-js from the copy ``npm ci --prefix console`` installed."""
    if not VENDOR_DIR.is_dir():
        abort(404)

    return send_from_directory(VENDOR_DIR, name)


# -- the receipt ------------------------------------------------------------------


@blueprint.get("/receipts/<tracking_number>")
@requires(Role.COUNTER)
def receipt(tracking_number: str):
    """Return the printable receipt as an HTML fragment for the counter page."""
    number = db.session.scalar(
        select(Application.id).where(Application.tracking_number == tracking_number)
    )
    if number is None:
        abort(404)

    application = application_for(db.session, current_user(), number)
    track_url = url_for("console.track", number=tracking_number, _external=True)
    return render_template(
        "console/receipt.html",
        application=application,
        masked_nik=mask_nik(application.applicant_nik),
        submitted=application.submitted_at.astimezone(JAKARTA),
        expected=_local_date(application.deadline),
        qr=qr_svg(track_url),
    )


# -- resident tracking (public) ---------------------------------------------------


def _track_limit() -> str:
    return current_app.config.get("TRACK_RATE_LIMIT", DEFAULT_TRACK_LIMIT)


@blueprint.route("/track", methods=["GET", "POST"])
@limiter.limit(_track_limit, methods=["POST"])
def track():
    """Show where an application stands; the NIK travels in the body, never the URL."""
    number = (request.form.get("number") or request.args.get("number") or "").strip()
    result = None
    not_found = False
    if request.method == "POST":
        result = _tracking_result(number, (request.form.get("nik") or "").strip())
        not_found = result is None

    return render_template(
        "console/track.html",
        page="track",
        number=number,
        result=result,
        not_found=not_found,
    )


def _tracking_result(number: str, nik: str) -> dict | None:
    try:
        application = find_by_tracking(db.session, number, nik)
    except NotFound:
        return None

    agency_code = holding_agency(db.session, application)
    agency = db.session.get(Agency, agency_code) if agency_code else None
    completed = application.status == ApplicationStatus.COMPLETED.value
    timeline = _local_steps(application)
    return {
        "tracking_number": application.tracking_number,
        "completed": completed,
        "rated": completed and has_rated(db.session, application.id),
        "elements": ELEMENTS,
        "status": application.status,
        "agency": agency,
        "agency_code": agency_code,
        "expected": _local_date(application.deadline),
        "timeline": timeline,
        "agencies": _agencies(step["agency"] for step in timeline),
    }


def _local_steps(application: Application) -> list[dict]:
    """Return the resident's timeline with its times in Jakarta, as printed."""
    steps = public_timeline(db.session, application)
    for step in steps:
        step["started"] = _local_time(step["started"])
        step["finished"] = _local_time(step["finished"])
    return steps


def _agencies(codes: Iterable[str | None]) -> dict[str, Agency]:
    """Return the agencies of ``codes`` by code, so steps can show their names."""
    wanted = {code for code in codes if code}
    if not wanted:
        return {}

    found = db.session.scalars(select(Agency).where(Agency.code.in_(wanted)))
    return {agency.code: agency for agency in found}


def _local_date(moment):
    return moment.astimezone(JAKARTA).date() if moment is not None else None


def _local_time(moment):
    return moment.astimezone(JAKARTA) if moment is not None else None
