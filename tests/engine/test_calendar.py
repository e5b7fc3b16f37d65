"""Working days, deadlines and office time against the real 2024-2026 holidays."""

import logging
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import holidays
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.calendar import (
    JAKARTA,
    CalendarException,
    CalendarExceptionKind,
    WorkingCalendar,
    _national_days_off,
    load_calendar,
)
from engine.db import Base

HOUR = 3600
OFFICE_DAY = 8 * HOUR


def wib(year, month, day, hour=9, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=JAKARTA)


@pytest.fixture
def calendar():
    return WorkingCalendar()


@pytest.fixture
def agencies():
    """SAMSAT opens one Saturday; DUKCAPIL closes one Thursday."""
    return WorkingCalendar(
        [
            ("SAMSAT", date(2026, 3, 28), "open"),
            ("DUKCAPIL", date(2026, 3, 26), "closed"),
        ]
    )


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2026, 3, 17), True),  # Tuesday before Nyepi
        (date(2026, 3, 18), False),  # cuti bersama, Nyepi
        (date(2026, 3, 19), False),  # Nyepi
        (date(2026, 3, 24), False),  # cuti bersama, Idul Fitri
        (date(2026, 3, 25), True),
        (date(2026, 3, 28), False),  # Saturday
        (date(2026, 4, 3), False),  # Good Friday
        (date(2025, 8, 18), False),  # the one-off 2025 cuti bersama
        (date(2024, 11, 27), False),  # Pilkada
    ],
)
def test_working_days_follow_the_national_calendar(calendar, day, working):
    assert calendar.is_working_day(day) is working


def test_a_datetime_is_refused_where_a_day_is_expected(calendar):
    with pytest.raises(TypeError, match="pass a date"):
        calendar.is_working_day(wib(2026, 3, 25))


def test_nyepi_and_idul_fitri_2026_push_three_days_to_27_march(calendar):
    due = calendar.deadline(wib(2026, 3, 17, 9), 3)

    assert due == wib(2026, 3, 27, 16)
    assert due.tzinfo is JAKARTA


@pytest.mark.parametrize(
    "start, working_days, expected",
    [
        # Idul Fitri 2026: 18-24 March off.
        (wib(2026, 3, 17, 9), 1, wib(2026, 3, 25, 16)),
        (wib(2026, 3, 17, 0, 0), 3, wib(2026, 3, 27, 16)),
        (wib(2026, 3, 17, 23, 59), 3, wib(2026, 3, 27, 16)),
        # Idul Fitri 2025: 28 March to 7 April off but for the weekend days.
        (wib(2025, 3, 27, 10), 1, wib(2025, 4, 8, 16)),
        (wib(2025, 3, 27, 10), 2, wib(2025, 4, 9, 16)),
        # Starting on a holiday: that day never counts anyway.
        (wib(2025, 3, 31, 10), 1, wib(2025, 4, 8, 16)),
        (wib(2026, 3, 19, 10), 1, wib(2026, 3, 25, 16)),
        # Weekends, the extra 2025 cuti bersama and Pilkada 2024.
        (wib(2026, 3, 27, 9), 1, wib(2026, 3, 30, 16)),
        (wib(2025, 8, 15, 9), 1, wib(2025, 8, 19, 16)),
        (wib(2024, 11, 26, 9), 1, wib(2024, 11, 28, 16)),
        # Christmas and New Year across the year boundary.
        (wib(2025, 12, 24, 10), 3, wib(2025, 12, 31, 16)),
        (wib(2025, 12, 24, 10), 4, wib(2026, 1, 2, 16)),
        (wib(2025, 12, 24, 10), 5, wib(2026, 1, 5, 16)),
    ],
)
def test_deadline_counts_working_days_after_the_start(
    calendar, start, working_days, expected
):
    assert calendar.deadline(start, working_days) == expected


