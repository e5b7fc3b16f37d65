"""The four pattern diagrams most services run on, and the roles of their lanes.

A pattern's lanes are roles, not agencies; the catalogue binds each role to an
agency per service (``processes/data/service_flows.csv``). Binding two roles
to one agency is how a service without that step collapses onto the pattern:
a free service binds ``levy`` to its issuer and never reaches the payment.

- ``receive_verify_issue``: the issuer checks the file, decides, charges the
  fee if any (at the ``levy`` agency) and issues.
- ``technical_review``: as above, with another agency's technical review (and
  levy calculation) between the check and the issue.
- ``referral``: a first agency issues the letter, report or recommendation
  the application rests on; the issuer then checks, decides, charges, issues.
- ``complaint``: the receiving desk registers a complaint and routes it to the
  ``responder``, which answers by a deadline; the desk informs the resident.
"""

from __future__ import annotations

from processes.drafting import ProcessDraft

ISSUER = "issuer"
REVIEWER = "reviewer"
REFERRER = "referrer"
LEVY = "levy"
RESPONDER = "responder"
ROLES = frozenset({ISSUER, REVIEWER, REFERRER, LEVY, RESPONDER})

# Applied by officers before the payment when a service's fee is assessed.
ASSESSMENT_NOTE = "assessed_fee_idr: the amount when the fee is assessed per case."
# A complaint's answer is due within this many working days of routing.
COMPLAINT_ANSWER_DAYS = 5


def receive_verify_issue() -> ProcessDraft:
    p = ProcessDraft(
        "receive_verify_issue",
        "Receive, verify and issue",
        lanes=(ISSUER, LEVY),
        documentation="One agency's service: check, decide, charge, issue.",
    )
    p.start("received", "Application received", ISSUER)
    entry = p.check_documents(
        "verify_documents", "Verify the documents", ISSUER, then="decide"
    )
    p.decide(
        "decide",
        "Decide on the application",
        ISSUER,
        flag="approved",
        then="fee",
        rejected="rejected_refused",
        rejected_name="Refused",
        records=ASSESSMENT_NOTE,
    )
    p.pay_catalogue_fee("fee", LEVY, then="issue", unpaid="rejected_unpaid")
    p.issue_document("issue", "Issue the document", ISSUER)
    p.end("issued", "Issued", ISSUER)
    p.chain("received", entry)
    p.link("issue", "issued")
    return p


def technical_review() -> ProcessDraft:
    p = ProcessDraft(
        "technical_review",
        "Receive, technical review by another agency, issue",
        lanes=(ISSUER, REVIEWER, LEVY),
        documentation="The issuer checks the file; the reviewer inspects and "
        "recommends; the fee is charged; the issuer issues.",
    )
    p.start("received", "Application received", ISSUER)
    entry = p.check_documents(
        "verify_documents", "Verify the documents", ISSUER, then="review"
    )
    p.decide(
        "review",
        "Review the technical requirements",
        REVIEWER,
        flag="review_passed",
        then="fee",
        rejected="rejected_review",
        rejected_name="Not recommended",
        records=ASSESSMENT_NOTE,
    )
    p.pay_catalogue_fee("fee", LEVY, then="issue", unpaid="rejected_unpaid")
    p.issue_document("issue", "Issue the document", ISSUER)
    p.end("issued", "Issued", ISSUER)
    p.chain("received", entry)
    p.link("issue", "issued")
    return p


def referral() -> ProcessDraft:
    p = ProcessDraft(
        "referral",
        "Letter from one agency, service from another",
        lanes=(REFERRER, ISSUER, LEVY),
        documentation="The referrer issues the letter the application rests on "
        "(a loss report, a certificate, a recommendation); the issuer checks, "
        "decides, charges and issues.",
    )
    p.start("received", "Application received", REFERRER)
    p.decide(
        "refer",
        "Issue the supporting letter",
        REFERRER,
        flag="referral_issued",
        then="verify_documents_again",
        rejected="rejected_referral",
        rejected_name="Letter refused",
        records="referral_number: the letter's number.",
    )
    p.check_documents("verify_documents", "Verify the documents", ISSUER, then="decide")
    p.decide(
        "decide",
        "Decide on the application",
        ISSUER,
        flag="approved",
        then="fee",
        rejected="rejected_refused",
        rejected_name="Refused",
        records=ASSESSMENT_NOTE,
    )
    p.pay_catalogue_fee("fee", LEVY, then="issue", unpaid="rejected_unpaid")
    p.issue_document("issue", "Issue the document", ISSUER)
    p.end("issued", "Issued", ISSUER)
    p.link("received", "refer")
    p.link("issue", "issued")
    return p


def complaint() -> ProcessDraft:
    p = ProcessDraft(
        "complaint",
        "Complaint routed to the responsible agency",
        lanes=(ISSUER, RESPONDER),
        documentation="The desk registers the complaint and the agency it is "
        "about (the responder role, bound when the complaint is filed) answers "
        "it by a deadline; the desk then informs the complainant.",
    )
    p.start("received", "Complaint received", ISSUER)
    entry = p.check_documents(
        "register_complaint",
        "Register the complaint",
        ISSUER,
        then="admit",
        sla=0,
        records="summary: what the complaint is about.",
    )
    p.decide(
        "admit",
        "Admit the complaint",
        ISSUER,
        flag="admissible",
        then="respond",
        rejected="rejected_inadmissible",
        rejected_name="Not admissible",
        sla=1,
    )
    p.user(
        "respond",
        "Investigate and answer the complaint",
        RESPONDER,
        records="answer: the agency's answer and what it will do.",
        sla=COMPLAINT_ANSWER_DAYS,
    )
    p.user(
        "inform_complainant",
        "Inform the complainant",
        ISSUER,
        records="informed_by: how the answer reached the complainant.",
        sla=1,
    )
    p.end("answered", "Answered", ISSUER)
    p.chain("received", entry)
    p.chain("respond", "inform_complainant", "answered")
    return p


def drafts() -> list[ProcessDraft]:
    return [receive_verify_issue(), technical_review(), referral(), complaint()]
