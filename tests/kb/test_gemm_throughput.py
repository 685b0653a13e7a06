"""The GEMM throughput experiment at CI size on the CPU, with the real harness and runner checks."""

from __future__ import annotations

import math

import pytest
import torch
from support.paths import REPO

from cortex.runner.run import check_metrics
from cortex.timing import Harness

EXPERIMENT = "gemm_throughput"  # the spec, entry and module fixtures (conftest) load it
DECLARATION = REPO / "experiments" / f"{EXPERIMENT}.md"

# Relative Frobenius error bands. The floor shows the dtype really ran reduced (an fp16 GEMM
# done in fp32 would land near 1e-7); the ceiling is a few times the rounding estimate.
ERROR_BANDS = {"fp32": (1e-9, 1e-5), "fp16": (5e-5, 1e-3), "bf16": (5e-4, 5e-3), "fp8": (5e-4, 5e-3)}


@pytest.fixture(scope="module")
def results(spec, entry):
    bench = Harness("cpu")
    points = [p for p in spec.points("ci") if p["n"] <= 128]
    return {(p["dtype"], p["n"]): entry(p, bench) for p in points}


def test_ci_size_is_small_and_full_size_is_the_gpu_grid(spec):
    assert {p["n"] for p in spec.points("ci")} == {64, 128, 256}
    assert {p["n"] for p in spec.points("full")} == {512, 1024, 2048, 4096, 8192}
    assert {p["dtype"] for p in spec.points("full")} == {"fp32", "tf32", "fp16", "bf16", "fp8"}


def test_every_point_passes_the_runner_checks(spec, results):
    for point, metrics in results.items():
        assert set(metrics) <= set(spec.metrics), point
        _, problems = check_metrics(spec, metrics)
        assert problems == [], (point, problems)


def test_tf32_is_not_applicable_on_cpu(results):
    for n in (64, 128):
        metrics = results[("tf32", n)]
        assert "CUDA" in metrics["skipped"]
        assert all(v is None for k, v in metrics.items() if k != "skipped")


@pytest.mark.parametrize("dtype", list(ERROR_BANDS))
def test_measured_points(results, dtype):
    low, high = ERROR_BANDS[dtype]
    for n in (64, 128):
        m = results[(dtype, n)]
        assert m["skipped"] is None
        assert low < m["rel_error"] < high, (dtype, n, m["rel_error"])
        t, rate = m["time"], m["tflops"]
        assert 0 < t.low <= t.value <= t.high and t.reps >= 5
        assert math.isclose(rate.value, 2 * n**3 / t.value / 1e12, rel_tol=1e-12)
        assert rate.low <= rate.value <= rate.high
        assert m["frac_peak"] is None  # the datasheet is an H100's, not this CPU's
        assert m["timing_method"] == "perf_counter"
        assert m["input_sets"] >= 2  # small problems rotate operand sets
        if dtype == "fp32":  # the harness measures a float32 ceiling on CPU only
            assert m["frac_ceiling"] > 0
        else:
            assert m["frac_ceiling"] is None


def test_non_finite_products_never_pass(module):
    a = torch.full((64, 64), 300.0, dtype=torch.float16)  # each entry of a @ a is 5.76e6 > 65504
    c = torch.mm(a, a)
    assert not torch.isfinite(c).all()
    with pytest.raises(FloatingPointError, match="non-finite"):
        module.relative_error(c, a.double() @ a.double())
    b = torch.randn(64, 64)
    b[3, 5] = math.nan
    with pytest.raises(FloatingPointError):
        module.relative_error(torch.mm(b, b), torch.ones(64, 64, dtype=torch.float64))


def test_fp8_operands_are_scaled_and_column_major(module):
    n = 64
    ops = module.make_operands("fp8", n, torch.Generator().manual_seed(1), torch.device("cpu"))
    qa, qb, sa, sb = ops.args
    assert qa.dtype == qb.dtype == torch.float8_e4m3fn
    assert qb.stride() == (1, n)  # column-major second operand
    assert qa.float().abs().max().item() == 448 and qb.float().abs().max().item() == 448
    assert sa.dtype == sb.dtype == torch.float32 and sa.dim() == 0
    assert torch.equal(ops.a64, qa.double() * sa.double())


def test_rounded_operands_are_what_the_reference_sees(module):
    ops = module.make_operands("bf16", 32, torch.Generator().manual_seed(2), torch.device("cpu"))
    a, b = ops.args
    assert a.dtype == torch.bfloat16 and torch.equal(ops.a64, a.double()) and torch.equal(ops.b64, b.double())
    assert bool((a != 0).all())


def test_datasheet_peaks_come_from_the_declared_baselines(spec, module):
    declared = {b.point["dtype"]: b.value for b in spec.baselines}
    assert module.datasheet_peaks() == declared
    assert declared == {"fp32": 67, "tf32": 494.5, "fp16": 989.5, "bf16": 989.5, "fp8": 1979}
    assert all(b.cite == "nvidia2022h100" for b in spec.baselines)
    assert module.is_datasheet_device("NVIDIA H100 80GB HBM3")
    assert not module.is_datasheet_device("NVIDIA H100 PCIe")
    assert not module.is_datasheet_device("AMD EPYC 7763 64-Core Processor")
