"""The machine's measured ceilings: what a copy and a large GEMM reach on this device, in this run.

Experiments divide by these to report a fraction of the measured ceiling next to the
fraction of the datasheet figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from cortex.timing.harness import Harness

# (copy buffer bytes, square GEMM size) per device: large enough to reach the roof.
SIZES = {"cuda": (1 << 30, 8192), "cpu": (64 << 20, 1024)}
CUDA_GEMM_DTYPES = ("float32", "tf32", "float16", "bfloat16", "float8_e4m3fn")


def measure_ceilings(bench: Harness) -> dict:
    copy_bytes, n = SIZES[bench.device]
    dtypes = CUDA_GEMM_DTYPES if bench.device == "cuda" else ("float32",)
    gemm, errors, timings = {}, {}, {}
    for name in dtypes:
        try:
            timing = _time_gemm(bench, name, n)
        except (RuntimeError, TypeError, ValueError) as exc:  # e.g. fp8 before sm_89
            errors[name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
            continue
        gemm[name] = timing.rate(2 * n**3 / 1e12).value
        timings[f"gemm_{name}"] = timing.to_json()
    copy = _time_copy(bench, copy_bytes)
    timings["copy"] = copy.to_json()
    return {
        "device": bench.device,
        "device_name": bench.device_name,
        "copy_GBps": copy.rate(2 * copy_bytes / 1e9).value,  # read + write
        "copy_bytes": copy_bytes,
        "gemm_TFLOPs": gemm,
        "gemm_n": n,
        "unavailable": errors,
        "timings": timings,
    }


def _time_copy(bench: Harness, nbytes: int):
    src = torch.empty(nbytes, dtype=torch.uint8, device=bench.device).fill_(1)
    dst = torch.empty_like(src)
    timing = bench.time(dst.copy_, inputs=[(src,)], warmup=3, min_time_s=0.2)
    del src, dst
    return timing


def _time_gemm(bench: Harness, name: str, n: int):
    device = bench.device
    if name == "float8_e4m3fn":
        a = torch.randn(n, n, device=device).to(torch.float8_e4m3fn)
        b = torch.randn(n, n, device=device).to(torch.float8_e4m3fn).t()  # column-major operand
        one = torch.ones((), device=device)
        return bench.time(
            lambda x, y: torch._scaled_mm(x, y, scale_a=one, scale_b=one, out_dtype=torch.bfloat16),
            inputs=[(a, b)],
            min_time_s=0.2,
        )
    dtype = torch.float32 if name in ("float32", "tf32") else getattr(torch, name)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = name == "tf32"
    try:
        return bench.time(torch.mm, inputs=[(a, b)], min_time_s=0.2)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous
