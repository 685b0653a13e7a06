"""Scaled dot-product attention: throughput, memory and accuracy of each PyTorch backend.

One parameter point is one (backend, seq_len, causal). The forward pass of
``torch.nn.functional.scaled_dot_product_attention`` is pinned to one backend with
``torch.nn.attention.sdpa_kernel``, timed with the project's harness, its extra device memory
read from the allocator's peak, and its output compared with a float64 attention of the same
(already bf16) inputs.
"""

from __future__ import annotations

import functools
import math
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml
from torch.nn.attention import SDPBackend, sdpa_kernel

SEED = 20261122
HEADS = 16
HEAD_DIM = 128  # 16 heads of 128: a 2048-wide model, as in the FlashAttention papers' benchmarks
DTYPE = torch.bfloat16
REFERENCE_HEADS = 2  # heads of the first sequence checked against float64 (bounds the reference's memory)
NO_KERNEL = ("No available kernel", "No viable backend")  # how CUDA and CPU builds refuse a backend
BACKENDS = {
    "math": SDPBackend.MATH,
    "flash": SDPBackend.FLASH_ATTENTION,
    "efficient": SDPBackend.EFFICIENT_ATTENTION,
    "cudnn": SDPBackend.CUDNN_ATTENTION,
}


@functools.cache
def declaration() -> dict:
    """This experiment's own front matter (read directly: the experiment imports no project module)."""
    text = Path(__file__).with_suffix(".md").read_text("utf-8")
    return yaml.safe_load(text.split("---", 2)[1])


def shape(seq_len: int, tokens: int) -> tuple[int, int, int, int]:
    """(batch, heads, seq_len, head_dim) holding ``tokens`` tokens in all, at least one sequence."""
    return max(1, tokens // seq_len), HEADS, seq_len, HEAD_DIM


def forward_flops(batch: int, seq_len: int, causal: bool) -> float:
    """Two matrix products of 2·N²·d each per head; a causal mask halves the useful work.

    The FlashAttention papers count the same way, so rates compare with theirs."""
    flops = 4.0 * batch * HEADS * seq_len**2 * HEAD_DIM
    return flops / 2 if causal else flops


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, backend: str, causal: bool) -> torch.Tensor:
    with sdpa_kernel([BACKENDS[backend]]):
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


def reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """softmax(q kᵀ / √d) v in float64, masked above the diagonal when causal."""
    q, k, v = q.double(), k.double(), v.double()
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if causal:
        n = scores.shape[-1]
        mask = torch.ones(n, n, dtype=torch.bool, device=scores.device).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def unavailable(q, k, v, backend: str, causal: bool) -> str | None:
    """Why PyTorch cannot run this backend on these inputs (its own warnings), or None."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            attention(q, k, v, backend, causal)
        except RuntimeError as exc:
            if not any(m in str(exc) for m in NO_KERNEL):
                raise
            reasons = [str(w.message).strip().splitlines()[0] for w in caught]
            return f"PyTorch has no {backend} kernel for these inputs" + (
                f": {reasons[0]}" if reasons else ""
            )
    return None


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    """‖out − ref‖_F / ‖ref‖_F, refusing outputs with non-finite entries."""
    bad = int((~torch.isfinite(out)).sum())
    if bad:
        raise FloatingPointError(f"attention output has {bad} non-finite entries of {out.numel()}")
    return float(torch.linalg.vector_norm(out.double() - ref) / torch.linalg.vector_norm(ref))


def extra_memory_mib(fn, device: torch.device) -> float | None:
    """Device memory one call allocates beyond its inputs at its peak (output included), in MiB."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    out = fn()
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device) - before
    del out
    return peak / 2**20


def inputs(point: dict, device: torch.device) -> tuple[int, torch.Generator, tuple[torch.Tensor, ...]]:
    """(batch, generator, (q, k, v)) for one point: bf16 standard normal, from a generator seeded
    per sequence length (returned, so that further random tensors follow on from it)."""
    batch, heads, n, d = shape(int(point["seq_len"]), int(point["tokens"]))
    generator = torch.Generator(device=device).manual_seed(SEED + n)
    qkv = tuple(
        torch.randn(batch, heads, n, d, generator=generator, device=device, dtype=DTYPE) for _ in range(3)
    )
    return batch, generator, qkv


def run(point: dict, bench) -> dict:
    """Entry point: time one backend's forward pass, and measure its memory and error."""
    backend, n, causal = point["backend"], int(point["seq_len"]), bool(point["causal"])
    device = torch.device(bench.device)
    batch, generator, (q, k, v) = inputs(point, device)

    reason = unavailable(q, k, v, backend, causal)
    if reason:
        return {**dict.fromkeys(declaration()["metrics"]), "skipped": reason, "batch": batch}

    out = attention(q, k, v, backend, causal)
    sl = (slice(0, 1), slice(0, REFERENCE_HEADS))
    error = relative_error(out[sl], reference(q[sl], k[sl], v[sl], causal))
    del out
    memory = extra_memory_mib(lambda: attention(q, k, v, backend, causal), device)
    timing = bench.time(attention, inputs=[(q, k, v, backend, causal)])
    rate = timing.rate(forward_flops(batch, n, causal) / 1e12)
    ceiling = bench.ceilings()["gemm_TFLOPs"].get("bfloat16")
    return {
        "time": timing.measurement(1.0),
        "tflops": rate,
        "frac_ceiling": rate.value / ceiling if ceiling else None,
        "extra_memory": memory,
        "rel_error": error,
        "batch": batch,
        "timing_method": timing.method,
        "skipped": None,
    }
