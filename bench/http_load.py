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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .api_server import ApiDatabase, Client

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
    try:
        applicant.application(timed=False)
        while time.monotonic() < start_at:
            time.sleep(0.01)
        while time.monotonic() < stop_at:
            finished += applicant.application(timed=True)
    except Exception:
        logger.exception("bench client %d stopped", number)
        applicant.failures += 1
    results.put(ClientResult(finished, applicant.completions_ms, applicant.failures))


@dataclass
class LoadResult:
    applications_per_s: float
    completion_p50_ms: float
    completion_p95_ms: float
    completions: int
    failures: int


def run_load(
    port: int, tokens: dict[str, str], clients: int, seconds: float
) -> LoadResult:
    """Run ``clients`` processes for ``seconds`` after a short warm-up.

    Applications still under way when time runs out are not counted, so the
    rate is slightly low for short runs.
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
    gathered = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()

    timings = sorted(t for r in gathered for t in r.completions_ms)
    return LoadResult(
        applications_per_s=sum(r.finished for r in gathered) / seconds,
        completion_p50_ms=statistics.median(timings) if timings else float("nan"),
        completion_p95_ms=percentile(timings, 0.95),
        completions=len(timings),
        failures=sum(r.failures for r in gathered),
    )


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
