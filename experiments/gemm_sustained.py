"""Sustained GEMM load: does throughput fall after the first second, and is it the clock?

One parameter point is one (dtype, n). The same GEMM as the throughput experiment (its
operands and call are imported from it, so the two cannot drift apart) runs back to back for
a fixed time in batches bracketed by timing marks, while a sampler thread reads the GPU's SM
clock, power, temperature and NVML's clock-event reasons. The rates and clocks of the first
second are compared with those of the second half of the run.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field

import torch
from gemm_throughput import SEED, gemm_for, make_operands, not_applicable

BATCH_S = 0.05  # one timed batch of GEMMs lasts about this long
BURST_S = 0.3  # the burst from rest, timed call by call
MAX_BURST_CALLS = 20_000  # events made ahead of a burst; more than 0.3 s of the smallest GEMM
MIN_BURST_CALLS = 10  # a burst goes on past BURST_S until this many calls: the peak is a median of five
SETTLED = 1.03  # a burst has reached the sustained rate once its rate is within 3 % of it
SAMPLE_S = 0.02  # NVML sampling period
FIRST_S = 1.0  # "cold": batches that end within the first second


@dataclass
class Batch:
    end_s: float  # host time since the run started when the batch was known finished
    seconds: float  # the batch's own duration, from CUDA events (or perf_counter on a CPU)
    calls: int


@dataclass
class Sample:
    at_s: float
    sm_mhz: float
    watts: float
    celsius: float
    reasons: int


@dataclass
class Sampler:
    """Reads NVML every SAMPLE_S seconds on a thread while the GEMMs run."""

    handle: object
    nvml: object
    start: float
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        nv, h = self.nvml, self.handle
        while not self._stop.wait(SAMPLE_S):
            self.samples.append(
                Sample(
                    time.perf_counter() - self.start,
                    nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_SM),
                    nv.nvmlDeviceGetPowerUsage(h) / 1000,
                    nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU),
                    nv.nvmlDeviceGetCurrentClocksThrottleReasons(h),
                )
            )


# NVML's clock-event reason bits that mean the clock was held down (idle and the
# application-clock setting are not slowdowns)
SLOWDOWN_REASONS = {
    0x4: "power cap",
    0x8: "hardware slowdown",
    0x20: "thermal (software)",
    0x40: "thermal (hardware)",
    0x80: "power brake",
}


def nvml_handle(device: torch.device):
    """(pynvml, handle) for this CUDA device, or (None, None) where NVML cannot be read."""
    if device.type != "cuda":
        return None, None
    try:
        import pynvml

        pynvml.nvmlInit()
        uuid = str(torch.cuda.get_device_properties(device).uuid)
        return pynvml, pynvml.nvmlDeviceGetHandleByUUID(f"GPU-{uuid}")
    except Exception:  # no NVML library, no driver access, an unknown UUID: no clock metrics
        return None, None


def calls_per_batch(gemm, args: tuple, sync) -> int:
    """How many calls fill about BATCH_S, from ten synchronized calls (launch costs included, so
    small GEMMs start with batches that are, if anything, too short)."""
    t0 = time.perf_counter()
    for _ in range(10):
        gemm(*args)
    sync()
    return max(1, round(BATCH_S / ((time.perf_counter() - t0) / 10)))


def run_batches(
    gemm, args: tuple, seconds: float, device: torch.device, start: float, calls: int
) -> list[Batch]:
    """Back-to-back batches of about BATCH_S for ``seconds``, starting with ``calls`` per batch.
    On CUDA the next batch is queued before the last one is awaited, so the GPU never idles."""
    batches: list[Batch] = []
    pending = None
    while time.perf_counter() - start < seconds:
        if device.type == "cuda":
            begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            begin.record()
            for _ in range(calls):
                gemm(*args)
            end.record()
            if pending is not None:
                batches.append(finish(*pending, start))
            pending = (begin, end, calls)
        else:
            t0 = time.perf_counter()
            for _ in range(calls):
                gemm(*args)
            batches.append(Batch(time.perf_counter() - start, time.perf_counter() - t0, calls))
        if batches:  # resize from the last finished batch's own rate
            calls = max(1, round(batches[-1].calls * BATCH_S / max(batches[-1].seconds, 1e-9)))
    if pending is not None:
        batches.append(finish(*pending, start))
    return batches


def finish(begin, end, calls: int, start: float) -> Batch:
    end.synchronize()
    return Batch(time.perf_counter() - start, begin.elapsed_time(end) / 1e3, calls)


def burst(gemm, args: tuple, seconds: float, device: torch.device) -> list[tuple[float, float]]:
    """(end, duration) of every call, in seconds of GPU time from the first call's start, for
    back-to-back calls queued for ``seconds`` of host time (at least MIN_BURST_CALLS, at most
    MAX_BURST_CALLS). The CUDA events are made beforehand, so that recording one between calls
    is all the host adds."""
    if device.type != "cuda":
        calls, start = [], time.perf_counter()
        while ((t0 := time.perf_counter()) - start < seconds or len(calls) < MIN_BURST_CALLS) and len(
            calls
        ) < MAX_BURST_CALLS:
            gemm(*args)
            calls.append((time.perf_counter() - start, time.perf_counter() - t0))
        return calls
    marks = [torch.cuda.Event(enable_timing=True) for _ in range(MAX_BURST_CALLS + 1)]
    for mark in marks:  # torch makes the CUDA event at its first record: do that before timing
        mark.record()
    marks[-1].synchronize()
    marks[0].record()
    start, used = time.perf_counter(), 1
    while (time.perf_counter() - start < seconds or used <= MIN_BURST_CALLS) and used < len(marks):
        gemm(*args)
        marks[used].record()
        used += 1
    marks[used - 1].synchronize()
    ends = [marks[0].elapsed_time(m) / 1e3 for m in marks[1:used]]
    return [(end, end - (ends[i - 1] if i else 0.0)) for i, end in enumerate(ends)]


def rolling_rates(calls: list[tuple[float, float]], flops: float) -> list[float]:
    """The rate (TFLOP/s) of each call from the fifth on, as the median over it and the four before."""
    rates = [flops / duration / 1e12 for _, duration in calls]
    return [statistics.median(rates[i - 4 : i + 1]) for i in range(4, len(rates))]


def boost(
    calls: list[tuple[float, float]], flops: float, sustained: float
) -> tuple[float | None, float | None]:
    """A burst's peak rate, and how long after the peak its rate first came within SETTLED of
    the sustained rate (seconds; None if not within the burst). Rates are medians of five
    consecutive calls; the peak comes after the clock has risen from idle. A burst of fewer
    than five calls has no rate to give: (None, None)."""
    rolled = rolling_rates(calls, flops)
    if not rolled:
        return None, None
    peak = max(range(len(rolled)), key=rolled.__getitem__)
    for i in range(peak, len(rolled)):
        if rolled[i] <= SETTLED * sustained:
            return rolled[peak], calls[i + 4][0] - calls[peak + 4][0]
    return rolled[peak], None


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def run(point: dict, bench) -> dict:
    """Entry point: run one (dtype, n) GEMM back to back for ``seconds`` and compare phases."""
    dtype, n, seconds, idle = point["dtype"], int(point["n"]), float(point["seconds"]), float(point["idle"])
    device = torch.device(bench.device)
    reason = not_applicable(dtype, device)
    if reason:
        return {**dict.fromkeys(METRICS), "skipped": reason}
    generator = torch.Generator(device=device).manual_seed(SEED + n)
    args = make_operands(dtype, n, generator, device).args
    gemm = gemm_for(dtype)
    for _ in range(3):
        gemm(*args)
    calls = calls_per_batch(gemm, args, bench.synchronize)
    time.sleep(idle)  # let the clock and power recover from the previous point
    from_rest = burst(gemm, args, BURST_S, device)
    time.sleep(idle)  # and again from the burst

    nvml, handle = nvml_handle(device)
    start = time.perf_counter()
    if nvml is not None:
        with Sampler(handle, nvml, start) as sampler:
            batches = run_batches(gemm, args, seconds, device, start, calls)
        samples = sampler.samples
    else:
        batches, samples = run_batches(gemm, args, seconds, device, start, calls), []

    tflops = [b.calls * 2 * n**3 / b.seconds / 1e12 for b in batches]
    first = [r for i, r in enumerate(tflops) if batches[i].end_s <= FIRST_S] or tflops[:1]
    late = [r for i, r in enumerate(tflops) if batches[i].end_s >= seconds / 2] or tflops[-1:]
    cold, hot = statistics.median(first), statistics.median(late)
    peak, settled = boost(from_rest, 2 * n**3, hot)
    early_samples = [s for s in samples if s.at_s <= FIRST_S]
    late_samples = [s for s in samples if s.at_s >= seconds / 2]
    reasons = {name for s in late_samples for bit, name in SLOWDOWN_REASONS.items() if s.reasons & bit}
    return {
        "tflops_first_s": cold,
        "tflops_sustained": hot,
        "sustained_over_first": hot / cold,
        "tflops_burst_peak": peak,
        "ms_to_sustained": settled * 1e3 if settled is not None else None,
        "sm_clock_first_s": median_or_none([s.sm_mhz for s in early_samples]),
        "sm_clock_sustained": median_or_none([s.sm_mhz for s in late_samples]),
        "power_sustained": median_or_none([s.watts for s in late_samples]),
        "temperature_max": max((s.celsius for s in samples), default=None),
        "slowdown_reasons": (", ".join(sorted(reasons)) or "none") if samples else None,
        "batches": len(batches),
        "skipped": None,
    }


METRICS = (
    "tflops_first_s", "tflops_sustained", "sustained_over_first", "tflops_burst_peak", "ms_to_sustained",
    "sm_clock_first_s", "sm_clock_sustained",
    "power_sustained", "temperature_max", "slowdown_reasons", "batches", "skipped",
)  # fmt: skip
