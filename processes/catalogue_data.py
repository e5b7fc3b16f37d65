"""Read and check the catalogue's data files and the diagrams they name.

Everything is checked before anything is stored, and every fault is reported
with its file, row (or line) and field, so a whole set of mistakes can be
fixed in one pass. The files are described in ``processes/data/README.md``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from processes.models import AgencyKind, FeeKind, RegionLevel

DATA_DIR = Path(__file__).resolve().parent / "data"
BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
DIAGRAM_FOLDERS = ("shared", "patterns", "flows")
CHOSEN = "*"

SERVICE_CODE = re.compile(r"^([A-Z]+)-\d{3}$")
AGENCY_CODE = re.compile(r"^[A-Z]+$")
REGION_CODE = re.compile(r"^\d{2}\.\d{2}(\.\d{2}(\.\d{4})?)?$")
STEP = re.compile(r"^([A-Za-z]+):(\w+)$")
INTEGER = re.compile(r"^-?\d+$")

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CHOICE_PREFIX = "choice:"

# Village codes read PP.KK.CC.NNNN; NNNN starts with 1 for a kelurahan, 2 for a desa.
VILLAGE_DIGIT = {RegionLevel.KELURAHAN: "1", RegionLevel.DESA: "2"}
HEAD_TITLES = {
    RegionLevel.KECAMATAN: "Camat {name}",
    RegionLevel.DESA: "Kepala Desa {name}",
    RegionLevel.KELURAHAN: "Lurah {name}",
}


@dataclass(frozen=True)
class CatalogueProblem:
    file: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        return f"{where} [{self.field}]: {self.message}"


class CatalogueError(Exception):
    """The data files or diagrams were refused; ``problems`` says where and why."""

    def __init__(self, problems: list[CatalogueProblem]):
        self.problems = problems
        shown = "; ".join(str(problem) for problem in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        super().__init__(f"catalogue refused: {shown}{more}")


@dataclass(frozen=True)
class Diagram:
    """An executable process found in ``bpmn/`` and what the catalogue needs of it."""

    process_id: str
    path: Path
    roles: frozenset[str]
    choices: dict[str, Any]


@dataclass
class CatalogueData:
    agencies: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    diagrams: dict[str, Diagram] = field(default_factory=dict)
    # Diagram files in deployment order, relative to the bpmn directory.
    diagram_files: list[Path] = field(default_factory=list)

    @property
    def agency_codes(self) -> set[str]:
        return {agency["code"] for agency in self.agencies}


class _Checker:
    """Collects problems while rows are read, so all of them are reported."""

    def __init__(self) -> None:
        self.problems: list[CatalogueProblem] = []

    def add(self, file: str, row: int | None, name: str, message: str) -> None:
        self.problems.append(CatalogueProblem(file, row, name, message))

    def text(self, file: str, row: int, values: dict[str, str], name: str) -> str:
        value = (values.get(name) or "").strip()
        if not value:
            self.add(file, row, name, "is empty")
        return value

    def integer(
        self, file: str, row: int, values: dict[str, str], name: str, minimum: int
    ) -> int | None:
        value = (values.get(name) or "").strip()
        if not INTEGER.match(value) or int(value) < minimum:
            self.add(file, row, name, f"{value!r} is not a whole number >= {minimum}")
            return None
        return int(value)

    def member(
        self, file: str, row: int, values: dict[str, str], name: str, enum: type
    ) -> Any:
        value = (values.get(name) or "").strip()
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.add(file, row, name, f"{value!r} is not one of {allowed}")
            return None


def read_catalogue(
    data_dir: Path = DATA_DIR, bpmn_dir: Path = BPMN_DIR
) -> CatalogueData:
    """Read every data file and diagram; raise CatalogueError listing all faults."""
    checker = _Checker()
    data = CatalogueData()
    data.agencies = _agencies(checker, data_dir)
    data.regions = _regions(checker, data_dir)
    data.diagram_files, data.diagrams = _diagrams(checker, bpmn_dir)
    data.services = _services(checker, data_dir, data)
    _flows(checker, data_dir, data)

    if checker.problems:
        raise CatalogueError(checker.problems)

    return data


def _rows(
    checker: _Checker, path: Path, columns: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a CSV file, skipping ``#`` comment lines."""
    if not path.exists():
        checker.add(path.name, None, "file", "is missing")
        return

    with path.open(encoding="utf-8", newline="") as file:
        content = [
            (number, text)
            for number, text in enumerate(file, 1)
            if not text.startswith("#")
        ]

    reader = csv.DictReader(text for _number, text in content)
    missing = [name for name in columns if name not in (reader.fieldnames or ())]
    if missing:
        header = content[0][0] if content else 1
        checker.add(path.name, header, ", ".join(missing), "column is missing")
        return

    # Each record is one line here; a quoted newline would shift the numbers.
    for (number, _text), row in zip(content[1:], reader):
        yield number, row


