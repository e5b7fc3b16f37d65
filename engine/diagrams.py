"""Check, deploy and load BPMN diagrams (with their DMN decision tables).

Deploying creates one immutable :class:`ProcessVersion` per executable
process; the same content deployed again returns the versions it made
before. Every check runs before anything is stored, and every problem found is
reported with its file, element id and line, so an analyst can fix them all in
one pass.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .errors import DiagramInvalid, Problem, ScriptRefused
from .models import ProcessVersion
from .safe_xml import DEFAULT_LIMITS, XmlLimits, parse_xml
from .sandbox import compile_expression, compile_script

logger = logging.getLogger(__name__)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiff": SPIFF_NS}

FLOW_NODE_TAGS = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
    "choreographyTask",
}
TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")
_ISO_DURATION = (
    r"-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?"
)
_ISO_DATETIME = (
    r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
)
_ISO_PART = rf"({_ISO_DURATION}|{_ISO_DATETIME})"
ISO_8601 = re.compile(
    rf"^(R\d*/{_ISO_PART}(/{_ISO_PART})?|{_ISO_PART})$", re.IGNORECASE
)


@dataclass(frozen=True)
class DiagramFile:
    name: str
    content: bytes


@dataclass
class _Document:
    name: str
    tree: etree._ElementTree
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    @property
    def is_bpmn(self) -> bool:
        return self.root.tag == f"{{{BPMN_NS}}}definitions"


class _Parser(SpiffBpmnParser):
    """SpiffWorkflow's parser; every XML check is ours, made beforehand."""

    def __init__(self):
        super().__init__(validator=None)


def is_iso8601(text: str) -> bool:
    return bool(ISO_8601.match(text.strip()))


# -- checking ----------------------------------------------------------------


def check_diagrams(
    session: Session,
    files: Iterable[DiagramFile],
    *,
    agencies: set[str],
    roles: frozenset[str] | set[str] = frozenset(),
    limits: XmlLimits = DEFAULT_LIMITS,
) -> _Bundle:
    """Parse and check ``files`` as one deployment; raise :class:`DiagramInvalid`."""
    documents = _parse_all(files, limits)
    problems: list[Problem] = []
    for document in documents:
        if document.is_bpmn:
            problems += _check_bpmn(document, agencies, set(roles))
    bundle = _Bundle(documents)
    problems += bundle.resolve_external_calls(session)
    if not problems:
        problems += bundle.build_specs()
    if problems:
        raise DiagramInvalid(problems)

    return bundle


def _parse_all(files: Iterable[DiagramFile], limits: XmlLimits) -> list[_Document]:
    documents, problems = [], []
    for diagram in files:
        try:
            tree = parse_xml(diagram.name, diagram.content, limits)
        except DiagramInvalid as refused:
            problems += refused.problems
            continue
        documents.append(_Document(diagram.name, tree, _element_lines(tree)))
    if not documents and not problems:
        problems.append(Problem("(upload)", None, None, "no diagram file was given"))
    if problems:
        raise DiagramInvalid(problems)

    return documents


def _element_lines(tree: etree._ElementTree) -> dict[str, int]:
    return {
        element.get("id"): element.sourceline
        for element in tree.iter()
        if isinstance(element.tag, str) and element.get("id")
    }


def _check_bpmn(
    document: _Document, agencies: set[str], roles: set[str]
) -> list[Problem]:
    root = document.root
    processes = root.findall("bpmn:process", NS)
    problems = []
    if not any(_is_executable(process) for process in processes):
        problems.append(
            _problem(document, root, 'no executable process (isExecutable="true")')
        )
    for process in processes:
        problems += _check_lanes(document, process, agencies, roles)
        problems += _check_flows(document, process)
        problems += _check_supported(document, process)
        problems += _check_expressions(document, process)
    return problems


def _is_executable(process: etree._Element) -> bool:
    return process.get("isExecutable", "false").lower() == "true"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _problem(document: _Document, element: etree._Element, message: str) -> Problem:
    return Problem(document.name, element.get("id"), element.sourceline, message)


def _check_lanes(document, process, agencies, roles) -> list[Problem]:
    problems = []
    for lane in process.iterfind(".//bpmn:lane", NS):
        name = (lane.get("name") or "").strip()
        if name not in agencies and name not in roles:
            problems.append(
                _problem(
                    document,
                    lane,
                    f"lane {name!r} is not an agency code"
                    + (" or a role" if roles else "")
                    + "; name the lane after the agency that does its work",
                )
            )
    return problems


