"""Flows for starting a business and for building: SPP-IRT, PBG, SLF, PKKPR."""

from __future__ import annotations

from processes.drafting import ProcessDraft

LEVY_NOTE = "assessed_fee_idr: the levy."


def home_food_business() -> ProcessDraft:
    """Domain flow 5: from NIB to SPP-IRT, and halal self-declare on request."""
    p = ProcessDraft(
        "home_food_business",
        "Starting a home food business (NIB, SPP-IRT, halal)",
        lanes=("DPMPTSP", "DINKES", "DLH", "DISKOPUMDAG", "KEMENAG"),
        choices={"sppl_needed": False, "halal_self_declare": False},
        documentation="DPMPTSP issues the NIB; DINKES trains and inspects while "
        "DLH issues the SPPL when the activity needs one; DPMPTSP issues the "
        "SPP-IRT; DISKOPUMDAG and KEMENAG take the halal self-declaration.",
    )
    p.start("received", "Application received", "DPMPTSP")
    entry = p.check_documents(
        "verify_documents",
        "Check the identity, product and production site details",
        "DPMPTSP",
        then="issue_nib",
        sla=0,
    )
    p.user(
        "issue_nib",
        "Register the business in OSS-RBA and issue the NIB",
        "DPMPTSP",
        records="nib: the business identification number.",
        sla=0,
    )
    p.parallel("after_nib", "DPMPTSP")
    p.user(
        "food_safety_training",
        "Run the food-safety training (PKP)",
        "DINKES",
        records="training_certificate_number.",
        sla=10,
    )
    p.choice("sppl", "SPPL needed?", "DPMPTSP")
    p.user(
        "issue_sppl",
        "Issue the environmental undertaking (SPPL)",
        "DLH",
        sla=0,
    )
    p.choice("sppl_settled", "", "DPMPTSP")
    p.parallel("trained", "DPMPTSP")
    p.decide(
        "inspect_site",
        "Inspect the production site",
        "DINKES",
        flag="site_passed",
        then="issue_sppirt",
        rejected="rejected_site",
        rejected_name="Site not fit",
        sla=3,
    )
    p.issue_document("issue_sppirt", "Issue the SPP-IRT", "DPMPTSP")
    p.choice("halal", "Halal self-declaration?", "DPMPTSP")
    p.user(
        "assist_halal",
        "Assist the halal self-declaration",
        "DISKOPUMDAG",
        sla=3,
    )
    p.user(
        "verify_halal",
        "Verify with the halal process companion (PPH)",
        "KEMENAG",
        sla=5,
    )
    p.user(
        "issue_halal",
        "Forward to BPJPH and issue the halal certificate",
        "KEMENAG",
        records="halal_certificate_number.",
        sla=4,
    )
    p.end("licensed", "Licensed", "DPMPTSP")
    p.end("licensed_halal", "Licensed and halal certified", "KEMENAG")

    p.chain("received", entry)
    p.chain("issue_nib", "after_nib", "food_safety_training", "trained")
    p.chain("after_nib", "sppl")
    p.link("sppl", "issue_sppl", when="sppl_needed", name="yes")
    p.link("sppl", "sppl_settled", default=True, name="no")
    p.chain("issue_sppl", "sppl_settled", "trained", "inspect_site")
    p.chain("issue_sppirt", "halal")
    p.link("halal", "assist_halal", when="halal_self_declare", name="yes")
    p.link("halal", "licensed", default=True, name="no")
    p.chain("assist_halal", "verify_halal", "issue_halal", "licensed_halal")
    return p


