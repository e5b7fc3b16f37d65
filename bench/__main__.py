"""Run the benchmark: ``python -m bench`` (full) or ``python -m bench --quick``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

import localservers

from . import inbox, population
from .api_server import (
    OFFICERS,
    api_database,
    gunicorn,
    redis_for_bench,
    rq_worker,
)
from .api_statements import count_per_application
from .cpu import postgres_pids
from .database import bench_database, count_statements, private_name, time_waiting
from .flows import sequential_flow
from .http_load import deploy_reference, run_load
from .raw import RawLibrary
from .service import Terpadu, deploy_diagram
from .sla_sweep import grow_open_tasks, time_sweep

# The reference diagram lies in the shared material beside the checkout.
SHARED = Path(__file__).resolve().parents[2] / "shared"
REFERENCE = SHARED / "bench" / "reference-permit.bpmn"
START_DATA = {"applicant": "bench", "area": 10}
APPROVALS = {"approved_a": True, "approved_b": True}
KEYS = (
    "step_cost_ratio",
    "http_applications_per_s",
    "completion_p95_ms",
    "inbox_p95_ms",
    "sweep_s",
    "scale_ratio",
    "length_ratio",
    "state_bytes_ratio",
    "statements_per_application",
    "api_rss_mb",
)


@dataclass(frozen=True)
class Plan:
    rounds: int  # timed rounds per figure; the median is reported
    applications: int  # whole applications per round
    long_applications: int  # per round, for the 50-step flow
    small_population: int
    large_population: int
    http_seconds: float  # the load test's timed span
    inbox_tasks: int  # tasks stored for the inbox read
    sweep_tasks: int  # open tasks for the SLA sweep
    counted_applications: int  # applications whose statements are counted


# Quick: the same figures at smaller sizes, so a run stays near a minute.
QUICK = Plan(
    rounds=3,
    applications=4,
    long_applications=1,
    small_population=500,
    large_population=5_000,
    http_seconds=5,
    inbox_tasks=50_000,
    sweep_tasks=20_000,
    counted_applications=3,
)
FULL = Plan(
    rounds=9,
    applications=15,
    long_applications=3,
    small_population=10_000,
    large_population=1_000_000,
    http_seconds=60,
    inbox_tasks=1_000_000,
    sweep_tasks=100_000,
    counted_applications=20,
)
HTTP_CLIENTS = 8


def permit_data(element_id: str) -> dict[str, Any]:
    return dict(APPROVALS) if element_id.startswith("review") else {}


def no_data(_element_id: str) -> dict[str, Any]:
    return {}


def raw_per_call(raw: RawLibrary, applications: int) -> float:
    calls = 0
    began = time.perf_counter()
    for _ in range(applications):
        calls += raw.application()
    return (time.perf_counter() - began) / calls


def terpadu_per_call(terpadu: Terpadu, applications: int) -> float:
    calls, spent = 0, 0.0
    for _ in range(applications):
        made, took = terpadu.application(clock=time.perf_counter)
        calls, spent = calls + made, spent + took
    return spent / calls


def side_by_side(raw: RawLibrary, terpadu: Terpadu, plan: Plan, applications: int):
    """Median seconds per call of each, and the median of their per-round ratios.

    Rounds alternate between the two, so a burst of load from elsewhere on the
    machine lands on both; the ratio of each round is steadier than either time.
    """
    raw.application()
    terpadu.application()
    raw_times, terpadu_times = [], []
    for _ in range(plan.rounds):
        raw_times.append(raw_per_call(raw, applications))
        terpadu_times.append(terpadu_per_call(terpadu, applications))
    ratios = [t / r for t, r in zip(terpadu_times, raw_times)]
    return (
        statistics.median(raw_times),
        statistics.median(terpadu_times),
        statistics.median(ratios),
    )


class Report:
    def __init__(self):
        self.figures: dict[str, Any] = dict.fromkeys(KEYS)

    def line(self, text_: str) -> None:
        print(text_, flush=True)

    def figure(
        self, key: str, value: float, target: str, met: bool | None, detail: str = ""
    ):
        self.figures[key] = round(value, 3)
        verdict = {True: "met", False: "MISSED", None: ""}[met]
        self.line(
            f"{key:28} {value:10.3f}   target {target:10} {verdict}"
            + (f"   ({detail})" if detail else "")
        )

    def missing(self, key: str, reason: str) -> None:
        self.line(f"{key:28} {'null':>10}   not measured: {reason}")


def waiting_per_call(terpadu: Terpadu, applications: int) -> float:
    """Seconds per call spent waiting on PostgreSQL, inside the calls only."""
    calls, waited_s = 0, 0.0
    with time_waiting() as waited:
        for _ in range(applications):
            # The calls' clock is the waiting so far: each call adds its own.
            made, took = terpadu.application(clock=lambda: waited.seconds)
            calls, waited_s = calls + made, waited_s + took
    return waited_s / calls


def measure_step_cost(report, db, plan, raw, terpadu):
    raw_s, terpadu_s, ratio = side_by_side(raw, terpadu, plan, plan.applications)
    report.figure(
        "step_cost_ratio",
        ratio,
        "<= 2.0",
        ratio <= 2.0,
        f"Terpadu {terpadu_s * 1e3:.2f} ms vs raw {raw_s * 1e3:.2f} ms per call, "
        "PostgreSQL, reference permit",
    )
    waiting_s = waiting_per_call(terpadu, plan.applications)
    report.line(
        f"  of which waiting on PostgreSQL {waiting_s * 1e3:.2f} ms per call (its "
        f"round trips, the durable COMMIT among them); with no Python beyond the "
        f"raw library's the ratio would still be {(raw_s + waiting_s) / raw_s:.2f}"
    )


def measure_statements(report, db, terpadu):
    """The engine's own share: its calls alone, without the API and workers."""
    with count_statements() as counter:
        calls, _ = terpadu.application()
    report.line(
        f"  engine alone: {counter.statements} statements and {counter.commits} "
        f"commits per application ({calls} calls, "
        f"{counter.statements / calls:.1f} statements per call)"
    )


