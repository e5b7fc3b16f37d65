"""Flows at the regency's utilities: the water company."""

from __future__ import annotations

from processes.drafting import ProcessDraft


def water_connection() -> ProcessDraft:
    """Domain flow 10: a new PUDAM connection.

    Limit: the fee is the catalogue's fixed Rp1,500,000. The 2024 promotion in
    Srono and Cluring (Rp500,000 in five instalments) has no place here yet:
    an officer cannot lower the amount, and instalments are not tracked.
    """
    p = ProcessDraft(
        "water_connection",
        "New piped water connection",
        lanes=("PUDAM",),
    )
    p.start("received", "Request received", "PUDAM")
    entry = p.check_documents(
        "register_request",
        "Register the request (KTP-el, KK, site sketch)",
        "PUDAM",
        then="survey",
    )
    p.decide(
        "survey",
        "Survey the site and estimate the cost",
        "PUDAM",
        flag="feasible",
        then="fee",
        rejected="rejected_not_feasible",
        rejected_name="No connection possible",
        sla=5,
    )
    p.pay_catalogue_fee("fee", "PUDAM", then="install", unpaid="rejected_unpaid")
    p.user(
        "install",
        "Lay the pipe and install the meter",
        "PUDAM",
        records="meter_number.",
        sla=7,
    )
    p.user(
        "start_billing",
        "Open the customer account and start billing",
        "PUDAM",
        records="customer_number.",
        sla=1,
    )
    p.end("connected", "Connected", "PUDAM")

    p.chain("received", entry)
    p.chain("install", "start_billing", "connected")
    return p


def drafts() -> list[ProcessDraft]:
    return [water_connection()]
