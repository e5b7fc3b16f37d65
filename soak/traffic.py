"""The load generator: paced, mixed requests against one running server.

Runs in its own process. Each worker thread keeps one HTTP connection. An open
pacer hands out request slots at the target rate; a slot that no worker can
take within a second is counted as skipped rather than queued forever, so a
slow server shows up as skipped slots, not as an ever-growing backlog.
Latency is measured from send to full response, not from the slot's time.
"""

from __future__ import annotations

import http.client
import itertools
import json
import queue
import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

SERVICE = "DUKCAPIL-001"
AGENCY = "DUKCAPIL"
TIMEOUT_SECONDS = 10
THREADS = 16
# The resident tracking limit is 30 a minute per address in each worker: stay
# well under it so that tracking measures the endpoint, not the limiter.
TRACK_INTERVAL_SECONDS = 2.5
PROGRESS_SECONDS = 60
# What an officer records for each step of receive_verify_issue to succeed.
ANSWERS = {"documents_complete": True, "approved": True, "document_number": "DOC/1"}


@dataclass
class Plan:
    port: int
    counter_token: str
    officer_tokens: list[str]
    kecamatan_digits: list[str]


@dataclass
class Tally:
    """Latencies and statuses per operation, shared by the worker threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    skipped: int = 0
    client_failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[operation].append(seconds)
            self.statuses[operation][status] += 1

    def as_dict(self) -> dict:
        return {
            "latencies": {k: list(v) for k, v in self.latencies.items()},
            "statuses": {k: dict(v) for k, v in self.statuses.items()},
            "skipped": self.skipped,
            "client_failures": dict(self.client_failures),
        }


class Residents:
    """Valid, distinct NIKs: 3510, a kecamatan, a birth date, a serial."""

    def __init__(self, kecamatan_digits: list[str], seed: int):
        self.kecamatan_digits = kecamatan_digits
        self.numbers = itertools.count(seed)
        self.lock = threading.Lock()

    def next_nik(self) -> str:
        with self.lock:
            n = next(self.numbers)
        serial = n % 9999 + 1
        n //= 9999
        kecamatan = self.kecamatan_digits[n % len(self.kecamatan_digits)]
        n //= len(self.kecamatan_digits)
        day, month, year = n % 28 + 1, n // 28 % 12 + 1, 60 + n // 336 % 40
        return f"3510{kecamatan}{day:02d}{month:02d}{year:02d}{serial:04d}"


class Traffic:
    """One process's worth of clients, sharing open tasks and tracking numbers."""

    def __init__(self, plan: Plan, seed: int):
        self.plan = plan
        self.residents = Residents(plan.kecamatan_digits, seed)
        self.tally = Tally()
        self.open_tasks: deque[str] = deque(maxlen=500)
        self.tracked: deque[tuple[str, str]] = deque(maxlen=200)
        self.next_track = 0.0
        self.lock = threading.Lock()

    # -- one connection per thread ---------------------------------------------

    def call(
        self,
        connection,
        operation: str,
        method: str,
        path: str,
        token: str | None = None,
        body: dict | None = None,
    ):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body) if body is not None else None
        started = time.perf_counter()
        try:
            connection.request(method, f"/api/v1{path}", body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()  # reconnects on the next request
            status, data = 0, b""
        self.tally.record(operation, status, time.perf_counter() - started)
        return status, (json.loads(data) if data[:1] in (b"{", b"[") else None)

    # -- the mix ----------------------------------------------------------------

    def one(self, connection, officer: str, tracking: bool) -> None:
        roll = random.random()
        if tracking and roll < 0.1 and self._may_track():
            return self.track(connection)
        if roll < 0.4:
            return self.submit(connection)
        if roll < 0.7 and self.open_tasks:
            return self.claim_and_complete(connection, officer)
        return self.inbox(connection, officer)

    def submit(self, connection) -> None:
        nik = self.residents.next_nik()
        body = {
            "service_code": SERVICE,
            "village_code": None,
            "data": {},
            "applicant": {"nik": nik, "name": "Warga Uji", "phone": "081200000000"},
        }
        status, answer = self.call(
            connection, "submit", "POST", "/applications", self.plan.counter_token, body
        )
        if status == 201:
            self.tracked.append((answer["tracking_number"], nik))
            self.open_tasks.extend(
                t["id"] for t in answer["tasks"] if t["state"] == "ready"
            )

    def inbox(self, connection, officer: str) -> None:
        query = f"/tasks?agency={AGENCY}&state=ready&per_page=20&sort=created"
        status, answer = self.call(connection, "inbox", "GET", query, officer)
        if status == 200:
            self.open_tasks.extend(t["id"] for t in answer["items"])

    def claim_and_complete(self, connection, officer: str) -> None:
        try:
            task = self.open_tasks.popleft()
        except IndexError:
            return
        status, _ = self.call(
            connection, "claim", "POST", f"/tasks/{task}/claim", officer
        )
        if status != 200:
            return
        self.call(
            connection,
            "complete",
            "POST",
            f"/tasks/{task}/complete",
            officer,
            {"data": ANSWERS},
        )

    def track(self, connection) -> None:
        number, nik = random.choice(list(self.tracked))
        self.call(connection, "track", "POST", f"/track/{number}", body={"nik": nik})

    def _may_track(self) -> bool:
        with self.lock:
            now = time.monotonic()
            if not self.tracked or now < self.next_track:
                return False
            self.next_track = now + TRACK_INTERVAL_SECONDS
            return True

    # -- pacing -----------------------------------------------------------------

    def closed_loop(self, seconds: float) -> int:
        """Send as fast as THREADS clients can for ``seconds``; return the count."""
        stop = time.monotonic() + seconds
        before = sum(len(v) for v in self.tally.latencies.values())

        def client(index: int) -> None:
            connection = self._connection()
            officer = self._officer(index)
            while time.monotonic() < stop:
                self._one_guarded(connection, officer, tracking=False)
            connection.close()

        self._run_threads(client)
        return sum(len(v) for v in self.tally.latencies.values()) - before

    def paced(self, seconds: float, rate: float) -> None:
        """Hand out ``rate`` slots a second for ``seconds``, to THREADS clients."""
        slots: queue.Queue = queue.Queue(maxsize=THREADS * 2)
        stop = time.monotonic() + seconds

        def client(index: int) -> None:
            connection = self._connection()
            officer = self._officer(index)
            while slots.get() is not None:
                self._one_guarded(connection, officer, tracking=True)
            connection.close()

        threads = self._start_threads(client)
        interval, due = 1.0 / rate, time.monotonic()
        next_report = time.monotonic() + PROGRESS_SECONDS
        while time.monotonic() < stop:
            if time.monotonic() >= next_report:
                self._progress(seconds - (stop - time.monotonic()))
                next_report += PROGRESS_SECONDS
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                slots.put(due, timeout=1.0)
            except queue.Full:
                self.tally.skipped += 1
            # Slots that fell due while this one waited for a client are
            # skipped, not sent late: a put that blocked, even briefly, would
            # otherwise push every later slot back and the run past its end.
            behind = int((time.monotonic() - due) / interval)
            self.tally.skipped += behind
            due += (behind + 1) * interval
        for _ in threads:
            slots.put(None)
        for thread in threads:
            thread.join()

    def _one_guarded(self, connection, officer: str, tracking: bool) -> None:
        """Send one slot's requests; a client-side failure is tallied, not fatal.

        A client thread that died would leave its slots untaken and the final
        stop signal unread, so the soak could never end.
        """
        try:
            self.one(connection, officer, tracking=tracking)
        except Exception as failure:  # noqa: BLE001 - counted and reported
            connection.close()
            with self.tally.lock:
                self.tally.client_failures[type(failure).__name__] += 1

    def _progress(self, elapsed: float) -> None:
        """Print a line now and then, so a stalled run is visible while it runs."""
        with self.tally.lock:
            sent = sum(len(v) for v in self.tally.latencies.values())
            failed = sum(
                n
                for by_status in self.tally.statuses.values()
                for code, n in by_status.items()
                if not 200 <= code < 300 and code != 409
            )
        print(
            f"soak: {elapsed:4.0f} s, {sent} requests, {failed} failed, "
            f"{self.tally.skipped} slots skipped",
            flush=True,
        )

    def _connection(self):
        return http.client.HTTPConnection(
            "127.0.0.1", self.plan.port, timeout=TIMEOUT_SECONDS
        )

    def _officer(self, index: int) -> str:
        return self.plan.officer_tokens[index % len(self.plan.officer_tokens)]

    def _start_threads(self, target) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=target, args=(i,), daemon=True)
            for i in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        return threads

    def _run_threads(self, target) -> None:
        for thread in self._start_threads(target):
            thread.join()


def generate(plan: Plan, seconds: float, rate: float | None, results) -> None:
    """Measure capacity (unless ``rate`` is given), then soak; send the tally."""
    traffic = Traffic(plan, seed=random.randrange(10**6))
    capacity = None
    if rate is None:
        capacity = traffic.closed_loop(10) / 10
        rate = max(1.0, capacity / 2)
        traffic.tally = Tally()
    started = time.monotonic()
    traffic.paced(seconds, rate)
    results.put(
        {
            "capacity": capacity,
            "rate": rate,
            "elapsed": time.monotonic() - started,
            **traffic.tally.as_dict(),
        }
    )