def measure_api_statements(report, plan, database):
    counted = count_per_application(database, plan.counted_applications)
    report.figure(
        "statements_per_application",
        counted.statements,
        "(count)",
        None,
        f"{counted.commits:.0f} commits, {counted.requests:.0f} requests; "
        "through the API with jobs in-process, everything an application costs",
    )


def _terpadu_bytes(db, instance_id: int) -> int:
    with db.connect() as connection:
        return connection.scalar(
            text(
                "SELECT (SELECT octet_length(state) FROM instances WHERE id = :id)"
                " + coalesce((SELECT sum(pg_column_size(t.*)) FROM tasks t"
                "             WHERE instance_id = :id), 0)"
            ),
            {"id": instance_id},
        )


def measure_state_bytes(report, db, raw, terpadu):
    raw_sizes, ours = [], []
    raw.application(on_call=lambda saved: raw_sizes.append(len(saved.encode())))
    terpadu.application(on_call=lambda i: ours.append(_terpadu_bytes(db, i)))
    ratio = sum(ours) / sum(raw_sizes)
    report.figure(
        "state_bytes_ratio",
        ratio,
        "<= 0.5",
        ratio <= 0.5,
        f"{statistics.mean(ours):.0f} B (state + task rows) vs raw JSON "
        f"{statistics.mean(raw_sizes):.0f} B, mean after each call",
    )


