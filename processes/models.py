"""The service catalogue as stored: agencies, regions and services.

Rows are written only by :mod:`processes.catalogue` from the data files in
``processes/data``; everything else reads them. Supervisor users are attached
to agency and region heads by id only, since users belong to the API and this
package must not import it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow


class AgencyKind(StrEnum):
    SKPD = "skpd"
    VERTICAL = "vertical"
    BUMN = "bumn"
    BUMD = "bumd"


class RegionLevel(StrEnum):
    REGENCY = "kabupaten"
    KECAMATAN = "kecamatan"
    DESA = "desa"
    KELURAHAN = "kelurahan"


class FeeKind(StrEnum):
    FREE = "free"
    FIXED = "fixed"
    ASSESSED = "assessed"
    DEPOSIT = "deposit"


def _string_enum(enum: type[StrEnum]) -> Enum:
    return Enum(
        enum,
        native_enum=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Agency(Base):
    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_id: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AgencyKind] = mapped_column(_string_enum(AgencyKind))
    head_title: Mapped[str] = mapped_column(String(200))
    head_user_id: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")

    services: Mapped[list[Service]] = relationship(back_populates="agency")


class Region(Base):
    """The regency, a kecamatan, or a desa or kelurahan (a village)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(_string_enum(RegionLevel))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    head_title: Mapped[str] = mapped_column(String(200))
    head_user_id: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped[Region | None] = relationship(remote_side=[code])

    @property
    def is_village(self) -> bool:
        return self.level in (RegionLevel.DESA, RegionLevel.KELURAHAN)


class Service(Base):
    """One service of the Mall and the process that runs it.

    ``lane_bindings`` maps each role lane of a pattern diagram to an agency
    code, or to None for a role chosen per application (the agency a complaint
    is about). ``choices`` holds the start parameters an application may set,
    with their defaults; ``presets`` the ones this service fixes.
    """

    __tablename__ = "services"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_id: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    sla_working_days: Mapped[int] = mapped_column(Integer)
    fee_kind: Mapped[FeeKind] = mapped_column(_string_enum(FeeKind))
    # None when the amount is assessed per application.
    fee_idr: Mapped[int | None] = mapped_column(Integer)
    required_documents: Mapped[list[str]] = mapped_column(JSON)
    # Pairs of [agency code or role, step name], in the catalogue's order.
    steps: Mapped[list[list[str]]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(Text)
    process_id: Mapped[str] = mapped_column(String(64))
    lane_bindings: Mapped[dict[str, str | None]] = mapped_column(JSON)
    choices: Mapped[dict[str, Any]] = mapped_column(JSON)
    presets: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="services")

    @property
    def chosen_roles(self) -> list[str]:
        """Return the roles each application binds to an agency of its own."""
        return sorted(role for role, code in self.lane_bindings.items() if not code)

    @property
    def agency_order(self) -> list[str]:
        """Return who acts, in order, with a repeated actor listed once."""
        order: list[str] = []
        for actor, _step in self.steps:
            if not order or order[-1] != actor:
                order.append(actor)

        return order