def _check_flows(document, process) -> list[Problem]:
    node_ids = {
        element.get("id")
        for element in process.iter()
        if isinstance(element.tag, str) and element.get("id")
    }
    problems = []
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        if not flow.get("id"):
            problems.append(_problem(document, flow, "sequence flow has no id"))
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if not ref or ref not in node_ids:
                problems.append(
                    _problem(
                        document, flow, f"sequence flow {end} {ref!r} names no element"
                    )
                )
    return problems


def _check_supported(document, process) -> list[Problem]:
    parser = _Parser()
    problems = []
    for element in process.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(
            f"{{{BPMN_NS}}}"
        ):
            continue
        tag = _local(element)
        if tag in FLOW_NODE_TAGS and parser._get_parser_class(element.tag) == (
            None,
            None,
        ):
            problems.append(
                _problem(document, element, f"{tag} is not supported by the engine")
            )
    return problems


def _check_expressions(document, process) -> list[Problem]:
    problems = []
    for element, source, kind in _expressions(process):
        try:
            compile_script(source) if kind == "script" else compile_expression(source)
        except ScriptRefused as refused:
            owner = _owner(element)
            problems.append(
                Problem(
                    document.name,
                    owner.get("id"),
                    _script_line(element, refused.line),
                    f"{kind} is not allowed: {refused}",
                )
            )
    return problems


def _expressions(process):
    """Yield (element, source, kind) for everything a diagram may execute."""
    for script in process.iterfind(".//bpmn:script", NS):
        yield script, script.text or "", "script"
    for tag in ("preScript", "postScript"):
        for script in process.iterfind(f".//spiff:{tag}", NS):
            yield script, script.text or "", "script"
    for tag in (
        "conditionExpression",
        "loopCardinality",
        "completionCondition",
        "condition",
    ):
        for expression in process.iterfind(f".//bpmn:{tag}", NS):
            if (expression.text or "").strip():
                yield expression, expression.text, "expression"
    for tag in TIMER_TAGS:
        for timer in process.iterfind(f".//bpmn:{tag}", NS):
            text = (timer.text or "").strip()
            if text and not is_iso8601(text):
                yield timer, text, "expression"
    for parameter in process.iterfind(".//spiff:parameter", NS):
        if parameter.get("value"):
            yield parameter, parameter.get("value"), "expression"


def _owner(element: etree._Element) -> etree._Element:
    """The nearest ancestor with an id: the element an analyst would click on."""
    while element is not None and not element.get("id"):
        element = element.getparent()
    return element if element is not None else etree.Element("unknown")


def _script_line(element: etree._Element, line_in_script: int | None) -> int | None:
    if element.sourceline is None or not line_in_script:
        return element.sourceline
    return element.sourceline + line_in_script - 1


# -- the bundle: files of one deployment, with what they call ----------------


