from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from processes.residents import (
    InvalidNik,
    Nik,
    banyuwangi_kecamatan_codes,
    mask_nik,
    parse_nik,
)

TODAY = date(2025, 6, 1)


def make_nik(region="351016", born="170890", serial="0001"):
    return region + born + serial


def refusal(nik, **kwargs):
    kwargs.setdefault("today", TODAY)
    with pytest.raises(InvalidNik) as caught:
        parse_nik(nik, **kwargs)

    return caught.value


def test_banyuwangi_man_is_decoded():
    nik = parse_nik(make_nik(), today=TODAY)

    assert (nik.province, nik.regency, nik.kecamatan) == ("35", "10", "16")
    assert nik.kecamatan_code == "35.10.16"
    assert nik.birth_date == date(1990, 8, 17)
    assert nik.sex == "M"
    assert nik.serial == "0001"
    assert nik.value == "3510161708900001"


def test_woman_has_forty_added_to_her_birth_day():
    nik = parse_nik(make_nik(region="351025", born="570890"), today=TODAY)

    assert nik.kecamatan_code == "35.10.25"
    assert nik.birth_date == date(1990, 8, 17)
    assert nik.sex == "F"


def test_woman_born_on_the_31st():
    nik = parse_nik(make_nik(born="710190"), today=TODAY)

    assert (nik.birth_date, nik.sex) == (date(1990, 1, 31), "F")


def test_default_kecamatan_list_is_banyuwangi_from_regions_csv():
    codes = banyuwangi_kecamatan_codes()

    assert codes == {f"35.10.{n:02d}" for n in range(1, 26)}
    assert banyuwangi_kecamatan_codes() is codes


@pytest.mark.parametrize("kecamatan", ["26", "99"])
def test_banyuwangi_kecamatan_must_be_listed(kecamatan):
    error = refusal(make_nik(region="3510" + kecamatan))

    assert error.field == "kecamatan"


def test_caller_can_supply_the_kecamatan_list():
    only_banyuwangi_town = {"35.10.16"}

    parse_nik(make_nik(), kecamatan_codes=only_banyuwangi_town, today=TODAY)
    error = refusal(make_nik(region="351025"), kecamatan_codes=only_banyuwangi_town)

    assert error.field == "kecamatan"


@pytest.mark.parametrize(
    "region",
    [
        "317101",  # Jakarta Pusat: another province, a kota code
        "350799",  # Malang, Jawa Timur: an unlisted kecamatan outside Banyuwangi
        "110101",  # Aceh, the lowest province code
        "930101",  # Papua Selatan
        "940101",  # Papua Tengah
        "950101",  # Papua Pegunungan
        "967901",  # Papua Barat Daya, highest regency code
    ],
)
def test_other_regions_pass_on_province_code(region):
    nik = parse_nik(make_nik(region=region), today=TODAY)

    assert nik.province == region[:2]


@pytest.mark.parametrize("province", ["00", "10", "20", "37", "97", "99"])
def test_unknown_province_is_refused(province):
    error = refusal(make_nik(region=province + "0101"))

    assert error.field == "province"


@pytest.mark.parametrize("regency", ["00", "80", "99"])
def test_regency_outside_01_to_79_is_refused(regency):
    error = refusal(make_nik(region="35" + regency + "01"))

    assert error.field == "regency"


@pytest.mark.parametrize("region", ["351000", "317100"])
def test_kecamatan_00_is_refused(region):
    error = refusal(make_nik(region=region))

    assert error.field == "kecamatan"


@pytest.mark.parametrize(
    "born",
    [
        "300290",  # 30 Feb
        "310490",  # 31 Apr
        "700290",  # 30 Feb, woman
        "001090",  # day 00
        "321090",  # day 32
        "401090",  # day 40: too late for a man, too early for a woman
        "721090",  # day 72: a woman's 32nd
        "170090",  # month 00
        "171390",  # month 13
    ],
)
def test_impossible_birth_date_is_refused(born):
    error = refusal(make_nik(born=born))

    assert error.field == "birth_date"


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        ("290296", date(1996, 2, 29)),
        ("690296", date(1996, 2, 29)),
        ("290200", date(2000, 2, 29)),
    ],
)
def test_leap_day_exists_in_leap_years(born, expected):
    assert parse_nik(make_nik(born=born), today=TODAY).birth_date == expected


