"""Compensated summation: how the error of a sum of n numbers grows with n, per algorithm and dtype.

Four summation algorithms run in the dtype under test, with every addition and subtraction a
separate torch operation, so each intermediate result is rounded to that dtype (torch's CPU
kernels for bfloat16 and float16 compute in float32 and round each result back, which for one
addition or subtraction gives the correctly rounded result, since 24 >= 2p + 2 bits). The
sequential algorithms are serial in n, so they are vectorised across independent trials
instead: each loop step updates a vector of trial sums. torch.sum is measured beside them as
the library baseline. The reference is the exact sum of the already-rounded inputs.
"""

from __future__ import annotations

import math
import statistics

import torch

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
DISTRIBUTIONS = ("positive", "cancelling")
TRIALS = 16
KAPPA = 1000  # the cancelling inputs' designed condition number sum|x| / |sum x|
POSITIVE_SUM_EXPONENT = 11  # positive inputs are scaled so that their mean sum is at most 2**10
SEEDS = {"positive": 1, "cancelling": 2}


def parse_case(case: str) -> tuple[torch.dtype, str]:
    """``"bfloat16-positive"`` -> (torch.bfloat16, "positive")."""
    dtype_name, _, distribution = case.partition("-")
    if dtype_name not in DTYPES or distribution not in DISTRIBUTIONS:
        raise ValueError(f"unknown case {case!r}: use <{'|'.join(DTYPES)}>-<{'|'.join(DISTRIBUTIONS)}>")
    return DTYPES[dtype_name], distribution


def precision(dtype: torch.dtype) -> int:
    """p, the significand bits including the implicit one: eps = 2^(1 - p)."""
    return 1 - int(math.log2(torch.finfo(dtype).eps))


def unit_roundoff(dtype: torch.dtype) -> float:
    """u = 2^-p, the largest relative error of one correctly rounded operation."""
    return 2.0 ** -precision(dtype)


# -- inputs ---------------------------------------------------------------------------------------


def draw_inputs(distribution: str, n: int, trials: int, dtype: torch.dtype) -> torch.Tensor:
    """An (n, trials) tensor in ``dtype``: one column per trial, drawn in float64 and then rounded.

    The draws depend only on the distribution and n, so the three dtypes round the same numbers.
    ``positive``: uniform on [0, 1), times 2^(11 - ceil(log2 n)), a power of two, so that the sum
    is near 2^10 and fits float16 (largest finite 65504) at every n; in float32 and bfloat16,
    whose range is wider, the scaling changes no rounding at all.
    ``cancelling``: uniform on [-1, 1), shifted per trial so that the mean is 1/(2 KAPPA): the sum
    is then n/(2 KAPPA) against a sum of magnitudes near n/2, a condition number near KAPPA.
    """
    generator = torch.Generator().manual_seed(SEEDS[distribution] * 10**8 + n)
    u01 = torch.rand((n, trials), dtype=torch.float64, generator=generator)
    if distribution == "positive":
        values = u01 * 2.0 ** (POSITIVE_SUM_EXPONENT - math.ceil(math.log2(n)))
    else:
        values = 2 * u01 - 1
        values += 1 / (2 * KAPPA) - values.mean(dim=0)
    return values.to(dtype)


