"""The compensated summation experiment: its CI size through the runner, and the properties its
numbers rest on (per-operation rounding, the exact reference, the algorithms themselves)."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import pytest
import torch
from support.paths import REPO

from cortex.runner.run import main as run_runner

EXPERIMENT = "compensated_summation"  # the spec, entry and module fixtures (conftest) load it
DECLARATION = REPO / "experiments" / f"{EXPERIMENT}.md"
REDUCED = (torch.bfloat16, torch.float16)
ALL_DTYPES = (torch.float32, *REDUCED)
P = {torch.float32: 24, torch.bfloat16: 8, torch.float16: 11}  # significand bits, by definition


@pytest.fixture(scope="module")
def ci_points(tmp_path_factory) -> dict[tuple[str, int], dict]:
    """The CI size run by the runner, as a user runs it, into a scratch results folder."""
    results = tmp_path_factory.mktemp("results")
    assert run_runner([str(DECLARATION), "--size", "ci", "--results-dir", str(results)]) == 0
    record = json.loads((results / EXPERIMENT / "result.json").read_text())
    assert record["status"] == "ok" and record["size"] == "ci"
    assert (results / EXPERIMENT / "figures" / "kahan_growth.json").is_file()
    return {(p["params"]["case"], p["params"]["n"]): p for p in record["points"]}


def round_exactly(value: Fraction, p: int) -> Fraction:
    """``value`` rounded to p significant bits, ties to even, in exact arithmetic."""
    if value == 0:
        return value
    exponent = math.floor(math.log2(abs(value)))
    while abs(value) >= Fraction(2) ** (exponent + 1):  # log2 of a Fraction may be off by one
        exponent += 1
    while abs(value) < Fraction(2) ** exponent:
        exponent -= 1
    step = Fraction(2) ** (exponent - p + 1)
    return round(value / step) * step  # Fraction.__round__ rounds half to even


def gamma_in_units(k: int, u: float) -> float:
    """Higham's gamma_k = k u / (1 - k u), the rigorous form of a k u bound, in units of u."""
    return k / (1 - k * u)


def column(values: list[float], dtype: torch.dtype) -> torch.Tensor:
    """One trial, shaped (n, 1) as the algorithms take it."""
    return torch.tensor(values, dtype=torch.float64).to(dtype).reshape(-1, 1)


# -- the declaration and the CI run ------------------------------------------------------------------


def test_sizes_span_the_promised_range(spec, module):
    cases = {p["case"] for p in spec.points("full")}
    assert cases == {f"{d}-{dist}" for d in module.DTYPES for dist in module.DISTRIBUTIONS}
    assert sorted({p["n"] for p in spec.points("full")}) == [10**k for k in range(2, 7)]
    assert max(p["n"] for p in spec.points("ci")) <= 1000


def test_ci_run_reports_every_metric_finite_and_non_negative(spec, ci_points):
    assert len(ci_points) == len(spec.points("ci"))
    for point, record in ci_points.items():
        assert record["status"] == "ok", point
        metrics = record["metrics"]
        assert set(metrics) == set(spec.metrics), point
        for name, value in metrics.items():
            assert isinstance(value, int | float) and math.isfinite(value) and value >= 0, (point, name)


def test_ci_errors_respect_the_bounds_where_they_apply(module, ci_points):
    for (case, n), record in ci_points.items():
        m = record["metrics"]
        u = module.unit_roundoff(module.parse_case(case)[0])
        assert m["pairwise_err_max"] <= gamma_in_units(math.ceil(math.log2(n)), u), (case, n)
        if (n - 1) * u < 1:
            assert m["naive_err_max"] <= gamma_in_units(n - 1, u), (case, n)
        if n * u <= 0.1:
            assert m["kahan_err_max"] <= m["bound_kahan"], (case, n)
        assert m["kappa"] == 1 if case.endswith("positive") else 900 < m["kappa"] < 1100


def test_bfloat16_recursive_sum_stagnates_where_kahan_does_not(ci_points):
    m = ci_points[("bfloat16-positive", 1000)]["metrics"]
    assert m["naive_rel"] > 0.3  # a third of the sum or more rounded away
    assert m["kahan_rel_max"] < 2 * 2**-8


def test_torch_sum_of_16_bit_inputs_is_correctly_rounded_below_the_thread_split(ci_points):
    """One float32 accumulation, rounded once: the correctly rounded sum (n <= 1000 < 32768)."""
    for (case, _), record in ci_points.items():
        if not case.startswith("float32"):
            assert record["metrics"]["torch_sum_exact"] == 1, case