class _Bundle:
    def __init__(self, documents: list[_Document]):
        self.documents = documents
        self.bpmn = [d for d in documents if d.is_bpmn]
        self.dmn = [d for d in documents if not d.is_bpmn]
        self.defined = {
            process.get("id"): document
            for document in self.bpmn
            for process in document.root.findall("bpmn:process", NS)
        }
        self.external: dict[str, ProcessVersion] = {}
        self.specs: dict[str, tuple[Any, dict[str, Any]]] = {}

    def executable_ids(self) -> list[str]:
        return [
            process.get("id")
            for document in self.bpmn
            for process in document.root.findall("bpmn:process", NS)
            if _is_executable(process)
        ]

    def resolve_external_calls(self, session: Session) -> list[Problem]:
        """Find each called process outside this upload among deployed versions."""
        self.session = session
        calls = [
            (document, call)
            for document in self.bpmn
            for call in document.root.iterfind(".//bpmn:callActivity", NS)
        ]
        problems = [self._resolve(session, document, call) for document, call in calls]
        return [problem for problem in problems if problem is not None]

    def _resolve(self, session, document, call) -> Problem | None:
        called = call.get("calledElement")
        if called in self.defined or called in self.external:
            return None

        version = latest_version(session, called) if called else None
        if version is None:
            message = f"calls process {called!r}, neither in this upload nor deployed"
            return _problem(document, call, message)

        self.external[called] = version
        return None

    def build_specs(self) -> list[Problem]:
        parser = _Parser()
        problems = []
        try:
            for document in self.bpmn:
                parser.add_bpmn_xml(_prepared(document.tree), document.name)
            for document in self.dmn:
                parser.add_dmn_xml(document.root, document.name)
            _add_versions(
                parser, self.session, self.external.values(), set(self.defined)
            )
        except (ValidationException, SpiffWorkflowException) as error:
            return [self._located(error)]
        for process_id in self.executable_ids():
            try:
                self.specs[process_id] = _specs_for(parser, process_id)
            except RecursionError:
                problems.append(self._too_long(process_id))
            except (ValidationException, SpiffWorkflowException) as error:
                if _caused_by_recursion(error):
                    problems.append(self._too_long(process_id))
                else:
                    problems.append(self._located(error))
        return problems

    def _too_long(self, process_id: str) -> Problem:
        # SpiffWorkflow parses a process by recursing along its flows, so a
        # chain of some hundreds of nodes exceeds Python's recursion limit.
        document = self.defined[process_id]
        process = next(
            p
            for p in document.root.findall("bpmn:process", NS)
            if p.get("id") == process_id
        )
        nodes = sum(
            1
            for e in process.iter()
            if isinstance(e.tag, str) and _local(e) in FLOW_NODE_TAGS
        )
        return _problem(
            document,
            process,
            f"the process is too long to parse: {nodes} flow nodes in a chain; "
            "split it into call activities",
        )

    def _located(self, error: Exception) -> Problem:
        element_id = getattr(error, "id", "") or None
        file_name = getattr(error, "file_name", "") or None
        document = next((d for d in self.documents if d.name == file_name), None)
        if document is None and element_id:
            document = next((d for d in self.documents if element_id in d.lines), None)
        name = document.name if document else (file_name or self.documents[0].name)
        line = document.lines.get(element_id) if document and element_id else None
        return Problem(name, element_id, line, str(error).split("\n")[0])

    def content_hash(self) -> str:
        """Hash the files and what the processes they call were deployed as.

        Called processes count by their own content hash, not their row id, so
        the hash names the same behaviour in every database.
        """
        digest = hashlib.sha256()
        for document in sorted(self.documents, key=lambda d: d.name):
            digest.update(document.name.encode() + b"\0")
            digest.update(etree.tostring(document.tree) + b"\0")
        for called, version in sorted(self.external.items()):
            digest.update(f"{called}={version.content_hash}\0".encode())
        return digest.hexdigest()


