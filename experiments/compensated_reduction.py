"""Compensated sum reduction on a GPU: bandwidth and accuracy of our Triton kernel.

One parameter point is one input dtype, one input distribution and one length n. The
Triton kernel in ``triton_kernels.py`` (per-lane Neumaier compensation, float32
accumulators, a compensated tree across lanes and programs) is timed with the project's
harness, L2 flushed before every repetition, next to its plain twin (same blocking, no
compensation) and ``torch.sum(x, dtype=torch.float32)``; all three results are compared
with a float64 sum of the same rounded inputs.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch
import yaml
from triton_kernels import compensated_sum, default_programs, plain_sum

SEED = 20260301
U = 2.0**-24  # unit roundoff of the float32 accumulators, for every input dtype
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
CANCELLING_MEAN = 1 / 2000  # as in the CPU experiment: a designed condition number of about 1000


@functools.cache
def declaration() -> dict:
    text = Path(__file__).with_suffix(".md").read_text("utf-8")
    return yaml.safe_load(text.split("---")[1])


def make_input(data: str, n: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Seeded inputs rounded to the dtype; everything is measured on the rounded values.

    *positive*: uniform on [0, 1) (κ = 1). *cancelling*: uniform on [−1, 1), shifted so that
    the mean of the drawn values is 1/2000 (κ near 1000)."""
    generator = torch.Generator(device=device).manual_seed(SEED + n)
    x = torch.rand(n, generator=generator, device=device, dtype=torch.float32)
    if data == "cancelling":
        x.mul_(2).sub_(1)
        x.sub_(float(x.sum(dtype=torch.float64)) / n - CANCELLING_MEAN)
    elif data != "positive":
        raise ValueError(f"unknown data {data!r}")
    return x.to(dtype)


def reference(x: torch.Tensor) -> tuple[float, float]:
    """(Σx, Σ|x|) in float64. Every input is exactly a float64; a float64 sum of n ≤ 2^30
    terms has an error of at most about log2(n) · 2^-53 · Σ|x|, some 10^-7 of the u·Σ|x|
    the metrics are counted in."""
    return float(x.sum(dtype=torch.float64)), float(x.abs().sum(dtype=torch.float64))


def errors(computed: float, exact: float, magnitude: float) -> tuple[float, float]:
    """(|error| in units of u·Σ|x|, relative error |error| / |Σx|)."""
    error = abs(computed - exact)
    return error / (U * magnitude), error / abs(exact)


def torch_sum(x: torch.Tensor) -> torch.Tensor:
    """The library's reduction with the same float32 accumulator and output as the kernels."""
    return x.sum(dtype=torch.float32)


def fraction(value: float, ceiling: float | None) -> float | None:
    return value / ceiling if ceiling else None


def run(point: dict, bench) -> dict:
    """Entry point: time the three reductions of one (dtype, data, n) and measure their errors."""
    dtype, data, n = DTYPES[point["dtype"]], point["data"], int(point["n"])
    if bench.device != "cuda":
        return {**dict.fromkeys(declaration()["metrics"]), "skipped": "the Triton kernels need a CUDA GPU"}
    device = torch.device("cuda")
    copy_gbps = bench.ceilings()["copy_GBps"]
    x = make_input(data, n, dtype, device)
    exact, magnitude = reference(x)

    metrics: dict = {"kappa": magnitude / abs(exact), "programs": default_programs(x), "skipped": None}
    gigabytes = n * x.element_size() / 1e9  # each element is read once
    for suffix, fn in (("", compensated_sum), ("_plain", plain_sum), ("_torch", torch_sum)):
        result = fn(x)
        value = float(result)
        if not torch.isfinite(result):
            raise FloatingPointError(f"{fn.__name__} returned {value}")
        metrics[f"err_units{suffix}"], metrics[f"rel_err{suffix}"] = errors(value, exact, magnitude)
        timing = bench.time(fn, inputs=[(x,)], flush_l2=True)
        gbps = timing.rate(gigabytes)
        metrics[f"time{suffix}"] = timing.measurement(1e6)
        metrics[f"gbps{suffix}"] = gbps
        metrics[f"frac_copy{suffix}"] = fraction(gbps.value, copy_gbps)
    metrics["timing_method"] = timing.method
    del x
    return metrics
