"""Dense square GEMM throughput and accuracy by dtype: fp32, tf32, fp16, bf16 and fp8.

One parameter point is one (dtype, n). The product is timed with the project's harness and
checked against a float64 product of the same rounded (for fp8: quantized and rescaled)
operands, so the error measures the GEMM itself and not the rounding of its inputs.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

SEED = 20260101
FP8_MAX = torch.finfo(torch.float8_e4m3fn).max  # 448: the largest finite e4m3fn value
SMALL_N = 2048  # at or below this, rotate operand sets (and on a GPU flush L2) between repetitions
ROTATION_BYTES = 64 * 2**20  # operand bytes to cycle through for small problems
MAX_INPUT_SETS = 8


@dataclass(frozen=True)
class Operands:
    """Arguments of one GEMM call, and the float64 matrices they stand for."""

    args: tuple
    a64: torch.Tensor
    b64: torch.Tensor


# names used by the harness's ceilings for the same GEMMs
CEILING_NAME = {
    "fp32": "float32",
    "tf32": "tf32",
    "fp16": "float16",
    "bf16": "bfloat16",
    "fp8": "float8_e4m3fn",
}
STORAGE = {
    "fp32": torch.float32,
    "tf32": torch.float32,
    "fp16": torch.float16,
    "bf16": torch.bfloat16,
    "fp8": torch.float8_e4m3fn,
}


def not_applicable(dtype: str, device: torch.device) -> str | None:
    """Why this dtype cannot run on this device, or None when it can."""
    if dtype == "tf32" and device.type != "cuda":
        return "tf32 is a CUDA tensor-core mode; on CPU the point would repeat fp32"
    if dtype == "fp8" and device.type == "cuda" and torch.cuda.get_device_capability(device) < (8, 9):
        return "fp8 _scaled_mm needs CUDA sm_89 or newer"
    return None


@contextlib.contextmanager
def fp32_matmul_precision(dtype: str) -> Iterator[None]:
    """Let float32 matmuls use tf32 tensor cores only for the tf32 points.

    Uses the same switch as the harness's ceilings: torch refuses to read it once the newer
    ``fp32_precision`` API has been used in the process."""
    backend = torch.backends.cuda.matmul
    before = backend.allow_tf32
    backend.allow_tf32 = dtype == "tf32"
    try:
        yield
    finally:
        backend.allow_tf32 = before


def random_matrix(n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """Standard normal entries (never all zeros), float32."""
    return torch.randn(n, n, generator=generator, device=device, dtype=torch.float32)


def quantize_fp8(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-tensor e4m3fn quantization: x ~= q * scale, with amax mapped to FP8_MAX."""
    scale = (x.abs().amax() / FP8_MAX).to(torch.float32)
    q = (x / scale).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)
    return q, scale


def make_operands(dtype: str, n: int, generator: torch.Generator, device: torch.device) -> Operands:
    a, b = random_matrix(n, generator, device), random_matrix(n, generator, device)
    if dtype != "fp8":
        a, b = a.to(STORAGE[dtype]), b.to(STORAGE[dtype])
        return Operands((a, b), a.double(), b.double())
    qa, sa = quantize_fp8(a)
    # cuBLASLt's fp8 GEMM wants the second operand column-major: store B^T row-major, pass its transpose.
    qbt, sb = quantize_fp8(b.t().contiguous())
    qb = qbt.t()
    return Operands((qa, qb, sa, sb), qa.double() * sa.double(), qb.double() * sb.double())


def gemm_for(dtype: str) -> Callable[..., torch.Tensor]:
    if dtype == "fp8":
        return lambda a, b, sa, sb: torch._scaled_mm(a, b, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16)
    return torch.mm


def relative_error(c: torch.Tensor, reference: torch.Tensor) -> float:
    """||C - C_ref||_F / ||C_ref||_F, refusing products with non-finite entries."""
    bad = int((~torch.isfinite(c)).sum())
    if bad:
        raise FloatingPointError(f"GEMM output has {bad} non-finite entries of {c.numel()}")
    c64 = c.double()
    return float(torch.linalg.matrix_norm(c64 - reference) / torch.linalg.matrix_norm(reference))


def input_set_count(dtype: str, n: int) -> int:
    if n > SMALL_N:
        return 1
    pair_bytes = 2 * n * n * STORAGE[dtype].itemsize
    return max(1, min(MAX_INPUT_SETS, math.ceil(ROTATION_BYTES / pair_bytes)))


@functools.cache
def declaration() -> dict:
    """This experiment's own front matter, for its metric names and datasheet baselines (read
    directly, so the experiment depends on no project module; the workflow has validated it)."""
    text = Path(__file__).with_suffix(".md").read_text("utf-8")
    return yaml.safe_load(text.split("---", 2)[1])


def datasheet_peaks() -> dict[str, float]:
    """Dense TFLOP/s per dtype from the declared ``tflops`` baselines."""
    return {
        b["point"]["dtype"]: float(b["value"])
        for b in declaration().get("baselines", [])
        if b.get("metric") == "tflops" and "dtype" in (b.get("point") or {})
    }


def is_datasheet_device(name: str) -> bool:
    """The baselines are the H100 SXM datasheet's; PCIe and NVL boards have lower peaks."""
    return "H100" in name and not any(other in name for other in ("PCIe", "NVL"))


def fraction(value: float, reference: float | None) -> float | None:
    return value / reference if reference else None


def run(point: dict, bench) -> dict:
    """Entry point: time one (dtype, n) GEMM and measure its error against float64."""
    dtype, n = point["dtype"], int(point["n"])
    device = torch.device(bench.device)
    reason = not_applicable(dtype, device)
    if reason:
        return {**dict.fromkeys(declaration()["metrics"]), "skipped": reason}
    ceiling = bench.ceilings()["gemm_TFLOPs"].get(CEILING_NAME[dtype])
    peak = datasheet_peaks().get(dtype) if is_datasheet_device(bench.device_name) else None

    generator = torch.Generator(device=device).manual_seed(SEED + n)
    sets = [make_operands(dtype, n, generator, device) for _ in range(input_set_count(dtype, n))]
    gemm = gemm_for(dtype)
    with fp32_matmul_precision(dtype):
        error = relative_error(gemm(*sets[0].args), sets[0].a64 @ sets[0].b64)
        # the harness flushes by rewriting 256 MiB: right for a GPU's L2, ruinous per CPU repetition
        flush = device.type == "cuda" and n <= SMALL_N
        timing = bench.time(gemm, inputs=[s.args for s in sets], flush_l2=flush)
    del sets

    tflops = timing.rate(2 * n**3 / 1e12)
    return {
        "time": timing.measurement(1.0),
        "tflops": tflops,
        "frac_peak": fraction(tflops.value, peak),
        "frac_ceiling": fraction(tflops.value, ceiling),
        "rel_error": error,
        "input_sets": input_set_count(dtype, n),
        "timing_method": timing.method,
        "skipped": None,
    }
