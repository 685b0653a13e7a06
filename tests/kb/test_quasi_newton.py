"""The quasi-Newton experiment: its CI size through the entry point, and the pieces its
conclusions rest on (the hand-written BFGS update and line search, the evaluation counter, BFGS
reaching Rosenbrock's minimum, and every method sharing the logistic regression optimum)."""

from __future__ import annotations

import math

import pytest
import torch
from support.declared import assert_reports_its_metrics

from cortex.timing import Harness

EXPERIMENT = "quasi_newton"  # the spec, entry and module fixtures (conftest) load it
PROBLEMS = ["rosenbrock-2", "rosenbrock-10", "rosenbrock-50", "logistic", "mlp"]
METHODS = ["bfgs", "lbfgs", "momentum", "adam", "adamw"]
FULL_BUDGET = {
    "rosenbrock-2": 10000,
    "rosenbrock-10": 10000,
    "rosenbrock-50": 10000,
    "logistic": 2000,
    "mlp": 2000,
}
TO_TOLERANCE = ("iterations", "function_evals", "gradient_evals", "seconds")


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    bench = Harness("cpu")
    return {(p["problem"], p["method"]): entry(p, bench) for p in spec.points("ci")}


def without_budget(points: list[dict]) -> list[dict]:
    return [{k: v for k, v in p.items() if k != "budget"} for p in points]


def test_sizes_share_the_grid_and_differ_in_the_budget(spec):
    full, ci = spec.points("full"), spec.points("ci")
    assert without_budget(full) == without_budget(ci) == without_budget(spec.points())
    assert [(p["problem"], p["method"]) for p in full] == [(p, m) for p in PROBLEMS for m in METHODS]
    assert {p["problem"]: p["budget"] for p in full} == FULL_BUDGET
    assert all(c["budget"] < f["budget"] for c, f in zip(ci, full, strict=True))
    assert spec.device == "cpu"


def test_the_declared_learning_rates_are_the_ones_the_script_uses(spec, module):
    for point in spec.points("full"):
        assert point["lr"] == module.learning_rate(point["problem"], point["method"]), point
        assert point["lr"] in module.TUNING_GRID or point["method"] in ("bfgs", "lbfgs"), point


def test_a_point_whose_learning_rate_disagrees_with_the_script_is_refused(entry):
    with pytest.raises(ValueError, match="lr"):
        entry({"problem": "rosenbrock-2", "method": "adam", "lr": 0.123, "budget": 10}, Harness("cpu"))


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert len(ci_results) == len(PROBLEMS) * len(METHODS)
    for (problem, method), metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, (problem, method))
        assert 0 <= metrics["reached"] <= 5
        for name in TO_TOLERANCE:  # a cost to the tolerance only where every seed got there
            assert (metrics[name] is None) == (metrics["reached"] < 5), (problem, method, name)
        assert (metrics["test_accuracy"] is None) == problem.startswith("rosenbrock")
        assert (metrics["skipped_updates"] is None) == (method != "bfgs")


def test_evaluation_counts_are_positive_integers_and_every_final_loss_is_finite(spec, module, ci_results):
    for point in spec.points("ci"):
        for seed in module.SEEDS:
            run = module._run(
                point["problem"], point["method"], seed, point["budget"]
            )  # cached by ci_results
            trace = run.trace
            assert math.isfinite(run.final_loss), point
            for counts in (trace.function_evals, trace.gradient_evals, trace.iteration):
                assert counts.dtype == torch.int64 and bool((counts[1:] >= counts[:-1]).all()), point
            assert torch.equal(trace.function_evals, torch.arange(1, len(trace.loss) + 1)), point
            assert int(trace.gradient_evals[-1]) >= 1 and bool(
                (trace.gradient_evals <= trace.function_evals).all()
            )
            if point["method"] not in ("bfgs", "lbfgs"):  # one function and one gradient per step
                assert len(trace.loss) <= point["budget"]
                assert torch.equal(trace.iteration, torch.arange(len(trace.loss))), point


def test_the_quasi_newton_methods_reach_the_rosenbrock_tolerance_on_every_seed_in_ci(ci_results):
    """Even the CI budget (200 evaluations) is enough in two dimensions."""
    for method in ("bfgs", "lbfgs"):
        assert ci_results[("rosenbrock-2", method)]["reached"] == 5, method


# -- BFGS ----------------------------------------------------------------------------------------


def random_spd(n: int, generator: torch.Generator) -> torch.Tensor:
    a = torch.randn(n, n, generator=generator, dtype=torch.float64)
    return a @ a.T + 0.1 * torch.eye(n, dtype=torch.float64)