@pytest.mark.parametrize(
    "start, expected",
    [
        (wib(2026, 3, 25, 15, 59), wib(2026, 3, 25, 16)),
        (wib(2026, 3, 25, 7, 0), wib(2026, 3, 25, 16)),
        (wib(2026, 3, 25, 16, 0), wib(2026, 3, 26, 16)),
        (wib(2026, 3, 27, 17, 30), wib(2026, 3, 30, 16)),  # Friday evening
        (wib(2026, 3, 24, 9), wib(2026, 3, 25, 16)),  # cuti bersama
        (wib(2026, 3, 28, 9), wib(2026, 3, 30, 16)),  # Saturday
    ],
)
def test_zero_days_means_today_if_before_closing(calendar, start, expected):
    assert calendar.deadline(start, 0) == expected


def test_deadline_counts_the_day_in_jakarta_not_in_utc(calendar):
    # 18:00 UTC on the 25th is already 01:00 on the 26th in Banyuwangi.
    start = datetime(2026, 3, 25, 18, 0, tzinfo=UTC)

    due = calendar.deadline(start, 1)

    assert due == wib(2026, 3, 27, 16)
    assert due.utcoffset() == timedelta(hours=7)


def test_long_deadlines_match_counting_day_by_day(calendar):
    start = wib(2024, 12, 30, 10)
    for working_days in (1, 20, 240, 245, 500):
        day, counted = start.date(), 0
        while counted < working_days:
            day += timedelta(days=1)
            counted += calendar.is_working_day(day)

        assert calendar.deadline(start, working_days).date() == day


def test_deadline_refuses_naive_start_and_negative_days(calendar):
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        calendar.deadline(datetime(2026, 3, 17, 9), 3)
    with pytest.raises(ValueError, match="0 or more"):
        calendar.deadline(wib(2026, 3, 17), -1)


def test_saturday_opening_counts_only_for_its_agency(agencies):
    friday = wib(2026, 3, 27, 10)

    assert agencies.deadline(friday, 1, "SAMSAT") == wib(2026, 3, 28, 16)
    assert agencies.deadline(friday, 1, "DUKCAPIL") == wib(2026, 3, 30, 16)
    assert agencies.deadline(friday, 1, "BAPENDA") == wib(2026, 3, 30, 16)
    assert agencies.deadline(friday, 1) == wib(2026, 3, 30, 16)


def test_agency_closure_delays_only_that_agency(agencies):
    start = wib(2026, 3, 17, 9)

    assert agencies.deadline(start, 3, "DUKCAPIL") == wib(2026, 3, 30, 16)
    assert agencies.deadline(start, 3, "SAMSAT") == wib(2026, 3, 27, 16)
    assert agencies.deadline(start, 3) == wib(2026, 3, 27, 16)


def test_an_agency_row_wins_over_an_every_agency_row():
    # The Mall closes for the day, but Dukcapil keeps a KTP counter open.
    calendar = WorkingCalendar(
        [
            (None, date(2026, 4, 8), "closed"),
            ("DUKCAPIL", date(2026, 4, 8), CalendarExceptionKind.OPEN),
        ]
    )

    assert calendar.is_working_day(date(2026, 4, 8), "DUKCAPIL")
    assert not calendar.is_working_day(date(2026, 4, 8), "SAMSAT")
    assert not calendar.is_working_day(date(2026, 4, 8))
    assert calendar.deadline(wib(2026, 4, 7), 1) == wib(2026, 4, 9, 16)


def test_an_opening_overrides_a_national_holiday():
    calendar = WorkingCalendar([("DUKCAPIL", date(2024, 11, 27), "open")])

    assert calendar.is_working_day(date(2024, 11, 27), "DUKCAPIL")
    assert not calendar.is_working_day(date(2024, 11, 27))


def test_contradictory_or_unknown_exceptions_are_refused():
    with pytest.raises(ValueError, match="both open and closed"):
        WorkingCalendar(
            [
                ("SAMSAT", date(2026, 3, 28), "open"),
                ("SAMSAT", date(2026, 3, 28), "closed"),
            ]
        )
    with pytest.raises(ValueError, match="half"):
        WorkingCalendar([("SAMSAT", date(2026, 3, 28), "half")])


