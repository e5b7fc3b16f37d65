"""A resident's NIK and a user's token stay out of logs and error messages.

Every logger is captured at DEBUG, SQLAlchemy's statement log included, while
a permit runs over HTTP from submission to tracking with refusals on the way.
Each record is searched whole: its message, its arguments and its extra
fields.
"""

from __future__ import annotations

import logging

import pytest

BAD_NIKS = (
    "3510994107900003",  # no such kecamatan
    "3510164199900003",  # no 41st month
    "351016410790000",  # fifteen digits
    "35101641079000ab",
)


def _record_text(record: logging.LogRecord) -> str:
    text = [record.getMessage(), repr(record.args)]
    text += [repr(value) for value in vars(record).values()]
    if record.exc_info and record.exc_info[1] is not None:
        text.append(repr(record.exc_info[1]))
    return "\n".join(text)


def _run_a_permit(world, resident_nik: str) -> list:
    """Submit, refuse, complete and track over HTTP; return every response."""
    application = world.submit(resident_nik)
    responses = [
        world.call(
            "POST",
            "/applications",
            "counter",
            json=world.application_body(resident_nik),
        )
    ]
    for agency, user in (("DPMPTSP", "officer"), ("DINKES", "hygiene_officer")):
        task = world.task_of(application, agency)
        responses.append(world.call("POST", f"/tasks/{task}/claim", user))
        responses.append(
            world.call(
                "POST",
                f"/tasks/{task}/complete",
                user,
                json={"data": {"checked": True}},
            )
        )
    number = application["tracking_number"]
    responses.append(
        world.call("GET", f"/track/{number}", query_string={"nik": resident_nik})
    )
    responses.append(
        world.call("GET", f"/track/{number}", query_string={"nik": world.new_nik()})
    )
    return responses


def test_no_log_line_holds_a_whole_nik(world, caplog):
    caplog.set_level(logging.DEBUG)
    resident = world.new_nik()

    responses = _run_a_permit(world, resident)
    for bad in BAD_NIKS:
        responses.append(
            world.call(
                "POST", "/applications", "counter", json=world.application_body(bad)
            )
        )

    assert responses[0].status_code == 409
    assert responses[-len(BAD_NIKS) - 2].json["status"] == "completed"
    assert caplog.records, "nothing was logged: the capture is not working"
    for nik in (resident, *BAD_NIKS):
        leaking = [r for r in caplog.records if nik in _record_text(r)]
        assert leaking == [], (nik, [r.getMessage() for r in leaking])


@pytest.mark.parametrize("bad", BAD_NIKS)
def test_a_refused_nik_is_not_echoed(world, bad):
    response = world.call(
        "POST", "/applications", "counter", json=world.application_body(bad)
    )

    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "applicant.nik"
    assert bad not in response.get_data(as_text=True)


def test_a_duplicate_application_names_the_file_not_the_resident(world):
    application = world.submit()

    again = world.call(
        "POST",
        "/applications",
        "counter",
        json=world.application_body(application["nik"]),
    )

    assert again.status_code == 409
    assert application["tracking_number"] in again.json["message"]
    assert application["nik"] not in again.get_data(as_text=True)


@pytest.mark.parametrize(
    "token",
    [
        "c2VjcmV0LWJ1dC1ub3QtaXNzdWVk",
        "x" * 5000,
        "<script>alert(1)</script>",
    ],
)
def test_a_refused_token_is_not_echoed(world, token, caplog):
    caplog.set_level(logging.DEBUG)

    response = world.call("GET", "/agencies", token=token)

    assert response.status_code == 401
    assert token not in response.get_data(as_text=True)
    assert not any(token in _record_text(r) for r in caplog.records)


def test_an_inactive_users_token_is_not_echoed(world):
    token = world.tokens["retired"]

    response = world.call("GET", "/agencies", token=token)

    assert response.status_code == 401
    assert token not in response.get_data(as_text=True)
    assert "inactive" in response.json["message"]


def test_database_errors_do_not_quote_their_parameters(world):
    """``hide_parameters`` keeps a NIK bound to a failing statement out of errors."""
    from sqlalchemy import text

    from api.extensions import db

    resident = world.new_nik()
    with world.app.app_context():
        with pytest.raises(Exception) as failed:
            db.session.execute(
                text("SELECT * FROM no_such_table WHERE nik = :nik"), {"nik": resident}
            )
        db.session.rollback()

    assert "no_such_table" in str(failed.value)
    assert resident not in str(failed.value)
