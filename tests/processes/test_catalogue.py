"""Loading the catalogue: checks, one transaction, idempotence and speed."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from engine.models import ProcessVersion
from processes.catalogue import (
    ServiceStartError,
    load_catalogue,
    start_arguments,
)
from processes.catalogue_data import BPMN_DIR, DATA_DIR, CatalogueError, read_catalogue
from processes.escalation import escalation_line
from processes.models import Agency, FeeKind, Region, RegionLevel, Service


@pytest.fixture
def data_dir(tmp_path):
    """A copy of the data files, for tests that spoil one."""
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(data_dir, bpmn_dir=BPMN_DIR) -> list[tuple]:
    with pytest.raises(CatalogueError) as refused:
        read_catalogue(data_dir, bpmn_dir)

    return [(p.file, p.row, p.field, p.message) for p in refused.value.problems]


def test_the_shipped_files_are_accepted():
    data = read_catalogue()

    assert len(data.agencies) == 23
    assert len(data.services) == 200
    assert [r["level"] for r in data.regions].count(RegionLevel.KECAMATAN) == 25
    assert len(data.regions) == 1 + 25 + 189 + 28


def test_an_unknown_agency_is_reported_with_file_row_and_field(data_dir):
    edit(
        data_dir / "services.csv",
        "supervision card,DISHUB,",
        "supervision card,DISHOB,",
    )

    problems = problems_of(data_dir)

    assert problems == [("services.csv", 107, "agency_code", "'DISHOB' is no agency")]


def test_a_duplicate_code_is_reported(data_dir):
    edit(data_dir / "services.csv", "\nDUKCAPIL-003,", "\nDUKCAPIL-001,")
    edit(data_dir / "service_flows.csv", "\nDUKCAPIL-003,", "\nDUKCAPIL-001,")

    problems = problems_of(data_dir)

    assert ("services.csv", 4, "code", "DUKCAPIL-001 is listed twice") in problems
    assert ("service_flows.csv", 4, "code", "DUKCAPIL-001 is mapped twice") in problems


def test_bad_values_are_all_reported_at_once(data_dir):
    services = data_dir / "services.csv"
    edit(
        services,
        "DUKCAPIL-004,Penerbitan Kartu Keluarga Baru/Perubahan Data",
        "DUKCAPIL-004,",
    )
    edit(services, ",skpd,7,0,free,", ",skpd,seven,0,free,")
    edit(services, ",vertical,10,600000,fixed,", ",vertical,10,600000,free,")

    problems = problems_of(data_dir)

    fields = {(file, row, name) for file, row, name, _message in problems}
    assert ("services.csv", 5, "name_id") in fields
    assert ("services.csv", 27, "sla_working_days") in fields
    assert ("services.csv", 130, "fee_kind") in fields


def test_a_service_whose_diagram_is_missing_is_reported(data_dir, tmp_path):
    bpmn = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, bpmn)
    (bpmn / "flows" / "water_connection.bpmn").unlink()

    problems = problems_of(data_dir, bpmn)

    assert problems == [
        (
            "service_flows.csv",
            194,
            "process_id",
            "no diagram in bpmn/ runs 'water_connection'",
        )
    ]


def test_lane_bindings_must_bind_every_role_to_an_agency(data_dir):
    flows = data_dir / "service_flows.csv"
    edit(
        flows,
        "DUKCAPIL-001,receive_verify_issue,issuer=DUKCAPIL;levy=DUKCAPIL",
        "DUKCAPIL-001,receive_verify_issue,issuer=DUKCAPIL",
    )
    edit(
        flows,
        "DUKCAPIL-003,receive_verify_issue,issuer=DUKCAPIL;levy=DUKCAPIL",
        "DUKCAPIL-003,receive_verify_issue,issuer=DUKCAPIL;levy=DUKACPIL",
    )

    problems = problems_of(data_dir)

    assert (
        "service_flows.csv",
        2,
        "lane_bindings",
        "lane 'levy' is not bound",
    ) in problems
    assert (
        "service_flows.csv",
        4,
        "lane_bindings",
        "'DUKACPIL' is no agency",
    ) in problems


def test_presets_must_be_choices_of_the_process(data_dir):
    flows = data_dir / "service_flows.csv"
    edit(flows, "moving_residence,,move=out", "moving_residence,,move=away;moved=true")
    edit(flows, "prototype_design=true", "prototype_design=yes")

    messages = {message for *_where, message in problems_of(data_dir)}

    assert "moving_residence has no choice 'moved'" in messages
    assert "prototype_design=yes is not like False" in messages


def test_a_region_outside_its_parent_is_reported(tmp_path, data_dir):
    regions = data_dir / "regions.csv"
    regions.chmod(0o644)
    edit(
        regions,
        "35.10.01.2001,Sarongan,desa,35.10.01",
        "35.10.02.2901,Sarongan,desa,35.10.01",
    )

    problems = problems_of(data_dir)

    assert problems == [
        ("regions.csv", 6, "code", "35.10.02.2901 does not lie in its parent 35.10.01")
    ]


def test_the_catalogue_loads_whole_into_an_empty_database(db_session):
    # How fast it loads is a figure of `python -m bench`, not a test.
    report = load_catalogue(db_session)
    db_session.commit()

    assert (report.agencies.created, report.regions.created) == (23, 243)
    assert report.services.created == 200
    assert len(report.new_versions) == 25
    dukcapil = db_session.get(Agency, "DUKCAPIL")
    assert (dukcapil.kind, dukcapil.head_user_id) == ("skpd", None)
    land = db_session.get(Service, "ATRBPN-001")
    assert (land.fee_kind, land.fee_idr, land.process_id) == (
        FeeKind.ASSESSED,
        None,
        "land_sale",
    )
    assert land.source.startswith("Perkaban 1/2010")


def test_loading_twice_changes_nothing(db_session):
    load_catalogue(db_session)
    db_session.commit()
    versions = db_session.scalar(select(func.count()).select_from(ProcessVersion))

    report = load_catalogue(db_session)
    db_session.commit()

    assert not report.changed
    assert report.services.unchanged == 200
    assert (
        db_session.scalar(select(func.count()).select_from(ProcessVersion)) == versions
    )


def test_reloading_updates_in_place_and_keeps_attached_supervisors(
    db_session, data_dir
):
    load_catalogue(db_session)
    db_session.get(Agency, "PUDAM").head_user_id = 42
    db_session.commit()
    edit(data_dir / "services.csv", "PUDAM-001,Pemasangan", "PUDAM-001,Pasang")

    report = load_catalogue(db_session, data_dir)
    db_session.commit()

    assert (report.services.updated, report.services.unchanged) == (1, 199)
    assert db_session.get(Service, "PUDAM-001").name_id.startswith("Pasang ")
    assert db_session.get(Agency, "PUDAM").head_user_id == 42


def test_a_refused_data_file_leaves_nothing_loaded(db_session, data_dir):
    edit(data_dir / "agencies.csv", ",bumn,", ",state,")

    with pytest.raises(CatalogueError) as refused:
        load_catalogue(db_session, data_dir)
    db_session.rollback()

    assert refused.value.problems[0].field == "kind"
    assert db_session.scalar(select(func.count()).select_from(ProcessVersion)) == 0


def test_a_diagram_refused_by_the_engine_leaves_nothing_loaded(db_session, tmp_path):
    bpmn = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, bpmn)
    edit(bpmn / "flows" / "water_connection.bpmn", 'name="PUDAM"', 'name="PUDEM"')

    with pytest.raises(CatalogueError) as refused:
        load_catalogue(db_session, DATA_DIR, bpmn)
    db_session.rollback()

    [problem] = refused.value.problems
    assert (problem.file, problem.field) == (
        "flows/water_connection.bpmn",
        "lane_PUDAM",
    )
    assert "'PUDEM' is not an agency code" in problem.message
    assert db_session.scalar(select(func.count()).select_from(ProcessVersion)) == 0
    assert db_session.scalar(select(func.count()).select_from(Service)) == 0


def test_a_service_dropped_from_the_file_is_withdrawn(db_session, data_dir):
    load_catalogue(db_session)
    db_session.commit()
    for name in ("services.csv", "service_flows.csv"):
        path = data_dir / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(l for l in lines if not l.startswith("DINKES-009,")))

    report = load_catalogue(db_session, data_dir)

    assert report.withdrawn == ["DINKES-009"]
    with pytest.raises(ServiceStartError):
        start_arguments(db_session.get(Service, "DINKES-009"))


def test_start_arguments_carry_the_fee_presets_and_bindings(catalogue):
    renewal = catalogue.get(Service, "POLRESTA-002")

    arguments = start_arguments(renewal)

    assert arguments.process_id == "driving_licence"
    assert arguments.lane_bindings == {}
    assert arguments.data == {
        "licence": "renewal",
        "licence_class": "A",
        "service_code": "POLRESTA-002",
        "fee_kind": "fixed",
        "fee_idr": 80_000,
        "sla_working_days": 0,
        "payments": [],
    }


def test_start_arguments_refuse_unknown_choices_and_missing_agencies(catalogue):

    with pytest.raises(ServiceStartError, match="no choice licence"):
        start_arguments(
            catalogue.get(Service, "POLRESTA-002"), choices={"licence": "new"}
        )
    with pytest.raises(ServiceStartError, match="roles: responder"):
        start_arguments(catalogue.get(Service, "DPMPTSP-031"))

    complaint = start_arguments(
        catalogue.get(Service, "DPMPTSP-031"), agencies={"responder": "DLH"}
    )
    assert complaint.lane_bindings == {"issuer": "DPMPTSP", "responder": "DLH"}


def test_escalation_runs_to_the_head_then_the_regent_and_informs_the_camat(catalogue):

    line = escalation_line(catalogue, "DUKCAPIL", village_code="35.10.01.2001")

    assert [(e.action, e.head_title) for e in line] == [
        ("escalate", "Kepala Dinas Kependudukan dan Pencatatan Sipil"),
        ("escalate", "Bupati Banyuwangi"),
        ("inform", "Camat Pesanggaran"),
    ]
    assert len(escalation_line(catalogue, "DUKCAPIL")) == 2
    with pytest.raises(LookupError):
        escalation_line(catalogue, "DUKCAPIL", village_code="35.10.01")


def test_regions_know_their_village_heads(catalogue):

    kelurahan = catalogue.get(Region, "35.10.16.1001")

    assert kelurahan.level == RegionLevel.KELURAHAN
    assert kelurahan.head_title.startswith("Lurah ")
    assert kelurahan.parent.code == "35.10.16"
