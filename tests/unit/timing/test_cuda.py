"""The harness on CUDA: GPU timing and the measured ceilings.

These need a CUDA GPU and are skipped without one; run them on a GPU machine with
``python -m pytest -q tests/unit/timing/test_cuda.py``. None of them asserts on a time: they
check that the right engine ran, that every call was made and every input used.
"""

from __future__ import annotations

import math

import pytest
import torch

from cortex.timing import Harness

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.fixture(scope="module")
def bench() -> Harness:
    return Harness("cuda")


def test_the_event_loop_warms_up_and_rotates_inputs(bench: Harness):
    seen: list[int] = []
    x = torch.randn(1024, device="cuda")

    def fn(i: int) -> None:
        seen.append(i)
        x.mul_(1.0)

    timing = bench.time(fn, inputs=[(0,), (1,), (2,)], warmup=2, reps=7)
    assert timing.method == "cuda-events" and timing.reps == 7
    assert seen == [0, 1, 0, 1, 2, 0, 1, 2, 0]
    assert 0 < timing.q1_s <= timing.median_s <= timing.q3_s


def test_a_flushed_timing_is_taken_by_do_bench_when_triton_is_there(bench: Harness):
    pytest.importorskip("triton")
    a = torch.randn(256, 256, device="cuda")
    assert bench.time(torch.mm, inputs=[(a, a)], flush_l2=True).method == "triton.do_bench"
    assert (
        Harness("cuda", engine="events").time(torch.mm, inputs=[(a, a)], flush_l2=True).method
        == "cuda-events"
    )


def test_ceilings_cover_copy_bandwidth_and_every_gemm_dtype(bench: Harness):
    ceilings = bench.ceilings()
    assert ceilings["device_name"] == torch.cuda.get_device_name()
    assert math.isfinite(ceilings["copy_GBps"]) and ceilings["copy_GBps"] > 0
    names = {"float32", "tf32", "float16", "bfloat16"}
    if torch.cuda.get_device_capability() >= (8, 9):
        names.add("float8_e4m3fn")
    assert names <= set(ceilings["gemm_TFLOPs"])
    assert all(math.isfinite(v) and v > 0 for v in ceilings["gemm_TFLOPs"].values())
    assert bench.ceilings() is ceilings  # measured once per harness