# -- the arithmetic the experiment relies on -----------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_torch_rounds_each_operation_to_the_dtype(module, dtype):
    p = P[dtype]
    assert module.precision(dtype) == p and module.unit_roundoff(dtype) == 2.0**-p
    one, half_ulp = torch.tensor(1.0, dtype=dtype), torch.tensor(2.0**-p, dtype=dtype)
    assert (one + half_ulp).item() == 1.0  # a tie, rounded to the even neighbour: 1 + 2^-9 in bfloat16
    assert (one + 3 * half_ulp).item() == 1 + 2.0 ** (2 - p)  # the other tie rounds up to the even one
    rng = random.Random(p)
    a = torch.tensor([rng.uniform(-1, 1) * 2.0 ** rng.randint(-4, 4) for _ in range(2000)]).to(dtype)
    b = torch.tensor([rng.uniform(-1, 1) * 2.0 ** rng.randint(-4, 4) for _ in range(2000)]).to(dtype)
    for op, exact in ((torch.add, Fraction.__add__), (torch.sub, Fraction.__sub__)):
        got = op(a, b)
        assert got.dtype == dtype
        for x, y, z in zip(a.tolist(), b.tolist(), got.tolist(), strict=True):
            assert Fraction(z) == round_exactly(exact(Fraction(x), Fraction(y)), p), (op, x, y)


def test_exact_reference_equals_rational_arithmetic(module):
    x = module.draw_inputs("cancelling", 300, 4, torch.bfloat16)
    sums, magnitudes = module.exact_sums(x)
    for j in range(4):
        values = [Fraction(v) for v in x[:, j].tolist()]
        assert sums[j] == float(sum(values))  # float(Fraction) is correctly rounded
        assert magnitudes[j] == float(sum(abs(v) for v in values))


def test_inputs_are_the_same_draws_in_every_dtype(module):
    for distribution in module.DISTRIBUTIONS:
        draws = module.draw_inputs(distribution, 500, 3, torch.float64)
        for dtype in ALL_DTYPES:
            assert torch.equal(module.draw_inputs(distribution, 500, 3, dtype), draws.to(dtype))


# -- the algorithms ---------------------------------------------------------------------------------


def test_kahan_keeps_what_naive_summation_loses(module):
    """1 and then 1024 terms of 2^-12 in float16: each term is half an ulp of 1 or less."""
    values = [1.0] + [2.0**-12] * 1024
    exact, magnitude, n = 1.25, 1.25, len(values)
    u = module.unit_roundoff(torch.float16)
    naive, neumaier = (v.item() for v in module.naive_and_neumaier(column(values, torch.float16)))
    kahan = module.kahan(column(values, torch.float16)).item()
    bound = module.bounds(n, u)["bound_kahan"]
    assert naive == 1.0  # every small term rounded away
    assert module.error_in_units(naive, exact, magnitude, u) > bound
    assert module.error_in_units(kahan, exact, magnitude, u) <= bound
    assert neumaier == exact


def neumaier_by_comparison(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Neumaier's algorithm as published: FastTwoSum on whichever operand is larger."""
    s = torch.zeros((), dtype=values.dtype)
    c = torch.zeros((), dtype=values.dtype)
    for x in values:
        t = s + x
        c = c + (((s - t) + x) if abs(s) >= abs(x) else ((x - t) + s))
        s = t
    return s, s + c


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_neumaier_with_two_sum_matches_the_branching_original(module, dtype):
    x = module.draw_inputs("cancelling", 400, 3, dtype) * torch.logspace(0, 3, 400, dtype=dtype)[:, None]
    naive, neumaier = module.naive_and_neumaier(x)
    for j in range(3):
        s, total = neumaier_by_comparison(x[:, j])
        assert naive[j].item() == s.item() and neumaier[j].item() == total.item()


def test_the_notes_counterexample_to_kahan(module):
    """Kahan Summation note: 1e-10, 1e10, 1e-10, -1e10, 1e-10 in binary64."""
    values = [1e-10, 1e10, 1e-10, -1e10, 1e-10]
    x = column(values, torch.float64)
    naive, neumaier = module.naive_and_neumaier(x)
    assert module.kahan(x).item() == naive.item() == 1e-10
    assert neumaier.item() == math.fsum(values) == pytest.approx(3e-10, rel=1e-15)


def halving(x: torch.Tensor) -> torch.Tensor:
    """Pairwise summation by recursive halving; for n a power of two it adds the same pairs."""
    return x[0] if len(x) == 1 else halving(x[: len(x) // 2]) + halving(x[len(x) // 2 :])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_pairwise_adds_pairs_and_keeps_its_bound(module, dtype):
    x = module.draw_inputs("positive", 1024, 4, dtype)
    assert torch.equal(module.pairwise(x), halving(x))
    odd = module.draw_inputs("cancelling", 777, 4, dtype)
    exact, magnitude = module.exact_sums(odd)
    u, levels = module.unit_roundoff(dtype), math.ceil(math.log2(777))
    for got, s, m in zip(module.pairwise(odd).tolist(), exact, magnitude, strict=True):
        assert module.error_in_units(got, s, m, u) <= gamma_in_units(levels, u)


def test_overflow_fails_the_point_instead_of_reporting_it(module):
    with pytest.raises(FloatingPointError, match="naive"):
        module.summations(column([60000.0, 60000.0], torch.float16))
    with pytest.raises(FloatingPointError):
        module.finite({"naive_err": math.inf})


def test_unknown_case_is_refused(module):
    with pytest.raises(ValueError, match="unknown case"):
        module.parse_case("float64-positive")
