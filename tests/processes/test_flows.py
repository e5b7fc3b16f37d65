"""Rejections, payments and the optional branches of patterns and flows."""

from __future__ import annotations

import pytest

from engine.instances import InstanceService


def rejected(run) -> bool:
    return run.instance.status == "completed" and run.instance.end_event_id.startswith(
        "rejected"
    )


# One service of each pattern, the decision that refuses it, and where it ends.
PATTERN_REJECTIONS = [
    ("DUKCAPIL-001", "decide", {"approved": False}, "rejected_refused"),
    ("DPMPTSP-010", "review", {"review_passed": False}, "rejected_review"),
    ("DUKCAPIL-005", "refer", {"referral_issued": False}, "rejected_referral"),
    ("DLH-005", "admit", {"admissible": False}, "rejected_inadmissible"),
]


@pytest.mark.parametrize(("code", "element", "answer", "end"), PATTERN_REJECTIONS)
def test_each_pattern_can_refuse(driver, code, element, answer, end):
    run = driver.run(driver.start(code), answers={element: [answer]})

    assert rejected(run)
    assert run.instance.end_event_id == end
    assert run.elements[-1] == element


@pytest.mark.parametrize(
    ("code", "element", "answer", "end"),
    [
        (
            "POLRESTA-001",
            "theory_test",
            {"theory_passed": False},
            "rejected_theory_test",
        ),
        (
            "SAMSAT-003",
            "check_vehicle",
            {"vehicle_matches": False},
            "rejected_vehicle_mismatch",
        ),
        ("PA-003", "rule", {"granted": False}, "rejected_dismissed"),
        (
            "DPMPTSP-005",
            "consider_land",
            {"land_suitable": False},
            "rejected_nonconforming",
        ),
        (
            "DPMPTSP-006",
            "consult_experts",
            {"design_approved": False},
            "rejected_design",
        ),
        ("ATRBPN-001", "check_title", {"title_clear": False}, "rejected_title_blocked"),
    ],
)
def test_flows_refuse_at_their_decisions(driver, code, element, answer, end):
    # The PKKPR reviews run side by side and their data merges where they
    # join, so no task may speak for another's flag.
    answers = {
        element: [answer],
        "verify_documents": [{"documents_complete": True}],
        "review_spatial_plan": [{"spatial_conforms": True}],
    }
    run = driver.run(driver.start(code), answers=answers)

    assert rejected(run)
    assert run.instance.end_event_id == end


def test_an_unpaid_fee_rejects_and_is_recorded(driver):
    run = driver.run(driver.start("IMIGRASI-001"), unpaid=True)

    assert run.instance.end_event_id == "rejected_unpaid"
    data = driver.instances.data(run.instance.id)
    assert data["payments"] == [
        {
            "amount_idr": 350_000,
            "billing_reference": "BILL-0001",
            "bank_receipt": "BANK/BILL-0001",
            "settled": False,
        }
    ]


def test_a_fixed_fee_is_charged_as_listed_at_the_levy_agency(driver):
    run = driver.run(driver.start("BAPENDA-001"))

    payment = [t for t in run.completed if t.connector == "bank.confirm_payment"]
    assert [(t.agency, t.kind, t.connector_params) for t in payment] == [
        ("BANKJATIM", "service", {"reference": "BILL-0001", "amount": 75_000})
    ]
    assert run.agencies == ["BAPENDA", "BANKJATIM", "BAPENDA"]


def test_a_free_service_takes_no_payment(driver):
    run = driver.run(driver.start("DUKCAPIL-004"))

    assert "issue_billing" not in run.elements
    assert driver.instances.data(run.instance.id)["payments"] == []


def test_a_prodeo_case_settles_without_billing(driver):
    run = driver.run(
        driver.start("PA-002"),
        answers={
            "register_case": [{"documents_complete": True, "assessed_fee_idr": 0}]
        },
    )

    assert run.instance.end_event_id == "decided"
    assert "issue_billing" not in run.elements
    assert driver.instances.data(run.instance.id)["payments"] == [
        {"amount_idr": 0, "settled": True}
    ]


def test_the_hajj_deposit_is_charged_at_the_bank(driver):
    run = driver.run(driver.start("KEMENAG-005"))

    payment = next(t for t in run.completed if t.connector == "bank.confirm_payment")
    assert payment.agency == "BANKJATIM"
    assert payment.connector_params["amount"] == 25_000_000


def test_land_sale_records_the_tax_and_the_fee_as_two_payments(driver):
    run = driver.run(
        driver.start("ATRBPN-001"),
        answers={"assess_bphtb": [{"assessed_fee_idr": 12_500_000}]},
    )

    payments = driver.instances.data(run.instance.id)["payments"]
    assert [p["amount_idr"] for p in payments] == [12_500_000, 75_000]
    assert run.agencies == ["BAPENDA", "BANKJATIM", "BAPENDA", "ATRBPN", "BAPENDA"]


def test_vehicle_transfer_charges_the_sum_of_the_parallel_assessments(driver):
    run = driver.run(driver.start("SAMSAT-003"))

    payment = next(t for t in run.completed if t.connector == "bank.confirm_payment")
    assert payment.connector_params["amount"] == 1_250_000 + 143_000
    assessments = {"register_bpkb", "assess_regional_tax", "assess_road_fund"}
    assert assessments <= set(run.elements)


