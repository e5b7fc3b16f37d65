"""What a resident does once an application completes: download, verify, rate.

The document download and the rating are POSTed with the tracking number and
the NIK, like the tracking form; the tracking result never echoes the NIK
into the page (a kiosk screen is shared), so the resident types it again.
The verify page is public and shows only what the paper already shows, with
the applicant's name and NIK masked.
"""

from __future__ import annotations

from flask import Response, g, redirect, render_template, request, url_for

from api.extensions import db, limiter
from engine.calendar import JAKARTA
from engine.errors import NotFound
from processes.applications import Application, find_by_tracking
from processes.documents import NotIssuable, document_of, find_document
from processes.residents import mask_nik
from processes.satisfaction import (
    AlreadyRated,
    InvalidRating,
    NotRateable,
    parse_scores,
    record_rating,
)

from .certificates import DocumentFacts, document_pdf
from .strings import table
from .views import _track_limit, _tracking_result, blueprint

DOCUMENT_LABELS = (
    "service",
    "applicant",
    "nik",
    "tracking_number",
    "completed",
    "agency",
    "code",
    "verify_hint",
)


def _posted_application() -> Application | None:
    number = (request.form.get("number") or "").strip()
    nik = (request.form.get("nik") or "").strip()
    try:
        return find_by_tracking(db.session, number, nik)
    except NotFound:
        return None


def _track_page(application: Application | None, status: int = 200, **notices):
    """Render the tracking page about ``application`` with a notice or two."""
    number = (
        application.tracking_number if application else request.form.get("number", "")
    )
    result = None
    if application is not None:
        result = _tracking_result(number, application.applicant_nik)
    page = render_template(
        "console/track.html",
        page="track",
        number=number,
        result=result,
        not_found=application is None,
        **notices,
    )
    return page, status


# -- the issued document -------------------------------------------------------


@blueprint.post("/track/document")
@limiter.limit(_track_limit)
def download_document():
    """Send the completed application's document as a PDF attachment."""
    application = _posted_application()
    if application is None:
        return _track_page(None, 404)

    try:
        issued = document_of(db.session, application)
    except NotIssuable:
        return _track_page(application, 409, notice=_t("document_not_ready"))

    pdf = document_pdf(_facts(application, issued.code))
    filename = f"{application.tracking_number}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _facts(application: Application, code: str) -> DocumentFacts:
    strings = table(g.console_lang)
    service = application.service
    english = g.console_lang == "en"
    agency = service.agency
    return DocumentFacts(
        heading=strings["document_heading"],
        service=service.name_en if english and service.name_en else service.name_id,
        agency=f"{agency.name_en if english else agency.name_id} ({agency.code})",
        applicant=application.applicant_name,
        masked_nik=mask_nik(application.applicant_nik),
        tracking_number=application.tracking_number,
        completed=application.completed_at.astimezone(JAKARTA).date(),
        code=code,
        verify_url=url_for("console.verify", code=code, _external=True),
        labels={key: strings[f"document_{key}"] for key in DOCUMENT_LABELS},
    )


def _t(key: str) -> str:
    return table(g.console_lang)[key]


# -- verification (public) -------------------------------------------------------


@blueprint.get("/verify")
def verify_form():
    typed = (request.args.get("code") or "").strip()
    if typed:
        return redirect(url_for("console.verify", code=typed))

    return render_template("console/verify.html", page="verify", checked=False)


@blueprint.get("/verify/<code>")
@limiter.limit(_track_limit)
def verify(code: str):
    """Say whether ``code`` belongs to an issued document, and what it states."""
    issued = find_document(db.session, code) if len(code) <= 40 else None
    if issued is None:
        # The check ran and its answer is "not ours": a page to read, not a
        # failed request, so the resident's browser reports no error.
        return render_template(
            "console/verify.html", page="verify", checked=True, code=code, document=None
        )

    application = issued.application
    document = {
        "code": issued.code,
        "service": application.service,
        "tracking_number": application.tracking_number,
        "completed": application.completed_at.astimezone(JAKARTA).date(),
        "applicant": mask_name(application.applicant_name),
        "nik": mask_nik(application.applicant_nik),
    }
    return render_template(
        "console/verify.html",
        page="verify",
        checked=True,
        code=issued.code,
        document=document,
    )


def mask_name(name: str) -> str:
    """``Siti Aminah`` -> ``S*** A*****``: enough to match the paper, no more."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())


# -- the satisfaction survey (IKM) ---------------------------------------------------


@blueprint.post("/track/rating")
@limiter.limit(_track_limit)
def rate_service():
    """Store the resident's one rating of a completed application."""
    application = _posted_application()
    if application is None:
        return _track_page(None, 404)

    try:
        scores = parse_scores(request.form)
        record_rating(db.session, application, scores)
    except InvalidRating:
        return _track_page(application, 422, rating_notice=_t("rating_invalid"))
    except AlreadyRated:
        return _track_page(application, 409, rating_notice=_t("rating_already"))
    except NotRateable:
        return _track_page(application, 409, rating_notice=_t("rating_not_ready"))

    return _track_page(application, rating_notice=_t("rating_thanks"))