def building_approval() -> ProcessDraft:
    """Domain flow 6, first part: the building approval (PBG) through SIMBG.

    A house built to a prototype design skips the expert consultation.
    """
    p = ProcessDraft(
        "building_approval",
        "Building approval (PBG)",
        lanes=("DPMPTSP", "DPUCKPP", "BAPENDA"),
        choices={"prototype_design": False},
        documentation="DPMPTSP takes the SIMBG file; DPUCKPP checks the KRK or "
        "KKPR and the drawings, consults the TPA/TPT and calculates the levy; "
        "the levy is paid through BAPENDA; DPMPTSP issues the PBG.",
    )
    p.start("received", "Application filed in SIMBG", "DPMPTSP")
    entry = p.check_documents(
        "verify_intake",
        "Check the SIMBG file is complete",
        "DPMPTSP",
        then="check_technical_documents_again",
    )
    p.check_documents(
        "check_technical_documents",
        "Check the KRK/KKPR and the technical drawings",
        "DPUCKPP",
        then="design",
    )
    p.choice("design", "Prototype design?", "DPUCKPP")
    p.decide(
        "consult_experts",
        "Hold the TPA/TPT consultation",
        "DPUCKPP",
        flag="design_approved",
        then="design_settled",
        rejected="rejected_design",
        rejected_name="Design refused",
        sla=20,
    )
    p.choice("design_settled", "", "DPUCKPP")
    p.user(
        "calculate_levy",
        "Calculate the PBG levy (retribusi)",
        "DPUCKPP",
        records=LEVY_NOTE,
        sla=1,
    )
    p.pay_catalogue_fee("levy", "BAPENDA", then="issue_pbg", unpaid="rejected_unpaid")
    p.issue_document("issue_pbg", "Issue the PBG", "DPMPTSP")
    p.end("approved", "PBG issued", "DPMPTSP")

    p.chain("received", entry)
    p.link("design", "design_settled", when="prototype_design", name="prototype")
    p.link("design", "consult_experts", default=True, name="own design")
    p.chain("design_settled", "calculate_levy", "levy")
    p.link("issue_pbg", "approved")
    return p


def building_fitness() -> ProcessDraft:
    """Domain flow 6, second part: the certificate of fitness (SLF)."""
    p = ProcessDraft(
        "building_fitness",
        "Certificate of building fitness (SLF)",
        lanes=("DPMPTSP", "DPUCKPP"),
        documentation="After construction DPUCKPP inspects the building and "
        "DPMPTSP issues the SLF on its recommendation.",
    )
    p.start("received", "Application filed in SIMBG", "DPMPTSP")
    entry = p.check_documents(
        "verify_documents",
        "Check the PBG, as-built drawings and inspection report",
        "DPMPTSP",
        then="inspect",
    )
    p.user("inspect", "Inspect the building on site", "DPUCKPP", sla=3)
    p.decide(
        "recommend",
        "Recommend the certificate of fitness",
        "DPUCKPP",
        flag="fit_for_use",
        then="issue_slf",
        rejected="rejected_unfit",
        rejected_name="Not fit for use",
        sla=1,
    )
    p.issue_document("issue_slf", "Issue the SLF", "DPMPTSP")
    p.end("certified", "SLF issued", "DPMPTSP")

    p.chain("received", entry)
    p.chain("inspect", "recommend")
    p.link("issue_slf", "certified")
    return p


def spatial_conformity() -> ProcessDraft:
    """PKKPR: the spatial and the land reviews are independent, so run together."""
    p = ProcessDraft(
        "spatial_conformity",
        "Spatial-use conformity approval (PKKPR)",
        lanes=("DPMPTSP", "DPUCKPP", "ATRBPN"),
    )
    p.start("received", "Application received in OSS", "DPMPTSP")
    entry = p.check_documents(
        "verify_documents",
        "Check the location map, land rights and activity plan",
        "DPMPTSP",
        then="reviews_split",
    )
    p.parallel("reviews_split", "DPMPTSP")
    p.user(
        "review_spatial_plan",
        "Review conformity with the RTRW and RDTR",
        "DPUCKPP",
        records="spatial_conforms: true when the plan allows the activity.",
        sla=10,
    )
    p.user(
        "consider_land",
        "Give the land technical consideration",
        "ATRBPN",
        records="land_suitable: true when the land may be used so.",
        sla=10,
    )
    p.parallel("reviews_join", "DPMPTSP")
    p.choice("conforms", "Both reviews favourable?", "DPMPTSP")
    p.issue_document("issue_pkkpr", "Issue the PKKPR", "DPMPTSP")
    p.end("approved", "PKKPR issued", "DPMPTSP")
    p.end("rejected_nonconforming", "Not conforming", "DPMPTSP")

    p.chain("received", entry)
    for task in ("review_spatial_plan", "consider_land"):
        p.chain("reviews_split", task, "reviews_join")
    p.link("reviews_join", "conforms")
    p.link(
        "conforms", "issue_pkkpr", when="spatial_conforms and land_suitable", name="yes"
    )
    p.link("conforms", "rejected_nonconforming", default=True, name="no")
    p.link("issue_pkkpr", "approved")
    return p


def drafts() -> list[ProcessDraft]:
    return [
        home_food_business(),
        building_approval(),
        building_fitness(),
        spatial_conformity(),
    ]