def _caused_by_recursion(error: BaseException) -> bool:
    # The parser wraps what a task's parsing raised in a ValidationException.
    seen = error
    while seen is not None:
        if isinstance(seen, RecursionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _prepared(tree: etree._ElementTree) -> etree._ElementTree:
    """Return a copy whose ISO 8601 timer literals are quoted for evaluation.

    Modelling tools write timers as ISO literals (``PT2H``); SpiffWorkflow
    evaluates timer text as an expression, so literals become string constants.
    """
    prepared = etree.ElementTree(etree.fromstring(etree.tostring(tree)))
    for tag in TIMER_TAGS:
        for timer in prepared.iterfind(f".//bpmn:{tag}", NS):
            text = (timer.text or "").strip()
            if text and is_iso8601(text):
                timer.text = repr(text)
    return prepared


def _specs_for(parser: _Parser, process_id: str) -> tuple[Any, dict[str, Any]]:
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    for each in [spec, *subprocess_specs.values()]:
        for task_spec in each.task_specs.values():
            if isinstance(task_spec, ServiceTask):
                # Service tasks wait for a worker's result like a human task.
                task_spec.manual = True
    return spec, subprocess_specs


def _add_versions(
    parser: _Parser,
    session: Session,
    versions: Iterable[ProcessVersion],
    seen: set[str],
) -> None:
    """Add called processes' diagrams to ``parser``, with what they call in turn."""
    pending = list(versions)
    while pending:
        version = pending.pop()
        if version.process_id in seen:
            continue
        tree = etree.ElementTree(etree.fromstring(version.bpmn_xml.encode()))
        _skip_defined(tree, seen)
        seen.update(p.get("id") for p in tree.getroot().findall("bpmn:process", NS))
        parser.add_bpmn_xml(_prepared(tree), version.file_name)
        for name, text in version.decision_files.items():
            parser.add_dmn_xml(etree.fromstring(text.encode()), name)
        pending.extend(
            session.get(ProcessVersion, i) for i in version.dependencies.values()
        )


def _skip_defined(tree: etree._ElementTree, defined: set[str]) -> None:
    # A called diagram may define processes that are already loaded.
    for process in tree.getroot().findall("bpmn:process", NS):
        if process.get("id") in defined:
            tree.getroot().remove(process)


# -- deploying ---------------------------------------------------------------


def deploy(
    session: Session,
    files: Iterable[DiagramFile],
    *,
    agencies: set[str],
    roles: frozenset[str] | set[str] = frozenset(),
    actor: str,
    limits: XmlLimits = DEFAULT_LIMITS,
) -> list[ProcessVersion]:
    """Check ``files`` and store a new version of each executable process.

    Flushes, does not commit. Raises :class:`DiagramInvalid` with every
    problem found; nothing is stored then.
    """
    bundle = check_diagrams(
        session, files, agencies=agencies, roles=roles, limits=limits
    )
    dependencies = {called: version.id for called, version in bundle.external.items()}
    content_hash = bundle.content_hash()
    versions = [
        _store_version(session, bundle, process_id, content_hash, dependencies, actor)
        for process_id in bundle.executable_ids()
    ]
    _link_sibling_versions(versions)
    session.flush()
    return versions


def _link_sibling_versions(versions: list[ProcessVersion]) -> None:
    """Point calls between files of one upload at the versions just stored."""
    by_process = {version.process_id: version.id for version in versions}
    for version in versions:
        if -1 in version.dependencies.values():
            version.dependencies = {
                called: by_process[called] if version_id == -1 else version_id
                for called, version_id in version.dependencies.items()
            }


def _store_version(session, bundle, process_id, content_hash, dependencies, actor):
    existing = session.scalar(
        select(ProcessVersion).where(
            ProcessVersion.process_id == process_id,
            ProcessVersion.content_hash == content_hash,
        )
    )
    if existing is not None:
        return existing

    document = bundle.defined[process_id]
    process = next(
        p
        for p in document.root.findall("bpmn:process", NS)
        if p.get("id") == process_id
    )
    version = ProcessVersion(
        process_id=process_id,
        version=_next_version_number(session, process_id),
        name=process.get("name"),
        content_hash=content_hash,
        file_name=document.name,
        bpmn_xml=etree.tostring(document.tree, encoding="unicode"),
        decision_files={
            d.name: etree.tostring(d.tree, encoding="unicode") for d in bundle.dmn
        },
        dependencies=_dependencies_of(bundle, document, dependencies),
        element_lines=document.lines,
        roles=sorted(_roles_used(process, bundle)),
        deployed_by=actor,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        f"process:{process_id}",
        actor,
        "diagram_deployed",
        {"version": version.version, "content_hash": content_hash},
    )
    logger.info(
        "diagram deployed", extra={"process_id": process_id, "version": version.version}
    )
    return version


def _dependencies_of(bundle, document, external) -> dict[str, int]:
    # Called processes from other files of the same upload are stored as those
    # files' own versions once they exist; external ones are already known.
    other_files = {
        pid: doc for pid, doc in bundle.defined.items() if doc is not document
    }
    calls = {
        call.get("calledElement")
        for call in document.root.iterfind(".//bpmn:callActivity", NS)
    }
    deps = {called: vid for called, vid in external.items() if called in calls}
    # -1 marks a sibling file's process until its version is stored.
    deps.update({called: -1 for called in calls if called in other_files})
    return deps


def _roles_used(process, bundle) -> set[str]:
    names = {
        (lane.get("name") or "").strip()
        for lane in process.iterfind(".//bpmn:lane", NS)
    }
    return {name for name in names if name and name.islower()}


def _next_version_number(session: Session, process_id: str) -> int:
    current = session.scalar(
        select(func.max(ProcessVersion.version)).where(
            ProcessVersion.process_id == process_id
        )
    )
    return (current or 0) + 1


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    return session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )


class SpecLibrary:
    """Parsed specs by process version; versions are immutable, so never stale.

    The key holds the content hash as well as the row id: an id can come back
    for other content (a rolled-back deploy on SQLite, an emptied table).
    """

    def __init__(self, size: int = 512):
        self.size = size
        self._cache: OrderedDict[tuple, tuple[Any, dict[str, Any]]] = OrderedDict()
        self._lock = Lock()

    def specs_for(
        self, session: Session, version: ProcessVersion
    ) -> tuple[Any, dict[str, Any]]:
        key = (version.id, version.process_id, version.content_hash)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached

        specs = self._parse(session, version)
        with self._lock:
            self._cache[key] = specs
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return specs

    def _parse(self, session: Session, version: ProcessVersion):
        parser = _Parser()
        tree = etree.ElementTree(etree.fromstring(version.bpmn_xml.encode()))
        parser.add_bpmn_xml(_prepared(tree), version.file_name)
        for name, text in version.decision_files.items():
            parser.add_dmn_xml(etree.fromstring(text.encode()), name)
        defined = {p.get("id") for p in tree.getroot().findall("bpmn:process", NS)}
        called = [session.get(ProcessVersion, i) for i in version.dependencies.values()]
        _add_versions(parser, session, called, defined)
        return _specs_for(parser, version.process_id)


SPECS = SpecLibrary()
