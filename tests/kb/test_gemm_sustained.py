"""The sustained-GEMM experiment at CI size on the CPU: phases, rates and the NVML-free path."""

from __future__ import annotations

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
    assert metrics["skipped"] is None and metrics["batches"] >= 2
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


def test_batches_run_for_the_requested_time_and_grow_to_the_batch_length(module):
    import time

    import torch

    start = time.perf_counter()
    calls = []
    batches = module.run_batches(
        lambda: calls.append(time.sleep(0.001)), (), 0.3, torch.device("cpu"), start, 1
    )
    assert 0.3 <= batches[-1].end_s < 0.3 + 3 * module.BATCH_S
    assert sum(b.calls for b in batches) == len(calls)
    assert batches[0].calls == 1
    # resized from each finished batch's own rate: about BATCH_S each, never overshooting
    assert all(0.5 * module.BATCH_S < b.seconds < 2 * module.BATCH_S for b in batches[1:-1])


def test_the_first_batch_size_comes_from_ten_timed_calls(module):
    import time

    calls = module.calls_per_batch(lambda: time.sleep(0.005), (), lambda: None)
    assert 0.4 * module.BATCH_S / 0.005 < calls <= module.BATCH_S / 0.005


def test_a_burst_times_every_call_back_to_back(module):
    import time

    import torch

    calls = module.burst(lambda: time.sleep(0.002), (), 0.05, torch.device("cpu"))
    ends = [end for end, _ in calls]
    assert len(calls) >= 10 and ends == sorted(ends) and ends[-1] >= 0.05
    assert all(0.002 <= duration < 0.05 for _, duration in calls)


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
