"""Fused RMSNorm forward in Triton against PyTorch eager and torch.compile, on bf16 activations.

One parameter point is one (rows, hidden) shape. The Triton kernel in ``triton_kernels.py``
(one program per row, float32 reduction, one rounding to bf16 at the store) is timed with
the project's harness, L2 flushed before every repetition, next to
``torch.nn.functional.rms_norm`` in eager mode and the same function under ``torch.compile``;
each output is compared with the float32 formula on the same bf16 inputs.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch
import yaml
from triton_kernels import rmsnorm, rmsnorm_eager, rmsnorm_reference

SEED = 20260302
EPS = 1e-6


@functools.cache
def declaration() -> dict:
    text = Path(__file__).with_suffix(".md").read_text("utf-8")
    return yaml.safe_load(text.split("---")[1])


def make_inputs(rows: int, hidden: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard normal activations and a weight near 1 (1 + 0.1 · normal), both rounded to bf16."""
    generator = torch.Generator(device=device).manual_seed(SEED + rows * 100_003 + hidden)
    x = torch.randn(rows, hidden, generator=generator, device=device).to(torch.bfloat16)
    weight = (1 + 0.1 * torch.randn(hidden, generator=generator, device=device)).to(torch.bfloat16)
    return x, weight


def bytes_moved(rows: int, hidden: int) -> int:
    """The least a forward pass must move: read x and the weight, write y, two bytes each."""
    return 2 * (2 * rows * hidden + hidden)


def error_in_ulps(y: torch.Tensor, ref: torch.Tensor) -> float:
    """Largest |y − ref| in units of the bf16 spacing at ref: a correctly rounded output is
    within 0.5 everywhere. The spacing of bf16 (8 significant bits) in [2^(e−1), 2^e) is
    2^(e−8)."""
    _, exponent = torch.frexp(ref)
    ulp = torch.ldexp(torch.ones_like(ref), exponent - 8)
    return float(((y.float() - ref).abs() / ulp).max())


def compiled_rmsnorm():
    """``rmsnorm_eager`` under ``torch.compile`` for this shape, or (None, why not)."""
    try:
        torch._dynamo.reset()  # one compilation per shape, never the recompile limit's eager fallback
        return torch.compile(rmsnorm_eager, dynamic=False, fullgraph=True), None
    except Exception as exc:  # any failure to set up compilation is reported, not raised
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0]


def speedup(baseline, ours) -> float | None:
    return baseline.value / ours.value if baseline is not None else None


def run(point: dict, bench) -> dict:
    """Entry point: time the fused kernel, eager and compiled RMSNorm at one shape; their errors."""
    rows, hidden = int(point["rows"]), int(point["hidden"])
    if bench.device != "cuda":
        return {**dict.fromkeys(declaration()["metrics"]), "skipped": "the Triton kernel needs a CUDA GPU"}
    copy_gbps = bench.ceilings()["copy_GBps"]
    x, weight = make_inputs(rows, hidden, torch.device("cuda"))
    ref = rmsnorm_reference(x, weight, EPS)
    gigabytes = bytes_moved(rows, hidden) / 1e9

    def timed(fn):
        y = fn(x, weight, EPS)
        err = error_in_ulps(y, ref)
        del y
        timing = bench.time(fn, inputs=[(x, weight, EPS)], flush_l2=True)
        return timing, err

    ours, err = timed(rmsnorm)
    eager, err_eager = timed(rmsnorm_eager)
    compiled, why_not = compiled_rmsnorm()
    time_compile = err_compile = None
    if compiled is not None:
        try:
            time_compile, err_compile = timed(compiled)
        except Exception as exc:  # e.g. no working Inductor backend on this machine
            why_not = f"{type(exc).__name__}: {exc}".splitlines()[0]
    gbps = ours.rate(gigabytes)
    return {
        "time": ours.measurement(1e6),
        "gbps": gbps,
        "frac_copy": gbps.value / copy_gbps if copy_gbps else None,
        "time_eager": eager.measurement(1e6),
        "gbps_eager": eager.rate(gigabytes),
        "speedup_eager": speedup(eager.measurement(), ours.measurement()),
        "time_compile": time_compile.measurement(1e6) if time_compile else None,
        "speedup_compile": speedup(time_compile.measurement() if time_compile else None, ours.measurement()),
        "compile_skipped": why_not,
        "err_ulp": err,
        "err_ulp_eager": err_eager,
        "err_ulp_compile": err_compile,
        "timing_method": ours.method,
        "skipped": None,
    }
