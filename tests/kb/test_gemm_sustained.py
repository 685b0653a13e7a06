"""The sustained-GEMM experiment at CI size on the CPU: phases, rates and the NVML-free path."""

from __future__ import annotations

import itertools

import pytest
from support.paths import REPO

from cortex.experiments.inputs import code_files
from cortex.runner.run import check_metrics
from cortex.timing import Harness

EXPERIMENT = "gemm_sustained"  # the spec, entry and module fixtures (conftest) load it


@pytest.fixture(scope="module")
def metrics(spec, entry):
    (point,) = spec.points("ci")
    return entry(point, Harness("cpu"))


def test_it_reuses_the_throughput_experiments_gemm_and_its_hash_covers_it(module):
    from gemm_throughput import make_operands

    assert module.make_operands is make_operands
    assert REPO / "experiments" / "gemm_throughput.py" in code_files(
        REPO / "experiments" / "gemm_sustained.py", REPO
    )


def test_the_ci_point_passes_the_runner_checks_and_reads_no_clocks_on_a_cpu(spec, module, metrics):
    assert set(metrics) == set(spec.metrics) == set(module.METRICS)
    assert check_metrics(spec, metrics)[1] == []
    assert (
        metrics["skipped"] is None and metrics["batches"] >= 1
    )  # how many fit in the time depends on the load
    assert metrics["tflops_first_s"] > 0 and metrics["tflops_sustained"] > 0
    assert metrics["sustained_over_first"] == pytest.approx(
        metrics["tflops_sustained"] / metrics["tflops_first_s"]
    )
    for name in (
        "sm_clock_first_s",
        "sm_clock_sustained",
        "power_sustained",
        "temperature_max",
        "slowdown_reasons",
    ):
        assert metrics[name] is None, name


class FakeClock:
    """``time`` for the experiment's module: a clock that moves only when a fake GEMM runs, so
    the timing logic is tested without depending on how busy the machine is."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(module, monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(module, "time", fake)
    return fake


def test_batches_run_for_the_requested_time_and_resize_from_the_last_ones_rate(module, clock):
    import torch

    calls = []
    cost = iter([0.001] * 60 + [0.004] * 10_000)  # the GEMM slows down mid-way

    def gemm():
        calls.append(1)
        clock.sleep(next(cost))

    batches = module.run_batches(gemm, (), 0.3, torch.device("cpu"), 0.0, 1)
    assert batches[-1].end_s >= 0.3 and sum(b.calls for b in batches) == len(calls)
    assert batches[0].calls == 1
    for before, after in itertools.pairwise(batches):  # each sized from the one before
        assert after.calls == max(1, round(before.calls * module.BATCH_S / before.seconds))
    assert batches[1].calls == round(module.BATCH_S / 0.001)  # a batch's worth at the first speed
    assert batches[-1].calls == round(module.BATCH_S / 0.004)  # and at the slower one


def test_the_first_batch_size_comes_from_ten_timed_calls(module, clock):
    assert module.calls_per_batch(lambda: clock.sleep(0.005), (), lambda: None) == round(
        module.BATCH_S / 0.005
    )


def test_a_burst_times_every_call_and_has_at_least_ten(module, clock):
    import torch

    calls = module.burst(lambda: clock.sleep(0.002), (), 0.05, torch.device("cpu"))
    assert len(calls) == 25 and [d for _, d in calls] == pytest.approx([0.002] * 25)
    assert [end for end, _ in calls] == pytest.approx([0.002 * (i + 1) for i in range(25)])
    slow = module.burst(lambda: clock.sleep(1.0), (), 0.05, torch.device("cpu"))  # a machine far slower
    assert len(slow) == module.MIN_BURST_CALLS  # enough calls for a peak rate all the same


def test_a_burst_peaks_after_the_idle_clock_rises_and_settles_after_the_peak(module):
    # with flops = 1e12, a call of 1 s runs at 1 TFLOP/s: slow (idle clock), fast, then sustained
    durations = [2.0] * 6 + [0.5] * 10 + [1.0] * 10
    ends = [sum(durations[: i + 1]) for i in range(len(durations))]
    calls = list(zip(ends, durations, strict=True))
    peak, settled = module.boost(calls, 1e12, sustained=1.0)
    assert peak == 2.0
    first_peak, first_sustained = 6 + 2, 16 + 2  # the first five-call windows with median 2, then 1
    assert settled == ends[first_sustained] - ends[first_peak]
    assert module.boost(calls[:16], 1e12, sustained=1.0) == (2.0, None)  # never came down
    assert module.boost(calls[:4], 1e12, sustained=1.0) == (None, None)  # too few calls for a rate
