"""The soak's memory sampling: reading /proc, the summary and the slope."""

from __future__ import annotations

import os

import pytest

from soak.memory import (
    FLAT_MIB_PER_MINUTE,
    Sample,
    Sampler,
    slope,
    summarise,
    verdicts,
)
from soak.servers import processes


def _samples(rss_mib: list[float], pid: int = 7, every: float = 30.0) -> list:
    return [
        Sample(i * every, {pid: {"Rss": int(m * 1024), "Pss": 1024, "Anonymous": 512}})
        for i, m in enumerate(rss_mib)
    ]


def test_slope_of_a_line_and_of_too_few_points():
    assert slope([(0, 1.0), (1, 3.0), (2, 5.0)]) == pytest.approx(2.0)
    assert slope([(0, 1.0)]) == 0.0
    assert slope([(5, 1.0), (5, 2.0)]) == 0.0


def test_growth_during_warm_up_alone_is_flat():
    summary = summarise(_samples([100, 110, 112, 112, 112, 112, 112]), 7)

    assert (summary.start, summary.warm, summary.end) == (100, 112, 112)
    assert summary.slope == 0.0
    assert summary.flat


def test_growth_after_warm_up_is_reported_per_minute():
    # 0.5 MiB every 30 s over the second half: 1 MiB a minute.
    summary = summarise(_samples([100, 110, 110, 110, 110.5, 111, 111.5]), 7)

    assert summary.slope == pytest.approx(1.0)
    assert summary.slope > FLAT_MIB_PER_MINUTE
    assert not summary.flat
    assert (summary.pss_end, summary.anonymous_end) == (1.0, 0.5)


def test_a_process_sampled_too_rarely_has_no_summary():
    assert summarise(_samples([100, 101, 102]), 7) is None
    assert summarise(_samples([100, 101, 102, 103, 104]), 8) is None


def test_sampler_reads_this_process_and_skips_one_that_is_gone():
    sampler = Sampler(lambda: {os.getpid(): "worker", 2**22 + 1: "rq child"}, 60)
    sampler.start()
    sampler.stop()

    assert len(sampler.samples) == 2
    for sample in sampler.samples:
        assert list(sample.memory) == [os.getpid()]
        memory = sample.memory[os.getpid()]
        assert memory["Rss"] >= memory["Anonymous"] > 0
    assert sampler.kinds == {os.getpid(): "worker"}


def test_a_kind_is_flat_only_when_every_process_of_it_is():
    steady = _samples([100, 101, 100, 101, 100, 101], pid=1)
    growing = _samples([100, 110, 120, 130, 140, 150], pid=2)
    samples = [Sample(a.seconds, a.memory | b.memory) for a, b in zip(steady, growing)]

    assert verdicts(samples, {1: "worker", 2: "worker"}) == {"worker": False}
    assert verdicts(samples, {1: "worker", 2: "rq worker"}) == {
        "worker": True,
        "rq worker": False,
    }


def test_a_kind_seen_too_rarely_is_not_judged():
    samples = _samples([100, 101, 100, 101, 100, 101], pid=1)

    assert verdicts(samples, {1: "worker", 9: "rq child"}) == {
        "worker": True,
        "rq child": None,
    }


def test_processes_names_this_process_and_its_children():
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        kinds = processes(os.getpid(), None)
    finally:
        child.kill()
        child.wait()

    assert kinds[os.getpid()] == "master"
    assert kinds[child.pid] == "worker"
