"""Run the soak: ``python -m soak [--seconds 600] [--rate N]``."""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import urllib.request
from contextlib import ExitStack

import psycopg

import localservers

from . import servers
from .memory import (
    FLAT_MIB_PER_MINUTE,
    Sampler,
    Summary,
    series,
    summarise,
    verdicts,
)
from .traffic import AGENCY, Plan, generate

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "terpadu_soak"
OFFICERS = 4


def main() -> int:
    args = _arguments()
    url = f"postgresql://postgres@127.0.0.1:5432/{args.database}"
    _create_database(args.database)
    try:
        _bootstrap(url)
        plan_tokens = _users(url)
        return _soak(url, plan_tokens, args)
    finally:
        _drop_database(args.database)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="requests a second; default: half a 10 s measured capacity",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--sample-seconds",
        type=float,
        default=30,
        help="how often to read the server processes' memory (default 30)",
    )
    parser.add_argument("--database", default=DATABASE)
    return parser.parse_args()


# -- the database and its users ---------------------------------------------------


def _create_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _flask(url: str, *arguments: str) -> str:
    """Run a ``flask --app wsgi`` command without Redis; return its output.

    Not in this process: without Redis the app starts an in-process tick
    thread, which would outlive the database this script drops at the end.
    """
    return localservers.flask_command(localservers.environment(url), *arguments)


def _bootstrap(url: str) -> None:
    _flask(url, "bootstrap")


def _users(url: str) -> tuple[str, list[str]]:
    """Create the counter clerk and the officers; return their tokens."""

    def token(name: str, *options: str) -> str:
        return _flask(url, "user", "create", name, *options).strip().splitlines()[-1]

    counter = token("soak-counter", "--role", "counter")
    officers = [
        token(f"soak-officer-{i}", "--role", "officer", "--agency", AGENCY)
        for i in range(OFFICERS)
    ]
    return counter, officers


def _kecamatan_digits() -> list[str]:
    from processes.residents import banyuwangi_kecamatan_codes

    return sorted(code.rsplit(".", 1)[1] for code in banyuwangi_kecamatan_codes())


# -- the soak ---------------------------------------------------------------------


def _soak(url: str, tokens: tuple[str, list[str]], args) -> int:
    redis_url = servers.redis_database()
    print(_mode_line(redis_url), flush=True)
    env = localservers.environment(url, redis_url)
    with ExitStack() as running:
        server, port = running.enter_context(servers.gunicorn(env, args.workers))
        worker = running.enter_context(servers.rq_worker(env)) if redis_url else None
        _warm(port, args.workers)
        sampler = Sampler(
            lambda: servers.processes(server.pid, worker and worker.pid),
            args.sample_seconds,
        )
        sampler.start()
        plan = Plan(port, tokens[0], tokens[1], _kecamatan_digits())
        results = _drive(plan, args)
        sampler.stop()
    code = _report(results)
    _report_memory(sampler, in_process=redis_url is None)
    return code


def _mode_line(redis_url: str | None) -> str:
    if redis_url:
        return (
            f"mode: production-like: gunicorn sync workers enqueue on Redis "
            f"({redis_url}, flushed); one rq worker (AppWorker, --with-scheduler) "
            "runs the agency queues and the periodic tick"
        )
    return (
        "mode: in-process (Redis does not answer on 127.0.0.1:6379): jobs and "
        "the periodic tick run inside the gunicorn workers"
    )


def _warm(port: int, workers: int) -> None:
    """Warm the workers (catalogue, specs) before the first reading."""
    for _ in range(workers * 2):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).close()


