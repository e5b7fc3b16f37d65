"""Flows at Samsat and the police licensing office: vehicles and driving licences."""

from __future__ import annotations

from processes.drafting import ProcessDraft

TOTAL_DUE = "amount_due_idr = pkb_idr + bbnkb_idr + swdkllj_idr"


def vehicle_registration() -> ProcessDraft:
    """Domain flow 9: ownership transfer, also used for incoming and new vehicles.

    ``registration`` (transfer, incoming or new) only tells the officers which
    BPKB entry to make and whether BBNKB applies; the steps are the same.
    """
    p = ProcessDraft(
        "vehicle_registration",
        "Vehicle ownership transfer and registration at Samsat",
        lanes=("SAMSAT", "BANKJATIM"),
        choices={"registration": "transfer"},
        documentation="The joint office works in parallel: Polri registers the "
        "BPKB, Bapenda Jatim assesses PKB and BBNKB, Jasa Raharja the SWDKLLJ. "
        "The owner pays the total at the bank; the STNK and plates are issued "
        "the same day and the BPKB later.",
    )
    p.start("received", "Vehicle brought in", "SAMSAT")
    p.decide(
        "check_vehicle",
        "Check the engine and chassis numbers (cek fisik)",
        "SAMSAT",
        flag="vehicle_matches",
        then="verify_documents_again",
        rejected="rejected_vehicle_mismatch",
        rejected_name="Numbers do not match",
        sla=0,
    )
    p.check_documents(
        "verify_documents",
        "Verify the STNK, BPKB, identity and sale receipt",
        "SAMSAT",
        then="assessment_split",
        sla=0,
    )
    p.parallel("assessment_split", "SAMSAT")
    p.user(
        "register_bpkb",
        "Register the BPKB entry (Polri)",
        "SAMSAT",
        records="bpkb_entry_number.",
        sla=0,
    )
    p.user(
        "assess_regional_tax",
        "Assess PKB and BBNKB (Bapenda Jatim)",
        "SAMSAT",
        records="pkb_idr, bbnkb_idr: the amounts, bbnkb_idr 0 when not levied.",
        sla=0,
    )
    p.user(
        "assess_road_fund",
        "Assess the SWDKLLJ (Jasa Raharja)",
        "SAMSAT",
        records="swdkllj_idr.",
        sla=0,
    )
    p.parallel("assessment_join", "SAMSAT")
    p.script("total_due", "Add up the amount due", "SAMSAT", TOTAL_DUE)
    p.pay(
        "bank_payment", "BANKJATIM", then="issue_registration", unpaid="rejected_unpaid"
    )
    p.user(
        "issue_registration",
        "Issue the STNK and number plates (TNKB)",
        "SAMSAT",
        records="registration_number.",
        sla=0,
    )
    p.user(
        "issue_ownership_book",
        "Issue the BPKB",
        "SAMSAT",
        records="bpkb_number.",
        sla=14,
    )
    p.end("registered", "Vehicle registered", "SAMSAT")

    p.link("received", "check_vehicle")
    for task in ("register_bpkb", "assess_regional_tax", "assess_road_fund"):
        p.chain("assessment_split", task, "assessment_join")
    p.chain("assessment_join", "total_due", "bank_payment")
    p.chain("issue_registration", "issue_ownership_book", "registered")
    return p


def driving_licence() -> ProcessDraft:
    """Domain flow 13: SIM A or C, new or renewed, the same day.

    The active JKN membership is a listed document, checked with the rest.
    """
    p = ProcessDraft(
        "driving_licence",
        "Driving licence (SIM)",
        lanes=("DINKES", "POLRESTA"),
        choices={"licence": "new", "licence_class": "A"},
        documentation="licence is new or renewal; licence_class is A or C.",
    )
    p.start("received", "Applicant arrives", "DINKES")
    p.user(
        "health_certificate",
        "Issue the health certificate (surat keterangan sehat jasmani)",
        "DINKES",
        records="health_certificate_number.",
        sla=0,
    )
    entry = p.check_documents(
        "register_applicant",
        "Register the applicant (KTP-el, psychology test, JKN card, old SIM)",
        "POLRESTA",
        then="fee",
        sla=0,
    )
    p.pay_catalogue_fee("fee", "POLRESTA", then="kind", unpaid="rejected_unpaid")
    p.choice("kind", "New licence?", "POLRESTA")
    p.decide(
        "theory_test",
        "Hold the theory test",
        "POLRESTA",
        flag="theory_passed",
        then="practical_test",
        rejected="rejected_theory_test",
        rejected_name="Theory test failed",
        sla=0,
    )
    p.decide(
        "practical_test",
        "Hold the practical test",
        "POLRESTA",
        flag="practical_passed",
        then="tested",
        rejected="rejected_practical_test",
        rejected_name="Practical test failed",
        sla=0,
    )
    p.choice("tested", "", "POLRESTA")
    p.user(
        "take_biometrics",
        "Take the photo, signature and fingerprints",
        "POLRESTA",
        sla=0,
    )
    p.issue_document("issue_licence", "Print and hand over the SIM", "POLRESTA")
    p.end("licensed", "SIM issued", "POLRESTA")

    p.chain("received", "health_certificate", entry)
    p.link("kind", "theory_test", when='licence == "new"', name="new")
    p.link("kind", "tested", default=True, name="renewal")
    p.chain("tested", "take_biometrics", "issue_licence", "licensed")
    return p


def drafts() -> list[ProcessDraft]:
    return [vehicle_registration(), driving_licence()]