def _agencies(checker: _Checker, data_dir: Path) -> list[dict[str, Any]]:
    file = "agencies.csv"
    columns = ("code", "name_id", "name_en", "kind", "head_title", "notes")
    agencies, seen = [], set()
    for row, values in _rows(checker, data_dir / file, columns):
        code = checker.text(file, row, values, "code")
        if code and not AGENCY_CODE.match(code):
            checker.add(file, row, "code", f"{code!r} is not an upper-case code")
        if code in seen:
            checker.add(file, row, "code", f"{code} is listed twice")
        seen.add(code)

        agencies.append(
            {
                "code": code,
                "name_id": checker.text(file, row, values, "name_id"),
                "name_en": checker.text(file, row, values, "name_en"),
                "kind": checker.member(file, row, values, "kind", AgencyKind),
                "head_title": checker.text(file, row, values, "head_title"),
                "notes": (values.get("notes") or "").strip(),
            }
        )

    return agencies


def _regions(checker: _Checker, data_dir: Path) -> list[dict[str, Any]]:
    """Return the regency, then its kecamatan, then villages: parents first."""
    regions: dict[str, dict[str, Any]] = {}
    file = "regency.csv"
    for row, values in _rows(checker, data_dir / file, ("code", "name", "head_title")):
        code = checker.text(file, row, values, "code")
        regions[code] = {
            "code": code,
            "name": checker.text(file, row, values, "name"),
            "level": RegionLevel.REGENCY,
            "parent_code": None,
            "head_title": checker.text(file, row, values, "head_title"),
        }

    file = "regions.csv"
    for row, values in _rows(
        checker, data_dir / file, ("code", "name", "level", "parent_code")
    ):
        region = _region(checker, row, values, regions)
        if region is not None:
            regions[region["code"]] = region

    order = list(RegionLevel)
    return sorted(regions.values(), key=lambda region: order.index(region["level"]))


def _region(
    checker: _Checker, row: int, values: dict[str, str], known: dict[str, dict]
) -> dict[str, Any] | None:
    file = "regions.csv"
    code = checker.text(file, row, values, "code")
    name = checker.text(file, row, values, "name")
    level = checker.member(file, row, values, "level", RegionLevel)
    parent = (values.get("parent_code") or "").strip()
    if code in known:
        checker.add(file, row, "code", f"{code} is listed twice")
    if code and not REGION_CODE.match(code):
        checker.add(file, row, "code", f"{code!r} is not a Kemendagri region code")
    if parent not in known:
        checker.add(
            file, row, "parent_code", f"{parent!r} is not listed above this row"
        )
    elif not code.startswith(parent + "."):
        checker.add(file, row, "code", f"{code} does not lie in its parent {parent}")
    if level in VILLAGE_DIGIT and code[-4:-3] != VILLAGE_DIGIT[level]:
        checker.add(file, row, "level", f"{code} is not coded as a {level.value}")
    if level is RegionLevel.REGENCY:
        checker.add(file, row, "level", "the regency belongs in regency.csv")
    if level is None or level is RegionLevel.REGENCY:
        return None

    head_title = HEAD_TITLES[level].format(name=name)
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "head_title": head_title,
    }


