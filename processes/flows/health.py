"""Flows of the health office with the social office and BPJS Kesehatan."""

from __future__ import annotations

from processes.drafting import ProcessDraft


def health_coverage() -> ProcessDraft:
    """Enrolment in JKN paid by the regency (UHC), checked against DTKS.

    Residents found in the social welfare registry are proposed as national
    PBI; the rest are covered from the regency budget.
    """
    p = ProcessDraft(
        "health_coverage",
        "Regency-funded JKN enrolment (UHC)",
        lanes=("DINKES", "DINSOS", "BPJSKES"),
    )
    p.start("received", "Application received", "DINKES")
    entry = p.check_documents(
        "verify_documents",
        "Check the KTP-el, KK and desa letter",
        "DINKES",
        then="eligibility",
        sla=0,
    )
    p.decide(
        "eligibility",
        "Confirm the resident is not yet covered",
        "DINKES",
        flag="eligible",
        then="check_registry",
        rejected="rejected_already_covered",
        rejected_name="Already covered",
        sla=0,
    )
    p.user(
        "check_registry",
        "Check the social welfare registry (DTKS)",
        "DINSOS",
        records="in_dtks: true when listed.",
        sla=1,
    )
    p.user(
        "activate_membership",
        "Activate the JKN membership",
        "BPJSKES",
        records="jkn_number.",
        sla=0,
    )
    p.end("covered", "Covered", "BPJSKES")

    p.chain("received", entry)
    p.chain("check_registry", "activate_membership", "covered")
    return p


def drafts() -> list[ProcessDraft]:
    return [health_coverage()]