def measure_length(report, db, plan):
    per_call = {}
    for steps in (10, 50):
        pid, bpmn = sequential_flow(steps)
        deploy_diagram(db, f"{pid}.bpmn", bpmn)
        raw = RawLibrary(bpmn, pid, {}, no_data)
        terpadu = Terpadu(db, pid, {}, no_data)
        applications = plan.applications if steps == 10 else plan.long_applications
        per_call[steps] = side_by_side(raw, terpadu, plan, applications)
        report.line(
            f"  sequential {steps:2} steps: Terpadu "
            f"{per_call[steps][1] * 1e3:.2f} ms, raw {per_call[steps][0] * 1e3:.2f} ms "
            "per step"
        )

    raw_ratio = per_call[50][0] / per_call[10][0]
    ratio = per_call[50][1] / per_call[10][1]
    report.line(
        f"  Terpadu / raw per step: 10 steps {per_call[10][2]:.2f}, "
        f"50 steps {per_call[50][2]:.2f}"
    )
    report.figure(
        "length_ratio",
        ratio,
        "<= 2",
        ratio <= 2,
        f"50 / 10 steps; raw library's own ratio {raw_ratio:.2f}",
    )


def measure_scale(report, db, plan, raw, terpadu):
    template = terpadu.start()
    terpadu.complete(*terpadu.open_tasks(template)[0])
    results = {}
    for size in (plan.small_population, plan.large_population):
        began = time.perf_counter()
        population.grow(db, template, size)
        report.line(
            f"  stored {population.stored_instances(db):,} instances "
            f"({time.perf_counter() - began:.1f} s to generate)"
        )
        results[size] = side_by_side(raw, terpadu, plan, plan.applications)
        report.line(
            f"  per call at {size:,}: Terpadu {results[size][1] * 1e3:.2f} ms, "
            f"raw {results[size][0] * 1e3:.2f} ms"
        )

    small, large = results[plan.small_population], results[plan.large_population]
    ratio = large[1] / small[1]
    report.figure(
        "scale_ratio",
        ratio,
        "<= 1.2",
        ratio <= 1.2,
        f"{plan.large_population:,} vs {plan.small_population:,} stored; "
        f"relative to raw measured alongside: {large[2] / small[2]:.2f}",
    )


def measure_http(report, plan):
    """Load test, worker memory and the inbox read, all against gunicorn."""
    redis_url = redis_for_bench()
    setup = (
        "gunicorn -w 2 --threads 4 and one rq worker (Redis)"
        if redis_url
        else "gunicorn -w 2 --threads 4, jobs in-process (no Redis)"
    )
    with api_database() as database:
        with (
            gunicorn(database.url, redis_url=redis_url) as server,
            rq_worker(database.url, redis_url) if redis_url else nullcontext() as jobs,
        ):
            deploy_reference(server.port, database, REFERENCE)

            def servers() -> dict[str, list[int]]:
                api = [server.process.pid, *localservers.children(server.process.pid)]
                return {
                    "gunicorn": api,
                    "PostgreSQL": postgres_pids(),
                    "rq worker": [jobs.pid] if jobs else [],
                }

            measure_load(report, plan, server, database, setup, servers)
            measure_inbox(report, plan, database, server.port)
        # Counted once the servers have stopped, so no rq worker or tick of
        # theirs relays the counted applications' jobs.
        measure_api_statements(report, plan, database)


def measure_load(report, plan, server, database, setup, servers):
    load = run_load(
        server.port, database.tokens, HTTP_CLIENTS, plan.http_seconds, servers
    )
    report.figure(
        "http_applications_per_s",
        load.applications_per_s,
        ">= 100",
        load.applications_per_s >= 100,
        f"{HTTP_CLIENTS} client processes, {plan.http_seconds:.0f} s, "
        f"{setup}, {load.failures} failures",
    )
    report_cpu(report, load)
    report.figure(
        "completion_p95_ms",
        load.completion_p95_ms,
        "(latency)",
        None,
        f"p50 {load.completion_p50_ms:.1f} ms over {load.completions} task completions",
    )
    rss = server.worker_rss_mb()
    report.figure(
        "api_rss_mb",
        max(rss),
        "<= 100",
        max(rss) <= 100,
        "workers: " + ", ".join(f"{r:.0f} MB" for r in rss),
    )


