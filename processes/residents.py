"""Residents' identity numbers (NIK): validate, decode and mask.

A NIK reads ``PP KK CC DDMMYY SSSS``: province, regency or city, kecamatan,
birth date (day + 40 for women) and a serial from 0001. The region is where the
NIK was first issued and does not follow a resident who moves, so it is never
a current address.

Limits: only Banyuwangi (35.10) kecamatan codes are checked against a list, the
one in ``processes/data/regions.csv``. Elsewhere the province must exist, the
regency must lie in 01-79 and the kecamatan must not be 00, so a NIK naming a
regency or kecamatan that does not exist outside Banyuwangi still passes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

Sex = Literal["F", "M"]
NikPart = Literal[
    "digits", "length", "province", "regency", "kecamatan", "birth_date", "serial"
]

REGIONS_CSV = Path(__file__).parent / "data" / "regions.csv"
BANYUWANGI = "35.10"

# The 38 provinces in Kemendagri coding (Kepmendagri 300.2.2-2138/2025). The
# 2022 split of Papua added 93 Papua Selatan, 94 Papua Tengah, 95 Papua
# Pegunungan and 96 Papua Barat Daya; no province uses 97.
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
        "19",
        "21",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "51",
        "52",
        "53",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "72",
        "73",
        "74",
        "75",
        "76",
        "81",
        "82",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
    ]
)

NIK_LENGTH = 16
WOMAN_DAY_OFFSET = 40
MASK_HEAD = 6
MASK_TAIL = 2

# str.isdigit() also accepts other scripts' digits, which no NIK contains.
_ASCII_DIGITS = re.compile(r"[0-9]*")


class InvalidNik(ValueError):
    """A NIK was refused; ``field`` names the part at fault.

    Messages never quote the NIK, so they are safe to log and to show.
    """

    def __init__(self, field: NikPart, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, repr=False)
class Nik:
    """A valid NIK and what it encodes; build one with :func:`parse_nik`."""

    value: str
    province: str
    regency: str
    kecamatan: str
    birth_date: date
    sex: Sex
    serial: str

    @property
    def kecamatan_code(self) -> str:
        """Return the dotted Kemendagri code used in regions.csv, e.g. 35.10.16."""
        return f"{self.province}.{self.regency}.{self.kecamatan}"

    @property
    def masked(self) -> str:
        return mask_nik(self.value)

    def __repr__(self) -> str:
        # Together the fields spell the whole NIK, so a Nik that lands in a log
        # line through repr() or str() shows only the masked form.
        return f"Nik({self.masked})"


def mask_nik(value: str) -> str:
    """Return ``value`` fit for a log line, valid NIK or not.

    Strings of 16 characters or more keep their first 6 and last 2; shorter
    ones are starred entirely, since their parts cannot be told apart.
    """
    if len(value) < NIK_LENGTH:
        return "*" * len(value)

    hidden = len(value) - MASK_HEAD - MASK_TAIL
    return value[:MASK_HEAD] + "*" * hidden + value[-MASK_TAIL:]


def parse_nik(
    nik: str,
    *,
    kecamatan_codes: Collection[str] | None = None,
    today: date | None = None,
    declared_birth_date: date | None = None,
) -> Nik:
    """Validate ``nik`` and decode its region, birth date and sex.

    ``kecamatan_codes`` holds dotted Banyuwangi codes such as ``"35.10.16"``;
    by default they come from ``processes/data/regions.csv``. The two-digit
    year goes to the latest century that keeps the birth date on or before
    ``today``, unless ``declared_birth_date`` agrees with the NIK, in which
    case its century wins.

    Raises InvalidNik naming the first part found wrong.
    """
    _check_shape(nik)

    province, regency, kecamatan = nik[0:2], nik[2:4], nik[4:6]
    _check_region(province, regency, kecamatan, kecamatan_codes)
    birth_date, sex = _decode_birth(
        nik[6:12], today or date.today(), declared_birth_date
    )

    serial = nik[12:]
    if serial == "0000":
        raise InvalidNik("serial", "the serial (last four digits) cannot be 0000")

    return Nik(nik, province, regency, kecamatan, birth_date, sex, serial)


@cache
def banyuwangi_kecamatan_codes() -> frozenset[str]:
    """Return the Banyuwangi kecamatan codes listed in processes/data/regions.csv."""
    with REGIONS_CSV.open(encoding="utf-8", newline="") as file:
        rows = csv.DictReader(line for line in file if not line.startswith("#"))
        return frozenset(
            row["code"]
            for row in rows
            if row["level"] == "kecamatan" and row["parent_code"] == BANYUWANGI
        )


def _check_shape(nik: str) -> None:
    if not _ASCII_DIGITS.fullmatch(nik):
        raise InvalidNik("digits", "a NIK holds the digits 0-9 and nothing else")

    if len(nik) != NIK_LENGTH:
        raise InvalidNik(
            "length", f"a NIK has {NIK_LENGTH} digits, this one has {len(nik)}"
        )


def _check_region(
    province: str,
    regency: str,
    kecamatan: str,
    kecamatan_codes: Collection[str] | None,
) -> None:
    if province not in PROVINCE_CODES:
        raise InvalidNik("province", f"{province} is not a province code")

    if not "01" <= regency <= "79":
        raise InvalidNik("regency", f"regency {regency} is outside 01-79")

    if kecamatan == "00":
        raise InvalidNik("kecamatan", "kecamatan 00 does not exist")

    region = f"{province}.{regency}"
    if region == BANYUWANGI:
        _check_banyuwangi_kecamatan(f"{region}.{kecamatan}", kecamatan_codes)


def _check_banyuwangi_kecamatan(
    code: str, kecamatan_codes: Collection[str] | None
) -> None:
    if kecamatan_codes is None:
        kecamatan_codes = banyuwangi_kecamatan_codes()

    if code not in kecamatan_codes:
        raise InvalidNik("kecamatan", f"{code} is not a kecamatan of Banyuwangi")


def _decode_birth(block: str, today: date, declared: date | None) -> tuple[date, Sex]:
    day, month, yy = int(block[0:2]), int(block[2:4]), int(block[4:6])
    sex: Sex = "F" if day > WOMAN_DAY_OFFSET else "M"
    if sex == "F":
        day -= WOMAN_DAY_OFFSET

    candidates = _real_dates(day, month, yy, today)
    if not candidates:
        raise InvalidNik(
            "birth_date",
            "digits 7-12 are not a real date (DDMMYY, day + 40 for women)",
        )

    if declared is not None:
        return _agree_with_declared(declared, day, month, yy), sex
    return _latest_not_after(candidates, today), sex


def _real_dates(day: int, month: int, yy: int, today: date) -> list[date]:
    """Return the dates in today's century and the one before, latest first."""
    century = today.year // 100 * 100
    dates = []
    for year in (century + yy, century - 100 + yy):
        try:
            dates.append(date(year, month, day))
        except ValueError:
            # A date missing from one century may exist in the other: 29 Feb
            # 2000 does, 29 Feb 1900 does not.
            continue

    return dates


def _agree_with_declared(declared: date, day: int, month: int, yy: int) -> date:
    if (declared.day, declared.month, declared.year % 100) != (day, month, yy):
        raise InvalidNik(
            "birth_date", "the birth date in the NIK contradicts the declared one"
        )

    return declared


def _latest_not_after(candidates: list[date], today: date) -> date:
    for candidate in candidates:
        if candidate <= today:
            return candidate

    raise InvalidNik("birth_date", "the birth date lies in the future")