@pytest.mark.parametrize(
    "start, end, seconds",
    [
        (wib(2026, 3, 25, 9), wib(2026, 3, 25, 11, 30), 2.5 * HOUR),
        (wib(2026, 3, 25, 7), wib(2026, 3, 25, 17), OFFICE_DAY),
        (wib(2026, 3, 25, 17), wib(2026, 3, 26, 7, 59), 0),
        (wib(2026, 3, 25, 10), wib(2026, 3, 25, 10), 0),
        (wib(2026, 3, 27, 15), wib(2026, 3, 30, 9), 2 * HOUR),  # weekend
        (wib(2026, 3, 17, 15), wib(2026, 3, 25, 9), 2 * HOUR),  # Idul Fitri
        (wib(2026, 3, 19, 9), wib(2026, 3, 19, 15), 0),  # Nyepi
        # Monday to Monday, with Good Friday off.
        (wib(2026, 3, 30, 8), wib(2026, 4, 6, 8), 4 * OFFICE_DAY),
        (wib(2025, 12, 31, 15), wib(2026, 1, 2, 9), 2 * HOUR),  # New Year
        (
            datetime(2026, 3, 25, 1, 0, tzinfo=UTC),
            datetime(2026, 3, 25, 9, 0, tzinfo=UTC),
            OFFICE_DAY,
        ),
    ],
)
def test_working_seconds_count_office_hours_only(calendar, start, end, seconds):
    assert calendar.working_seconds(start, end) == seconds


def test_working_seconds_include_an_agency_saturday(agencies):
    friday, monday = wib(2026, 3, 27, 15), wib(2026, 3, 30, 9)

    assert agencies.working_seconds(friday, monday, "SAMSAT") == 10 * HOUR
    assert agencies.working_seconds(friday, monday) == 2 * HOUR


def test_working_seconds_refuse_reversed_or_naive_instants(calendar):
    with pytest.raises(ValueError, match="before"):
        calendar.working_seconds(wib(2026, 3, 25, 10), wib(2026, 3, 25, 9))
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        calendar.working_seconds(wib(2026, 3, 25, 9), datetime(2026, 3, 25, 10))


@pytest.mark.parametrize(
    "start, seconds, expected",
    [
        (wib(2026, 3, 17, 15), 2 * HOUR, wib(2026, 3, 25, 9)),  # Idul Fitri
        (wib(2026, 3, 25, 6), HOUR, wib(2026, 3, 25, 9)),
        (wib(2026, 3, 25, 17), HOUR, wib(2026, 3, 26, 9)),
        (wib(2026, 3, 25, 8), OFFICE_DAY, wib(2026, 3, 25, 16)),
        (wib(2026, 3, 17, 16), OFFICE_DAY, wib(2026, 3, 25, 16)),
        (wib(2026, 3, 17, 12), 3 * OFFICE_DAY, wib(2026, 3, 27, 12)),
        (wib(2026, 3, 27, 15), 2 * HOUR, wib(2026, 3, 30, 9)),  # weekend
        (wib(2025, 12, 31, 15), 2 * HOUR, wib(2026, 1, 2, 9)),  # New Year
        (wib(2026, 3, 25, 10), 90.5, wib(2026, 3, 25, 10, 1) + timedelta(seconds=30.5)),
    ],
)
def test_add_working_seconds_skips_closed_time(calendar, start, seconds, expected):
    resumed = calendar.add_working_seconds(start, seconds)

    assert resumed == expected
    assert resumed.tzinfo is JAKARTA


def test_add_working_seconds_uses_an_agency_saturday(agencies):
    friday = wib(2026, 3, 27, 15)

    resumed = agencies.add_working_seconds(friday, 2 * HOUR, "SAMSAT")

    assert resumed == wib(2026, 3, 28, 9)