def _services(
    checker: _Checker, data_dir: Path, data: CatalogueData
) -> list[dict[str, Any]]:
    file = "services.csv"
    columns = (
        "code",
        "name_id",
        "name_en",
        "agency_code",
        "agency_name",
        "agency_kind",
        "sla_working_days",
        "fee_idr",
        "fee_kind",
        "required_documents",
        "steps",
        "source",
    )
    agencies = {agency["code"]: agency for agency in data.agencies}
    services, seen = [], set()
    for row, values in _rows(checker, data_dir / file, columns):
        code = checker.text(file, row, values, "code")
        if code in seen:
            checker.add(file, row, "code", f"{code} is listed twice")
        seen.add(code)

        agency = _service_agency(checker, row, values, agencies)
        shape = SERVICE_CODE.match(code)
        if shape and agency and shape.group(1) != agency["code"]:
            checker.add(
                file, row, "code", f"{code} does not start with its agency code"
            )
        elif code and not shape:
            checker.add(file, row, "code", f"{code!r} is not shaped like DUKCAPIL-001")

        services.append(
            {
                "row": row,
                "code": code,
                "name_id": checker.text(file, row, values, "name_id"),
                "name_en": checker.text(file, row, values, "name_en"),
                "agency_code": agency["code"] if agency else None,
                "sla_working_days": checker.integer(
                    file, row, values, "sla_working_days", 0
                ),
                **_fee(checker, row, values),
                "required_documents": _listed(
                    checker.text(file, row, values, "required_documents")
                ),
                "steps": _steps(checker, row, values, agencies),
                "source": checker.text(file, row, values, "source"),
            }
        )

    return services


def _service_agency(
    checker: _Checker, row: int, values: dict[str, str], agencies: dict[str, dict]
) -> dict[str, Any] | None:
    file = "services.csv"
    agency = agencies.get(checker.text(file, row, values, "agency_code"))
    if agency is None:
        checker.add(file, row, "agency_code", f"{values['agency_code']!r} is no agency")
        return None

    if values["agency_name"].strip() != agency["name_id"]:
        checker.add(file, row, "agency_name", "differs from agencies.csv")
    if agency["kind"] and values["agency_kind"].strip() != agency["kind"].value:
        checker.add(file, row, "agency_kind", "differs from agencies.csv")
    return agency


def _fee(checker: _Checker, row: int, values: dict[str, str]) -> dict[str, Any]:
    file = "services.csv"
    amount = checker.integer(file, row, values, "fee_idr", -1)
    kind = checker.member(file, row, values, "fee_kind", FeeKind)
    if amount is None or kind is None:
        return {"fee_kind": kind, "fee_idr": amount}

    expected = {FeeKind.FREE: amount == 0, FeeKind.ASSESSED: amount == -1}
    if not expected.get(kind, amount > 0):
        checker.add(
            file, row, "fee_kind", f"{kind.value} does not fit fee_idr {amount}"
        )

    return {"fee_kind": kind, "fee_idr": None if kind is FeeKind.ASSESSED else amount}


def _steps(
    checker: _Checker, row: int, values: dict[str, str], agencies: dict[str, dict]
) -> list[list[str]]:
    """Return [actor, step] pairs; a lower-case actor names a role to check later."""
    steps = []
    for text in _listed(checker.text("services.csv", row, values, "steps")):
        shape = STEP.match(text)
        if not shape:
            checker.add("services.csv", row, "steps", f"{text!r} is not AGENCY:step")
            continue

        actor, step = shape.groups()
        if not actor.islower() and actor not in agencies:
            checker.add(
                "services.csv", row, "steps", f"{actor} in {text!r} is no agency"
            )
        steps.append([actor, step])

    return steps


