"""Working days and office hours of the Public Service Mall's agencies.

A working day is Monday to Friday, except Indonesia's national public holidays
and cuti bersama (joint leave), as the ``holidays`` package lists them. Admins
adjust single days with :class:`CalendarException` rows, for one agency or for
every agency: a counter that opens on a Saturday, an office closed for a move.

:class:`WorkingCalendar` answers from that data alone, with no database access
per call, because the SLA sweep and every task deadline ask it constantly.
Office hours are 08:00-16:00 WIB (Asia/Jakarta); deadlines fall at 16:00.

This module imports the standard library, ``holidays`` and SQLAlchemy only.
"""

from __future__ import annotations

import enum
import functools
import importlib.util
import logging
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import Date, Enum, Index, String, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base

logger = logging.getLogger(__name__)

JAKARTA = ZoneInfo("Asia/Jakarta")
OFFICE_OPENS = time(8)
OFFICE_CLOSES = time(16)
OFFICE_DAY = timedelta(hours=OFFICE_CLOSES.hour - OFFICE_OPENS.hour)
ONE_DAY = timedelta(days=1)


class CalendarExceptionKind(enum.StrEnum):
    """What a calendar exception does to its day."""

    OPEN = "open"
    CLOSED = "closed"


class CalendarException(Base):
    """A day on which one agency, or every agency, departs from the usual calendar.

    ``agency_code`` None means every agency. An agency's own row wins over an
    every-agency row for the same day, so a closure for all can still leave one
    counter open. Either kind overrides weekends and holidays alike.
    """

    __tablename__ = "calendar_exceptions"
    __table_args__ = (
        UniqueConstraint("agency_code", "day"),
        # NULLs never collide in a unique constraint, so days for every agency
        # need a partial index of their own to stay unique.
        Index(
            "uq_calendar_exceptions_day_every_agency",
            "day",
            unique=True,
            sqlite_where=text("agency_code IS NULL"),
            postgresql_where=text("agency_code IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_code: Mapped[str | None] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[CalendarExceptionKind] = mapped_column(
        Enum(
            CalendarExceptionKind,
            name="calendar_exception_kind",
            native_enum=False,
            create_constraint=True,
            values_callable=lambda kinds: [kind.value for kind in kinds],
        )
    )
    reason: Mapped[str] = mapped_column(String(200))


class WorkingCalendar:
    """Working days and office time, from the holiday data and admin exceptions.

    ``exceptions`` are ``(agency_code, day, kind)`` triples, as stored in
    :class:`CalendarException`. An instance never rereads them: build a new one
    (see :func:`load_calendar`) after an admin edits the table.

    Limits of the holiday data: lunar holidays of future years are estimates
    that the SKB 3 Menteri may move, and cuti bersama exist only for years the
    government has decreed (up to 2027 in ``holidays`` 0.108). For later years
    joint leave counts as working time until the package is upgraded or an
    admin adds closures; a warning is logged once for each such year.
    """

    def __init__(self, exceptions: Iterable[tuple[str | None, date, str]] = ()):
        self._overrides: dict[str | None, dict[date, bool]] = {}
        for agency, day, kind in exceptions:
            self._add_override(agency, day, CalendarExceptionKind(kind))

        # Sorted ordinals of each year's working days, per scope; building one
        # twice from two threads is harmless, so no lock.
        self._working_days: dict[tuple[str | None, int], tuple[int, ...]] = {}

    def is_working_day(self, day: date, agency: str | None = None) -> bool:
        """Tell whether ``agency`` works on ``day``; None asks for every agency.

        Raises TypeError for a datetime, whose day depends on its time zone.
        """
        if isinstance(day, datetime):
            raise TypeError("pass a date; convert a datetime to Asia/Jakarta first")

        override = self._override(day, agency)
        if override is not None:
            return override

        return day.weekday() < 5 and day not in _national_days_off(day.year)

    def deadline(
        self, start: datetime, working_days: int, agency: str | None = None
    ) -> datetime:
        """Return 16:00 WIB on the ``working_days``-th working day after ``start``.

        The day of ``start`` (in Asia/Jakarta) never counts. With 0 working days
        the deadline is 16:00 that same day if it is a working day and ``start``
        is earlier, otherwise 16:00 on the next working day.

        Raises ValueError for a naive ``start`` or a negative count.
        """
        local = _in_jakarta(start, "start")
        if working_days < 0:
            raise ValueError(f"working_days must be 0 or more, got {working_days}")

        day = local.date()
        if (
            working_days == 0
            and local.time() < OFFICE_CLOSES
            and self.is_working_day(day, agency)
        ):
            return _at(day, OFFICE_CLOSES)

        due = self._nth_working_day_after(day, max(working_days, 1), agency)
        return _at(due, OFFICE_CLOSES)

    def working_seconds(
        self, start: datetime, end: datetime, agency: str | None = None
    ) -> float:
        """Return the office seconds between two instants.

        Raises ValueError for naive datetimes or an ``end`` before ``start``.
        """
        start, end = _in_jakarta(start, "start"), _in_jakarta(end, "end")
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before {start.isoformat()}")

        first, last = start.date(), end.date()
        between = self._count_working_days(first + ONE_DAY, last - ONE_DAY, agency)

        # Only the first and last days can be partial; a set counts one day once.
        office = between * OFFICE_DAY
        for day in {first, last}:
            office += self._office_time(day, start, end, agency)

        return office.total_seconds()

    def add_working_seconds(
        self, start: datetime, seconds: float, agency: str | None = None
    ) -> datetime:
        """Return the first instant by which ``seconds`` of office time have passed.

        The answer lies within office hours, except that 0 seconds gives
        ``start`` itself. Time that ends exactly at closing ends at 16:00 that
        day rather than 08:00 on the next working day.

        Raises ValueError for a naive ``start`` or negative ``seconds``.
        """
        local = _in_jakarta(start, "start")
        if seconds < 0:
            raise ValueError(f"seconds must be 0 or more, got {seconds}")

        left = timedelta(seconds=seconds)
        if not left:
            return local

        day = local.date()
        today = self._office_time(day, local, _at(day, OFFICE_CLOSES), agency)
        if left <= today:
            return max(local, _at(day, OFFICE_OPENS)) + left

        full_days, rest = divmod(left - today, OFFICE_DAY)
        if not rest:
            last = self._nth_working_day_after(day, full_days, agency)
            return _at(last, OFFICE_CLOSES)

        resumes = self._nth_working_day_after(day, full_days + 1, agency)
        return _at(resumes, OFFICE_OPENS) + rest

    def _add_override(
        self, agency: str | None, day: date, kind: CalendarExceptionKind
    ) -> None:
        is_open = kind is CalendarExceptionKind.OPEN
        days = self._overrides.setdefault(agency, {})
        if days.setdefault(day, is_open) != is_open:
            scope = agency or "every agency"
            raise ValueError(f"{day} is both open and closed for {scope}")

    def _override(self, day: date, agency: str | None) -> bool | None:
        """Return the admin's word on ``day``: the agency's own, else everyone's."""
        if agency is not None:
            override = self._overrides.get(agency, {}).get(day)
            if override is not None:
                return override

        return self._overrides.get(None, {}).get(day)

    def _office_time(
        self, day: date, start: datetime, end: datetime, agency: str | None
    ) -> timedelta:
        """Return how much of ``day``'s office hours lies between the instants."""
        if not self.is_working_day(day, agency):
            return timedelta(0)

        opens = max(start, _at(day, OFFICE_OPENS))
        closes = min(end, _at(day, OFFICE_CLOSES))
        return max(closes - opens, timedelta(0))

    def _nth_working_day_after(self, day: date, n: int, agency: str | None) -> date:
        after = day.toordinal()
        year = day.year
        while True:
            ordinals = self._working_days_of(year, agency)
            index = bisect_right(ordinals, after) + n - 1
            if index < len(ordinals):
                return date.fromordinal(ordinals[index])

            n = index - len(ordinals) + 1
            year += 1

    def _count_working_days(self, first: date, last: date, agency: str | None) -> int:
        """Count the working days from ``first`` to ``last``, both included."""
        if first > last:
            return 0

        count = 0
        for year in range(first.year, last.year + 1):
            ordinals = self._working_days_of(year, agency)
            begin = bisect_left(ordinals, first.toordinal())
            count += bisect_right(ordinals, last.toordinal()) - begin

        return count

    def _working_days_of(self, year: int, agency: str | None) -> tuple[int, ...]:
        """Return the sorted ordinals of ``year``'s working days, built once."""
        # Agencies without exceptions of their own share the every-agency table.
        scope = agency if agency in self._overrides else None
        ordinals = self._working_days.get((scope, year))
        if ordinals is None:
            first = date(year, 1, 1)
            length = (date(year + 1, 1, 1) - first).days
            days = (first + n * ONE_DAY for n in range(length))
            ordinals = tuple(
                day.toordinal() for day in days if self.is_working_day(day, scope)
            )
            self._working_days[(scope, year)] = ordinals

        return ordinals


def load_calendar(session: Session) -> WorkingCalendar:
    """Build a calendar from every :class:`CalendarException` row."""
    query = select(
        CalendarException.agency_code, CalendarException.day, CalendarException.kind
    )
    exceptions = session.execute(query).all()
    logger.info("working calendar loaded, %d exceptions", len(exceptions))

    return WorkingCalendar(exceptions)


@functools.cache
def _national_days_off(year: int) -> frozenset[date]:
    """Return ``year``'s public holidays and cuti bersama in Indonesia."""
    indonesia = _indonesia()
    days_off = indonesia(categories=("public", "government"), years=year)
    joint_leave = indonesia(categories=("government",), years=year)
    if not joint_leave:
        logger.warning(
            "no cuti bersama known for %d; joint leave counts as working time", year
        )

    return frozenset(days_off)


@functools.cache
def _indonesia() -> Callable[..., holidays.HolidayBase]:
    """Return the ``holidays`` class for Indonesia, loaded without the others.

    Importing any module of ``holidays.countries`` first runs that package's
    ``__init__``, which imports all of its 250 countries: about 7 MiB in every
    process that computes a deadline. Indonesia's module is loaded from its
    file instead, under a name of its own, so ``holidays.countries`` is left
    to whoever imports it. The file's place is that of the pinned version;
    should a later version move it, the library's own lookup is used.
    """
    path = Path(holidays.__file__).parent / "countries" / "indonesia.py"
    if not path.is_file():
        return functools.partial(holidays.country_holidays, "ID")
    spec = importlib.util.spec_from_file_location("_holidays_indonesia", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    return module.Indonesia


def _in_jakarta(moment: datetime, name: str) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware, got naive {moment.isoformat()}; "
            "attach a zone such as ZoneInfo('Asia/Jakarta')"
        )

    return moment.astimezone(JAKARTA)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=JAKARTA)
