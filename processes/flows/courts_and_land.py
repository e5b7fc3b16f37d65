"""Flows before the religious court and the land office."""

from __future__ import annotations

from processes.drafting import ProcessDraft

COURT_FEE_NOTE = "assessed_fee_idr: the court fee, 0 for a prodeo case."


def religious_court_case() -> ProcessDraft:
    """Marriage dispensation, divorce or heirs before the religious court.

    ``case_type`` is dispensation, divorce or heirs. A divorce goes through
    mediation first, and a reconciled couple's case ends without a ruling
    (an end that is neither a rejection nor an issue). Isbat nikah has a flow
    of its own.
    """
    p = ProcessDraft(
        "religious_court_case",
        "Case before the religious court",
        lanes=("PA", "DUKCAPIL"),
        choices={"case_type": "dispensation"},
    )
    p.start("filed", "Case filed", "PA")
    entry = p.check_documents(
        "register_case", "Register the case", "PA", then="fee", records=COURT_FEE_NOTE
    )
    p.pay_catalogue_fee("fee", "PA", then="contested", unpaid="rejected_unpaid")
    p.choice("contested", "Divorce?", "PA")
    p.user(
        "mediate",
        "Mediate between the parties",
        "PA",
        records="reconciled: true when the couple reconciles.",
        sla=30,
    )
    p.choice("reconciliation", "Reconciled?", "PA")
    p.end("withdrawn_reconciled", "Reconciled, case withdrawn", "PA")
    p.choice("to_hearing", "", "PA")
    p.user("hearing", "Hold the hearing", "PA", records="hearing_date.")
    p.decide(
        "rule",
        "Rule on the case",
        "PA",
        flag="granted",
        then="issue_ruling",
        rejected="rejected_dismissed",
        rejected_name="Dismissed",
    )
    p.issue_document(
        "issue_ruling", "Issue the ruling (and the divorce certificate)", "PA"
    )
    p.choice("civil_records", "Civil records to update?", "PA")
    p.user(
        "update_civil_status",
        "Update the family card and KTP-el status",
        "DUKCAPIL",
        sla=1,
    )
    p.end("decided", "Decided", "PA")
    p.end("decided_and_recorded", "Decided and recorded", "DUKCAPIL")

    p.chain("filed", entry)
    p.link("contested", "mediate", when='case_type == "divorce"', name="divorce")
    p.link("contested", "to_hearing", default=True, name="other")
    p.chain("mediate", "reconciliation")
    p.link("reconciliation", "withdrawn_reconciled", when="reconciled", name="yes")
    p.link("reconciliation", "to_hearing", default=True, name="no")
    p.chain("to_hearing", "hearing", "rule")
    p.chain("issue_ruling", "civil_records")
    p.link(
        "civil_records",
        "update_civil_status",
        when='case_type == "divorce"',
        name="yes",
    )
    p.link("civil_records", "decided", default=True, name="no")
    p.link("update_civil_status", "decided_and_recorded")
    return p


def land_sale() -> ProcessDraft:
    """Domain flow 12: BPHTB at the bank, title transfer, PBB to the new owner.

    The seller's final income tax is validated by the tax office (DJP), which
    is not in the catalogue; its proof is one of the documents checked.
    """
    p = ProcessDraft(
        "land_sale",
        "Land sale: BPHTB, title transfer, PBB",
        lanes=("BAPENDA", "BANKJATIM", "ATRBPN"),
        documentation="After the PPAT drafts the deed, BAPENDA assesses the "
        "BPHTB, paid at the bank and validated; ATRBPN records the transfer; "
        "BAPENDA moves the PBB-P2 object to the buyer.",
    )
    p.start("deed_drafted", "Deed drafted by the PPAT", "BAPENDA")
    p.user(
        "assess_bphtb",
        "Assess the BPHTB",
        "BAPENDA",
        records="assessed_fee_idr: the BPHTB due.",
        sla=1,
    )
    p.pay_assessed(
        "bphtb", "BANKJATIM", then="validate_bphtb", unpaid="rejected_unpaid_bphtb"
    )
    p.user(
        "validate_bphtb",
        "Validate the BPHTB payment (SSPD)",
        "BAPENDA",
        sla=1,
    )
    entry = p.check_documents(
        "register_transfer",
        "Register the transfer (certificate, deed, SSPD, PPh proof)",
        "ATRBPN",
        then="check_title",
    )
    p.decide(
        "check_title",
        "Check the land book for blocks and disputes",
        "ATRBPN",
        flag="title_clear",
        then="fee",
        rejected="rejected_title_blocked",
        rejected_name="Title blocked",
        records="assessed_fee_idr: the PNBP for the transfer.",
        sla=1,
    )
    p.pay_catalogue_fee(
        "fee", "ATRBPN", then="record_transfer", unpaid="rejected_unpaid"
    )
    p.user(
        "record_transfer",
        "Record the transfer in the land book and on the certificate",
        "ATRBPN",
        sla=3,
    )
    p.issue_document("hand_over_certificate", "Hand over the certificate", "ATRBPN")
    p.user(
        "move_tax_object",
        "Move the PBB-P2 object to the new owner",
        "BAPENDA",
        sla=5,
    )
    p.end("transferred", "Land transferred", "BAPENDA")

    p.chain("deed_drafted", "assess_bphtb", "bphtb")
    p.link("validate_bphtb", entry)
    p.chain(
        "record_transfer", "hand_over_certificate", "move_tax_object", "transferred"
    )
    return p


def drafts() -> list[ProcessDraft]:
    return [religious_court_case(), land_sale()]