def test_a_complaint_goes_to_the_agency_it_is_about(driver):
    run = driver.run(driver.start("DPMPTSP-031", agencies={"responder": "PUDAM"}))

    assert run.agencies == ["DPMPTSP", "PUDAM", "DPMPTSP"]
    answer = next(t for t in run.completed if t.element_id == "respond")
    assert answer.sla_working_days == 5


def test_birth_enrols_the_baby_in_jkn_on_request(driver):
    run = driver.run(driver.start("DUKCAPIL-002", choices={"enrol_jkn": True}))

    assert run.agencies == ["DINKES", "DUKCAPIL", "BPJSKES"]
    assert run.instance.end_event_id == "registered_and_enrolled"


def test_birth_issues_the_three_documents_side_by_side(driver):
    instance = driver.start("DUKCAPIL-002")
    instances = driver.instances
    for element in ("report_birth", "verify_parents"):
        task = instances.open_tasks(instance.id)[0]
        assert task.element_id == element
        instances.complete(task.id, {"documents_complete": True}, "officer:7")

    open_now = {task.element_id for task in instances.open_tasks(instance.id)}
    assert open_now == {"issue_birth_certificate", "update_family_card"}


def test_marriage_sends_a_couple_without_a_certificate_to_the_health_centre(driver):
    run = driver.run(driver.start("KEMENAG-002", choices={"health_check_needed": True}))

    assert run.agencies == ["DINKES", "KEMENAG", "BANKJATIM", "KEMENAG", "DUKCAPIL"]


def test_death_pays_survivor_benefits_and_passes_the_estate(driver):
    run = driver.run(
        driver.start(
            "DUKCAPIL-010",
            choices={
                "survivor_benefit": "taspen",
                "update_jkn": True,
                "estate_transfer": True,
            },
        ),
        prefer=["DUKCAPIL", "TASPEN", "BPJSKES", "PA", "ATRBPN", "BAPENDA"],
    )

    assert run.instance.end_event_id == "registered_with_estate"
    assert run.agencies == ["DUKCAPIL", "TASPEN", "BPJSKES", "PA", "ATRBPN", "BAPENDA"]
    assert len(driver.instances.data(run.instance.id)["payments"]) == 2


def test_moving_in_passes_on_to_the_utilities_in_parallel(driver):
    instance = driver.start(
        "DUKCAPIL-021",
        choices={
            "update_jkn_clinic": True,
            "water_account": True,
            "electricity_account": True,
        },
    )
    run = driver.run(instance, prefer=["DUKCAPIL", "BPJSKES", "PUDAM", "PLN"])

    assert "issue_moving_letter" not in run.elements
    assert run.agencies == ["DUKCAPIL", "BPJSKES", "PUDAM", "PLN"]


def test_moving_out_only_issues_the_moving_letter(driver):
    run = driver.run(driver.start("DUKCAPIL-020"))

    assert run.elements[-1] == "issue_moving_letter"
    assert run.instance.end_event_id == "moved_in"


def test_home_food_business_with_sppl_and_halal(driver):
    instance = driver.start(
        "DPMPTSP-019", choices={"sppl_needed": True, "halal_self_declare": True}
    )
    order = ["DPMPTSP", "DINKES", "DLH", "DINKES", "DPMPTSP", "DISKOPUMDAG", "KEMENAG"]
    run = driver.run(instance, prefer=order)

    assert run.agencies == order
    assert run.instance.end_event_id == "licensed_halal"


def test_a_reconciled_divorce_ends_without_a_ruling(driver):
    run = driver.run(
        driver.start("PA-003"), answers={"mediate": [{"reconciled": True}]}
    )

    assert run.instance.end_event_id == "withdrawn_reconciled"
    assert "rule" not in run.elements


def test_renewing_a_licence_skips_the_tests(driver):
    run = driver.run(driver.start("POLRESTA-002"))

    assert "theory_test" not in run.elements
    assert "take_biometrics" in run.elements


def test_hajj_departure_is_postponed_for_an_unfit_pilgrim(catalogue, driver):
    instances = InstanceService(catalogue)
    instance = instances.start("hajj_departure", {"payments": []}, actor="kemenag:1")
    catalogue.commit()

    run = driver.run(
        instance,
        answers={"check_istithaah": [{"istithaah": False}]},
        prefer=["KEMENAG", "IMIGRASI", "DINKES"],
    )

    assert run.instance.end_event_id == "rejected_not_fit"
    assert {"issue_passport", "check_istithaah"} <= set(run.elements)
    assert "balance_payment" not in run.elements


def test_the_payment_fits_the_bank_connector_the_workers_run(driver):
    from workers.connectors import lookup

    instance = driver.start("IMIGRASI-001")
    tasks = driver.instances.open_tasks(instance.id)
    while tasks[0].connector != "bank.confirm_payment":
        driver.instances.complete(tasks[0].id, driver.answer(tasks[0]), "officer:7")
        tasks = driver.instances.open_tasks(instance.id)

    result = lookup("bank.confirm_payment")(**tasks[0].connector_params)
    driver.instances.complete(tasks[0].id, result, "connector:bank")
    run = driver.run(instance)

    assert run.instance.end_event_id == "issued"
    [payment] = driver.instances.data(instance.id)["payments"]
    assert (payment["amount_idr"], payment["settled"]) == (350_000, True)
    assert payment["bank_receipt"] == result["bank_receipt"]
