"""Who hears about an overdue application, in order.

The line is the agency's head, then the regent. For an application started at
a village office (desa or kelurahan), the camat of its kecamatan is informed
too, since the village works under the camat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from processes.models import Agency, Region, RegionLevel


@dataclass(frozen=True)
class Escalation:
    action: Literal["escalate", "inform"]
    head_title: str
    # The supervisor user attached to this head, when one is.
    user_id: int | None
    agency_code: str | None = None
    region_code: str | None = None


def escalation_line(
    session: Session, agency_code: str, village_code: str | None = None
) -> list[Escalation]:
    """Return the escalation line for an agency's application.

    Raises LookupError for an unknown agency or village, or a missing regency.
    """
    agency = session.get(Agency, agency_code)
    if agency is None:
        raise LookupError(f"no agency {agency_code}")

    regency = session.scalar(select(Region).where(Region.level == RegionLevel.REGENCY))
    if regency is None:
        raise LookupError("the regency is not loaded")

    line = [
        Escalation("escalate", agency.head_title, agency.head_user_id, agency.code),
        Escalation(
            "escalate", regency.head_title, regency.head_user_id, None, regency.code
        ),
    ]
    if village_code is not None:
        line.append(_camat(session, village_code))

    return line


def _camat(session: Session, village_code: str) -> Escalation:
    village = session.get(Region, village_code)
    if village is None or not village.is_village:
        raise LookupError(f"{village_code} is not a desa or kelurahan")

    kecamatan = village.parent
    return Escalation(
        "inform", kecamatan.head_title, kecamatan.head_user_id, None, kecamatan.code
    )
