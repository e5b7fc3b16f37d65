"""CPU time by kind of process during the load test, read from ``/proc``.

Applications per second on a machine with a fixed number of cores are bounded
by the CPU one application costs in every process it touches: the API's
workers, PostgreSQL, the rq worker and the load clients themselves. The load
test reports that cost per application, and the rate the cores could give
at best, so a missed target says whether code or cores would close it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system time of ``pid`` and of the children it has reaped.

    Reaped children count because PostgreSQL and rq fork workers that come
    and go (backends, work horses); their time lands on the parent.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # ended since it was listed
        return 0.0
    # The command name may hold spaces; the fields after it are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS_PER_SECOND


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine: postmaster and backends."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@dataclass
class CpuSnapshot:
    """Seconds of CPU so far, by kind of process."""

    seconds: dict[str, float]

    @classmethod
    def take(cls, processes: dict[str, Iterable[int]]) -> CpuSnapshot:
        return cls(
            {
                kind: sum(cpu_seconds(pid) for pid in pids)
                for kind, pids in processes.items()
            }
        )

    def since(self, earlier: CpuSnapshot) -> dict[str, float]:
        return {
            kind: seconds - earlier.seconds.get(kind, 0.0)
            for kind, seconds in self.seconds.items()
        }


def own_cpu_seconds() -> float:
    """This process's user and system time (a load client reports its own)."""
    times = os.times()
    return times.user + times.system