def report_cpu(report, load) -> None:
    """Where an application's CPU goes, and the rate this machine's cores allow."""
    spent = load.cpu_ms_per_application
    total = sum(spent.values())
    cores = os.cpu_count() or 1
    report.line(
        "  CPU per application: "
        + ", ".join(f"{kind} {ms:.1f} ms" for kind, ms in spent.items())
        + f"; {total:.1f} ms in all, so {cores} cores hold at most "
        f"{cores * 1e3 / total:.0f} applications/s"
    )


def measure_inbox(report, plan, database, port):
    began = time.perf_counter()
    inbox.grow_tasks(database.url, plan.inbox_tasks)
    total, ready = inbox.counts(database.url)
    report.line(
        f"  stored {total:,} tasks, {ready:,} ready at DPMPTSP "
        f"({time.perf_counter() - began:.1f} s to generate)"
    )
    officer = database.officer(OFFICERS[0])
    p50, p95 = inbox.time_inbox(port, officer)
    report.figure(
        "inbox_p95_ms",
        p95,
        "<= 10",
        p95 <= 10,
        f"p50 {p50:.1f} ms; ready tasks by deadline, 50 a page",
    )
    console_p50, console_p95 = inbox.time_inbox(port, officer, inbox.CONSOLE_INBOX)
    report.line(
        f"  as the console reads it (ready and claimed, 100 a page): "
        f"p50 {console_p50:.1f} ms, p95 {console_p95:.1f} ms"
    )


def measure_sweep(report, plan):
    with bench_database(private_name("sweep")) as db:
        deploy_diagram(db, REFERENCE.name, REFERENCE.read_bytes())
        template = Terpadu(db, "permit", START_DATA, permit_data).start()
        began = time.perf_counter()
        grow_open_tasks(db, template, plan.sweep_tasks)
        report.line(
            f"  {plan.sweep_tasks:,} open tasks with clocks "
            f"({time.perf_counter() - began:.1f} s to generate)"
        )
        seconds, outcome, catch_up_seconds, catch_up = time_sweep(db, rounds=3)
    report.line(
        f"  catch-up sweep: {catch_up_seconds:.2f} s; "
        f"{catch_up.tasks_breached:,} tasks breached, "
        f"{catch_up.tasks_at_risk:,} at risk, "
        f"{catch_up.escalations:,} escalations written"
    )
    report.figure(
        "sweep_s",
        seconds,
        "<= 1",
        seconds <= 1,
        f"steady sweep 10 min later, median of 3, rolled back; "
        f"{outcome.tasks_breached:,} newly breached, "
        f"{outcome.tasks_at_risk:,} newly at risk, "
        f"{outcome.escalations:,} escalations",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    for name in ("spiff", "spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn"):
        logging.getLogger(name).setLevel(logging.WARNING)

    report = Report()
    report.line(f"Terpadu benchmark ({'quick' if args.quick else 'full'}): {plan}")
    began = time.perf_counter()
    bpmn = REFERENCE.read_bytes()
    with bench_database() as db:
        deploy_diagram(db, REFERENCE.name, bpmn)
        raw = RawLibrary(bpmn, "permit", START_DATA, permit_data)
        terpadu = Terpadu(db, "permit", START_DATA, permit_data)
        measure_step_cost(report, db, plan, raw, terpadu)
        measure_statements(report, db, terpadu)
        measure_state_bytes(report, db, raw, terpadu)
        measure_length(report, db, plan)
        measure_scale(report, db, plan, raw, terpadu)
    measure_sweep(report, plan)
    measure_http(report, plan)
    report.line(f"took {time.perf_counter() - began:.1f} s")
    print(json.dumps(report.figures), flush=True)


if __name__ == "__main__":
    main()
