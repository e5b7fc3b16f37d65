"""Flows around a resident's civil status: birth, marriage, death, moving."""

from __future__ import annotations

from processes.drafting import ProcessDraft


def birth_registration() -> ProcessDraft:
    """Domain flow 1: "Lahir Procot Pulang Bawa Akta", 3-in-1 plus JKN."""
    p = ProcessDraft(
        "birth_registration",
        "Birth registration 3-in-1 (akta, KK, KIA) plus JKN",
        lanes=("DINKES", "DUKCAPIL", "BPJSKES"),
        choices={"enrol_jkn": False},
        documentation="Done at the birthplace: the health facility reports the "
        "birth, Dukcapil issues the three documents, BPJS Kesehatan enrols the "
        "baby on request.",
    )
    p.start("born", "Baby born", "DINKES")
    p.user(
        "report_birth",
        "Issue the birth report (surat keterangan kelahiran)",
        "DINKES",
        records="birth_report_number.",
        sla=0,
    )
    entry = p.check_documents(
        "verify_parents",
        "Verify the parents' KK, KTP-el and marriage book or SPTJM",
        "DUKCAPIL",
        then="documents_split",
        sla=0,
    )
    p.parallel("documents_split", "DUKCAPIL")
    p.user(
        "issue_birth_certificate",
        "Issue the birth certificate (akta kelahiran)",
        "DUKCAPIL",
        records="birth_certificate_number.",
        sla=0,
    )
    p.user(
        "update_family_card",
        "Add the baby to the family card (KK)",
        "DUKCAPIL",
        records="child_nik: the NIK the baby receives.",
        sla=0,
    )
    p.user(
        "issue_child_card",
        "Issue the child identity card (KIA)",
        "DUKCAPIL",
        records="child_card_number.",
        sla=0,
    )
    p.parallel("documents_join", "DUKCAPIL")
    p.choice("jkn_wanted", "Enrol in JKN?", "DUKCAPIL")
    p.user(
        "enrol_newborn",
        "Enrol the newborn in JKN with the NIK from the KK",
        "BPJSKES",
        records="jkn_number.",
        sla=0,
    )
    p.end("registered", "Birth registered", "DUKCAPIL")
    p.end("registered_and_enrolled", "Registered and enrolled", "BPJSKES")

    p.chain("born", "report_birth", entry)
    p.chain("documents_split", "issue_birth_certificate", "documents_join")
    p.chain("documents_split", "update_family_card", "issue_child_card")
    p.chain("issue_child_card", "documents_join", "jkn_wanted")
    p.link("jkn_wanted", "enrol_newborn", when="enrol_jkn", name="yes")
    p.link("jkn_wanted", "registered", default=True, name="no")
    p.link("enrol_newborn", "registered_and_enrolled")
    return p


def muslim_marriage() -> ProcessDraft:
    """Domain flow 2: marriage at the KUA, recorded by Dukcapil.

    The premarital health certificate is a listed requirement, so the couple
    usually brings it; the DINKES step runs when they have none yet.
    """
    p = ProcessDraft(
        "muslim_marriage",
        "Muslim marriage at the KUA",
        lanes=("DINKES", "KEMENAG", "BANKJATIM", "DUKCAPIL"),
        choices={"health_check_needed": False},
        documentation="The KUA registers the intent at least 10 working days "
        "ahead, announces it, examines the couple, holds the akad and issues the "
        "marriage book; the PNBP is paid at the bank for an akad outside the KUA "
        "or its hours; Dukcapil then updates the KK and KTP-el.",
    )
    p.start("applied", "Couple applies with the desa forms N1-N4", "KEMENAG")
    p.choice("health_certificate", "Health certificate brought?", "KEMENAG")
    p.user(
        "premarital_check",
        "Give the premarital health check or immunisation",
        "DINKES",
        records="health_certificate_number.",
        sla=0,
    )
    p.choice("health_checked", "", "KEMENAG")
    entry = p.check_documents(
        "register_intent",
        "Register the intent to marry and check the N1-N4 forms",
        "KEMENAG",
        then="fee",
    )
    p.pay_catalogue_fee("fee", "BANKJATIM", then="announce", unpaid="rejected_unpaid")
    p.user(
        "announce",
        "Announce the intended marriage",
        "KEMENAG",
        records="objections: any objection raised.",
        sla=10,
    )
    p.decide(
        "examine_couple",
        "Examine the couple and the guardian (rafa')",
        "KEMENAG",
        flag="approved",
        then="hold_akad",
        rejected="rejected_refused",
        rejected_name="Marriage refused",
    )
    p.user(
        "hold_akad",
        "Hold the akad nikah and issue the marriage book",
        "KEMENAG",
        records="marriage_book_number.",
    )
    p.user(
        "update_civil_status",
        "Update the KK and print KTP-el with status Kawin",
        "DUKCAPIL",
        sla=1,
    )
    p.end("married", "Marriage recorded", "DUKCAPIL")

    p.chain("applied", "health_certificate")
    p.link("health_certificate", "premarital_check", when="health_check_needed")
    p.link("health_certificate", "health_checked", default=True, name="brought")
    p.chain("premarital_check", "health_checked", entry)
    p.chain("announce", "examine_couple")
    p.chain("hold_akad", "update_civil_status", "married")
    return p


