"""Timing harness for experiments.

An experiment's entry point has the signature::

    def run(point: dict, bench: Harness) -> dict

``point`` is one parameter point (a mapping name -> value). It returns a mapping
metric name -> value, where every name is declared under ``metrics:`` and a value is a
number, a string, ``None`` (not applicable) or a :class:`Measurement`. A NaN or infinite
number fails that point.

``bench.device`` is ``"cpu"`` or ``"cuda"``; ``bench.time(fn, inputs=[(a, b), ...],
warmup=3, reps=None, min_time_s=0.1, flush_l2=False)`` returns a :class:`Timing`
(median, quartiles, repetitions, method). ``timing.measurement(1e6)`` is microseconds,
``timing.rate(2 * n**3 / 1e12)`` is TFLOP/s, both as :class:`Measurement` (value, low,
high, reps). ``bench.ceilings()`` measures, once per run, the copy bandwidth
(``copy_GBps``) and large-GEMM throughput per dtype (``gemm_TFLOPs[dtype]``); the runner
records them in the result's provenance.
"""

from cortex.timing.measurement import Measurement, Timing, summarize

__all__ = ["Harness", "Measurement", "Timing", "summarize"]


def __getattr__(name: str):
    # torch is imported only when the harness itself is needed.
    if name == "Harness":
        from cortex.timing.harness import Harness

        return Harness
    raise AttributeError(name)
