"""Does the harness agree with `triton.testing.do_bench`?

For bf16 GEMMs and device copies from about 10 µs to a few ms, compares the harness's own
CUDA-event loop (L2 flushed between repetitions, as do_bench does) with do_bench's median,
and shows what a host clock around a synchronized call reads. Targets: within 5% for
kernels of 50 µs or more, within 15% at about 10 µs.

    python bench/harness.py

Prints one line per kernel (the ratio to do_bench, the anchor) and writes
bench/out/harness.json. Without CUDA and Triton it says it could not measure.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from cortex.timing.harness import Harness  # noqa: E402

OUT = REPO / "bench" / "out" / "harness.json"
GEMM_SIZES = (1024, 2048, 4096, 8192)
COPY_MIB = (16, 64, 256)


def unavailable() -> str | None:
    if not torch.cuda.is_available():
        return "no CUDA device (torch.cuda.is_available() is False)"
    try:
        import triton.testing  # noqa: F401
    except ImportError:
        return "Triton is not installed, so there is no do_bench to compare with"
    return None


def kernels():
    """(name, fn, args) for each kernel, its tensors made once."""
    for n in GEMM_SIZES:
        a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
        yield f"bf16 GEMM {n}^3", torch.mm, (a, b)
    for mib in COPY_MIB:
        src = torch.randn(mib * 2**20 // 4, device="cuda")
        dst = torch.empty_like(src)
        yield f"copy {mib} MiB", dst.copy_, (src,)


def host_clock_s(fn, args, reps: int = 50) -> float:
    """The naive way: a host clock around each call plus synchronize."""
    samples = []
    for _ in range(reps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn(*args)
        torch.cuda.synchronize()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    reason = unavailable()
    if reason:
        print(f"could not measure: {reason}; nothing was compared")
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps({"measured": False, "reason": reason}, indent=2) + "\n")
        return 0
    from triton.testing import do_bench

    events = Harness("cuda", engine="events")
    rows = []
    for name, fn, args in kernels():
        reference_s = do_bench(lambda fn=fn, args=args: fn(*args), return_mode="median") / 1e3
        flushed = events.time(fn, inputs=[args], flush_l2=True)
        warm = events.time(fn, inputs=[args], flush_l2=False)
        naive_s = host_clock_s(fn, args)
        ratio = flushed.median_s / reference_s
        tolerance = 0.05 if reference_s >= 50e-6 else 0.15
        rows.append(
            {
                "kernel": name,
                "do_bench_median_us": reference_s * 1e6,
                "harness_flushed_median_us": flushed.median_s * 1e6,
                "harness_flushed_iqr_us": flushed.iqr_s * 1e6,
                "harness_flushed_reps": flushed.reps,
                "harness_warm_l2_median_us": warm.median_s * 1e6,
                "host_clock_sync_median_us": naive_s * 1e6,
                "ratio_to_do_bench": ratio,
                "tolerance": tolerance,
                "within": abs(ratio - 1) <= tolerance,
            }
        )
        r = rows[-1]
        print(
            f"{name}: harness {r['harness_flushed_median_us']:.1f} us = {ratio:.3f}x do_bench "
            f"({r['do_bench_median_us']:.1f} us; {'within' if r['within'] else 'OUTSIDE'} {tolerance:.0%}); "
            f"warm L2 {r['harness_warm_l2_median_us'] / r['do_bench_median_us']:.3f}x, "
            f"host clock + sync {naive_s / reference_s:.2f}x"
        )
    result = {
        "measured": True,
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "rows": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