def civil_marriage() -> ProcessDraft:
    """Domain flow 3: non-Muslim marriage, all documents at once (Banyuwangi 2022)."""
    p = ProcessDraft(
        "civil_marriage",
        "Non-Muslim marriage registration",
        lanes=("DUKCAPIL",),
        documentation="After the religious ceremony Dukcapil issues the marriage "
        "certificate, the new KK and KTP-el with status Kawin in one go and "
        "destroys the old KTP-el.",
    )
    p.start("received", "Marriage letter from the religious leader", "DUKCAPIL")
    entry = p.check_documents(
        "verify_documents",
        "Verify the religious marriage letter, identities and photos",
        "DUKCAPIL",
        then="check_impediments",
        sla=0,
    )
    p.decide(
        "check_impediments",
        "Check for impediments to the marriage",
        "DUKCAPIL",
        flag="approved",
        then="records_split",
        rejected="rejected_impediment",
        rejected_name="Impediment found",
        sla=0,
    )
    p.parallel("records_split", "DUKCAPIL")
    p.user(
        "issue_marriage_certificate",
        "Issue the marriage certificate (akta perkawinan)",
        "DUKCAPIL",
        records="marriage_certificate_number.",
        sla=0,
    )
    p.user(
        "issue_family_card", "Issue the couple's family card (KK)", "DUKCAPIL", sla=0
    )
    p.user(
        "print_identity_cards",
        "Print KTP-el with status Kawin and destroy the old ones",
        "DUKCAPIL",
        sla=0,
    )
    p.parallel("records_join", "DUKCAPIL")
    p.end("registered", "Marriage registered", "DUKCAPIL")

    p.chain("received", entry)
    for task in (
        "issue_marriage_certificate",
        "issue_family_card",
        "print_identity_cards",
    ):
        p.chain("records_split", task, "records_join")
    p.link("records_join", "registered")
    return p


def isbat_nikah() -> ProcessDraft:
    """Domain flow 4: isbat nikah terpadu (PA, KUA and Dukcapil the same day)."""
    p = ProcessDraft(
        "isbat_nikah",
        "Isbat nikah terpadu",
        lanes=("PA", "KEMENAG", "DUKCAPIL"),
        documentation="The religious court validates an unregistered marriage, "
        "often at a mass session; the KUA issues the marriage book and Dukcapil "
        "the KK, KTP-el and the children's birth certificates. Poor residents "
        "are heard prodeo: the court fee is assessed at zero.",
    )
    p.start("petition", "Petition filed", "PA")
    entry = p.check_documents(
        "register_case",
        "Register the isbat petition",
        "PA",
        then="fee",
        records="assessed_fee_idr: the court fee, 0 for a prodeo case.",
    )
    p.pay_catalogue_fee("fee", "PA", then="hearing", unpaid="rejected_unpaid")
    p.user("hearing", "Hold the hearing", "PA", records="hearing_date.")
    p.decide(
        "rule",
        "Rule on the petition",
        "PA",
        flag="approved",
        then="issue_ruling",
        rejected="rejected_dismissed",
        rejected_name="Petition dismissed",
    )
    p.user(
        "issue_ruling", "Issue the ruling (penetapan)", "PA", records="ruling_number."
    )
    p.user(
        "issue_marriage_book",
        "Issue the marriage book (buku nikah)",
        "KEMENAG",
        records="marriage_book_number.",
        sla=0,
    )
    p.parallel("records_split", "DUKCAPIL")
    p.user("issue_family_card", "Issue the family card (KK)", "DUKCAPIL", sla=0)
    p.user("print_identity_cards", "Print KTP-el with status Kawin", "DUKCAPIL", sla=0)
    p.user(
        "issue_children_certificates",
        "Issue the children's birth certificates",
        "DUKCAPIL",
        sla=0,
    )
    p.parallel("records_join", "DUKCAPIL")
    p.end("validated", "Marriage validated and recorded", "DUKCAPIL")

    p.chain("petition", entry)
    p.chain("hearing", "rule")
    p.chain("issue_ruling", "issue_marriage_book", "records_split")
    for task in (
        "issue_family_card",
        "print_identity_cards",
        "issue_children_certificates",
    ):
        p.chain("records_split", task, "records_join")
    p.link("records_join", "validated")
    return p


