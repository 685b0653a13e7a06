"""Timings and measurements: a median with its interquartile range and repetition count.

Torch-free, so the result store and the site can read measurements without a GPU stack.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from cortex.experiments.record import MeasurementRecord


@dataclass(frozen=True)
class Measurement:
    """A metric value measured repeatedly: the median, the interquartile bounds (in the
    metric's own unit) and how many repetitions they summarise."""

    value: float
    low: float
    high: float
    reps: int

    @property
    def iqr(self) -> float:
        return self.high - self.low

    def to_json(self) -> MeasurementRecord:
        return {"value": self.value, "low": self.low, "high": self.high, "iqr": self.iqr, "reps": self.reps}

    @classmethod
    def from_json(cls, data: MeasurementRecord) -> Measurement:
        return cls(float(data["value"]), float(data["low"]), float(data["high"]), int(data["reps"]))

    def is_finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.value, self.low, self.high))


@dataclass(frozen=True)
class Timing:
    """Seconds per call: median, first and third quartile, repetitions, and how it was taken."""

    median_s: float
    q1_s: float
    q3_s: float
    reps: int
    method: str

    @property
    def iqr_s(self) -> float:
        return self.q3_s - self.q1_s

    def measurement(self, scale: float = 1.0) -> Measurement:
        """The time itself times ``scale``: ``measurement(1e6)`` is microseconds."""
        return Measurement(self.median_s * scale, self.q1_s * scale, self.q3_s * scale, self.reps)

    def rate(self, work: float) -> Measurement:
        """Work per second: ``rate(2 * n**3 / 1e12)`` is TFLOP/s. Quartiles swap under 1/t."""
        return Measurement(work / self.median_s, work / self.q3_s, work / self.q1_s, self.reps)

    def to_json(self) -> dict:
        return {
            "median_s": self.median_s,
            "q1_s": self.q1_s,
            "q3_s": self.q3_s,
            "iqr_s": self.iqr_s,
            "reps": self.reps,
            "method": self.method,
        }


def summarize(samples_s: list[float], method: str) -> Timing:
    """Median and quartiles of per-repetition times (seconds)."""
    if not samples_s:
        raise ValueError("no timing samples")
    xs = sorted(samples_s)
    if len(xs) == 1:
        return Timing(xs[0], xs[0], xs[0], 1, method)
    q1, _q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return Timing(statistics.median(xs), q1, q3, len(xs), method)
