"""Resident memory of the server's processes, sampled over the soak.

A :class:`Sampler` reads each process's ``/proc/PID/smaps_rollup`` every few
seconds on a thread of the soak's own process (never inside the server).
:func:`summarise` turns the samples of one process into what the report
prints: RSS at start, after warm-up, at the end, and the least-squares slope
over the second half of the run, which is where a leak shows and warm-up
(caches filling, allocator pools growing to their working size) does not.

RSS counts every page the process has resident, shared ones included (code,
libraries, pages shared with the gunicorn master); PSS divides shared pages
among the processes that map them; anonymous memory is the heap, where a
leak would be.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

FIELDS = ("Rss", "Pss", "Anonymous")
# A second-half slope below this is "flat": 0.05 MiB a minute is 3 MiB an
# hour, within the noise of allocator pools on a process of about 100 MiB.
FLAT_MIB_PER_MINUTE = 0.05


def read_memory(pid: int) -> dict[str, int] | None:
    """Return ``Rss``, ``Pss`` and ``Anonymous`` in KiB, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in FIELDS:
            values[name] = int(rest.split()[0])
    return values if len(values) == len(FIELDS) else None


@dataclass
class Sample:
    seconds: float  # since the sampler started
    memory: dict[int, dict[str, int]]  # pid -> FIELDS in KiB


@dataclass
class Sampler:
    """Sample the memory of ``pids()`` every ``interval`` seconds until stopped.

    ``pids()`` maps each process to its kind (``worker``, ``rq worker``...);
    it is called at every sample, so processes that come and go are caught
    while they live, and ``kinds`` keeps the kind of every process seen.
    """

    pids: Callable[[], Mapping[int, str]]
    interval: float = 30.0
    samples: list[Sample] = field(default_factory=list)
    kinds: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _started: float = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self.sample()
        self._thread = threading.Thread(
            target=self._run, name="soak-memory", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and take one last sample."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval + 5)
        self.sample()

    def sample(self) -> None:
        kinds = self.pids()
        memory = {pid: m for pid in kinds if (m := read_memory(pid))}
        self.kinds |= {pid: kinds[pid] for pid in memory}
        self.samples.append(Sample(time.monotonic() - self._started, memory))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()


@dataclass(frozen=True)
class Summary:
    """One process's resident memory over the run, in MiB."""

    pid: int
    start: float
    warm: float  # the first sample at or after half the run
    end: float
    peak: float
    slope: float  # MiB a minute, least squares over the second half
    pss_end: float
    anonymous_end: float

    @property
    def flat(self) -> bool:
        return abs(self.slope) <= FLAT_MIB_PER_MINUTE


def series(samples: list[Sample], pid: int, name: str = "Rss") -> list[tuple]:
    """``(seconds, MiB)`` for one process, skipping samples where it was gone."""
    return [(s.seconds, s.memory[pid][name] / 1024) for s in samples if pid in s.memory]


def summarise(samples: list[Sample], pid: int) -> Summary | None:
    """Summarise one process; None if it was sampled fewer than four times."""
    points = series(samples, pid)
    if len(points) < 4:
        return None
    half = points[0][0] + (points[-1][0] - points[0][0]) / 2
    second_half = [p for p in points if p[0] >= half]
    last = next(s.memory[pid] for s in reversed(samples) if pid in s.memory)

    return Summary(
        pid=pid,
        start=points[0][1],
        warm=second_half[0][1],
        end=points[-1][1],
        peak=max(mib for _, mib in points),
        slope=60 * slope(second_half),
        pss_end=last["Pss"] / 1024,
        anonymous_end=last["Anonymous"] / 1024,
    )


def slope(points: list[tuple[float, float]]) -> float:
    """The least-squares slope of ``(x, y)`` points; 0 for fewer than two."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def verdicts(samples: list[Sample], kinds: Mapping[int, str]) -> dict[str, bool | None]:
    """Say per kind of process whether all its processes stayed flat.

    A kind maps to None when none of its processes was sampled often enough
    to judge (a work horse lives for one job), so "no evidence" never reads
    as "flat".
    """
    judged: dict[str, bool | None] = {kind: None for kind in kinds.values()}
    for pid, kind in kinds.items():
        summary = summarise(samples, pid)
        if summary is not None:
            judged[kind] = summary.flat and judged[kind] is not False
    return judged
