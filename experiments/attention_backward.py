"""The backward pass of scaled dot-product attention, per PyTorch backend.

The companion of the attention experiment (its shapes, backends, inputs and reference are
imported from it, so the two measure the same thing): one parameter point is one
(backend, seq_len, causal). The forward pass runs once with q, k and v requiring gradients;
then the gradients for a fixed random output gradient are timed, their extra device memory
read from the allocator's peak, and dq, dk and dv compared with float64 autograd through the
float64 reference attention.
"""

from __future__ import annotations

import torch
from attention import (
    NO_KERNEL,
    REFERENCE_HEADS,
    attention,
    extra_memory_mib,
    forward_flops,
    inputs,
    reference,
    relative_error,
    unavailable,
)

BACKWARD_WORK = 2.5  # five N x N products against the forward pass's two, as the FlashAttention papers count
REFERENCE = (slice(0, 1), slice(0, REFERENCE_HEADS))  # two heads of the first sequence
METRICS = ("time", "tflops", "frac_ceiling", "extra_memory", "rel_error", "batch", "timing_method", "skipped")


def reference_grads(q, k, v, grad, causal: bool) -> tuple[torch.Tensor, ...]:
    """dq, dk, dv of the float64 attention of the same inputs, for the output gradient ``grad``."""
    leaves = [t.detach().double().requires_grad_() for t in (q, k, v)]
    return torch.autograd.grad(reference(*leaves, causal), leaves, grad.double())


def timed_gradients(
    q, k, v, grad, backend: str, causal: bool, bench
) -> tuple[list[torch.Tensor], float, object]:
    """The gradients (for the reference check: two heads of the first sequence), the extra
    memory and the timing of the backward pass, repeated on one forward graph. The graph is
    freed on return, before the float64 reference builds its own."""
    q, k, v = (t.requires_grad_() for t in (q, k, v))
    out = attention(q, k, v, backend, causal)

    def step():
        return torch.autograd.grad(out, (q, k, v), grad, retain_graph=True)

    checked = [g[REFERENCE].clone() for g in step()]
    return checked, extra_memory_mib(step, q.device), bench.time(step)


def measure(q, k, v, backend: str, causal: bool, bench, generator) -> dict:
    """Time, memory and the largest relative error of dq, dk and dv against float64."""
    grad = torch.randn(q.shape, generator=generator, device=q.device, dtype=q.dtype)  # out has q's shape
    checked, memory, timing = timed_gradients(q, k, v, grad, backend, causal, bench)
    s = REFERENCE
    expected = reference_grads(q[s], k[s], v[s], grad[s], causal)
    error = max(relative_error(g, r) for g, r in zip(checked, expected, strict=True))
    return {"timing": timing, "memory": memory, "error": error}


def run(point: dict, bench) -> dict:
    """Entry point: time one backend's backward pass, and measure its memory and gradient error."""
    backend, n, causal = point["backend"], int(point["seq_len"]), bool(point["causal"])
    device = torch.device(bench.device)
    batch, generator, (q, k, v) = inputs(point, device)
    skipped = dict.fromkeys(METRICS) | {"batch": batch}
    reason = unavailable(q, k, v, backend, causal)
    if reason:
        return skipped | {"skipped": reason}
    try:
        found = measure(q, k, v, backend, causal, bench, generator)
    except torch.OutOfMemoryError as exc:
        torch.cuda.empty_cache()
        return skipped | {"skipped": f"out of device memory: {str(exc).splitlines()[0]}"}
    except RuntimeError as exc:
        if not any(m in str(exc) for m in NO_KERNEL):
            raise
        return skipped | {"skipped": f"PyTorch has no {backend} backward kernel for these inputs"}
    timing = found["timing"]
    rate = timing.rate(BACKWARD_WORK * forward_flops(batch, n, causal) / 1e12)
    ceiling = bench.ceilings()["gemm_TFLOPs"].get("bfloat16")
    return {
        "time": timing.measurement(1.0),
        "tflops": rate,
        "frac_ceiling": rate.value / ceiling if ceiling else None,
        "extra_memory": found["memory"],
        "rel_error": found["error"],
        "batch": batch,
        "timing_method": timing.method,
        "skipped": None,
    }