def _listed(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _diagrams(
    checker: _Checker, bpmn_dir: Path
) -> tuple[list[Path], dict[str, Diagram]]:
    files: list[Path] = []
    diagrams: dict[str, Diagram] = {}
    for folder in DIAGRAM_FOLDERS:
        for path in sorted((bpmn_dir / folder).glob("*.bpmn")):
            relative = path.relative_to(bpmn_dir)
            files.append(relative)
            for diagram in _processes_in(checker, path, relative):
                diagrams[diagram.process_id] = diagram

    if not files:
        checker.add(str(bpmn_dir), None, "file", "holds no diagrams")
    return files, diagrams


def _processes_in(checker: _Checker, path: Path, relative: Path) -> list[Diagram]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as error:
        checker.add(str(relative), error.lineno, "xml", error.msg)
        return []

    diagrams = []
    for process in root.iterfind(f"{{{BPMN_NS}}}process"):
        if process.get("isExecutable") != "true":
            continue

        lanes = {lane.get("name", "") for lane in process.iter(f"{{{BPMN_NS}}}lane")}
        roles = frozenset(name for name in lanes if name.islower())
        choices = _choices(checker, process, relative)
        diagrams.append(Diagram(process.get("id"), relative, roles, choices))

    return diagrams


def _choices(
    checker: _Checker, process: etree._Element, relative: Path
) -> dict[str, Any]:
    """Return the start parameters a process declares, with their defaults."""
    choices = {}
    path = (
        f"{{{BPMN_NS}}}extensionElements"
        f"/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"
    )
    for item in process.iterfind(path):
        name = item.get("name", "")
        if not name.startswith(CHOICE_PREFIX):
            continue

        try:
            choices[name.removeprefix(CHOICE_PREFIX)] = json.loads(
                item.get("value", "")
            )
        except json.JSONDecodeError:
            checker.add(str(relative), item.sourceline, name, "value is not JSON")

    return choices


def _flows(checker: _Checker, data_dir: Path, data: CatalogueData) -> None:
    """Attach each service's process, lane bindings and presets."""
    file = "service_flows.csv"
    columns = ("code", "process_id", "lane_bindings", "presets")
    services = {service["code"]: service for service in data.services}
    mapped: set[str] = set()
    for row, values in _rows(checker, data_dir / file, columns):
        code = checker.text(file, row, values, "code")
        service = services.get(code)
        if service is None:
            checker.add(file, row, "code", f"{code!r} is not in services.csv")
            continue
        if code in mapped:
            checker.add(file, row, "code", f"{code} is mapped twice")
        mapped.add(code)
        _attach_flow(checker, row, values, service, data)

    for service in data.services:
        if service["code"] and service["code"] not in mapped:
            checker.add(
                "services.csv",
                service["row"],
                "code",
                "has no flow in service_flows.csv",
            )


def _attach_flow(
    checker: _Checker,
    row: int,
    values: dict[str, str],
    service: dict[str, Any],
    data: CatalogueData,
) -> None:
    file = "service_flows.csv"
    process_id = checker.text(file, row, values, "process_id")
    diagram = data.diagrams.get(process_id)
    if diagram is None or process_id.startswith("shared_"):
        checker.add(file, row, "process_id", f"no diagram in bpmn/ runs {process_id!r}")
        return

    bindings = _bindings(checker, row, values, diagram, data.agency_codes)
    presets = _presets(checker, row, values, diagram)
    service.update(
        process_id=process_id,
        lane_bindings=bindings,
        presets=presets,
        choices={k: v for k, v in diagram.choices.items() if k not in presets},
    )
    for actor, _step in service["steps"]:
        if actor.islower() and bindings.get(actor, "") is not None:
            checker.add(
                "services.csv",
                service["row"],
                "steps",
                f"{actor} is not a role chosen per application",
            )


def _bindings(
    checker: _Checker,
    row: int,
    values: dict[str, str],
    diagram: Diagram,
    agencies: set[str],
) -> dict[str, str | None]:
    file = "service_flows.csv"
    bindings: dict[str, str | None] = {}
    for pair in _listed(values.get("lane_bindings") or ""):
        role, _, agency = (part.strip() for part in pair.partition("="))
        if role not in diagram.roles:
            checker.add(
                file, row, "lane_bindings", f"{diagram.process_id} has no {role!r} lane"
            )
        elif agency != CHOSEN and agency not in agencies:
            checker.add(file, row, "lane_bindings", f"{agency!r} is no agency")
        bindings[role] = None if agency == CHOSEN else agency

    for role in sorted(diagram.roles - set(bindings)):
        checker.add(file, row, "lane_bindings", f"lane {role!r} is not bound")
    return bindings


def _presets(
    checker: _Checker, row: int, values: dict[str, str], diagram: Diagram
) -> dict[str, Any]:
    file = "service_flows.csv"
    presets = {}
    for pair in _listed(values.get("presets") or ""):
        name, _, text = (part.strip() for part in pair.partition("="))
        if name not in diagram.choices:
            checker.add(
                file, row, "presets", f"{diagram.process_id} has no choice {name!r}"
            )
            continue

        value = _preset_value(text)
        default = diagram.choices[name]
        if type(value) is not type(default):
            checker.add(file, row, "presets", f"{name}={text} is not like {default!r}")
        presets[name] = value

    return presets


def _preset_value(text: str) -> Any:
    """Read true/false as booleans, whole numbers as integers, the rest as text."""
    if text in ("true", "false"):
        return text == "true"
    if INTEGER.match(text):
        return int(text)
    return text