def _drive(plan: Plan, args) -> dict:
    """Run the load generator in its own process; it must end on its own."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    generator = context.Process(
        target=generate, args=(plan, args.seconds, args.rate, results)
    )
    generator.start()
    budget = args.seconds + (10 if args.rate is None else 0) + 60
    try:
        outcome = results.get(timeout=budget)
    finally:
        generator.join(timeout=30)
        if generator.is_alive():
            generator.terminate()
    return outcome


def _report(results: dict) -> int:
    statuses, latencies = results["statuses"], results["latencies"]
    total = sum(sum(by_status.values()) for by_status in statuses.values())
    conflicts = sum(s.get(409, 0) for s in statuses.values())
    errors = {
        operation: {
            code: n
            for code, n in by_status.items()
            if not 200 <= code < 300 and code != 409
        }
        for operation, by_status in statuses.items()
    }
    error_count = sum(sum(e.values()) for e in errors.values())
    client_failures = results.get("client_failures", {})
    if results["capacity"] is not None:
        print(f"capacity (closed loop, 10 s): {results['capacity']:.1f} requests/s")
    print(
        f"target rate: {results['rate']:.1f} requests/s for "
        f"{results['elapsed']:.0f} s; slots skipped (server too slow): "
        f"{results['skipped']}"
    )
    print(f"requests: {total} ({total / results['elapsed']:.1f}/s)")
    print(
        f"errors (non-2xx, 409 aside): {error_count} "
        f"({100 * error_count / max(total, 1):.2f}%) "
        f"{ {k: v for k, v in errors.items() if v} }"
    )
    print(f"expected 409s (a task claimed by another officer first): {conflicts}")
    if client_failures:
        print(f"load generator failures (not requests): {client_failures}")
    print(f"{'operation':<10} {'count':>7} {'p50 ms':>8} {'p95 ms':>8}  statuses")
    for operation in sorted(latencies):
        times = sorted(latencies[operation])
        counted = dict(sorted(statuses[operation].items()))
        print(
            f"{operation:<10} {len(times):>7} {_quantile(times, 0.5):>8.1f} "
            f"{_quantile(times, 0.95):>8.1f}  {counted}"
        )
    return 1 if error_count or client_failures else 0


def _quantile(times: list[float], q: float) -> float:
    if len(times) < 2:
        return 1000 * (times[0] if times else 0.0)
    return (
        1000
        * statistics.quantiles(times, n=100, method="inclusive")[round(q * 100) - 1]
    )


def _report_memory(sampler: Sampler, *, in_process: bool) -> None:
    """Print each process's RSS over time, then start, warm, end and slope."""
    samples, kinds = sampler.samples, sampler.kinds
    pids = sorted(kinds, key=lambda pid: (KIND_ORDER.index(kinds[pid]), pid))
    where = (
        "jobs and the periodic tick run inside the gunicorn workers, so there "
        "are no RQ worker processes to measure"
        if in_process
        else "jobs run in the rq worker, connector calls in a work horse it forks"
    )
    print(
        f"memory: {where}; RSS sampled every {sampler.interval:.0f} s from the "
        "soak's process (the first 10 s are the capacity measurement)"
    )
    labels = {pid: f"{kinds[pid]} {pid}" for pid in pids}
    print(f"{'t (s)':>7} " + " ".join(f"{labels[pid]:>18}" for pid in pids))
    for sample in samples:
        print(f"{sample.seconds:>7.0f} " + " ".join(_cell(sample, p) for p in pids))
    for pid in pids:
        summary = summarise(samples, pid)
        if summary is None:
            count = len(series(samples, pid))
            print(f"{labels[pid]}: too few samples ({count})")
            continue
        print(_summary_line(summary, labels[pid]))
    for kind, flat in verdicts(samples, kinds).items():
        if kind != servers.MASTER:
            print(_verdict_line(kind, flat))


# The report's order: the API's processes first, then the queue's.
KIND_ORDER = [servers.MASTER, servers.WORKER, servers.RQ_WORKER, servers.RQ_CHILD]


def _cell(sample, pid: int) -> str:
    if pid not in sample.memory:
        return f"{'-':>18}"
    return f"{sample.memory[pid]['Rss'] / 1024:>14.1f} MiB"


def _verdict_line(kind: str, flat: bool | None) -> str:
    verdict = {True: "flat", False: "GROWING", None: "not judged (too few samples)"}
    return (
        f"{kind} memory after warm-up: {verdict[flat]} (flat: second-half RSS "
        f"slope within {FLAT_MIB_PER_MINUTE} MiB/min)"
    )


def _summary_line(summary: Summary, label: str) -> str:
    return (
        f"{label}: RSS {summary.start:.1f} MiB at start, {summary.warm:.1f} "
        f"after warm-up (half-way), {summary.end:.1f} at end (peak "
        f"{summary.peak:.1f}); second-half slope {summary.slope:+.3f} MiB/min; "
        f"at end PSS {summary.pss_end:.1f}, anonymous {summary.anonymous_end:.1f} MiB"
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except localservers.LocalServerError as error:
        sys.exit(f"soak: {error}")
