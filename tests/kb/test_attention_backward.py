"""The attention backward experiment at CI size on the CPU, with the real harness and runner checks."""

from __future__ import annotations

import math

import pytest
import torch

from cortex.runner.run import check_metrics

EXPERIMENT = "attention_backward"  # the spec, entry and module fixtures (conftest) load it


@pytest.fixture(scope="module")
def results(ci_results):
    return {(backend, n, causal): m for (backend, n, causal, _tokens), m in ci_results.items()}


def test_it_shares_the_forward_experiments_grid(spec):
    from support.paths import REPO

    from cortex.experiments.declaration import load_experiment

    forward, _ = load_experiment(REPO / "experiments" / "attention.md", REPO)
    assert spec.points("full") == forward.points("full") and spec.points("ci") == forward.points("ci")


def test_every_point_passes_the_runner_checks(spec, module, results):
    for point, metrics in results.items():
        assert set(metrics) == set(spec.metrics) == set(module.METRICS), point
        assert check_metrics(spec, metrics)[1] == [], point


@pytest.mark.parametrize("backend", ["math", "flash"])
def test_measured_points(module, results, backend):
    measured = {(n, causal): m for (b, n, causal), m in results.items() if b == backend}
    assert len(measured) == 4 and all(m["extra_memory"] is None for m in measured.values())  # none on a CPU
    for (n, causal), m in measured.items():
        # bf16 gradients: a few times bf16's rounding; an fp32 run would land near 1e-7
        assert 5e-4 < m["rel_error"] < 1e-2, (backend, n, causal, m["rel_error"])
        work = module.BACKWARD_WORK * module.forward_flops(m["batch"], n, causal)
        assert math.isclose(m["tflops"].value, work / m["time"].value / 1e12, rel_tol=1e-12)


def test_backends_without_a_cpu_kernel_are_skipped_with_a_reason(results):
    for backend in ("efficient", "cudnn"):
        m = results[(backend, 64, True)]
        assert m["skipped"].startswith(f"PyTorch has no {backend} kernel") and m["rel_error"] is None


def test_reference_gradients_are_autograd_through_float64_attention(module):
    g = torch.Generator().manual_seed(1)
    q, k, v, grad = (torch.randn(1, 2, 5, 3, generator=g, dtype=torch.float64) for _ in range(4))
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    out = torch.nn.functional.scaled_dot_product_attention(*leaves, is_causal=True)
    expected = torch.autograd.grad(out, leaves, grad)
    for ours, theirs in zip(module.reference_grads(q, k, v, grad, causal=True), expected, strict=True):
        assert torch.allclose(ours, theirs, rtol=0, atol=1e-12)
