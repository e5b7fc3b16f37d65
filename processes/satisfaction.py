"""The public satisfaction index (IKM) of PermenPANRB 14/2017.

After an application completes, its resident may rate the service once, 1-4
on each of the regulation's nine elements. The index of a group of ratings
is the mean of the nine element means, times 25: a score from 25 to 100,
graded A to D by the regulation's bands.

Limit: every element weighs the same (1/9), as the regulation prescribes;
a resident must rate all nine, so no element is ever left out of a mean.

This module imports the engine's base, the catalogue and the applications,
never the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, UTCDateTime, utcnow
from engine.errors import Conflict
from processes.applications import Application, ApplicationStatus
from processes.models import Service

logger = logging.getLogger(__name__)

# The nine elements (unsur) of PermenPANRB 14/2017, in the regulation's order.
ELEMENTS = (
    "requirements",
    "procedure",
    "time",
    "cost",
    "product",
    "staff_competence",
    "staff_behaviour",
    "complaint_handling",
    "facilities",
)
LOWEST, HIGHEST = 1, 4
CONVERSION = 25
# Lowest index of each quality grade (mutu pelayanan), best first.
GRADES = (("A", 88.31), ("B", 76.61), ("C", 65.0), ("D", 25.0))
GROUPS = {"service": Application.service_code, "agency": Service.agency_code}


class AlreadyRated(Conflict):
    """This application's resident has already rated the service."""


class NotRateable(Conflict):
    """The application has not completed, so there is nothing to rate yet."""


class InvalidRating(ValueError):
    """A score is missing or outside 1-4; ``element`` names the first at fault."""

    def __init__(self, element: str):
        self.element = element
        super().__init__(f"{element}: rate from {LOWEST} to {HIGHEST}")


def _score_column(name: str) -> Mapped[int]:
    return mapped_column(
        SmallInteger,
        CheckConstraint(f"{name} BETWEEN {LOWEST} AND {HIGHEST}", name=name),
    )


class Rating(Base):
    """One resident's scores for the service of one completed application."""

    __tablename__ = "satisfaction_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id"), unique=True
    )
    requirements: Mapped[int] = _score_column("requirements")
    procedure: Mapped[int] = _score_column("procedure")
    time: Mapped[int] = _score_column("time")
    cost: Mapped[int] = _score_column("cost")
    product: Mapped[int] = _score_column("product")
    staff_competence: Mapped[int] = _score_column("staff_competence")
    staff_behaviour: Mapped[int] = _score_column("staff_behaviour")
    complaint_handling: Mapped[int] = _score_column("complaint_handling")
    facilities: Mapped[int] = _score_column("facilities")
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def parse_scores(raw: Mapping[str, Any]) -> dict[str, int]:
    """Read the nine scores from form or JSON values; raise InvalidRating."""
    scores = {}
    for element in ELEMENTS:
        try:
            score = int(str(raw.get(element, "")).strip())
        except ValueError:
            raise InvalidRating(element) from None
        if not LOWEST <= score <= HIGHEST:
            raise InvalidRating(element)
        scores[element] = score

    return scores


def has_rated(session: Session, application_id: int) -> bool:
    found = session.scalar(
        select(Rating.id).where(Rating.application_id == application_id)
    )
    return found is not None


def record_rating(
    session: Session,
    application: Application,
    scores: Mapping[str, int],
    clock: Callable[[], datetime] = utcnow,
) -> Rating:
    """Store the resident's one rating of a completed application; commit.

    Raises NotRateable before completion and AlreadyRated the second time,
    including when two first ratings race.
    """
    if application.status != ApplicationStatus.COMPLETED.value:
        raise NotRateable(f"application {application.tracking_number} is not done")
    if has_rated(session, application.id):
        raise AlreadyRated(f"application {application.tracking_number} is rated")

    rating = Rating(application_id=application.id, rated_at=clock(), **scores)
    session.add(rating)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise AlreadyRated(
            f"application {application.tracking_number} is rated"
        ) from None

    logger.info(
        "service rated",
        extra={
            "application_id": application.id,
            "service_code": application.service_code,
        },
    )
    return rating


def index_of(element_means: Mapping[str, float]) -> float:
    """Return the IKM (25-100) of the nine element means (each 1-4)."""
    mean = sum(element_means[element] for element in ELEMENTS) / len(ELEMENTS)
    return mean * CONVERSION


def grade_of(index: float) -> str:
    return next(grade for grade, lowest in GRADES if index >= lowest)


def satisfaction_index(
    session: Session, group_by: str, agency_code: str | None = None
) -> list[dict[str, Any]]:
    """Return the index per service or agency, with each element's mean.

    ``agency_code`` keeps only that agency's services (an agency head's view).
    Groups without ratings are left out.
    """
    key = GROUPS[group_by]
    query = (
        select(
            key.label("key"),
            func.count(Rating.id).label("respondents"),
            *(func.avg(getattr(Rating, e)).label(e) for e in ELEMENTS),
        )
        .select_from(Rating)
        .join(Application, Application.id == Rating.application_id)
        .join(Service, Service.code == Application.service_code)
        .group_by(key)
        .order_by(key)
    )
    if agency_code is not None:
        query = query.where(Service.agency_code == agency_code)

    return [_row(row._mapping) for row in session.execute(query)]


def _row(found: Mapping[str, Any]) -> dict[str, Any]:
    means = {element: round(float(found[element]), 2) for element in ELEMENTS}
    index = index_of({element: float(found[element]) for element in ELEMENTS})
    return {
        "key": found["key"],
        "respondents": found["respondents"],
        "elements": means,
        "index": round(index, 2),
        "grade": grade_of(index),
    }
