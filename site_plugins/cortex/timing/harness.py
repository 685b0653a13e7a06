"""The timing harness handed to every experiment's entry point.

On CUDA a region is timed on the GPU's own clock: warm-up calls, a CUDA event pair around
each repetition, an optional L2 flush (writing a 256 MB buffer) before each repetition,
rotation among input sets so small problems do not live in cache, and the median with its
interquartile range. With ``flush_l2=True`` and Triton installed, ``triton.testing.do_bench``
takes the samples (its warm-up, flush and event loop are the reference); otherwise the
harness runs its own event loop. A short GPU spin is queued before each batch of
repetitions so the host can enqueue ahead of the GPU and launch latency stays out of the
measured regions. On CPU, ``time.perf_counter`` around each call gives the same statistics.
"""

from __future__ import annotations

import functools
import itertools
import math
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from cortex.timing.measurement import Timing, summarize

FLUSH_BYTES = 256 * 1024 * 1024
MAX_REPS = 10_000
MIN_REPS = 5
_BATCH = 64  # repetitions queued behind one GPU spin


class Harness:
    """Times callables on one device. ``engine`` is ``"auto"`` (do_bench where it fits) or
    ``"events"`` (always the harness's own CUDA-event loop)."""

    def __init__(self, device: str = "cpu", *, engine: str = "auto") -> None:
        if device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', not {device!r}")
        if device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was requested but torch.cuda.is_available() is False")
        if engine not in ("auto", "events"):
            raise ValueError(f"engine must be 'auto' or 'events', not {engine!r}")
        self.device = device
        self.engine = engine
        self._flush_buffer: torch.Tensor | None = None
        self._ceilings: dict | None = None

    # -- public ---------------------------------------------------------------------------

    @property
    def device_name(self) -> str:
        return device_name(self.device)

    @property
    def measured_ceilings(self) -> dict | None:
        """The ceilings if an experiment asked for them during this run, else None."""
        return self._ceilings

    def synchronize(self) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()

    def time(
        self,
        fn: Callable[..., Any],
        *,
        inputs: Sequence[tuple] | None = None,
        warmup: int = 3,
        reps: int | None = None,
        min_time_s: float = 0.1,
        flush_l2: bool = False,
    ) -> Timing:
        """Time ``fn(*inputs[i % len(inputs)])`` over repetitions ``i``; ``reps=None`` picks enough
        repetitions to fill ``min_time_s`` (at least 5, at most 10,000)."""
        arg_sets = list(inputs) if inputs else [()]
        if any(not isinstance(a, tuple) for a in arg_sets):
            raise TypeError("inputs must be a list of argument tuples")
        if self.device == "cpu":
            return self._time_cpu(fn, arg_sets, warmup, reps, min_time_s, flush_l2)
        if flush_l2 and reps is None and self.engine == "auto" and _has_triton():
            return self._time_do_bench(fn, arg_sets, warmup, min_time_s)
        return self._time_cuda_events(fn, arg_sets, warmup, reps, min_time_s, flush_l2)

    def ceilings(self) -> dict:
        """The machine's measured ceilings, once per harness: copy bandwidth and large GEMMs."""
        if self._ceilings is None:
            from cortex.timing.ceilings import measure_ceilings

            self._ceilings = measure_ceilings(self)
        return self._ceilings

    # -- CPU ------------------------------------------------------------------------------

    def _time_cpu(self, fn, arg_sets, warmup, reps, min_time_s, flush_l2) -> Timing:
        cycle = itertools.cycle(arg_sets)
        for _ in range(warmup):
            fn(*next(cycle))
        if reps is None:
            t0 = time.perf_counter()
            for _ in range(3):
                if flush_l2:
                    self._flush()
                fn(*next(cycle))
            reps = _reps_for(min_time_s, (time.perf_counter() - t0) / 3)
        samples = []
        for i in range(reps):
            if flush_l2:
                self._flush()
            args = arg_sets[i % len(arg_sets)]
            t0 = time.perf_counter()
            fn(*args)
            samples.append(time.perf_counter() - t0)
        return summarize(samples, "perf_counter")

    # -- CUDA -----------------------------------------------------------------------------

    def _time_cuda_events(self, fn, arg_sets, warmup, reps, min_time_s, flush_l2) -> Timing:
        for i in range(warmup):
            fn(*arg_sets[i % len(arg_sets)])
        torch.cuda.synchronize()
        if reps is None:  # the host clock over a few repetitions, flushes included
            t0 = time.perf_counter()
            self._event_samples(fn, arg_sets, 5, flush_l2, spin=False)
            reps = _reps_for(min_time_s, (time.perf_counter() - t0) / 5)
        return summarize(self._event_samples(fn, arg_sets, reps, flush_l2), "cuda-events")

    def _event_samples(self, fn, arg_sets, reps, flush_l2, spin=True) -> list[float]:
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        for i in range(reps):
            if spin and i % _BATCH == 0:
                _spin_gpu(seconds=5e-3)
            if flush_l2:
                self._flush()
            starts[i].record()
            fn(*arg_sets[i % len(arg_sets)])
            ends[i].record()
        torch.cuda.synchronize()
        return [s.elapsed_time(e) / 1e3 for s, e in zip(starts, ends, strict=True)]

    def _time_do_bench(self, fn, arg_sets, warmup, min_time_s) -> Timing:
        from triton.testing import do_bench

        cycle = itertools.cycle(arg_sets)

        def call():
            fn(*next(cycle))

        for _ in range(warmup):
            call()
        rep_ms = max(1.0, min_time_s * 1e3)
        try:
            times_ms = do_bench(call, warmup=25, rep=rep_ms, return_mode="all")
        except (AssertionError, ValueError):
            times_ms = None
        if not isinstance(times_ms, list | tuple) or not times_ms:  # a Triton without "all"
            q1, med, q3 = do_bench(
                call, warmup=25, rep=rep_ms, quantiles=[0.25, 0.5, 0.75], return_mode="median"
            )
            return Timing(med / 1e3, q1 / 1e3, q3 / 1e3, 0, "triton.do_bench(quantiles; reps unknown)")
        return summarize([t / 1e3 for t in times_ms], "triton.do_bench")

    # -- shared ---------------------------------------------------------------------------

    def _flush(self) -> None:
        if self._flush_buffer is None:
            self._flush_buffer = torch.empty(FLUSH_BYTES // 4, dtype=torch.int32, device=self.device)
        self._flush_buffer.zero_()


def _reps_for(min_time_s: float, estimate_s: float) -> int:
    if estimate_s <= 0:
        return MAX_REPS
    return max(MIN_REPS, min(MAX_REPS, math.ceil(min_time_s / estimate_s)))


def _spin_gpu(seconds: float) -> None:
    """Queue a GPU busy-wait so the host gets ahead of the device (torch's private helper)."""
    sleep = getattr(torch.cuda, "_sleep", None)
    if sleep is not None:
        clock_hz = _gpu_clock_hz()
        sleep(int(seconds * clock_hz))


@functools.cache
def _gpu_clock_hz() -> float:
    rate_khz = getattr(torch.cuda.get_device_properties(torch.cuda.current_device()), "clock_rate", 0)
    return float(rate_khz) * 1e3 if rate_khz else 1.5e9


def _has_triton() -> bool:
    try:
        import triton.testing  # noqa: F401
    except ImportError:
        return False
    return True


def device_name(device: str) -> str:
    if device == "cuda":
        return torch.cuda.get_device_name(torch.cuda.current_device())
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"