def death_registration() -> ProcessDraft:
    """Domain flow 7: death, benefits and estate.

    Survivor benefits and the JKN update run side by side and only record
    their outcome: a refused claim does not undo the death registration
    (TASPEN-002 and BPJSTK-004 are the claims as services of their own). The
    estate step runs after them because it collects fees, and payments made
    in parallel branches would overwrite each other's ledger entries.
    """
    p = ProcessDraft(
        "death_registration",
        "Death registration, survivor benefits and estate",
        lanes=("DUKCAPIL", "TASPEN", "BPJSTK", "BPJSKES", "PA", "ATRBPN", "BAPENDA"),
        choices={
            "survivor_benefit": "none",
            "update_jkn": False,
            "estate_transfer": False,
        },
        documentation="survivor_benefit is taspen for a civil servant, bpjstk "
        "for a worker, none otherwise.",
    )
    p.start("reported", "Death reported with the desa or hospital letter", "DUKCAPIL")
    entry = p.check_documents(
        "verify_documents",
        "Verify the death letter and the family's documents",
        "DUKCAPIL",
        then="records_split",
        sla=0,
    )
    p.parallel("records_split", "DUKCAPIL")
    p.user(
        "issue_death_certificate",
        "Issue the death certificate (akta kematian)",
        "DUKCAPIL",
        records="death_certificate_number.",
        sla=0,
    )
    p.user("update_family_card", "Update the family card (KK)", "DUKCAPIL", sla=0)
    p.user(
        "print_spouse_card",
        "Print the spouse's KTP-el with status Cerai Mati",
        "DUKCAPIL",
        sla=0,
    )
    p.parallel("records_join", "DUKCAPIL")
    p.chain("reported", entry)
    for task in ("issue_death_certificate", "update_family_card", "print_spouse_card"):
        p.chain("records_split", task, "records_join")

    _survivor_follow_ups(p)
    _estate(p)
    return p


def _survivor_follow_ups(p: ProcessDraft) -> None:
    p.parallel("follow_ups_split", "DUKCAPIL")
    p.choice("benefit", "Survivor benefit?", "DUKCAPIL")
    p.user(
        "settle_taspen_claim",
        "Verify and pay the survivor pension and THT",
        "TASPEN",
        records="claim_paid: whether the claim was paid.",
        sla=3,
    )
    p.user(
        "settle_bpjstk_claim",
        "Verify and pay the JKM, JHT and JP benefits",
        "BPJSTK",
        records="claim_paid: whether the claim was paid.",
        sla=3,
    )
    p.choice("benefit_settled", "", "DUKCAPIL")
    p.choice("jkn", "Update JKN membership?", "DUKCAPIL")
    p.user("update_jkn_family", "Update the family's JKN membership", "BPJSKES", sla=0)
    p.choice("jkn_settled", "", "DUKCAPIL")
    p.parallel("follow_ups_join", "DUKCAPIL")

    p.chain("records_join", "follow_ups_split", "benefit")
    p.link("benefit", "settle_taspen_claim", when='survivor_benefit == "taspen"')
    p.link("benefit", "settle_bpjstk_claim", when='survivor_benefit == "bpjstk"')
    p.link("benefit", "benefit_settled", default=True, name="none")
    p.link("settle_taspen_claim", "benefit_settled")
    p.link("settle_bpjstk_claim", "benefit_settled")
    p.link("follow_ups_split", "jkn")
    p.link("jkn", "update_jkn_family", when="update_jkn", name="yes")
    p.link("jkn", "jkn_settled", default=True, name="no")
    p.link("update_jkn_family", "jkn_settled")
    p.link("benefit_settled", "follow_ups_join")
    p.link("jkn_settled", "follow_ups_join")