def curvature_pair(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A step s and gradient change y = A s of a convex quadratic, so yᵀs > 0."""
    s = torch.randn(n, generator=generator, dtype=torch.float64)
    return s, random_spd(n, generator) @ s


@pytest.mark.parametrize("seed", range(5))
def test_bfgs_update_satisfies_the_secant_equation_and_stays_symmetric_positive_definite(module, seed):
    generator = torch.Generator().manual_seed(seed)
    h = random_spd(8, generator)
    s, y = curvature_pair(8, generator)
    updated = module.bfgs_update(h, s, y)
    torch.testing.assert_close(updated @ y, s, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(updated, updated.T, rtol=0, atol=1e-12)
    assert torch.linalg.eigvalsh(updated).min() > 0
    rho = 1 / torch.dot(y, s)
    left = torch.eye(8, dtype=torch.float64) - rho * torch.outer(s, y)  # the product form itself
    torch.testing.assert_close(updated, left @ h @ left.T + rho * torch.outer(s, s), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(h, random_spd(8, torch.Generator().manual_seed(seed)))  # input untouched


@pytest.mark.parametrize("seed", range(5))
def test_the_sketched_update_breaks_the_secant_equation(module, seed):
    generator = torch.Generator().manual_seed(seed)
    h = random_spd(8, generator)
    s, y = curvature_pair(8, generator)
    wrong = module.sketched_update(h, s, y)
    assert (wrong @ y - s).norm() > 1e-3 * s.norm()


def test_the_sketched_update_is_right_while_h_is_a_multiple_of_the_identity(module):
    """Why a one-step check misses the slip: with H = cI, H s yᵀ + y sᵀH = H y sᵀ + s yᵀH."""
    generator = torch.Generator().manual_seed(0)
    h = 0.7 * torch.eye(6, dtype=torch.float64)
    s, y = curvature_pair(6, generator)
    torch.testing.assert_close(module.sketched_update(h, s, y), module.bfgs_update(h, s, y))


@pytest.mark.parametrize("dim", [2, 10])
def test_bfgs_reaches_the_rosenbrock_minimum_from_the_standard_start(module, dim):
    objective = module.CountedObjective(module.chained_rosenbrock)
    result = module.bfgs(objective, module.standard_start(dim), budget=2000)
    assert module.chained_rosenbrock(result.x).item() <= module.ROSENBROCK_TOLERANCE
    torch.testing.assert_close(result.x, torch.ones(dim, dtype=torch.float64), rtol=0, atol=1e-4)
    assert objective.function_evals < 2000 and result.skipped_updates == 0


def test_strong_wolfe_points_satisfy_both_conditions_and_positive_curvature(module):
    generator = torch.Generator().manual_seed(1)
    for _ in range(20):
        x = module.standard_start(10) + torch.randn(10, generator=generator, dtype=torch.float64)
        objective = module.CountedObjective(module.chained_rosenbrock)
        f, g = objective.value_and_gradient(x)
        d = -g / g.norm()
        point = module.strong_wolfe(objective, x, f, g, d, alpha=1.0)
        assert point is not None
        slope0 = torch.dot(g, d).item()
        assert point.f <= f + module.WOLFE_C1 * point.alpha * slope0
        assert abs(torch.dot(point.g, d).item()) <= module.WOLFE_C2 * abs(slope0)
        assert torch.dot(point.g - g, point.x - x).item() > 0


def test_a_line_search_needs_a_gradient_only_where_sufficient_decrease_holds(module):
    """From the start, a unit step along −∇f overshoots badly: the first trials cost f only."""
    objective = module.CountedObjective(module.chained_rosenbrock)
    x = module.standard_start(2)
    f, g = objective.value_and_gradient(x)
    point = module.strong_wolfe(objective, x, f, g, -g, alpha=1.0)
    assert point is not None
    assert objective.function_evals > objective.gradient_evals >= 2


# -- counting, and where the methods end ---------------------------------------------------------


def test_the_counter_counts_function_and_gradient_evaluations_apart(module):
    objective = module.CountedObjective(module.chained_rosenbrock)
    x, other = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    assert objective.value(x) == 3.0
    g = objective.gradient(x)  # reuses the forward pass just made
    assert (objective.function_evals, objective.gradient_evals) == (1, 1)
    torch.testing.assert_close(g, torch.tensor([-2.0, -2.0, -2.0, 0.0], dtype=torch.float64))
    objective.gradient(other)  # a new point needs its own forward pass: both counts move
    assert (objective.function_evals, objective.gradient_evals) == (2, 2)
    objective.value(x)
    trace = objective.trace()
    assert trace.loss.tolist() == [3.0, 0.0, 3.0]
    assert trace.function_evals.tolist() == [1, 2, 3] and trace.gradient_evals.tolist() == [0, 1, 2]
    assert trace.first_within(0.5) == 1 and trace.first_within(-1.0) is None


def test_a_diverging_first_order_run_ends_at_its_last_finite_iterate(module):
    objective = module.CountedObjective(module.chained_rosenbrock)
    x = module.first_order("momentum", objective, module.standard_start(2), lr=1.0, budget=5000)
    assert math.isfinite(module.chained_rosenbrock(x).item())
    assert objective.function_evals < 5000  # it stopped when the loss overflowed
    assert not math.isfinite(objective.trace().loss[-1].item())


def test_on_logistic_regression_every_method_ends_near_the_same_optimum(module):
    """Strongly convex (λ > 0), so one minimiser: every method, at its declared learning rate,
    ends within the digits tolerance of the best loss, with the same test accuracy."""
    runs = {m: module.train("logistic", m, 0, module.learning_rate("logistic", m), 800) for m in METHODS}
    best = min(run.trace.loss.min().item() for run in runs.values())
    for method, run in runs.items():
        assert run.final_loss <= best * (1 + module.DIGITS_RELATIVE_TOLERANCE), (method, run.final_loss, best)
        assert abs(run.test_accuracy - runs["bfgs"].test_accuracy) <= 1.5 / 540, method