def exact_sums(x: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per trial, the sum and the sum of magnitudes of the rounded inputs, each correctly rounded
    to float64 by ``math.fsum`` (every input is exactly a float64, so nothing else is rounded)."""
    sums, magnitudes = [], []
    for column in x.t():
        values = column.double().tolist()
        sums.append(math.fsum(values))
        magnitudes.append(math.fsum(abs(v) for v in values))
    return sums, magnitudes


# -- the algorithms (each maps an (n, trials) tensor to a (trials,) tensor, all in x.dtype) ---------


def naive_and_neumaier(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Recursive summation and Neumaier's compensated summation, from one pass.

    Neumaier's running sum is exactly the recursive sum s_k = fl(s_(k-1) + x_k); what the
    variant adds is the exact error of each addition, accumulated in c and added at the end.
    That error is computed with Knuth's branch-free TwoSum, which yields the same exact value as
    Neumaier's magnitude comparison (FastTwoSum on the larger operand) without a branch per step.
    """
    s = torch.zeros_like(x[0])
    c, t, z, lost, gained = (torch.zeros_like(s) for _ in range(5))
    for xi in x:
        torch.add(s, xi, out=t)  # t = fl(s + x)
        torch.sub(t, s, out=z)  # z: the part of x that entered t
        torch.sub(t, z, out=lost)
        torch.sub(s, lost, out=lost)  # s - (t - z): what s lost
        torch.sub(xi, z, out=gained)  # x - z: what x lost
        lost.add_(gained)  # the exact error (s + x) - t
        c.add_(lost)
        s, t = t, s
    return s.clone(), s + c


def kahan(x: torch.Tensor) -> torch.Tensor:
    """Kahan's compensated summation: the error of each addition corrects the next term."""
    s = torch.zeros_like(x[0])
    c, y, t = (torch.zeros_like(s) for _ in range(3))
    for xi in x:
        torch.sub(xi, c, out=y)  # y = x - c
        torch.add(s, y, out=t)  # t = s + y
        torch.sub(t, s, out=c)
        c.sub_(y)  # c = (t - s) - y
        s, t = t, s
    return s.clone()


def pairwise(x: torch.Tensor) -> torch.Tensor:
    """Pairwise summation: add neighbours in pairs, then the pair sums in pairs, and so on; an
    odd element out waits for the next level. ceil(log2 n) levels, one rounding per level."""
    while len(x) > 1:
        even = len(x) - len(x) % 2
        x = torch.cat((x[0:even:2] + x[1:even:2], x[even:]))
    return x[0]


def torch_sum(x: torch.Tensor) -> torch.Tensor:
    """The library baseline: ``Tensor.sum`` of each trial as a contiguous 1-D tensor."""
    return torch.stack([column.sum() for column in x.t().contiguous()])


def summations(x: torch.Tensor) -> dict[str, list[float]]:
    """Every algorithm's result per trial, as float64 values (exact: each is a value of x.dtype)."""
    naive, neumaier = naive_and_neumaier(x)
    results = {"naive": naive, "pairwise": pairwise(x), "kahan": kahan(x), "neumaier": neumaier,
               "torch_sum": torch_sum(x)}  # fmt: skip
    for name, values in results.items():
        if values.dtype != x.dtype or not torch.isfinite(values).all():
            raise FloatingPointError(f"{name} returned {values.tolist()} in {values.dtype}")
    return {name: values.double().tolist() for name, values in results.items()}


# -- errors and bounds ----------------------------------------------------------------------------


def error_in_units(computed: float, exact: float, magnitude: float, u: float) -> float:
    """|computed - exact| in units of u * sum|x|, the scale of every bound in Higham's chapter 4."""
    return abs(computed - exact) / (u * magnitude)


def relative_error(computed: float, exact: float) -> float:
    return abs(computed - exact) / abs(exact)


def bounds(n: int, u: float) -> dict[str, float]:
    """First-order error bounds in units of u * sum|x|: recursive (n - 1), pairwise ceil(log2 n),
    and Kahan's 2 plus the O(n u^2) term written with constant 1, i.e. 2 + n u."""
    return {"bound_naive": n - 1, "bound_pairwise": math.ceil(math.log2(n)), "bound_kahan": 2 + n * u}


def round_to_precision(value: float, p: int) -> float:
    """``value`` rounded to p significant bits, ties to even (normal range only)."""
    mantissa, exponent = math.frexp(value)
    return math.ldexp(round(mantissa * 2**p), exponent - p)


def finite(metrics: dict) -> dict:
    """The metrics, or FloatingPointError if any number is not finite (never report one)."""
    bad = {k: v for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)}
    if bad:
        raise FloatingPointError(f"non-finite metrics: {bad}")
    return metrics


def error_metrics(name: str, computed: list[float], exact: list[float], magnitude: list[float],
                  u: float) -> dict[str, float]:  # fmt: skip
    """One algorithm's median and largest error over the trials, in units of u * sum|x| and relative."""
    units = [error_in_units(c, s, m, u) for c, s, m in zip(computed, exact, magnitude, strict=True)]
    relative = [relative_error(c, s) for c, s in zip(computed, exact, strict=True)]
    return {f"{name}_err": statistics.median(units), f"{name}_err_max": max(units),
            f"{name}_rel": statistics.median(relative), f"{name}_rel_max": max(relative)}  # fmt: skip


def correctly_rounded_fraction(computed: list[float], exact: list[float], p: int) -> float:
    """The fraction of trials whose result is the exact sum rounded to p bits."""
    hits = [c == round_to_precision(s, p) for c, s in zip(computed, exact, strict=True)]
    return sum(hits) / len(hits)


def measure(dtype: torch.dtype, distribution: str, n: int, trials: int = TRIALS) -> dict:
    """All metrics of one case and size."""
    x = draw_inputs(distribution, n, trials, dtype)
    exact, magnitude = exact_sums(x)
    if 0.0 in exact:
        raise FloatingPointError("an exact sum is zero: the condition number is infinite")
    u = unit_roundoff(dtype)
    results = summations(x)
    metrics: dict = {"kappa": statistics.median(m / abs(s) for s, m in zip(exact, magnitude, strict=True))}
    for name, computed in results.items():
        metrics |= error_metrics(name, computed, exact, magnitude, u)
    metrics["torch_sum_exact"] = correctly_rounded_fraction(results["torch_sum"], exact, precision(dtype))
    metrics["torch_threads"] = torch.get_num_threads()
    return finite(metrics | bounds(n, u))


def run(point: dict, bench) -> dict:
    """Entry point: one case (dtype and input distribution) and one n per parameter point."""
    dtype, distribution = parse_case(point["case"])
    return measure(dtype, distribution, int(point["n"]))
