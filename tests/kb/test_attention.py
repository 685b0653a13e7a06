"""The attention experiment at CI size on the CPU, with the real harness and runner checks."""

from __future__ import annotations

import math

import pytest
import torch
from support.declared import assert_reports_its_metrics

EXPERIMENT = "attention"  # the spec, entry and module fixtures (conftest) load it


@pytest.fixture(scope="module")
def results(ci_results):
    return {(backend, n, causal): m for (backend, n, causal, _tokens), m in ci_results.items()}


def test_ci_size_is_small_and_full_size_is_the_gpu_grid(spec):
    assert {p["seq_len"] for p in spec.points("ci")} == {64, 128}
    full = spec.points("full")
    assert {p["seq_len"] for p in full} == {512, 1024, 2048, 4096, 8192, 16384}
    assert {p["backend"] for p in full} == {"math", "flash", "efficient", "cudnn"}
    assert {p["tokens"] for p in full} == {16384}


def test_every_point_passes_the_runner_checks(spec, results):
    for point, metrics in results.items():
        assert_reports_its_metrics(spec, metrics, point)


def test_backends_without_a_cpu_kernel_are_skipped_with_a_reason(results):
    for backend in ("efficient", "cudnn"):
        metrics = results[(backend, 64, False)]
        assert metrics["skipped"].startswith(f"PyTorch has no {backend} kernel")
        assert metrics["tflops"] is None and metrics["rel_error"] is None and metrics["batch"] == 4


@pytest.mark.parametrize("backend", ["math", "flash"])
def test_measured_points(module, results, backend):
    for (b, n, causal), m in results.items():
        if b != backend:
            continue
        assert m["skipped"] is None and m["extra_memory"] is None  # no allocator statistics on a CPU
        # bf16 output rounding alone is ~1.5e-3; an fp32 run would land near 1e-7
        assert 5e-4 < m["rel_error"] < 5e-3, (b, n, causal, m["rel_error"])
        t, rate = m["time"], m["tflops"]
        assert 0 < t.low <= t.value <= t.high and t.reps >= 5
        flops = module.forward_flops(m["batch"], n, causal)
        assert math.isclose(rate.value, flops / t.value / 1e12, rel_tol=1e-12)


def test_flops_count_two_products_and_a_causal_mask_halves_them(module):
    assert module.forward_flops(2, 64, False) == 4 * 2 * module.HEADS * 64**2 * module.HEAD_DIM
    assert module.forward_flops(2, 64, True) == module.forward_flops(2, 64, False) / 2
    assert module.shape(512, 16384) == (32, module.HEADS, 512, module.HEAD_DIM)
    assert module.shape(16384, 256)[0] == 1


def test_the_float64_reference_is_attention(module):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 2, 5, 3, generator=g, dtype=torch.float64) for _ in range(3))
    full = module.reference(q, k, v, causal=False)
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(full, expected, rtol=0, atol=1e-12)
    causal = module.reference(q, k, v, causal=True)
    assert torch.equal(causal[..., 0, :], v[..., 0, :])  # the first query sees only the first key
    assert not torch.allclose(causal, full)


def test_a_non_finite_output_fails_the_point(module):
    out = torch.ones(2, 2)
    out[0, 1] = float("nan")
    with pytest.raises(FloatingPointError, match="1 non-finite entries of 4"):
        module.relative_error(out, torch.ones(2, 2, dtype=torch.float64))