@pytest.mark.parametrize("born", ["290297", "690297", "290223"])
def test_leap_day_is_refused_in_other_years(born):
    error = refusal(make_nik(born=born))

    assert error.field == "birth_date"


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        ("010124", date(2024, 1, 1)),
        ("010625", date(2025, 6, 1)),  # born today
        ("020625", date(1925, 6, 2)),  # tomorrow in 2025, so 1925
        ("010126", date(1926, 1, 1)),
    ],
)
def test_century_is_the_latest_not_in_the_future(born, expected):
    assert parse_nik(make_nik(born=born), today=TODAY).birth_date == expected


def test_century_moves_with_today():
    nik = make_nik(born="010124")

    assert parse_nik(nik, today=date(2023, 12, 31)).birth_date == date(1924, 1, 1)


def test_leap_day_2000_is_future_when_1900_had_none():
    error = refusal(make_nik(born="290200"), today=date(2000, 1, 15))

    assert error.field == "birth_date"


def test_today_defaults_to_the_current_date():
    assert parse_nik(make_nik()).birth_date == date(1990, 8, 17)


def test_declared_birth_date_settles_the_century():
    nik = parse_nik(
        make_nik(born="010124"),
        today=TODAY,
        declared_birth_date=date(1924, 1, 1),
    )

    assert nik.birth_date == date(1924, 1, 1)


@pytest.mark.parametrize(
    "declared",
    [date(1990, 8, 18), date(1990, 9, 17), date(1991, 8, 17), date(1980, 8, 17)],
)
def test_contradicting_declared_birth_date_is_refused(declared):
    error = refusal(make_nik(), declared_birth_date=declared)

    assert error.field == "birth_date"


def test_impossible_date_is_named_even_with_a_declared_date():
    error = refusal(make_nik(born="300290"), declared_birth_date=date(1990, 3, 2))

    assert error.field == "birth_date"
    assert "not a real date" in error.message


def test_serial_0000_is_refused():
    error = refusal(make_nik(serial="0000"))

    assert error.field == "serial"


def test_serial_9999_is_accepted():
    assert parse_nik(make_nik(serial="9999"), today=TODAY).serial == "9999"


@pytest.mark.parametrize("nik", ["", "351016170890001", "35101617089000001"])
def test_wrong_length_is_refused(nik):
    error = refusal(nik)

    assert error.field == "length"
    assert str(len(nik)) in error.message


@pytest.mark.parametrize(
    "nik",
    [
        "3510-1617-0890-0001",
        "3510161708900001 ",
        "35101617O8900001",  # letter O for zero
        "３５１０１６１７０８９０００１",  # full-width digits
        "٣٥١٠١٦١٧٠٨٩٠٠٠١",  # Arabic-Indic digits
    ],
)
def test_non_digits_are_refused(nik):
    assert refusal(nik).field == "digits"


def test_invalid_nik_is_a_value_error_naming_the_field():
    error = refusal(make_nik(serial="0000"))

    assert isinstance(error, ValueError)
    assert str(error).startswith("serial: ")


@pytest.mark.parametrize(
    "nik",
    [
        make_nik(region="105016"),
        make_nik(region="358016"),
        make_nik(region="351026"),
        make_nik(born="300290"),
        make_nik(serial="0000"),
    ],
)
def test_error_messages_never_quote_the_nik(nik):
    error = refusal(nik)

    assert nik not in str(error)
    assert nik[6:12] not in str(error)


def test_nik_is_masked_for_logs():
    nik = parse_nik(make_nik(region="351001", serial="0001"), today=TODAY)

    assert nik.masked == "351001********01"
    assert nik.value not in repr(nik)
    assert nik.value not in f"{nik}"
    assert nik.masked in repr(nik)


def test_nik_is_frozen():
    nik = parse_nik(make_nik(), today=TODAY)

    with pytest.raises(FrozenInstanceError):
        nik.serial = "0002"  # type: ignore[misc]


def test_nik_equality_follows_value():
    assert parse_nik(make_nik(), today=TODAY) == parse_nik(make_nik(), today=TODAY)
    assert isinstance(parse_nik(make_nik(), today=TODAY), Nik)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("3510161708900001", "351016********01"),
        ("3510161708900001 ", "351016*********1 "),
        ("NIK 3510161708900001", "NIK 35************01"),
        ("351016170890001", "***************"),
        ("abc", "***"),
        ("", ""),
    ],
)
def test_mask_nik_works_on_any_string(value, masked):
    assert mask_nik(value) == masked


def test_mask_nik_never_leaves_sixteen_digits_together():
    text = "3510161708900001" * 3

    assert "3510161708900001" not in mask_nik(text)
