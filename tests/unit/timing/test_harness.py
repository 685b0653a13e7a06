"""The timing harness on CPU (its CUDA paths are exercised by bench/harness.py on a GPU)."""

from __future__ import annotations

import math

import pytest
import torch

from cortex.timing import Harness, Measurement, Timing, summarize


def test_summary_is_median_and_quartiles():
    t = summarize([5.0, 1.0, 3.0, 2.0, 4.0], "test")
    assert (t.median_s, t.q1_s, t.q3_s, t.reps, t.method) == (3.0, 2.0, 4.0, 5, "test")
    assert t.iqr_s == 2.0
    assert summarize([0.5], "one") == Timing(0.5, 0.5, 0.5, 1, "one")
    with pytest.raises(ValueError, match="no timing samples"):
        summarize([], "none")


def test_measurement_scales_and_rates():
    t = Timing(median_s=2e-3, q1_s=1e-3, q3_s=4e-3, reps=9, method="x")
    assert t.measurement(1e3) == Measurement(2.0, 1.0, 4.0, 9)
    rate = t.rate(8.0)  # 8 units of work: the slow quartile becomes the low rate
    assert (rate.value, rate.low, rate.high, rate.reps) == (4000.0, 2000.0, 8000.0, 9)
    assert rate.iqr == 6000.0
    assert Measurement.from_json(rate.to_json()) == rate
    assert not Measurement(math.nan, 1, 2, 3).is_finite()


def test_cpu_timing_warms_up_rotates_inputs_and_counts_reps():
    calls: list[int] = []
    bench = Harness("cpu")
    timing = bench.time(calls.append, inputs=[(0,), (1,), (2,)], warmup=2, reps=7)
    assert calls == [0, 1, 0, 1, 2, 0, 1, 2, 0]
    assert timing.reps == 7 and timing.method == "perf_counter"
    assert 0 < timing.q1_s <= timing.median_s <= timing.q3_s


def test_cpu_timing_fills_the_minimum_time_and_flushes_on_request():
    x = torch.ones(1000)
    timing = Harness("cpu").time(torch.sum, inputs=[(x,)], min_time_s=0.02, flush_l2=True)
    assert timing.reps >= 5
    assert timing.median_s > 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        Harness("tpu")
    with pytest.raises(TypeError):
        Harness("cpu").time(print, inputs=[[1, 2]])
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda"):
            Harness("cuda")


def test_cpu_ceilings_are_measured_once():
    bench = Harness("cpu")
    assert bench.measured_ceilings is None
    ceilings = bench.ceilings()
    assert ceilings["device"] == "cpu" and ceilings["copy_GBps"] > 0
    assert set(ceilings["gemm_TFLOPs"]) == {"float32"} and ceilings["gemm_TFLOPs"]["float32"] > 0
    assert bench.ceilings() is ceilings and bench.measured_ceilings is ceilings
