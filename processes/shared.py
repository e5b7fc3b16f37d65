"""The steps every flow shares, as call activities without lanes.

A lane-less process gives its tasks the agency of the lane holding the
calling call activity, so the same return, payment and issuing steps serve
every agency. They are deployed before anything that calls them.
"""

from __future__ import annotations

from processes.drafting import (
    ISSUE_DOCUMENT,
    PAYMENT,
    RETURN_TO_APPLICANT,
    Connector,
    ProcessDraft,
)

# How long an applicant has to bring what was missing before the file lapses.
APPLICANT_WORKING_DAYS = 14

# bank.confirm_payment answers with payment_confirmed and bank_receipt.
RECORD_PAYMENT = """\
payment_settled = bool(payment_confirmed)
payments = payments + [dict(
    amount_idr=amount_due_idr,
    billing_reference=payment_reference,
    bank_receipt=bank_receipt,
    settled=payment_settled,
)]"""

WAIVE_PAYMENT = """\
payment_settled = True
payments = payments + [dict(amount_idr=0, settled=True)]"""


def return_to_applicant() -> ProcessDraft:
    p = ProcessDraft(
        RETURN_TO_APPLICANT,
        "Return the file to the applicant",
        documentation="The officer who found the file incomplete tells the "
        "applicant what is missing and waits for it.",
    )
    p.start("returned", "File incomplete")
    p.user(
        "await_documents",
        "Wait for the missing documents",
        records="missing_documents: what was asked for.",
        sla=APPLICANT_WORKING_DAYS,
        waits_on="applicant",
    )
    p.end("documents_brought", "Documents brought")
    p.chain("returned", "await_documents", "documents_brought")
    return p


def payment() -> ProcessDraft:
    p = ProcessDraft(
        PAYMENT,
        "Take a payment on the record",
        documentation="Bills amount_due_idr and waits for the bank to confirm it. "
        "Appends the payment to the payments ledger and sets payment_settled; "
        "nothing due (a waived or prodeo case) settles at once.",
    )
    p.start("payment_requested", "Payment requested")
    p.choice("anything_due", "Anything due?")
    p.user(
        "issue_billing",
        "Issue the billing code",
        records="payment_reference: the billing code given to the applicant.",
        sla=0,
    )
    p.service(
        "confirm_payment",
        "Confirm the payment with the bank",
        None,
        Connector(
            "bank.confirm_payment",
            {
                "reference": ("str", "payment_reference"),
                "amount": ("int", "amount_due_idr"),
            },
        ),
    )
    p.script("record_payment", "Record the payment", None, RECORD_PAYMENT)
    p.script("waive_payment", "Record that nothing is due", None, WAIVE_PAYMENT)
    p.choice("payment_recorded", "")
    p.end("payment_done", "Payment recorded")

    p.link("payment_requested", "anything_due")
    p.link("anything_due", "issue_billing", when="amount_due_idr > 0", name="due")
    p.link("anything_due", "waive_payment", default=True, name="nothing due")
    p.chain("issue_billing", "confirm_payment", "record_payment", "payment_recorded")
    p.chain("waive_payment", "payment_recorded", "payment_done")
    return p


def issue_document() -> ProcessDraft:
    p = ProcessDraft(
        ISSUE_DOCUMENT,
        "Issue the document",
        documentation="Signs and numbers the document, then hands it over.",
    )
    p.start("issue_requested", "Document approved")
    p.user(
        "sign_document",
        "Sign and number the document",
        records="document_number: the number on the signed document.",
        sla=1,
    )
    p.user(
        "hand_over_document",
        "Hand over the document",
        records="handed_over_to: who collected it.",
        waits_on="applicant",
    )
    p.end("document_issued", "Document issued")
    p.chain("issue_requested", "sign_document", "hand_over_document", "document_issued")
    return p


def drafts() -> list[ProcessDraft]:
    return [return_to_applicant(), payment(), issue_document()]