def test_adding_nothing_returns_the_start_in_jakarta(calendar):
    start = datetime(2026, 3, 28, 2, 0, tzinfo=UTC)  # Saturday 09:00 WIB

    resumed = calendar.add_working_seconds(start, 0)

    assert resumed == start
    assert resumed.tzinfo is JAKARTA


def test_add_working_seconds_refuses_negative_or_naive_input(calendar):
    with pytest.raises(ValueError, match="0 or more"):
        calendar.add_working_seconds(wib(2026, 3, 25), -1)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        calendar.add_working_seconds(datetime(2026, 3, 25, 9), HOUR)


@pytest.mark.parametrize(
    "start",
    [wib(2026, 3, 17, 15, 20), wib(2026, 3, 21, 3), wib(2025, 12, 23, 7, 45)],
)
@pytest.mark.parametrize("seconds", [1, 5 * HOUR, OFFICE_DAY, 7 * OFFICE_DAY + 61])
def test_adding_then_measuring_office_time_round_trips(calendar, start, seconds):
    resumed = calendar.add_working_seconds(start, seconds)

    assert calendar.working_seconds(start, resumed) == seconds


def test_a_year_without_joint_leave_data_is_logged(caplog):
    _national_days_off.cache_clear()

    with caplog.at_level(logging.WARNING, logger="engine.calendar"):
        WorkingCalendar().is_working_day(date(2030, 6, 3))

    assert "no cuti bersama known for 2030" in caplog.text


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[CalendarException.__table__])
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_load_calendar_reads_exceptions_from_the_database(session):
    session.add_all(
        [
            CalendarException(
                agency_code="SAMSAT",
                day=date(2026, 3, 28),
                kind=CalendarExceptionKind.OPEN,
                reason="Saturday counter",
            ),
            CalendarException(
                agency_code="DUKCAPIL",
                day=date(2026, 3, 26),
                kind=CalendarExceptionKind.CLOSED,
                reason="server migration",
            ),
            CalendarException(
                agency_code=None,
                day=date(2026, 4, 8),
                kind=CalendarExceptionKind.CLOSED,
                reason="building inspection",
            ),
        ]
    )
    session.commit()

    calendar = load_calendar(session)

    assert calendar.deadline(wib(2026, 3, 27, 10), 1, "SAMSAT") == wib(2026, 3, 28, 16)
    assert calendar.deadline(wib(2026, 3, 17, 9), 3, "DUKCAPIL") == wib(2026, 3, 30, 16)
    assert calendar.deadline(wib(2026, 4, 7, 9), 1, "BAPENDA") == wib(2026, 4, 9, 16)
    assert calendar.deadline(wib(2026, 3, 17, 9), 3) == wib(2026, 3, 27, 16)


def test_exception_kinds_are_stored_as_readable_strings(session):
    session.add(
        CalendarException(
            agency_code="SAMSAT",
            day=date(2026, 3, 28),
            kind=CalendarExceptionKind.OPEN,
            reason="Saturday counter",
        )
    )
    session.commit()

    stored = session.execute(text("SELECT kind FROM calendar_exceptions")).scalar_one()

    assert stored == "open"


@pytest.mark.parametrize("agency_code", ["SAMSAT", None])
def test_one_exception_per_agency_and_day(session, agency_code):
    for reason in ("first", "second"):
        session.add(
            CalendarException(
                agency_code=agency_code,
                day=date(2026, 3, 28),
                kind=CalendarExceptionKind.OPEN,
                reason=reason,
            )
        )

    with pytest.raises(IntegrityError):
        session.commit()


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2031])
def test_days_off_are_the_librarys_indonesian_holidays(year):
    expected = holidays.country_holidays(
        "ID", categories=("public", "government"), years=year
    )

    assert _national_days_off(year) == frozenset(expected)


def test_a_deadline_loads_no_other_countrys_holidays():
    # Every country module together is about 7 MiB in each API process.
    probe = (
        "import sys\n"
        "from datetime import date\n"
        "from engine.calendar import WorkingCalendar\n"
        "WorkingCalendar().is_working_day(date(2026, 3, 20))\n"
        "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.strip() == "[]"
