"""Whole applications over HTTP against gunicorn, from separate client processes.

Each client process holds one keep-alive connection and repeats an
application: the counter submits it, then every open task is completed by
its agency's officer, and the counter reads the file back to find the next
ones. Only completed applications count; each task completion is timed.
"""

from __future__ import annotations

import logging
import multiprocessing
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .api_server import ApiDatabase, Client
from .cpu import CpuSnapshot, own_cpu_seconds

logger = logging.getLogger(__name__)

SERVICE_CODE = "DPMPTSP-990"
START_DATA: dict[str, Any] = {}
DATES = [(d, m, y) for y in range(50, 100) for m in range(1, 13) for d in range(1, 29)]
WARM_UP_SECONDS = 3.0


def nik(index: int) -> str:
    """Return the ``index``-th of a run's distinct valid Banyuwangi NIKs."""
    kecamatan = index % 25 + 1
    rest = index // 25
    day, month, year = DATES[rest % len(DATES)]
    serial = rest // len(DATES) + 1
    return f"3510{kecamatan:02d}{day:02d}{month:02d}{year:02d}{serial:04d}"


def task_data(name: str) -> dict[str, Any]:
    # The service offers no choices at submission, so intake records the area
    # that the fee script reads.
    if name.startswith("Intake"):
        return {"area": 10}
    if name.endswith("A review"):
        return {"approved_a": True}
    if name.endswith("B review"):
        return {"approved_b": True}
    return {}


def deploy_reference(port: int, database: ApiDatabase, bpmn: Path) -> None:
    """Deploy the reference permit and bind it to a service, as an analyst would."""
    client = Client(port)
    token = database.tokens["analyst"]
    status, body = client.call(
        "POST",
        "/api/v1/diagrams",
        token,
        raw=bpmn.read_bytes(),
        content_type="application/xml",
    )
    if status != 201:
        raise RuntimeError(f"deploying the reference diagram: {status} {body}")
    entry = {
        "name_id": "Izin acuan (bench)",
        "agency_code": "DPMPTSP",
        "process_id": "permit",
        "sla_working_days": 5,
        "fee_kind": "free",
        "fee_idr": 0,
        "required_documents": ["KTP-el"],
    }
    status, body = client.call("PUT", f"/api/v1/services/{SERVICE_CODE}", token, entry)
    if status not in (200, 201):
        raise RuntimeError(f"binding {SERVICE_CODE}: {status} {body}")


@dataclass
class ClientResult:
    finished: int
    completions_ms: list[float]
    failures: int
    cpu_s: float  # the client's own CPU from the start of the timed span


class Caller(Protocol):
    """What an applicant sends requests through: ``Client`` over HTTP, or in-process."""

    def call(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> tuple[int, Any]: ...


class Applicant:
    """One client's run of applications, numbered ``number`` of ``clients``."""

    def __init__(
        self, client: Caller, tokens: dict[str, str], number: int, clients: int
    ):
        self.client = client
        self.tokens = tokens
        self.number, self.clients = number, clients
        self.sent = 0
        self.completions_ms: list[float] = []
        self.failures = 0

    def application(self, timed: bool) -> bool:
        """Run one application to its end; return whether it completed."""
        index = self.sent * self.clients + self.number
        self.sent += 1
        body = {
            "service_code": SERVICE_CODE,
            "applicant": {
                "nik": nik(index),
                "name": "Bench Pemohon",
                "phone": "081234567890",
            },
            "village_code": "35.10.16.2001",
            "data": START_DATA,
        }
        status, view = self.client.call(
            "POST", "/api/v1/applications", self.tokens["counter"], body
        )
        if status != 201:
            self.failures += 1
            return False

        while view["tasks"]:
            for task in view["tasks"]:
                if not self._complete(task, timed):
                    self.failures += 1
                    return False
            status, view = self.client.call(
                "GET", f"/api/v1/applications/{view['id']}", self.tokens["counter"]
            )

        return view["status"] == "completed"

    def _complete(self, task: dict[str, Any], timed: bool) -> bool:
        token = self.tokens[f"officer_{task['agency'].lower()}"]
        began = time.perf_counter()
        status, _ = self.client.call(
            "POST",
            f"/api/v1/tasks/{task['id']}/complete",
            token,
            {"data": task_data(task["name"])},
        )
        if timed:
            self.completions_ms.append((time.perf_counter() - began) * 1e3)
        return status == 200


def _client_process(port, tokens, number, clients, start_at, stop_at, results):
    applicant = Applicant(Client(port), tokens, number, clients)
    finished = 0
    cpu_at_start = own_cpu_seconds()
    try:
        applicant.application(timed=False)
        while time.monotonic() < start_at:
            time.sleep(0.01)
        cpu_at_start = own_cpu_seconds()
        while time.monotonic() < stop_at:
            finished += applicant.application(timed=True)
    except Exception:
        logger.exception("bench client %d stopped", number)
        applicant.failures += 1
    results.put(
        ClientResult(
            finished,
            applicant.completions_ms,
            applicant.failures,
            own_cpu_seconds() - cpu_at_start,
        )
    )


@dataclass
class LoadResult:
    applications_per_s: float
    completion_p50_ms: float
    completion_p95_ms: float
    completions: int
    failures: int
    # CPU per application by kind of process, the load clients included.
    cpu_ms_per_application: dict[str, float]


def run_load(
    port: int,
    tokens: dict[str, str],
    clients: int,
    seconds: float,
    servers: Callable[[], dict[str, list[int]]] = dict,
) -> LoadResult:
    """Run ``clients`` processes for ``seconds`` after a short warm-up.

    Each client finishes the application it is in when time runs out, and
    that one counts, so the rate is slightly high for short runs. The CPU of
    the processes ``servers`` names, by kind, is read when the timed span
    starts and once every client has finished.
    """
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.monotonic() + WARM_UP_SECONDS
    stop_at = start_at + seconds
    processes = [
        context.Process(
            target=_client_process,
            args=(port, tokens, n, clients, start_at, stop_at, results),
        )
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    time.sleep(max(0.0, start_at - time.monotonic()))
    cpu_at_start = CpuSnapshot.take(servers())
    gathered = [results.get(timeout=seconds + 120) for _ in processes]
    cpu_s = CpuSnapshot.take(servers()).since(cpu_at_start)
    for process in processes:
        process.join()

    finished = sum(r.finished for r in gathered)
    cpu_s["load clients"] = sum(r.cpu_s for r in gathered)
    timings = sorted(t for r in gathered for t in r.completions_ms)
    return LoadResult(
        applications_per_s=finished / seconds,
        completion_p50_ms=statistics.median(timings) if timings else float("nan"),
        completion_p95_ms=percentile(timings, 0.95),
        completions=len(timings),
        failures=sum(r.failures for r in gathered),
        cpu_ms_per_application={
            kind: spent * 1e3 / max(finished, 1) for kind, spent in cpu_s.items()
        },
    )


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