def _estate(p: ProcessDraft) -> None:
    p.choice("estate", "Land to pass to the heirs?", "DUKCAPIL")
    p.user(
        "determine_heirs",
        "Determine the heirs (penetapan ahli waris)",
        "PA",
        records="assessed_fee_idr: the court fee, 0 for a prodeo case.",
        sla=30,
    )
    p.pay_assessed(
        "court_fee", "PA", then="check_inherited_title", unpaid="estate_lapsed"
    )
    p.user(
        "check_inherited_title",
        "Check the title and assess the land office fee",
        "ATRBPN",
        records="assessed_fee_idr: the PNBP for recording the inheritance.",
        sla=1,
    )
    p.pay_assessed(
        "land_fee",
        "ATRBPN",
        then="record_inheritance",
        unpaid="estate_lapsed_at_land_office",
    )
    p.user(
        "record_inheritance",
        "Record the inheritance on the land title",
        "ATRBPN",
        sla=5,
    )
    p.user("move_tax_object", "Move the PBB-P2 object to the heirs", "BAPENDA", sla=5)
    p.end("registered", "Death registered", "DUKCAPIL")
    p.end("registered_with_estate", "Death registered, estate passed", "BAPENDA")

    p.link("follow_ups_join", "estate")
    p.link("estate", "determine_heirs", when="estate_transfer", name="yes")
    p.link("estate", "registered", default=True, name="no")
    p.link("determine_heirs", "court_fee")
    p.link("check_inherited_title", "land_fee")
    p.chain("record_inheritance", "move_tax_object", "registered_with_estate")


def moving_residence() -> ProcessDraft:
    """Domain flow 8: pindah datang; the NIK never changes.

    ``move`` is out (leaving Banyuwangi), in (arriving) or within.
    """
    p = ProcessDraft(
        "moving_residence",
        "Moving residence (pindah datang)",
        lanes=("DUKCAPIL", "BPJSKES", "SAMSAT", "PUDAM", "PLN"),
        choices={
            "move": "within",
            "update_jkn_clinic": False,
            "vehicle_out_of_province": False,
            "water_account": False,
            "electricity_account": False,
        },
    )
    p.start("received", "Move reported", "DUKCAPIL")
    entry = p.check_documents(
        "verify_documents",
        "Verify the KK, KTP-el and form F-1.03",
        "DUKCAPIL",
        then="arriving",
        sla=0,
    )
    p.choice("arriving", "Arriving from elsewhere?", "DUKCAPIL")
    p.user(
        "issue_moving_letter",
        "Issue the moving certificate (SKPWNI)",
        "DUKCAPIL",
        records="skpwni_number.",
        sla=0,
    )
    p.choice("leaving", "Leaving Banyuwangi?", "DUKCAPIL")
    p.choice("arrival", "", "DUKCAPIL")
    p.parallel("arrival_split", "DUKCAPIL")
    p.user(
        "issue_family_card",
        "Issue the family card at the new address",
        "DUKCAPIL",
        sla=0,
    )
    p.user(
        "print_identity_card",
        "Print the KTP-el with the new address",
        "DUKCAPIL",
        sla=0,
    )
    p.parallel("arrival_join", "DUKCAPIL")
    p.choice("moved", "", "DUKCAPIL")

    p.chain("received", entry)
    p.link("arriving", "arrival", when='move == "in"', name="in")
    p.link("arriving", "issue_moving_letter", default=True, name="out or within")
    p.chain("issue_moving_letter", "leaving")
    p.link("leaving", "moved", when='move == "out"', name="out")
    p.link("leaving", "arrival", default=True, name="within")
    p.chain("arrival", "arrival_split")
    for task in ("issue_family_card", "print_identity_card"):
        p.chain("arrival_split", task, "arrival_join")
    p.chain("arrival_join", "moved")
    _moving_follow_ups(p)
    return p


def _moving_follow_ups(p: ProcessDraft) -> None:
    follow_ups = (
        (
            "update_jkn_clinic",
            "change_primary_clinic",
            "Change the JKN primary clinic",
            "BPJSKES",
        ),
        (
            "vehicle_out_of_province",
            "transfer_vehicle",
            "Transfer the vehicle out of the province",
            "SAMSAT",
        ),
        (
            "water_account",
            "rename_water_account",
            "Move the water account to the new name",
            "PUDAM",
        ),
        (
            "electricity_account",
            "rename_electricity_account",
            "Move the electricity account to the new name",
            "PLN",
        ),
    )
    p.parallel("follow_ups_split", "DUKCAPIL")
    p.parallel("follow_ups_join", "DUKCAPIL")
    p.end("moved_in", "Move recorded", "DUKCAPIL")
    p.chain("moved", "follow_ups_split")
    for flag, task, name, lane in follow_ups:
        asked, done = f"{task}_wanted", f"{task}_settled"
        p.choice(asked, f"{name}?", "DUKCAPIL")
        p.user(task, name, lane, sla=3)
        p.choice(done, "", "DUKCAPIL")
        p.link("follow_ups_split", asked)
        p.link(asked, task, when=flag, name="yes")
        p.link(asked, done, default=True, name="no")
        p.chain(task, done, "follow_ups_join")
    p.link("follow_ups_join", "moved_in")


def drafts() -> list[ProcessDraft]:
    return [
        birth_registration(),
        muslim_marriage(),
        civil_marriage(),
        isbat_nikah(),
        death_registration(),
        moving_residence(),
    ]
