"""Domain flow 11, the Hajj: registration now, departure years later.

The departure is a process of its own, started by Kemenag when the quota
reaches the pilgrim; no catalogue service starts it yet.
"""

from __future__ import annotations

from processes.drafting import ProcessDraft

# Registrants must report to Kemenag within this many working days of the deposit.
REPORT_WITHIN_DAYS = 5


def hajj_registration() -> ProcessDraft:
    p = ProcessDraft(
        "hajj_registration",
        "Regular Hajj registration",
        lanes=("DINKES", "BANKJATIM", "KEMENAG"),
        documentation="Health certificate, a Hajj savings account with the "
        "initial deposit at the BPS-BPIH bank (sent on to BPKH), then Kemenag "
        "verifies, takes biometrics and issues the queue number.",
    )
    p.start("received", "Prospective pilgrim applies", "DINKES")
    p.user(
        "health_certificate",
        "Issue the health certificate (surat keterangan sehat)",
        "DINKES",
        records="health_certificate_number.",
        sla=0,
    )
    p.user(
        "open_savings",
        "Open the Hajj savings account",
        "BANKJATIM",
        records="savings_account_number.",
        sla=0,
    )
    p.pay_catalogue_fee(
        "deposit", "BANKJATIM", then="transfer_to_bpkh", unpaid="rejected_unpaid"
    )
    p.user(
        "transfer_to_bpkh",
        "Transfer the deposit to BPKH and give the validation number",
        "BANKJATIM",
        records="validation_number.",
        sla=0,
    )
    entry = p.check_documents(
        "verify_registration",
        "Verify the file and the deposit slip",
        "KEMENAG",
        then="biometrics",
        sla=REPORT_WITHIN_DAYS,
    )
    p.user(
        "biometrics",
        "Fill in the SPPH and take the photo and fingerprints",
        "KEMENAG",
        sla=0,
    )
    p.user(
        "issue_queue_number",
        "Issue the SPPH and the queue number (nomor porsi)",
        "KEMENAG",
        records="porsi_number.",
        sla=0,
    )
    p.end("registered", "Registered in the queue", "KEMENAG")

    p.chain("received", "health_certificate", "open_savings", "deposit")
    p.link("transfer_to_bpkh", entry)
    p.chain("biometrics", "issue_queue_number", "registered")
    return p


def hajj_departure() -> ProcessDraft:
    p = ProcessDraft(
        "hajj_departure",
        "Hajj departure preparation",
        lanes=("KEMENAG", "DINKES", "IMIGRASI", "BANKJATIM"),
        documentation="Passport and fitness check run side by side; an unfit "
        "pilgrim's departure is postponed; the BPIH balance is paid at the bank.",
    )
    p.start("quota_reached", "Departure quota reached", "KEMENAG")
    p.user(
        "notify_pilgrim",
        "Notify the pilgrim and state the BPIH balance",
        "KEMENAG",
        records="assessed_fee_idr: the BPIH balance due.",
        sla=5,
    )
    p.parallel("preparation_split", "KEMENAG")
    p.user(
        "recommend_passport",
        "Issue the passport recommendation",
        "KEMENAG",
        sla=1,
    )
    p.user(
        "issue_passport",
        "Issue the passport",
        "IMIGRASI",
        records="passport_number.",
        sla=3,
    )
    p.user(
        "check_istithaah",
        "Check fitness for the pilgrimage (istithaah)",
        "DINKES",
        records="istithaah: true when fit to travel.",
        sla=5,
    )
    p.parallel("preparation_join", "KEMENAG")
    p.choice("fit", "Fit to travel?", "KEMENAG")
    p.end("rejected_not_fit", "Departure postponed", "KEMENAG")
    p.pay_assessed(
        "balance", "BANKJATIM", then="confirm_departure", unpaid="rejected_unpaid"
    )
    p.user(
        "confirm_departure",
        "Confirm the pilgrim for departure",
        "KEMENAG",
        sla=1,
    )
    p.end("ready", "Ready to depart", "KEMENAG")

    p.chain("quota_reached", "notify_pilgrim", "preparation_split")
    p.chain("preparation_split", "recommend_passport", "issue_passport")
    p.chain("issue_passport", "preparation_join")
    p.chain("preparation_split", "check_istithaah", "preparation_join", "fit")
    p.link("fit", "balance", when="istithaah", name="fit")
    p.link("fit", "rejected_not_fit", default=True, name="not fit")
    p.chain("confirm_departure", "ready")
    return p


def drafts() -> list[ProcessDraft]:
    return [hajj_registration(), hajj_departure()]
